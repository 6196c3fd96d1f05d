"""ELITE (Lee et al., 2025): a benchmark and a rubric evaluator for image-text toxicity."""
