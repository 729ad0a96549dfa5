"""`python -m valuegraph.cli`: the same as the `valuegraph` command."""

from valuegraph.cli.start import main

main()
