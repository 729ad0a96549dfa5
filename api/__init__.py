"""The outside of valuegraph: command line (and, with the API, the HTTP service)."""
