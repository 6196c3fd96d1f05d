"""Datasets: samples fetched from the authors' public sources (pinned) or read from a local copy."""
