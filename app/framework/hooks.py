"""What the framework asks of the assessment, which sits above it and registers the answers.

A framework is locked once parks have submitted against it, a published year freezes it,
and a change to it moves the year's draft periods to a new version and rescores what it
affects: all facts and work on the assessment's tables. The framework asks through this
hook; the assessment (app.assessment.periods, imported by app.models) registers itself.
Unregistered, every question fails loudly: a missing wiring must never skip rescoring.
"""

from typing import Any, Protocol

from sqlmodel import Session

from app.core.permissions import Principal


class Assessment(Protocol):
    def locked_ids(self, *, session: Session) -> set[int]: ...

    def published(self, *, session: Session, year: int) -> bool: ...

    def periods_of(self, *, session: Session, framework_id: int) -> list[Any]: ...

    def periods_by_framework(self, *, session: Session) -> dict[int, list[Any]]: ...

    def repoint(self, *, session: Session, who: Principal, new: Any) -> None: ...

    def indicator_removed(self, *, session: Session, indicator_id: int) -> None: ...

    def adjustment_removed(self, *, session: Session, adjustment_id: int) -> None: ...

    def framework_changed(self, *, session: Session, framework_id: int) -> None: ...


_registered: Assessment | None = None


def register(impl: Assessment) -> None:
    global _registered
    _registered = impl


def assessment() -> Assessment:
    if _registered is None:
        raise RuntimeError(
            "no assessment is registered with the framework (app.assessment.periods)"
        )
    return _registered
