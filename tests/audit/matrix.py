"""The audit trail's downloads in the authorisation matrix: the city office only (others 404)."""

ENTRIES = {
    ("GET", "/admin/audit.xlsx"): ({"city_admin": 200}, None),
    ("GET", "/admin/audit.csv"): ({"city_admin": 200}, None),
}
