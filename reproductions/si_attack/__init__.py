"""SI-Attack (Zhao et al., ICCV 2025): shuffle inconsistency, a query-based attack."""
