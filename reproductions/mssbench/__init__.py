"""MSSBench, multimodal situational safety (Zhou et al., ICLR 2025)."""
