"""`valuegraph serve`'s options as the server reads them without the command line's parser (cli/start.py):
plain ``--store``, ``--host``, ``--port`` and ``--workers``. Anything else goes through typer (cli/serve.py),
which declares the same options."""

from __future__ import annotations

#: how many workers `valuegraph serve --workers` may be asked for (as the settings allow: api/settings.py)
WORKER_COUNTS = range(1, 257)


def _number(text: str, allowed: range | None = None) -> int | None:
    """``text`` as a whole number when it is plain ASCII digits (within ``allowed``), else None."""
    if not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if allowed is None or number in allowed else None


#: `valuegraph serve`'s options, and how a plain value of each is read (None: the parser's business)
SERVE_OPTIONS = {
    "--store": str,
    "--host": str,
    "--port": _number,
    "--workers": lambda text: _number(text, WORKER_COUNTS),
}


def plain_serve_options(args: list[str]) -> dict[str, object] | None:
    """``args`` read as `valuegraph serve`'s options (``--port 8000``, ``--port=8000``), each at most once and
    with a value the command line's parser would take as it is; None for anything else (help, an unknown or
    repeated option, a value to refuse), which the parser then answers."""
    options: dict[str, object] = {}
    rest = list(args)
    while rest:
        name, equals, value = rest.pop(0).partition("=")
        if not equals:
            if not rest:
                return None
            value = rest.pop(0)
        read = SERVE_OPTIONS.get(name)
        key = name[2:]
        if read is None or key in options or value.startswith("-"):
            return None
        parsed = read(value)
        if parsed is None:
            return None
        options[key] = parsed
    return options
