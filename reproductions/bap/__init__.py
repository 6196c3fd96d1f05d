"""BAP, the bi-modal adversarial prompt (Ying et al., arXiv 2406.04031)."""
