"""Pieces of `make bench` (scripts/bench.py): servers, conversations, the load driver and the report."""
