"""Authorisation matrix entries of the grid status panel's parts (the main matrix has the
panel and the save)."""

ROLES = ("city_admin", "district_liangxi", "park_huaxia", "liaison_huaxia_1", "leader")
# Whoever may view the grid reads its history; out of scope it does not exist.
VIEW = {r: (200, 404) for r in ROLES}

ENTRIES = {
    ("GET", "/grids/{grid_id}/history"): (VIEW, None),
}
