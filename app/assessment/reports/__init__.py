"""Quarterly reports: a park fills and submits, the district reviews; evidence files and
the explanation of a score."""
