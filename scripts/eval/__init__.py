"""Helpers for scripts/evaluate_nlu.py: data loading, training, metrics, speech and the report."""
