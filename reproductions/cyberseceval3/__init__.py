"""CyberSecEval 3 (Wan et al., 2024): its visual prompt injection benchmark."""
