"""How the audit trail names a framework, its items and their fields (app.core.labels)."""

from typing import Any

from sqlmodel import Session, col, select

from app.core import labels
from app.core.i18n import N_, gettext
from app.core.labels import Lookup, Named
from app.framework.models import (
    ADJUSTMENT_KIND_LABELS,
    ADJUSTMENT_LABELS,
    ADJUSTMENT_SOURCE_LABELS,
    ASPECT_LABELS,
    INDICATOR_LABELS,
    SCORING_RULE_LABELS,
    TARGET_OVERRIDE_LABELS,
    TIER_COLOUR_LABELS,
    TIER_LABELS,
    VALUE_SOURCE_LABELS,
    Adjustment,
    Aspect,
    Framework,
    Indicator,
    Tier,
)

VERSION = N_("{name}, version {version}")
ORDER = N_("Order")


def _frameworks(session: Session, ids: set[int]) -> dict[int, Named]:
    rows = session.exec(
        select(Framework.id, Framework.name, Framework.version).where(col(Framework.id).in_(ids))
    )
    return {
        i: Named(gettext(VERSION).format(name=n, version=v), "framework", {"framework_id": i})
        for i, n, v in rows
    }


def _indicators(session: Session, ids: set[int]) -> dict[int, Named]:
    rows = session.exec(
        select(Indicator.id, Indicator.code, Indicator.name).where(col(Indicator.id).in_(ids))
    )
    return {i: Named(f"{code} {name}") for i, code, name in rows}


def _rule_params(value: Any, lookup: Lookup) -> str | None:
    """Stepped thresholds as the editor takes them: "50:0.5, 80:0.8, 100:1"."""
    steps = value.get("steps") if isinstance(value, dict) else None
    if not steps:
        return None
    return ", ".join(f"{labels.number(t)}:{labels.number(s)}" for t, s in steps)


labels.register(
    "Framework",
    N_("Assessment framework"),
    fields={
        "name": N_("Framework name"),
        "year": N_("Year"),
        "version": N_("Version"),
        "edition": N_("Edition of the guide"),
        "copied_from": N_("Copied from"),
    },
    names=_frameworks,
)
labels.register(
    "Aspect",
    N_("Aspect"),
    fields={**ASPECT_LABELS, "framework_id": N_("Framework"), "sort_order": ORDER},
    refs={"framework_id": "Framework"},
    names=labels.by_name(Aspect),
)
labels.register(
    "Indicator",
    N_("Indicator"),
    fields={
        **{k: v for k, v in INDICATOR_LABELS.items() if k != "steps"},
        "rule_params": INDICATOR_LABELS["steps"],
        "framework_id": N_("Framework"),
        "sort_order": ORDER,
    },
    values={"source": VALUE_SOURCE_LABELS, "rule": SCORING_RULE_LABELS},
    refs={"framework_id": "Framework", "aspect_id": "Aspect"},
    formats={"rule_params": _rule_params},
    names=_indicators,
)
labels.register(
    "Tier",
    N_("Tier"),
    fields={**TIER_LABELS, "framework_id": N_("Framework"), "sort_order": ORDER},
    values={"colour": TIER_COLOUR_LABELS},
    refs={"framework_id": "Framework"},
    names=labels.by_name(Tier),
)
labels.register(
    "Adjustment",
    N_("Bonus or deduction item"),
    fields={**ADJUSTMENT_LABELS, "framework_id": N_("Framework"), "sort_order": ORDER},
    values={"kind": ADJUSTMENT_KIND_LABELS, "source": ADJUSTMENT_SOURCE_LABELS},
    refs={"framework_id": "Framework"},
    names=labels.by_name(Adjustment),
)
labels.register(
    "TargetOverride",
    N_("Park target"),
    fields={**TARGET_OVERRIDE_LABELS, "framework_id": N_("Framework")},
    refs={"park_id": "Park", "indicator_id": "Indicator", "framework_id": "Framework"},
)
