"""The thin HTTP API (and the command line): validate, call one service, return a view."""
