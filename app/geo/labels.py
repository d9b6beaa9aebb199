"""How the audit trail names places and their fields (registered with app.core.labels)."""

from sqlmodel import Session, col, select

from app.core import labels
from app.core.i18n import N_
from app.core.labels import Named
from app.geo.models import (
    AREA_LEVEL_LABELS,
    GRID_BASIS_LABELS,
    GRID_STATUS_LABELS,
    PARK_KIND_LABELS,
    PILOT_LEVEL_LABELS,
    SERVICE_POSITIONS,
    Area,
    Grid,
    Park,
)


def _grids(session: Session, ids: set[int]) -> dict[int, Named]:
    # A grid's own name ("A区网格") repeats from park to park: its park's name goes first.
    rows = session.exec(
        select(Grid.id, Grid.name, Park.name)
        .join(Park, col(Park.id) == Grid.park_id)
        .where(col(Grid.id).in_(ids))
    )
    return {
        i: Named(f"{park} {grid}", "grid", {"grid_id": i}, short=grid) for i, grid, park in rows
    }


labels.register(
    "Area",
    N_("Area"),
    fields={"name": N_("Area name"), "level": N_("Level"), "code": N_("Division code")},
    values={"level": AREA_LEVEL_LABELS},
    names=labels.by_name(Area),
)
labels.register(
    "Park",
    N_("Park"),
    fields={
        "name": N_("Park name"),
        "area_id": N_("Area"),
        "kind": N_("Park type"),
        "multi_theme": N_("Several themes"),
        "leading_industries": N_("Leading industries"),
        "pilot_level": N_("Pilot level"),
        "pilot_year": N_("Pilot year"),
        **dict(SERVICE_POSITIONS),
        "internal_training_bases": N_("Training bases in the park"),
        "external_training_bases": N_("Training bases outside the park"),
    },
    values={"kind": PARK_KIND_LABELS, "pilot_level": PILOT_LEVEL_LABELS},
    refs={"area_id": "Area"},
    names=labels.by_name(Park, route="park"),
)
labels.register(
    "Grid",
    N_("Grid"),
    fields={
        "name": N_("Grid name"),
        "park_id": N_("Park"),
        "basis": N_("Grid basis"),
        "liaison_id": N_("Grid liaison"),
        "status": N_("Status"),
        "status_note": N_("Note"),
        "status_changed_at": N_("Status changed at"),
    },
    values={"basis": GRID_BASIS_LABELS, "status": GRID_STATUS_LABELS},
    refs={"park_id": "Park", "liaison_id": "Liaison"},
    names=_grids,
)
