"""Operations on indicator frameworks: the default, copies, the editor's sheets and versions."""

import copy
import itertools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import sqlalchemy as sa
from pydantic import BaseModel
from sqlmodel import Session, SQLModel, col, select

from app.audit import service as audit
from app.audit.models import AuditAction, AuditLog
from app.core.errors import Conflict, Invalid, NotFound
from app.core.forms import parse
from app.core.i18n import _
from app.core.inputs import is_id
from app.core.permissions import Principal
from app.framework import defaults

# Whether a framework is locked, which periods follow a new version, and the rescoring a
# change needs are the assessment's: the framework asks through this hook.
from app.framework.hooks import assessment
from app.framework.models import (
    ADJUSTMENT_LABELS,
    ASPECT_LABELS,
    FRAMEWORK_COPY_LABELS,
    INDICATOR_LABELS,
    TARGET_OVERRIDE_LABELS,
    TIER_LABELS,
    Adjustment,
    AdjustmentCreate,
    Aspect,
    AspectCreate,
    Framework,
    FrameworkCopy,
    Indicator,
    IndicatorCreate,
    ScoringRule,
    TargetOverride,
    TargetOverrideCreate,
    Tier,
    TierCreate,
)
from app.geo.models import Park

M = TypeVar("M", bound=SQLModel)
S = TypeVar("S", bound=BaseModel)

# A sheet row as posted: its fields as text, "id" for a stored row, "delete" to remove it.
Row = Mapping[str, Any]

# Weights are typed by people and summed in floating point: 33.3 + 33.3 + 33.4 is 100.
WEIGHT_TOLERANCE = 1e-6


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
    for i, (code, name, kind, source, points, cap) in enumerate(defaults.ADJUSTMENTS):
        session.add(
            Adjustment(
                framework_id=fw.id,
                code=code,
                name=name,
                kind=kind,
                source=source,
                points=points,
                cap=cap,
                sort_order=i,
            )
        )
    session.flush()
    return fw


# Reading


def get(*, session: Session, framework_id: int) -> Framework:
    """Gets a framework by its id, or raises NotFound."""
    fw = session.get(Framework, framework_id)
    if fw is None:
        raise NotFound
    return fw


def frameworks(*, session: Session) -> list[Framework]:
    """Gets every framework, newest year and version first."""
    return list(
        session.exec(
            select(Framework).order_by(col(Framework.year).desc(), col(Framework.version).desc())
        )
    )


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
            .order_by(col(Indicator.sort_order), col(Indicator.id))
        )
    )


