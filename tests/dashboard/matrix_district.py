"""The district page in the authorisation matrix, walked with its drill-down open.

The page has no routes of its own beyond /districts/{area_id}: its drill-down is that URL
with ?park=&indicator=. So the matrix asks for the page with a park and an indicator open,
which covers the plain page's scope (the district is checked first) and the park's.
"""

VIEW_DISTRICT = {
    "city_admin": (200, None),
    "district_liangxi": (200, 404),
    "park_huaxia": (None, 404),
    "liaison_huaxia_1": (None, 404),
    "leader": (200, None),
}


def _drill(role, ids, session) -> dict:
    # 华夏家居港 lies in 梁溪区, the in-scope district of every role that has one.
    return {"params": {"park": ids.huaxia, "indicator": "I12"}}


ENTRIES = {
    ("GET", "/districts/{area_id}"): (VIEW_DISTRICT, _drill),
}
