"""Where commands print: answers on standard output, everything else (progress, errors) on standard error."""

from rich.console import Console

console = Console()
errors = Console(stderr=True)
