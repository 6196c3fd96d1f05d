"""MSTS, the Multimodal Safety Test Suite (Röttger et al., 2025)."""
