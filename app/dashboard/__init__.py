"""Read-only overviews for leaders and offices: the city, a district, a park."""
