"""What the audit trail's own rows carry: downloads, refusals, full numbers shown, and the
trail itself as a download (registered with app.core.labels; every type may carry these)."""

from typing import Any

from app.core import labels
from app.core.i18n import N_
from app.core.labels import Lookup
from app.core.params import FORM_LABELS, PARAM_LABELS

# A refusal names the action that was refused (app.core.permissions' actions).
ACTION_LABELS = {
    "view": N_("View"),
    "change": N_("Change"),
    "admin": N_("Manage users"),
    "report": N_("Fill in reports"),
    "review": N_("Review reports"),
    "send": N_("Send notices"),
    "audit": N_("Audit"),
}
# The query parameters a download is filtered by, where no form names them.
FILTER_LABELS = {
    **FORM_LABELS,
    **PARAM_LABELS,
    "user_id": N_("User"),
    "object_type": N_("Object type"),
    "batch": N_("Import batch"),
    "sort": N_("Sort order"),
    "district": N_("District"),
    "park_id": N_("Park"),
    "grid_id": N_("Grid"),
}


def _filters(value: Any, lookup: Lookup) -> str | None:
    return labels.labelled(FILTER_LABELS, value, lookup)


labels.register_common(
    fields={
        "file": N_("File"),
        "filters": N_("Filters"),
        "rows": N_("Rows"),
        "field": N_("Field"),
        "action": N_("Action"),
        "route": N_("Web page"),
    },
    values={"action": ACTION_LABELS, "field": {"mobile": N_("Mobile")}},
    formats={"filters": _filters},
)
labels.register("AuditLog", N_("Audit trail"))
# A refusal of a whole page (the role lacks its action) names the page, not an object.
labels.register("Route", N_("Web page"))
