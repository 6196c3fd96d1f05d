"""hades."""
