"""harmbench."""
