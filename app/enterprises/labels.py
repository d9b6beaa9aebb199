"""How the audit trail names enterprises and liaisons and their fields (app.core.labels)."""

from typing import Any

from app.core import labels, privacy
from app.core.i18n import N_
from app.core.labels import Lookup
from app.enterprises.models import (
    LIAISON_ROLE_LABELS,
    OWNERSHIP_LABELS,
    REFORM_TYPE_LABELS,
    SIZE_LABELS,
    Enterprise,
    Liaison,
)
from app.enterprises.service import FIELD_LABELS


def _masked(value: Any, lookup: Lookup) -> str | None:
    # A mobile number in a history is masked: the full number is shown (and audited) only
    # on request, where the reader may see it.
    return privacy.mask(str(value)) if value else None


labels.register(
    "Enterprise",
    N_("Enterprise in the roster"),
    fields={k: v for k, v in FIELD_LABELS.items() if not k.startswith("new_")},
    values={"ownership": OWNERSHIP_LABELS, "size": SIZE_LABELS, "reform_type": REFORM_TYPE_LABELS},
    refs={"grid_id": "Grid", "liaison_id": "Liaison"},
    names=labels.by_name(Enterprise, route="roster_enterprise"),
)
labels.register(
    "Liaison",
    N_("Liaison"),
    fields={
        "name": N_("Name"),
        "mobile": N_("Mobile"),
        "role": N_("Role"),
        "park_id": N_("Park"),
    },
    values={"role": LIAISON_ROLE_LABELS},
    refs={"park_id": "Park"},
    formats={"mobile": _masked},
    names=labels.by_name(Liaison),
)
