"""`python -m valuegraph.cli`: the same as the `valuegraph` command."""

from valuegraph.cli.main import main

main()
