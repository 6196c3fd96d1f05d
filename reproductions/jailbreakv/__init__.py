"""jailbreakv."""