def aspects(*, session: Session, framework_id: int) -> list[Aspect]:
    """Gets a framework's aspects in display order."""
    return list(
        session.exec(
            select(Aspect)
            .where(Aspect.framework_id == framework_id)
            .order_by(col(Aspect.sort_order), col(Aspect.id))
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


def adjustments(*, session: Session, framework_id: int) -> list[Adjustment]:
    """Gets a framework's bonus and deduction items in display order."""
    return list(
        session.exec(
            select(Adjustment)
            .where(Adjustment.framework_id == framework_id)
            .order_by(col(Adjustment.sort_order), col(Adjustment.id))
        )
    )


def overrides(*, session: Session, framework_id: int) -> list[TargetOverride]:
    """Gets the per-park targets of a framework's indicators, by indicator then park."""
    return list(
        session.exec(
            select(TargetOverride)
            .join(Indicator, col(Indicator.id) == TargetOverride.indicator_id)
            .where(Indicator.framework_id == framework_id)
            .order_by(col(Indicator.sort_order), col(TargetOverride.park_id))
        )
    )


def effective_targets(*, session: Session, framework_id: int) -> dict[tuple[int, int], float]:
    """Targets per (park id, indicator id): the park's own where it has one, else the default."""
    inds = indicators(session=session, framework_id=framework_id)
    park_ids = session.exec(select(Park.id)).all()
    targets: dict[tuple[int, int], float] = {
        (p, i.id): i.target for p in park_ids for i in inds if p is not None and i.id is not None
    }
    for o in overrides(session=session, framework_id=framework_id):
        targets[(o.park_id, o.indicator_id)] = o.target
    return targets


def weight_sum(weights: Iterable[float]) -> float:
    """The weights' total, rounded so that 33.3 + 33.3 + 33.4 reads as 100."""
    return round(sum(weights), 6)


def locked_ids(*, session: Session) -> set[int]:
    """Frameworks with values submitted against them: a change to one makes a new version."""
    return assessment().locked_ids(session=session)


def is_locked(*, session: Session, framework_id: int) -> bool:
    """Whether any park has submitted a report for a period scored by this framework."""
    return framework_id in locked_ids(session=session)


def periods_of(*, session: Session, framework_id: int) -> list:
    """The periods scored by this framework, oldest first."""
    return assessment().periods_of(session=session, framework_id=framework_id)


def periods_by_framework(*, session: Session) -> dict[int, list]:
    """Every framework's periods, for the list page."""
    return assessment().periods_by_framework(session=session)


# The framework page's history: the framework's own rows and those of everything in it.
CHILD_TYPES = ("Aspect", "Indicator", "Tier", "Adjustment", "TargetOverride", "Period")


def history(*, session: Session, framework_id: int, limit: int = 50) -> list[AuditLog]:
    """The audit rows of a framework and of its items, newest first."""
    # Items' snapshots carry their framework's id (a deleted item only in `before`).
    after_fw = col(AuditLog.after)["framework_id"].as_integer()
    before_fw = col(AuditLog.before)["framework_id"].as_integer()
    return list(
        session.exec(
            select(AuditLog)
            .where(
                sa.or_(
                    sa.and_(
                        AuditLog.object_type == "Framework", AuditLog.object_id == framework_id
                    ),
                    sa.and_(
                        col(AuditLog.object_type).in_(CHILD_TYPES),
                        sa.or_(after_fw == framework_id, before_fw == framework_id),
                    ),
                )
            )
            .order_by(col(AuditLog.at).desc(), col(AuditLog.id).desc())
            .limit(limit)
        )
    )


# Stepped thresholds


def parse_steps(text: str, *, code: str) -> list[list[float]]:
    """Reads "50:0.5, 80:0.8, 100:1" into [[50, 0.5], [80, 0.8], [100, 1.0]], or raises ValueError.

    Full-width punctuation is accepted, since that is what a Chinese keyboard types.
    """
    normal = re.sub(r"\s*[:：]\s*", ":", text.strip())
    parts = [p for p in re.split(r"[,，;；、\s]+", normal) if p]
    if not parts:
        raise ValueError(
            _("{code}: stepped scoring needs its steps, e.g. 50:0.5, 80:0.8, 100:1.").format(
                code=code
            )
        )
    steps: list[list[float]] = []
    for part in parts:
        m = re.fullmatch(r"(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)", part)
        if not m:
            raise ValueError(
                _(
                    "{code}: the step “{part}” is not valid; write threshold:share pairs "
                    "such as 50:0.5, 80:0.8, 100:1."
                ).format(code=code, part=part)
            )
        threshold, share = float(m[1]), float(m[2])
        if not 0 < share <= 1:
            raise ValueError(
                _(
                    "{code}: in the step “{part}” the share must be more than 0 and at most 1 "
                    "(0.5 is half the weight)."
                ).format(code=code, part=part)
            )
        steps.append([threshold, share])
    steps.sort()
    for (t1, s1), (t2, s2) in itertools.pairwise(steps):
        if t1 == t2:
            raise ValueError(
                _("{code}: the threshold {t} appears twice.").format(code=code, t=f"{t1:g}")
            )
        if s2 < s1:
            raise ValueError(
                _(
                    "{code}: a higher threshold must not earn a smaller share ({a} then {b})."
                ).format(code=code, a=f"{t1:g}:{s1:g}", b=f"{t2:g}:{s2:g}")
            )
    return steps


def format_steps(params: Mapping[str, Any]) -> str:
    """Writes an indicator's steps back as the editor shows them: "50:0.5, 80:0.8, 100:1"."""
    return ", ".join(f"{t:g}:{s:g}" for t, s in params.get("steps", []))


# Editing: who may, and which version a change lands in


def _require_city_office(who: Principal) -> None:
    # The framework is the city office's, like the audit trail: the views guard the routes
    # with the "audit" action, and the service refuses anyone else as well.
    if not (who.can("audit") and (who.everything or who.role == "city_admin")):
        raise NotFound


def _editable(session: Session, who: Principal, framework_id: int) -> Framework:
    _require_city_office(who)
    fw = get(session=session, framework_id=framework_id)
    if assessment().published(session=session, year=fw.year):
        # A published year's result is final, and so is the framework that made it.
        raise Conflict(
            _("The {year} results are published and can no longer change.").format(year=fw.year)
        )
    newest = for_year(session=session, year=fw.year)
    if newest is not None and newest.id != fw.id:
        # Editing an older version would fork the year: changes go to the newest.
        raise Invalid(
            {
                "framework": _(
                    "Version {new} has replaced version {old} of this framework; "
                    "make changes in version {new}."
                ).format(new=newest.version, old=fw.version)
            }
        )
    return fw


def version_label(fw: Framework) -> str:
    return _("{name}, version {version}").format(name=fw.name, version=fw.version)


@dataclass
class _Maps:
    """Old id → new id of each kind of item, after a framework was copied."""

    aspects: dict[int, int] = field(default_factory=dict)
    indicators: dict[int, int] = field(default_factory=dict)
    tiers: dict[int, int] = field(default_factory=dict)
    adjustments: dict[int, int] = field(default_factory=dict)
    overrides: dict[int, int] = field(default_factory=dict)


def _copy_rows(
    session: Session, rows: Sequence[M], make: Callable[[M], M], into: dict[int, int]
) -> None:
    made = [make(r) for r in rows]
    session.add_all(made)
    session.flush()
    into.update({old.id: new.id for old, new in zip(rows, made, strict=True)})


def _copy(session: Session, src: Framework, *, year: int, version: int) -> tuple[Framework, _Maps]:
    name = src.name.replace(str(src.year), str(year)) if str(src.year) in src.name else src.name
    new = Framework(year=year, version=version, name=name, edition=src.edition)
    session.add(new)
    session.flush()
    fid = new.id
    assert fid is not None
    maps = _Maps()
    _copy_rows(
        session,
        aspects(session=session, framework_id=src.id),
        lambda a: Aspect(framework_id=fid, name=a.name, sort_order=a.sort_order),
        maps.aspects,
    )
    _copy_rows(
        session,
        indicators(session=session, framework_id=src.id),
        lambda i: Indicator(
            **i.model_dump(exclude={"id", "framework_id", "aspect_id", "rule_params"}),
            framework_id=fid,
            aspect_id=maps.aspects[i.aspect_id],
            rule_params=copy.deepcopy(i.rule_params),
        ),
        maps.indicators,
    )
    _copy_rows(
        session,
        tiers(session=session, framework_id=src.id),
        lambda t: Tier(**t.model_dump(exclude={"id", "framework_id"}), framework_id=fid),
        maps.tiers,
    )
    _copy_rows(
        session,
        adjustments(session=session, framework_id=src.id),
        lambda a: Adjustment(**a.model_dump(exclude={"id", "framework_id"}), framework_id=fid),
        maps.adjustments,
    )
    _copy_rows(
        session,
        overrides(session=session, framework_id=src.id),
        lambda o: TargetOverride(
            **o.model_dump(exclude={"id", "indicator_id"}),
            indicator_id=maps.indicators[o.indicator_id],
        ),
        maps.overrides,
    )
    return new, maps


def copy_to_year(*, session: Session, who: Principal, data: Row) -> Framework:
    """Starts a year's framework as a copy of another one (any year), as its version 1."""
    _require_city_office(who)
    form = parse(FrameworkCopy, _filled(data), _labels(FRAMEWORK_COPY_LABELS))
    src = session.get(Framework, form.source_id)
    if src is None:
        raise Invalid({"source_id": _not_a_choice(_labels(FRAMEWORK_COPY_LABELS)["source_id"])})
    if for_year(session=session, year=form.year) is not None:
        raise Invalid(
            {
                "year": _(
                    "{year} already has a framework; edit it instead of copying another."
                ).format(year=form.year)
            }
        )
    new, _maps = _copy(session, src, year=form.year, version=1)
    audit.record(
        session=session,
        who=who,
        action=AuditAction.create,
        obj=new,
        after=audit.snapshot(new) | {"copied_from": version_label(src)},
    )
    return new


def _target(session: Session, who: Principal, fw: Framework) -> tuple[Framework, _Maps | None]:
    """The framework a change lands in: this one, or a new version when this one is locked."""
    if not is_locked(session=session, framework_id=fw.id):
        return fw, None
    new, maps = _copy(session, fw, year=fw.year, version=fw.version + 1)
    audit.record(
        session=session,
        who=who,
        action=AuditAction.create,
        obj=new,
        after=audit.snapshot(new) | {"copied_from": version_label(fw)},
    )
    return new, maps


# Sheets: each saves a whole table of the editor at once, checked before anything is written


@dataclass
class _Plan:
    """What saving a sheet changes: rows to create, stored rows to change, stored rows to delete."""

    creates: list[dict[str, Any]] = field(default_factory=list)
    updates: dict[int, dict[str, Any]] = field(default_factory=dict)
    deletes: list[int] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.creates or self.updates or self.deletes)


@dataclass
class _Parsed:
    """A sheet's rows read against its shape: the kept rows by position, the rows to delete."""

    kept: list[tuple[int, int | None, Any]] = field(default_factory=list)
    deletes: list[int] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    complete: bool = True  # every kept row parsed


def _labels(labels: Mapping[str, str], row: str | None = None) -> dict[str, str]:
    if row is None:
        return {k: _(v) for k, v in labels.items()}
    return {k: _("{row} {field}").format(row=row, field=_(v)) for k, v in labels.items()}


def _not_a_choice(label: str) -> str:
    return _("{field} has a value that is not one of the choices.").format(field=label)


def _filled(row: Row) -> dict[str, Any]:
    # An empty box is a missing value ("is required"), or the shape's default if it has one.
    return {k: v for k, v in row.items() if not (isinstance(v, str) and not v.strip())}


def _row_name(row: Row, i: int) -> str:
    code = str(row.get("code", "")).strip()
    return code or _("Row {n}").format(n=i + 1)


def _read(
    rows: Sequence[Row],
    stored: Mapping[int, Any],
    shape: type[S],
    labels: Mapping[str, str],
    name: Callable[[Row, int], str] = _row_name,
) -> _Parsed:
    out = _Parsed()
    for i, row in enumerate(rows):
        raw_id = str(row.get("id", "") or "").strip()
        row_id = int(raw_id) if is_id(raw_id) else None
        if raw_id and (row_id is None or row_id not in stored):
            # A row from another framework, or one deleted since the page was loaded.
            out.errors[f"rows-{i}-id"] = _("{row} no longer exists; reload the page.").format(
                row=name(row, i)
            )
            continue
        if str(row.get("delete", "")).strip():
            if row_id is not None:
                out.deletes.append(row_id)
            continue
        try:
            data = parse(shape, _filled(row), _labels(labels, name(row, i)))
        except Invalid as exc:
            out.errors.update({f"rows-{i}-{k}": m for k, m in exc.errors.items()})
            out.complete = False
            continue
        out.kept.append((i, row_id, data))
    return out


def _once(
    parsed: _Parsed,
    key: Callable[[Any], Any],
    field_name: str,
    message: str,
    stored: Mapping[int, Any],
) -> None:
    """Marks every row whose key repeats an earlier row's, or a stored row's that the sheet
    leaves as it is (a page posted without some of its rows keeps those rows)."""
    posted = {row_id for _i, row_id, _data in parsed.kept} | set(parsed.deletes)
    seen: set[Any] = {key(obj) for obj_id, obj in stored.items() if obj_id not in posted}
    for i, _row_id, data in parsed.kept:
        k = key(data)
        if k in seen:
            parsed.errors.setdefault(f"rows-{i}-{field_name}", message.format(value=k))
        seen.add(k)


def _plan(
    model: type[SQLModel],
    parsed: _Parsed,
    stored: Mapping[int, Any],
    values: Sequence[dict[str, Any]],
) -> _Plan:
    plan = _Plan(deletes=list(parsed.deletes))
    # New rows go after the stored ones; stored rows keep their place, so that deleting
    # one row does not show as a change of every row after it.
    last = max((getattr(o, "sort_order", 0) for o in stored.values()), default=-1)
    for (_i, row_id, _data), v in zip(parsed.kept, values, strict=True):
        if row_id is None:
            last += 1
            ordered = "sort_order" in model.model_fields
            plan.creates.append(v | ({"sort_order": last} if ordered else {}))
        elif any(getattr(stored[row_id], k) != val for k, val in v.items()):
            plan.updates[row_id] = v
    return plan


def _snap(obj: SQLModel, framework_id: int) -> dict[str, Any]:
    # A park's target has no framework column; its snapshot names the framework so that
    # the framework's history finds it.
    snap = audit.snapshot(obj)
    return snap if "framework_id" in snap else snap | {"framework_id": framework_id}


def _apply(
    session: Session,
    who: Principal,
    model: type[M],
    plan: _Plan,
    *,
    fw: Framework,
    ids: Mapping[int, int] | None,
    fix: Callable[[dict[str, Any]], dict[str, Any]] = lambda v: v,
    label: Callable[[M], str],
    before_delete: Callable[[M], None] | None = None,
) -> None:
    """Writes a sheet's plan into `fw` (a new version maps stored ids through `ids`), audited."""
    fid = fw.id
    assert fid is not None

    def load(old_id: int) -> M:
        obj = session.get(model, ids[old_id] if ids else old_id)
        assert obj is not None
        return obj

    for old_id in plan.deletes:
        obj = load(old_id)
        before = _snap(obj, fid)
        if before_delete:
            before_delete(obj)
        session.delete(obj)
        session.flush()
        audit.record(
            session=session,
            who=who,
            action=AuditAction.delete,
            object_type=model.__name__,
            object_id=before["id"],
            label=label(obj),
            before=before,
        )
    for old_id, values in plan.updates.items():
        obj = load(old_id)
        before = _snap(obj, fid)
        for k, v in fix(values).items():
            setattr(obj, k, v)
        session.add(obj)
        session.flush()
        audit.record(
            session=session,
            who=who,
            action=AuditAction.update,
            obj=obj,
            label=label(obj),
            before=before,
            after=_snap(obj, fid),
        )
    for values in plan.creates:
        extra = {"framework_id": fid} if "framework_id" in model.model_fields else {}
        obj = model(**fix(values), **extra)
        session.add(obj)
        session.flush()
        audit.record(
            session=session,
            who=who,
            action=AuditAction.create,
            obj=obj,
            label=label(obj),
            after=_snap(obj, fid),
        )


def _save(
    session: Session,
    who: Principal,
    framework_id: int,
    build: Callable[[Framework], _Plan],
    write: Callable[[Framework, _Plan, _Maps | None], None],
) -> Framework:
    """Checks a sheet as a whole, then writes it: in place, or into a new version if locked."""
    fw = _editable(session, who, framework_id)
    plan = build(fw)
    if not plan:
        return fw
    target, maps = _target(session, who, fw)
    write(target, plan, maps)
    if maps is not None:
        # The year's periods nobody submitted for move to the new version.
        assessment().repoint(session=session, who=who, new=target)
    session.flush()
    # Stored scores must match their inputs, so the periods this framework scores are
    # rescored in the same transaction as the change.
    assessment().framework_changed(session=session, framework_id=target.id)
    return target


def _raise(parsed: _Parsed) -> None:
    if parsed.errors:
        raise Invalid(parsed.errors)


def save_aspects(
    *, session: Session, who: Principal, framework_id: int, rows: Sequence[Row]
) -> Framework:
    """Saves the aspects sheet: names and order; an aspect still holding indicators stays."""

    def name(row: Row, i: int) -> str:
        return _("Row {n}").format(n=i + 1)

    def build(fw: Framework) -> _Plan:
        stored = {a.id: a for a in aspects(session=session, framework_id=fw.id)}
        parsed = _read(rows, stored, AspectCreate, ASPECT_LABELS, name)
        used = {i.aspect_id for i in indicators(session=session, framework_id=fw.id)}
        for aspect_id in parsed.deletes:
            if aspect_id in used:
                i = next(n for n, r in enumerate(rows) if str(r.get("id", "")) == str(aspect_id))
                parsed.errors[f"rows-{i}-delete"] = _(
                    "The aspect {name} still has indicators; move or delete them first."
                ).format(name=stored[aspect_id].name)
        _once(parsed, lambda d: d.name, "name", _("The aspect {value} is listed twice."), stored)
        if not parsed.kept and parsed.complete:
            parsed.errors["rows"] = _("A framework needs at least one aspect.")
        _raise(parsed)
        values = [{"name": d.name} for _i, _id, d in parsed.kept]
        return _plan(Aspect, parsed, stored, values)

    def write(fw: Framework, plan: _Plan, maps: _Maps | None) -> None:
        _apply(
            session,
            who,
            Aspect,
            plan,
            fw=fw,
            ids=maps.aspects if maps else None,
            label=lambda a: a.name,
        )

    return _save(session, who, framework_id, build, write)


def check_weights(weights: Iterable[float]) -> None:
    """Refuses weights that do not add up to 100, naming their sum."""
    total = weight_sum(weights)
    if abs(total - 100) > WEIGHT_TOLERANCE:
        raise Invalid(
            {
                "weight": _("The weights add up to {sum}; they must add up to 100.").format(
                    sum=f"{total:g}"
                )
            }
        )


def measures(*, session: Session, framework_id: int) -> dict[str, str]:
    """The measures an indicator may be computed by, each named by an indicator that uses it."""
    named = {d.measure: d.name for d in defaults.INDICATORS if d.measure}
    for i in indicators(session=session, framework_id=framework_id):
        if i.measure:
            named.setdefault(i.measure, i.name)
    return named


def save_indicators(
    *, session: Session, who: Principal, framework_id: int, rows: Sequence[Row]
) -> Framework:
    """Saves the indicators sheet: every indicator's fields at once; weights must total 100."""

    def build(fw: Framework) -> _Plan:
        fid = fw.id
        stored = {i.id: i for i in indicators(session=session, framework_id=fid)}
        aspect_ids = {a.id for a in aspects(session=session, framework_id=fid)}
        known_measures = measures(session=session, framework_id=fid)
        parsed = _read(rows, stored, IndicatorCreate, INDICATOR_LABELS)
        values = []
        for i, _row_id, d in parsed.kept:
            labels = _labels(INDICATOR_LABELS, d.code)
            if d.aspect_id not in aspect_ids:
                parsed.errors[f"rows-{i}-aspect_id"] = _not_a_choice(labels["aspect_id"])
            if d.measure and d.measure not in known_measures:
                parsed.errors[f"rows-{i}-measure"] = _not_a_choice(labels["measure"])
            params: dict[str, Any] = {}
            if d.rule is ScoringRule.steps:
                try:
                    params = {"steps": parse_steps(d.steps, code=d.code)}
                except ValueError as exc:
                    parsed.errors[f"rows-{i}-steps"] = str(exc)
            values.append(d.model_dump(exclude={"steps"}) | {"rule_params": params})
        _once(parsed, lambda d: d.code, "code", _("The code {value} is used twice."), stored)
        if not parsed.kept and parsed.complete:
            parsed.errors["rows"] = _("A framework needs at least one indicator.")
        if parsed.complete and parsed.kept:
            try:
                check_weights(d.weight for _i, _id, d in parsed.kept)
            except Invalid as exc:
                parsed.errors.update(exc.errors)
        _raise(parsed)
        return _plan(Indicator, parsed, stored, values)

    def write(fw: Framework, plan: _Plan, maps: _Maps | None) -> None:
        def fix(v: dict[str, Any]) -> dict[str, Any]:
            return v | {"aspect_id": maps.aspects[v["aspect_id"]]} if maps else v

        def drop_dependants(ind: Indicator) -> None:
            # Draft values and park targets of a removed indicator go with it; its
            # submitted values live in an older version, which is not edited.
            for o in session.exec(
                select(TargetOverride).where(TargetOverride.indicator_id == ind.id)
            ):
                before = _snap(o, fw.id)
                session.delete(o)
                audit.record(
                    session=session,
                    who=who,
                    action=AuditAction.delete,
                    object_type="TargetOverride",
                    object_id=o.id,
                    label=_override_label(session, o),
                    before=before,
                )
            assessment().indicator_removed(session=session, indicator_id=ind.id)
            session.flush()

        _apply(
            session,
            who,
            Indicator,
            plan,
            fw=fw,
            ids=maps.indicators if maps else None,
            fix=fix,
            label=lambda i: f"{i.code} {i.name}",
            before_delete=drop_dependants,
        )

    return _save(session, who, framework_id, build, write)


def save_tiers(
    *, session: Session, who: Principal, framework_id: int, rows: Sequence[Row]
) -> Framework:
    """Saves the tiers sheet: distinct minimums, one of them 0 so that every score has a tier."""

    def name(row: Row, i: int) -> str:
        return _("Row {n}").format(n=i + 1)

    def build(fw: Framework) -> _Plan:
        stored = {t.id: t for t in tiers(session=session, framework_id=fw.id)}
        parsed = _read(rows, stored, TierCreate, TIER_LABELS, name)
        _once(parsed, lambda d: d.name, "name", _("The tier {value} is listed twice."), stored)
        _once(
            parsed,
            lambda d: f"{d.min_score:g}",
            "min_score",
            _("Two tiers start at {value}; each tier needs its own minimum score."),
            stored,
        )
        if parsed.complete:
            if not parsed.kept:
                parsed.errors["rows"] = _("A framework needs at least one tier.")
            elif all(d.min_score != 0 for _i, _id, d in parsed.kept):
                parsed.errors["min_score"] = _(
                    "One tier must start at 0, so that every score has a tier."
                )
        _raise(parsed)
        # Tiers are kept highest first, as they are read.
        parsed.kept.sort(key=lambda k: -k[2].min_score)
        values = [
            {"name": d.name, "min_score": d.min_score, "colour": d.colour.value}
            for _i, _id, d in parsed.kept
        ]
        return _plan(Tier, parsed, stored, values)

    def write(fw: Framework, plan: _Plan, maps: _Maps | None) -> None:
        ids = maps.tiers if maps else None
        _apply(session, who, Tier, plan, fw=fw, ids=ids, label=lambda t: t.name)

    return _save(session, who, framework_id, build, write)


def save_adjustments(
    *, session: Session, who: Principal, framework_id: int, rows: Sequence[Row]
) -> Framework:
    """Saves the bonus and deduction items: points per occurrence and a cap, both positive."""

    def build(fw: Framework) -> _Plan:
        stored = {a.id: a for a in adjustments(session=session, framework_id=fw.id)}
        parsed = _read(rows, stored, AdjustmentCreate, ADJUSTMENT_LABELS)
        _once(parsed, lambda d: d.code, "code", _("The code {value} is used twice."), stored)
        _raise(parsed)
        values = [d.model_dump() for _i, _id, d in parsed.kept]
        return _plan(Adjustment, parsed, stored, values)

    def write(fw: Framework, plan: _Plan, maps: _Maps | None) -> None:
        def drop_counts(item: Adjustment) -> None:
            assessment().adjustment_removed(session=session, adjustment_id=item.id)
            session.flush()

        _apply(
            session,
            who,
            Adjustment,
            plan,
            fw=fw,
            ids=maps.adjustments if maps else None,
            label=lambda a: f"{a.code} {a.name}",
            before_delete=drop_counts,
        )

    return _save(session, who, framework_id, build, write)


def _override_label(session: Session, o: TargetOverride) -> str:
    park = session.get(Park, o.park_id)
    ind = session.get(Indicator, o.indicator_id)
    return f"{park.name if park else o.park_id} · {ind.code if ind else o.indicator_id}"


def save_overrides(
    *, session: Session, who: Principal, framework_id: int, rows: Sequence[Row]
) -> Framework:
    """Saves the parks' own targets: each one positive and with its reason."""

    def name(row: Row, i: int) -> str:
        return _("Row {n}").format(n=i + 1)

    def build(fw: Framework) -> _Plan:
        stored = {o.id: o for o in overrides(session=session, framework_id=fw.id)}
        inds = {i.id: i for i in indicators(session=session, framework_id=fw.id)}
        parks = {p.id: p for p in session.exec(select(Park))}
        parsed = _read(rows, stored, TargetOverrideCreate, TARGET_OVERRIDE_LABELS, name)
        for i, _row_id, d in parsed.kept:
            for key, known in (("park_id", parks), ("indicator_id", inds)):
                if getattr(d, key) not in known:
                    label = _labels(TARGET_OVERRIDE_LABELS, name({}, i))[key]
                    parsed.errors[f"rows-{i}-{key}"] = _not_a_choice(label)
        seen: set[tuple[int, int]] = set()
        for i, _row_id, d in parsed.kept:
            pair = (d.park_id, d.indicator_id)
            if pair in seen and d.park_id in parks and d.indicator_id in inds:
                parsed.errors.setdefault(
                    f"rows-{i}-indicator_id",
                    _("{park} already has its own target for {code}.").format(
                        park=parks[d.park_id].name, code=inds[d.indicator_id].code
                    ),
                )
            seen.add(pair)
        _raise(parsed)
        return _plan(TargetOverride, parsed, stored, [d.model_dump() for _i, _id, d in parsed.kept])

    def write(fw: Framework, plan: _Plan, maps: _Maps | None) -> None:
        def fix(v: dict[str, Any]) -> dict[str, Any]:
            return v | {"indicator_id": maps.indicators[v["indicator_id"]]} if maps else v

        _apply(
            session,
            who,
            TargetOverride,
            plan,
            fw=fw,
            ids=maps.overrides if maps else None,
            fix=fix,
            label=lambda o: _override_label(session, o),
        )

    return _save(session, who, framework_id, build, write)
