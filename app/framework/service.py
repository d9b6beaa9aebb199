"""Operations on indicator frameworks."""

from sqlmodel import Session, col, select

from app.framework import defaults
from app.framework.models import Aspect, Framework, Indicator, Tier


def create_default(*, session: Session, year: int) -> Framework:
    """Creates a year's framework from the built-in default (2022 edition)."""
    fw = Framework(year=year, version=1, name=f"{year}年度考核指标", edition=defaults.EDITION)
    session.add(fw)
    session.flush()
    aspects: dict[str, Aspect] = {}
    for i, name in enumerate(defaults.ASPECTS):
        aspects[name] = Aspect(framework_id=fw.id, name=name, sort_order=i)
        session.add(aspects[name])
    session.flush()
    for i, d in enumerate(defaults.INDICATORS):
        session.add(
            Indicator(
                framework_id=fw.id,
                aspect_id=aspects[d.aspect].id,
                code=d.code,
                name=d.name,
                unit=d.unit,
                source=d.source,
                measure=d.measure,
                target=d.target,
                weight=d.weight,
                sort_order=i,
            )
        )
    for i, (name, min_score, colour) in enumerate(defaults.TIERS):
        session.add(
            Tier(framework_id=fw.id, name=name, min_score=min_score, colour=colour, sort_order=i)
        )
    session.flush()
    return fw


def for_year(*, session: Session, year: int) -> Framework | None:
    """Gets the newest version of a year's framework."""
    return session.exec(
        select(Framework).where(Framework.year == year).order_by(col(Framework.version).desc())
    ).first()


def indicators(*, session: Session, framework_id: int) -> list[Indicator]:
    """Gets a framework's indicators in display order."""
    return list(
        session.exec(
            select(Indicator)
            .where(Indicator.framework_id == framework_id)
            .order_by(col(Indicator.sort_order))
        )
    )


def aspects(*, session: Session, framework_id: int) -> list[Aspect]:
    """Gets a framework's aspects in display order."""
    return list(
        session.exec(
            select(Aspect)
            .where(Aspect.framework_id == framework_id)
            .order_by(col(Aspect.sort_order))
        )
    )


def tiers(*, session: Session, framework_id: int) -> list[Tier]:
    """Gets a framework's tiers, highest first."""
    return list(
        session.exec(
            select(Tier)
            .where(Tier.framework_id == framework_id)
            .order_by(col(Tier.min_score).desc())
        )
    )
