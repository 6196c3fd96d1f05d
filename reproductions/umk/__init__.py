"""UMK, the universal master key (Wang et al., ACM MM 2024): a white-box image-and-suffix jailbreak."""
