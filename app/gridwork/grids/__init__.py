"""A grid's page and its status."""
