"""The city dashboard's routes in the authorisation matrix: published to every role."""

ENTRIES = {
    # The big screen shows only city totals and published league tables, with no links.
    ("GET", "/screen"): (200, None),
}
