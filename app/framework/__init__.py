"""Annual indicator frameworks: aspects, indicators with weights, targets and rules, tiers."""
