"""Park indicator values per period, scores, tiers and rankings."""
