"""HoliSafe (Lee et al., 2025): its benchmark, HoliSafe-Bench."""
