"""Renderers: terminal views now; the awesome-list README and the site build on the same data."""
