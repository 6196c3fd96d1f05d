"""FC-Attack, jailbreaking with auto-generated flowcharts (Zhang et al., Findings of EMNLP 2025)."""
