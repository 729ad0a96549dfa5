"""The valuegraph command line: load, ask, serve, and keep keys."""
