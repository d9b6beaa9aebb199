"""How the audit trail names imports and their values (registered with app.core.labels)."""

from typing import Any

from app.core import labels
from app.core.i18n import N_, gettext
from app.core.labels import Lookup
from app.imports.layout import SHEETS
from app.imports.models import ImportJob

# The counts of one sheet, as the import's own page heads them.
COUNT_LABELS = {
    "new": N_("New"),
    "updated": N_("Updated"),
    "unchanged": N_("Unchanged"),
    "error": N_("With errors"),
}


def _counts(value: Any, lookup: Lookup) -> str | None:
    """Per sheet: "网格：新增 0，更新 3，未变 7，有错误 0 / 企业：…" (not "；", which parts
    one change from the next)."""
    if not isinstance(value, dict):
        return labels.plain(value, lookup)
    names = {s.key: s.name for s in SHEETS}
    parts = []
    for sheet, counts in value.items():
        title = gettext(names[sheet]) if sheet in names else sheet
        if isinstance(counts, dict):
            shown = "，".join(
                f"{gettext(COUNT_LABELS[k]) if k in COUNT_LABELS else k} {labels.plain(v)}"
                for k, v in counts.items()
            )
        else:
            shown = labels.plain(counts, lookup) or ""
        parts.append(f"{title}：{shown}")
    return " / ".join(parts) or None


labels.register(
    "ImportJob",
    N_("Roster import"),
    fields={"file": N_("File"), "counts": N_("Rows by sheet")},
    formats={"counts": _counts},
    names=labels.by_name(ImportJob, "filename", route="import_job", param="job_id"),
)
labels.register("ImportTemplate", N_("Import template"))
labels.register("ParkRoster", N_("Park roster"))
labels.register("GridRoster", N_("Grid roster"))
