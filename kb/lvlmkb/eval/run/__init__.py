"""Reproductions: method plugins from ``reproductions/``, the runner, run records and the generation cache."""
