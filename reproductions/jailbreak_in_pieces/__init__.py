"""jailbreak_in_pieces."""
