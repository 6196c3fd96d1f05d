"""visual_adv."""
