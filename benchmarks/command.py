"""What the benchmark commands share: a command line with ``--json``, and writing the results there."""

from __future__ import annotations

import argparse

import orjson


def parser(description: str | None) -> argparse.ArgumentParser:
    """A benchmark's command line, with ``--json FILE`` for its results."""
    made = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    made.add_argument("--json", type=argparse.FileType("wb"), help="also write the results as JSON here")
    return made


def write_json(args: argparse.Namespace, result: dict) -> None:
    """The results as indented JSON, where ``--json`` asked for them."""
    if args.json:
        args.json.write(orjson.dumps(result, option=orjson.OPT_INDENT_2))
