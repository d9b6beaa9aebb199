"""The roster: enterprises of a grid, their liaisons and the grid's node enterprise."""

# What the audit trail calls the domain's types and fields, registered as the domain loads.
from app.enterprises import labels as _labels  # noqa: F401
