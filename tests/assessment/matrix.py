"""The rankings routes in the authorisation matrix: league tables are published to every role."""

ENTRIES = {
    ("GET", "/rankings"): (200, None),
    ("GET", "/rankings.xlsx"): (200, None),
    ("GET", "/rankings.csv"): (200, None),
}
