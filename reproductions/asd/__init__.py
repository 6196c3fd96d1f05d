"""Attack as Defense (Li et al., Findings of EMNLP 2025): a protective patch and a defense prompt."""
