"""Where commands print: answers on standard output, everything else (progress, errors) on standard error."""

from rich.console import Console
from rich.markup import escape

console = Console()
errors = Console(stderr=True)


def say_refusal(title: str, detail: str = "") -> None:
    """Why a command cannot go on: ``title`` in red, then ``detail``, both as plain text."""
    errors.print(f"[red]{escape(title)}[/]" + (f" {escape(detail)}" if detail else ""))
