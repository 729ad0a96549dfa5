"""The ``valuegraph`` command's entry point: its modules are imported with the cyclic collector paused, and
``valuegraph serve`` imports only its own.

Importing the command line and, to serve, the web stack makes objects that live as long as the process, and
the collector walked them in some 445 collections while they were being made (0.14 s of a 1.5 s import).
Reference counting frees what is dropped meanwhile, as always. The collector resumes when the command
begins (cli/main.py), or, for `valuegraph serve`, once the server has started and left what it holds out of
later collections (graph/pause.py ``freeze_started_process``).

A server's start to its first answer is measured against its peers' (benchmarks/peers.py): `serve` alone
skips the loaders, the progress bars and the building of two dozen other commands (50 ms), and, given plain
options (cli/serve_options.py), the command line's parser and consoles too (another 50 ms); its help, and
options it would refuse, go through the parser as before.
"""

from __future__ import annotations

import gc
import sys


def serve(args: list[str]) -> None:
    from valuegraph.cli.serve_options import plain_serve_options  # small, and without typer

    options = plain_serve_options(args)
    if options is None:
        from valuegraph.cli.serve import main as command  # typer's help and errors

        command(args)
        return
    try:
        from valuegraph.cli.serving import ServeRefused, serve_until_stopped

        try:
            code = serve_until_stopped(**options)
        except ServeRefused as exc:
            from valuegraph.cli.consoles import say_refusal  # rich, only to say why

            say_refusal(exc.title, exc.detail)
            code = 2
    except KeyboardInterrupt:  # stopped while starting, before the server handles the signal: as typer does
        code = 130
    sys.exit(code)


def main() -> None:
    # this module imports nothing of valuegraph at its top: importing valuegraph.graph would make much of what
    # the pause is for before it begins
    gc.disable()
    if sys.argv[1:2] == ["serve"]:
        serve(sys.argv[2:])
    else:
        from valuegraph.cli.main import main as command

        command()
