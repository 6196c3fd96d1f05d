"""VSCBench, visual safety calibration (Geng et al., ACL 2025 Findings)."""
