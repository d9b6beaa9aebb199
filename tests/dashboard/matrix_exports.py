"""The district downloads in the authorisation matrix: whoever may open the district page."""

VIEW_DISTRICT = {
    "city_admin": (200, None),
    "district_liangxi": (200, 404),
    "park_huaxia": (None, 404),
    "liaison_huaxia_1": (None, 404),
    "leader": (200, None),
}

ENTRIES = {
    ("GET", "/districts/{area_id}/scorecard.xlsx"): (VIEW_DISTRICT, None),
    ("GET", "/districts/{area_id}/scorecard.csv"): (VIEW_DISTRICT, None),
    ("GET", "/districts/{area_id}/parks.xlsx"): (VIEW_DISTRICT, None),
    ("GET", "/districts/{area_id}/grids.csv"): (VIEW_DISTRICT, None),
}
