"""Judges decide, per response, whether an attack succeeded; every result carries the judge id."""
