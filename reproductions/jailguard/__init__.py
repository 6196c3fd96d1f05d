"""jailguard."""
