"""Loading the deterministic Wuxi demo into an empty, migrated database."""

import random
import struct
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select
from stdnum.cn import uscc

from app.accounts import service as accounts_service
from app.accounts.models import Role, User, UserScope
from app.assessment.models import (
    Evidence,
    IndicatorValue,
    ParkReport,
    Period,
    ReportState,
    ValueOrigin,
)
from app.assessment.reports import evidence as evidence_files
from app.assessment.reports import service as reports
from app.assessment.results import measures, scores
from app.audit.models import AuditLog
from app.core import files
from app.core.calendar import default_deadline
from app.core.templating import LOCAL_TZ
from app.demo import data
from app.demo.data import ParkDef, Story
from app.demo.gridwork import load_grid_work, load_liaison_work
from app.enterprises.models import Enterprise, Liaison, LiaisonRole, Ownership, ReformType, Size
from app.framework import service as framework_service
from app.framework.models import Indicator, ValueSource
from app.geo.models import SERVICE_POSITIONS, Area, AreaLevel, Grid, GridStatus, Park

SEED = 20221

COMPUTED_SOURCES = frozenset({ValueSource.roster, ValueSource.grids, ValueSource.facilities})
# Reported measures that add up over the year; every other reported % is a rate.
CUMULATIVE_MEASURES = frozenset({"training_coverage"})

SIZES = (Size.large, Size.medium, Size.small, Size.micro)
# Worker ranges by size and the exponent that skews a draw towards the low end,
# so most small firms have a few dozen workers rather than a few hundred.
WORKERS = {
    Size.large: (1000, 2000, 2.0),
    Size.medium: (300, 800, 1.0),
    Size.small: (20, 299, 3.0),
    Size.micro: (3, 19, 1.0),
}
# Share of the year's figure reached by the end of each quarter.
QUARTER_SHARE = (0.22, 0.48, 0.74, 1.0)
# Percentage points a rate climbed over the eight quarters, by story; lagging parks stay flat.
RATE_GAPS = {
    "participation_rate": {Story.strong: (2, 5), Story.improving: (20, 28), Story.steady: (4, 8)},
    "collective_contract_rate": {
        Story.strong: (1, 3),
        Story.improving: (9, 14),
        Story.steady: (2, 5),
    },
}
# How many service positions or training bases (and grids per five) a park lacked at the start.
COUNT_GAPS = {Story.strong: 0, Story.improving: 2, Story.steady: 1, Story.lagging: 0}
CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
STATUS_TIME = datetime(2026, 9, 1, 1, 0, tzinfo=UTC)


@dataclass(frozen=True)
class DemoSummary:
    """What load_demo put in the database, for the command line to report."""

    districts: int
    parks: int
    grids: int
    enterprises: int
    workers: int
    liaisons: int
    periods: int
    values: int
    users: int
    # The quarter open for reporting ("2026Q4"), when the first-run tour was loaded.
    open_period: str = ""


def is_empty(*, session: Session) -> bool:
    """Tells whether the database has no places yet, so the demo may be loaded."""
    return session.exec(select(Area.id).limit(1)).first() is None


def load_demo(*, session: Session, storage: files.Storage | None = None) -> DemoSummary:
    """Fills an empty database with the Wuxi demo; flushes, never commits.

    With a storage for its evidence files (`parkgrid demo` passes the configured one), the
    first-run tour comes too: an account for every role and place, the open 2026 Q4 with
    reports in every state and their evidence, and work in the demo liaison's grid. Without
    one, the demo is only the eight scored quarters the suite's tests pin.
    """
    if not is_empty(session=session):
        raise ValueError("the demo loads only into an empty database")
    if sum(p.enterprises for p in data.PARKS) != data.ENTERPRISE_TOTAL:
        raise ValueError("the park definitions do not add up to the enterprise total")
    rng = random.Random(SEED)
    people = _People(rng)

    areas = _load_areas(session)
    parks = _load_parks(session, areas)
    grids = _load_grids(session, rng, people, parks)
    enterprises = _load_enterprises(session, rng, people, areas, parks, grids)
    workers = sum(e.worker_count for e in enterprises)
    low, high = data.WORKERS_RANGE
    if not low <= workers <= high:
        raise ValueError(f"the demo roster has {workers} workers, outside {low}–{high}")
    frameworks = {
        year: framework_service.create_default(session=session, year=year).id for year in data.YEARS
    }
    periods = [
        Period(year=y, quarter=q, deadline=default_deadline(y, q).day, framework_id=frameworks[y])
        for y, q in data.PERIODS
    ]
    session.add_all(periods)
    session.flush()
    values = _load_values(session, rng, parks, grids, periods, enterprises)
    _load_reports(session, parks, periods)
    users = accounts_service.create_demo_accounts(session=session)
    load_grid_work(session=session)
    scores.store_all(session)
    if storage is not None:
        # After the scores: nothing here may move a stored score of the eight quarters.
        users += _load_role_accounts(session, areas, parks, grids)
        load_liaison_work(session=session)
        periods.append(_load_open_quarter(session, storage, frameworks))

    return DemoSummary(
        districts=sum(a.level == AreaLevel.district for a in areas.values()),
        parks=len(parks),
        grids=sum(len(g) for g in grids.values()),
        enterprises=len(enterprises),
        workers=workers,
        liaisons=people.count,
        periods=len(periods),
        values=values,
        users=len(users),
        open_period=periods[-1].label if storage is not None else "",
    )


class _People:
    """Makes liaisons with invented names and distinct mobile numbers."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.mobiles: set[str] = set()
        self.names: set[str] = set()
        self.count = 0

    def make(self, *, park_id: int, role: LiaisonRole) -> Liaison:
        self.count += 1
        return Liaison(park_id=park_id, name=self._name(), mobile=self._mobile(), role=role)

    def _name(self) -> str:
        # Distinct names keep the demo's people tellable apart in lists and pickers.
        while True:
            given = self.rng.choice(data.GIVEN_CHARS)
            if self.rng.random() < 0.75:
                given += self.rng.choice(data.GIVEN_CHARS)
            name = self.rng.choice(data.SURNAMES) + given
            if name not in self.names:
                self.names.add(name)
                return name

    def _mobile(self) -> str:
        while True:
            mobile = self.rng.choice(data.MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if mobile not in self.mobiles:
                self.mobiles.add(mobile)
                return mobile


def _load_areas(session: Session) -> dict[str, Area]:
    areas: dict[str, Area] = {}
    # Parents come before children in data.AREAS; flushing each level gives the ids.
    for level in (AreaLevel.province, AreaLevel.city, AreaLevel.district, AreaLevel.street):
        batch = [d for d in data.AREAS if d.level == level]
        for i, d in enumerate(batch):
            parent = areas[d.parent_code].id if d.parent_code else None
            areas[d.code] = Area(
                parent_id=parent, level=d.level, name=d.name, code=d.code, sort_order=i
            )
            session.add(areas[d.code])
        session.flush()
    return areas


def _load_parks(session: Session, areas: dict[str, Area]) -> list[tuple[ParkDef, Park]]:
    parks = []
    for d in data.PARKS:
        positions = {f: f not in d.missing_positions for f, _ in SERVICE_POSITIONS}
        park = Park(
            area_id=areas[d.area_code].id,
            name=d.name,
            kind=d.kind,
            multi_theme=d.multi_theme,
            leading_industries=d.leading_industries,
            pilot_level=d.pilot_level,
            pilot_year=d.pilot_year,
            internal_training_bases=d.internal_bases,
            external_training_bases=d.external_bases,
            **positions,
        )
        parks.append((d, park))
    session.add_all([p for _, p in parks])
    session.flush()
    return parks


@dataclass
class _ParkPeople:
    officer: Liaison
    observer: Liaison
    grid_liaisons: list[Liaison | None] = field(default_factory=list)


def _load_grids(
    session: Session, rng: random.Random, people: _People, parks: list[tuple[ParkDef, Park]]
) -> dict[int, list[Grid]]:
    staff: dict[int, _ParkPeople] = {}
    for d, park in parks:
        staff[park.id] = _ParkPeople(
            officer=people.make(park_id=park.id, role=LiaisonRole.guidance_officer),
            observer=people.make(park_id=park.id, role=LiaisonRole.observer),
            grid_liaisons=[
                None
                if i in d.grids_without_liaison
                else people.make(park_id=park.id, role=LiaisonRole.grid_liaison)
                for i in range(len(d.grids))
            ],
        )
    session.add_all(
        [
            person
            for s in staff.values()
            for person in (s.officer, s.observer, *s.grid_liaisons)
            if person is not None
        ]
    )
    session.flush()

    grids: dict[int, list[Grid]] = {}
    for d, park in parks:
        s = staff[park.id]
        grids[park.id] = []
        for i, g in enumerate(d.grids):
            liaison = s.grid_liaisons[i]
            status, note = _grid_status(rng, d, i)
            grids[park.id].append(
                Grid(
                    park_id=park.id,
                    name=g.name,
                    basis=d.basis,
                    sort_order=i,
                    liaison_id=liaison.id if liaison else None,
                    status=status,
                    status_note=note,
                    status_changed_at=STATUS_TIME
                    + timedelta(days=rng.randrange(60), minutes=rng.randrange(600)),
                    # Without a grid liaison, the park's guidance officer keeps the status.
                    status_changed_by=(liaison or s.officer).name,
                )
            )
    session.add_all([g for gs in grids.values() for g in gs])
    session.flush()
    return grids


def _grid_status(rng: random.Random, d: ParkDef, i: int) -> tuple[GridStatus, str]:
    no_liaison, no_node = i in d.grids_without_liaison, i in d.grids_without_node
    if no_liaison and no_node:
        return GridStatus.red, data.RED_NOTE
    if no_liaison:
        return GridStatus.amber, data.NO_LIAISON_NOTE
    if no_node:
        return GridStatus.amber, data.NO_NODE_NOTE
    # A few grids in middling parks need attention too, so amber is not only a lagging sign.
    if d.story in (Story.steady, Story.improving) and rng.random() < 0.08:
        return GridStatus.amber, rng.choice(data.AMBER_NOTES)
    return GridStatus.green, rng.choice(data.GREEN_NOTES)


def _district_code(areas: dict[str, Area], code: str) -> str:
    by_id = {a.id: a for a in areas.values()}
    area = areas[code]
    while area.level != AreaLevel.district:
        area = by_id[area.parent_id]
    return area.code


def _workers(rng: random.Random, size: Size) -> int:
    low, high, skew = WORKERS[size]
    return low + int((high - low + 1) * rng.random() ** skew)


def _load_enterprises(
    session: Session,
    rng: random.Random,
    people: _People,
    areas: dict[str, Area],
    parks: list[tuple[ParkDef, Park]],
    grids: dict[int, list[Grid]],
) -> list[Enterprise]:
    names: set[str] = set()
    codes: set[str] = set()
    rows: list[tuple[Enterprise, Liaison | None]] = []
    for d, park in parks:
        district = _district_code(areas, d.area_code)
        park_rows: list[Enterprise] = []
        for slot, size, known in _places(rng, d):
            trade = rng.choice(d.grids[slot].trades)
            name = known or _company_name(rng, names, d.town, trade.words, size)
            names.add(name)
            park_rows.append(
                Enterprise(
                    credit_code=_credit_code(rng, codes, district),
                    name=name,
                    grid_id=grids[park.id][slot].id,
                    ownership=_ownership(rng, d),
                    size=size,
                    industry=trade.industry,
                    worker_count=_workers(rng, size),
                )
            )
        rows += _reform_roster(rng, people, d, park, grids[park.id], park_rows)
    session.add_all([person for _, person in rows if person is not None])
    session.flush()
    for enterprise, person in rows:
        enterprise.liaison_id = person.id if person else None
    enterprises = [e for e, _ in rows]
    session.add_all(enterprises)
    session.flush()
    return enterprises


def _places(rng: random.Random, d: ParkDef) -> list[tuple[int, Size, str | None]]:
    """Each enterprise's grid index, size and seed name (None for an invented one)."""
    sizes = [s for s, n in zip(SIZES, d.sizes, strict=True) for _ in range(n)]
    rng.shuffle(sizes)
    # Every grid gets one enterprise first, then the rest by uneven grid weights.
    slots = list(range(len(d.grids)))
    weights = [rng.uniform(0.6, 1.4) for _ in d.grids]
    slots += rng.choices(range(len(d.grids)), weights=weights, k=len(sizes) - len(slots))
    slots.sort()
    known: dict[int, str] = {}
    for grid, name in d.known_enterprises:
        known[next(i for i, s in enumerate(slots) if s == grid and i not in known)] = name
    # The enterprises the seeds name are among the park's bigger ones.
    big = sorted(sizes, key=SIZES.index)[: len(known)]
    rest = list(sizes)
    for size in big:
        rest.remove(size)
    big.reverse()
    return [
        (slot, big.pop() if i in known else rest.pop(), known.get(i))
        for i, slot in enumerate(slots)
    ]


def _reform_roster(
    rng: random.Random,
    people: _People,
    d: ParkDef,
    park: Park,
    grids: list[Grid],
    rows: list[Enterprise],
) -> list[tuple[Enterprise, Liaison | None]]:
    """Sets the reform fields so the park's shares come out exactly as defined."""
    nodes = []
    for i, grid in enumerate(grids):
        if i in d.grids_without_node:
            continue
        # The node enterprise leads by example, so it is the grid's biggest employer.
        node = max((e for e in rows if e.grid_id == grid.id), key=lambda e: e.worker_count)
        node.is_node = True
        nodes.append(node)
    others = [e for e in rows if not e.is_node]

    def pick(pool: list[Enterprise], share: float, base: list[Enterprise]) -> list[Enterprise]:
        k = max(0, round(share * (len(pool) + len(base))) - len(base))
        return base + rng.sample(pool, min(k, len(pool)))

    for e in pick(others, d.participation, nodes):
        e.in_reform = True
        e.reform_type = rng.choices(list(ReformType), weights=(0.4, 0.35, 0.25))[0]
    for e in pick(others, d.unions, nodes):
        e.union_founded = True
    unions = [e for e in others if e.union_founded]
    for e in pick(unions, d.contracts, nodes):
        e.collective_contract = True

    # Most enterprises in the reform name their own liaison; lagging parks fewer.
    share = {Story.strong: 0.9, Story.improving: 0.85, Story.steady: 0.75, Story.lagging: 0.5}
    result: list[tuple[Enterprise, Liaison | None]] = []
    for e in rows:
        has = e.is_node or (e.in_reform and rng.random() < share[d.story])
        person = people.make(park_id=park.id, role=LiaisonRole.enterprise_liaison) if has else None
        result.append((e, person))
    return result


def _company_name(
    rng: random.Random, names: set[str], town: str, words: tuple[str, ...], size: Size
) -> str:
    suffix = "股份有限公司" if size == Size.large else "有限公司"
    while True:
        brand = "".join(rng.sample(data.NAME_CHARS, 2))
        name = f"{town}{brand}{rng.choice(words)}{suffix}"
        if name not in names:
            return name


def _credit_code(rng: random.Random, codes: set[str], district: str) -> str:
    # GB 32100: "91" (enterprise registered with market regulation), the district's
    # division code, nine organisation characters and the check character.
    while True:
        body = "91" + district + "".join(rng.choices(CREDIT_ALPHABET, k=9))
        code = body + uscc.calc_check_digit(body)
        if code in codes:
            continue
        if not uscc.is_valid(code):
            raise ValueError(f"made an invalid credit code {code}")
        codes.add(code)
        return code


def _ownership(rng: random.Random, d: ParkDef) -> Ownership:
    r = rng.random()
    if r < d.foreign_share:
        return Ownership.foreign
    if r < d.foreign_share + d.state_share:
        return Ownership.state
    return Ownership.private


def _level(d: ParkDef, year: int, quarter: int) -> float:
    """The park's achievement level at a quarter, moving linearly between year ends."""
    t = year + quarter / 4 - data.YEARS[0] - 1
    if t <= 0:
        return d.levels[0]
    i = min(int(t), len(d.levels) - 2)
    return d.levels[i] + (d.levels[i + 1] - d.levels[i]) * (t - i)


def _ramp(rng: random.Random, start: float, end: float, n: int) -> list[float]:
    """n values rising from start to end in uneven steps."""
    steps = [rng.uniform(0.5, 1.5) for _ in range(n - 1)]
    total = sum(steps)
    values = [start]
    for s in steps:
        values.append(values[-1] + (end - start) * s / total)
    values[-1] = end
    return values


def _computed_series(
    rng: random.Random, d: ParkDef, measure: str, latest: float, n_grids: int
) -> list[float]:
    """Past values of a computed indicator that end at today's computed value."""
    n = len(data.PERIODS)
    if measure in RATE_GAPS:
        gaps = RATE_GAPS[measure].get(d.story)
        if gaps is None:
            # Lagging parks wobble around where they are now.
            series = [latest + rng.uniform(-1.5, 1.5) for _ in range(n - 1)] + [latest]
        else:
            series = _ramp(rng, latest - rng.uniform(*gaps), latest, n)
        return [round(min(100.0, max(0.0, v)), 2) for v in series]
    gap = COUNT_GAPS[d.story]
    if measure == "grid_coverage":
        now = round(latest * n_grids / 100)
        counts = _count_ramp(max(0, now - gap * -(-n_grids // 5)), now, n)
        return [round(100.0 * c / n_grids, 2) for c in counts[:-1]] + [latest]
    if measure == "service_positions":
        total = len(SERVICE_POSITIONS)
        now = round(latest * total / 100)
        counts = _count_ramp(max(0, now - gap), now, n)
        return [round(100.0 * c / total, 2) for c in counts[:-1]] + [latest]
    if measure == "training_bases":
        return [float(c) for c in _count_ramp(max(0, int(latest) - gap), int(latest), n)]
    return [latest] * n


def _count_ramp(start: int, end: int, n: int) -> list[int]:
    return [start + int((end - start) * k / (n - 1) + 0.5) for k in range(n)]


def _reported_value(ind: Indicator, year_level: float, share: float, workers: int) -> float:
    """A reported count (or cumulative %) for the year so far."""
    annual = year_level
    if ind.unit == "人次" and annual > 1:
        # Big parks reach far more people than the target once they are past it.
        annual = 1 + (annual - 1) * max(1.0, workers / 4000)
    value = ind.target * annual * share
    if ind.unit == "%":
        return round(min(100.0, value), 1)
    return float(round(value))


def _rate_value(rng: random.Random, d: ParkDef, year: int, quarter: int) -> float:
    """A reported rate (worker demands resolved): it follows the level, capped below 100."""
    value = 55 + 30 * _level(d, year, quarter)
    # Improving parks rise without wobble or a random cap, so every quarter beats the last.
    if d.story == Story.improving:
        return round(min(value, 99.0), 1)
    value += rng.uniform(-1.5, 1.5)
    return round(min(value, rng.uniform(97.5, 99.6)), 1)


def _report_time(year: int, quarter: int, park_index: int) -> datetime:
    # Parks report in the first fortnight after the quarter closes.
    month = quarter * 3 + 1
    first = datetime(year + month // 13, (month - 1) % 12 + 1, 1, 1, 0, tzinfo=UTC)
    return first + timedelta(days=3 + park_index % 10, hours=park_index)


def _load_values(
    session: Session,
    rng: random.Random,
    parks: list[tuple[ParkDef, Park]],
    grids: dict[int, list[Grid]],
    periods: list[Period],
    enterprises: list[Enterprise],
) -> int:
    indicators: dict[int, list[Indicator]] = {}
    for year in data.YEARS:
        fw = framework_service.for_year(session=session, year=year)
        indicators[year] = framework_service.indicators(session=session, framework_id=fw.id)
    park_ids = [p.id for _, p in parks]
    grid_park = {g.id: pid for pid, gs in grids.items() for g in gs}
    workers: dict[int, int] = dict.fromkeys(park_ids, 0)
    for e in enterprises:
        workers[grid_park[e.grid_id]] += e.worker_count

    # Today's roster is the latest quarter's truth for every computed indicator.
    latest_year = data.PERIODS[-1][0]
    computed = [i for i in indicators[latest_year] if i.source in COMPUTED_SOURCES]
    measured = {i.measure: measures.measure(session, i.measure, park_ids) for i in computed}
    today = {
        m: {pid: x.value for pid, x in found.items()} if found is not None else None
        for m, found in measured.items()
    }
    series = {
        (park.id, m): _computed_series(rng, d, m, now[park.id], len(grids[park.id]))
        for d, park in parks
        for m, now in today.items()
        if now is not None
    }

    rows: list[IndicatorValue] = []
    for index, (d, park) in enumerate(parks):
        # One draw per park, year and indicator, so the quarters of a year share it.
        year_levels = {
            (y, i.code): d.levels[y - data.YEARS[0]] * rng.uniform(0.85, 1.15)
            for y in data.YEARS
            for i in indicators[y]
        }
        # Work is not spread evenly over the year, but the shares keep rising to 100 %.
        shares = {
            (y, q): share + (rng.uniform(-0.03, 0.03) if q < 4 else 0.0)
            for y in data.YEARS
            for q, share in enumerate(QUARTER_SHARE, start=1)
        }
        for k, period in enumerate(periods):
            if d.name == data.MISSING_DATA_PARK and (
                (period.year, period.quarter) in data.MISSING_DATA_PERIODS
            ):
                continue
            for ind in indicators[period.year]:
                basis = ""
                if ind.source in COMPUTED_SOURCES:
                    past = series.get((park.id, ind.measure))
                    if past is None:
                        continue
                    value, origin = past[k], ValueOrigin.computed
                    if k == len(periods) - 1:
                        # The latest quarter is today's roster: say which rows it came from.
                        basis = measured[ind.measure][park.id].basis
                elif ind.unit == "%" and ind.measure not in CUMULATIVE_MEASURES:
                    value = _rate_value(rng, d, period.year, period.quarter)
                    origin = ValueOrigin.reported
                else:
                    level = year_levels[(period.year, ind.code)]
                    value = _reported_value(
                        ind, level, shares[(period.year, period.quarter)], workers[park.id]
                    )
                    origin = ValueOrigin.reported
                rows.append(
                    IndicatorValue(
                        park_id=park.id,
                        period_id=period.id,
                        indicator_id=ind.id,
                        value=value,
                        origin=origin,
                        basis=basis,
                        updated_at=_report_time(period.year, period.quarter, index),
                        updated_by=f"{park.name}产改机构" if origin is ValueOrigin.reported else "",
                    )
                )
    session.add_all(rows)
    session.flush()
    return len(rows)


# How the latest quarter's reports stand, by story: strong parks are approved already,
# others wait for review, one was returned with a question, one lagging park has not
# submitted at all (its deadline has passed).
RETURNED_PARK = "长三角新就业产业园"
RETURN_COMMENT = "培训覆盖率与上季度相比变化较大，请补充培训签到表等佐证材料后重新报送。"
LATEST_STATE = {
    Story.strong: ReportState.approved,
    Story.steady: ReportState.submitted,
    Story.improving: ReportState.approved,
    Story.lagging: ReportState.draft,
}


def _load_reports(
    session: Session, parks: list[tuple[ParkDef, Park]], periods: list[Period]
) -> int:
    districts = {a.id: a for a in session.exec(select(Area))}
    reports = []
    for index, (d, park) in enumerate(parks):
        reviewer = f"{_district_name(districts, park.area_id)}产改办"
        for k, period in enumerate(periods):
            if d.name == data.MISSING_DATA_PARK and (
                (period.year, period.quarter) in data.MISSING_DATA_PERIODS
            ):
                continue
            latest = period is periods[-1]
            state = LATEST_STATE[d.story] if latest else ReportState.approved
            if latest and d.name == RETURNED_PARK:
                state = ReportState.returned
            # Lagging parks miss the deadline every other quarter; the others are early.
            days = 2 if d.story is Story.lagging and k % 2 == 0 else -(1 + index % 5)
            day = period.deadline + timedelta(days=days)
            submitted = datetime.combine(day, time(9 + index % 8), LOCAL_TZ).astimezone(UTC)
            report = ParkReport(park_id=park.id, period_id=period.id, state=state)
            if state is not ReportState.draft:
                report.submitted_at = report.first_submitted_at = submitted
                report.submitted_by = f"{park.name}产改机构"
            if state in (ReportState.approved, ReportState.returned):
                report.reviewed_at = submitted + timedelta(days=2)
                report.reviewed_by = reviewer
            if state is ReportState.returned:
                report.review_comment = (
                    "培训覆盖率与上季度相比变化较大，请补充培训签到表等佐证材料后重新报送。"
                )
            reports.append(report)
    session.add_all(reports)
    session.flush()
    return len(reports)


def _district_name(areas: dict[int, Area], area_id: int) -> str:
    area = areas[area_id]
    while area.level != AreaLevel.district and area.parent_id in areas:
        area = areas[area.parent_id]
    return area.name


# ---- the first-run tour ------------------------------------------------------------


def _load_role_accounts(
    session: Session,
    areas: dict[str, Area],
    parks: list[tuple[ParkDef, Park]],
    grids: dict[int, list[Grid]],
) -> list[User]:
    """An account for every district office, park administrator and first-grid liaison,
    besides the five of create_demo_accounts (which it leaves as they are)."""
    taken = set(session.exec(select(User.username)))
    # The five accounts' hash serves every other: the password is published, and hashing is
    # slow by design (a fifth of a second each).
    hashed = session.exec(select(User.password_hash).where(User.username == "city_admin")).one()
    liaisons = {
        p.id: p
        for p in session.exec(
            select(Liaison).where(
                col(Liaison.id).in_(
                    [gs[0].liaison_id for gs in grids.values() if gs and gs[0].liaison_id]
                )
            )
        )
    }
    specs: list[tuple[str, str, Role, UserScope, int | None]] = []
    for code, slug in data.DISTRICT_ACCOUNTS.items():
        area = areas[code]
        specs.append(
            (
                f"district_{slug}",
                f"{area.name}产改办",
                Role.district_office,
                UserScope(area_id=area.id),
                None,
            )
        )
    for d, park in parks:
        specs.append(
            (
                f"park_{d.account}",
                f"{park.name}产改机构",
                Role.park_admin,
                UserScope(park_id=park.id),
                None,
            )
        )
        first = grids[park.id][0]
        person = liaisons.get(first.liaison_id)
        specs.append(
            (
                f"liaison_{d.account}_1",
                person.name if person else f"{first.name}联络员",
                Role.grid_liaison,
                UserScope(grid_id=first.id),
                first.liaison_id,
            )
        )
    users = [
        User(username=u, display_name=n, role=r, liaison_id=lid, password_hash=hashed)
        for u, n, r, _, lid in specs
        if u not in taken
    ]
    session.add_all(users)
    session.flush()
    by_name = {u.username: u for u in users}
    for username, _n, _r, place, _l in specs:
        if username in by_name:
            place.user_id = by_name[username].id
            session.add(place)
    session.flush()
    return users


# When the tour's reports were saved, sent in and reviewed (Beijing time).
OPEN_SAVED = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
OPEN_SUBMITTED = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
OPEN_REVIEWED = datetime(2026, 12, 2, 7, 0, tzinfo=UTC)
# Each stamp a step of the tour writes, by field, at its fixed time.
OPEN_STAMPS = {
    "submitted_at": OPEN_SUBMITTED,
    "first_submitted_at": OPEN_SUBMITTED,
    "reviewed_at": OPEN_REVIEWED,
    "updated_at": OPEN_SAVED,
    "uploaded_at": OPEN_SAVED,
}


def _load_open_quarter(
    session: Session, storage: files.Storage, frameworks: dict[int, int]
) -> Period:
    """The open 2026 Q4 and its reports, made through the reports' own services as the
    demo's park and district accounts, so each state is what the app itself would leave."""
    year, quarter = data.OPEN_PERIOD
    period = Period(
        year=year,
        quarter=quarter,
        deadline=default_deadline(year, quarter).day,
        framework_id=frameworks[year],
    )
    session.add(period)
    session.flush()
    previous = session.exec(
        select(Period).where(Period.year == year, Period.quarter == quarter - 1)
    ).one()
    for plan in data.OPEN_REPORTS:
        park = session.exec(select(Park).where(Park.name == plan.park)).one()
        slug = next(d.account for d in data.PARKS if d.name == plan.park)
        admin = _principal(session, f"park_{slug}")
        view = reports.load(session=session, who=admin, park_id=park.id, period=period)
        rows = [r for r in view.rows if not r.computed]
        if plan.state is data.OpenState.draft:
            # A draft half filled in: the park is still collecting its figures.
            rows = rows[: (len(rows) + 1) // 2]
        form = _open_values(session, park.id, previous, [r.indicator for r in rows])
        reports.save(session=session, who=admin, park_id=park.id, period=period, data=form)
        codes = {r.indicator.code: r.indicator.id for r in rows}
        for code, filename in plan.evidence:
            evidence_files.add(
                session=session,
                who=admin,
                storage=storage,
                max_bytes=10 * 1024 * 1024,
                park_id=park.id,
                period=period,
                indicator_id=codes[code],
                filename=filename,
                content=_evidence_file(filename, park.name, period.label),
            )
        if plan.state is not data.OpenState.draft:
            reports.submit(session=session, who=admin, park_id=park.id, period=period)
        if plan.state is data.OpenState.returned:
            district = _district_account(session, park)
            reports.return_report(
                session=session,
                who=_principal(session, district),
                park_id=park.id,
                period=period,
                comment=data.OPEN_RETURN_COMMENT,
                comments={codes["I04"]: data.OPEN_VALUE_COMMENT},
            )
    _fix_open_times(session, period)
    return period


def _principal(session: Session, username: str):
    user = session.exec(select(User).where(User.username == username)).one()
    return accounts_service.principal(session=session, user=user)


def _district_account(session: Session, park: Park) -> str:
    by_id = {a.id: a for a in session.exec(select(Area))}
    area = by_id[park.area_id]
    while area.level != AreaLevel.district:
        area = by_id[area.parent_id]
    return f"district_{data.DISTRICT_ACCOUNTS[area.code]}"


def _open_values(
    session: Session, park_id: int, previous: Period, indicators: list[Indicator]
) -> dict[str, str]:
    """Year-end figures carried on from the park's third quarter: counts and cumulative
    shares grow to the full year, rates stay where they were."""
    q3 = {
        v.indicator_id: v.value
        for v in session.exec(
            select(IndicatorValue).where(
                IndicatorValue.park_id == park_id, IndicatorValue.period_id == previous.id
            )
        )
    }
    form = {}
    for ind in indicators:
        last = q3.get(ind.id, ind.target * QUARTER_SHARE[2])
        if ind.unit == "%" and ind.measure not in CUMULATIVE_MEASURES:
            value = last
        elif ind.unit == "%":
            value = min(100.0, round(last / QUARTER_SHARE[2], 1))
        else:
            value = float(round(last / QUARTER_SHARE[2]))
        form[f"value_{ind.id}"] = f"{value:g}"
    return form


def _fix_open_times(session: Session, period: Period) -> None:
    """The services stamp the moment of loading; the demo's history has fixed dates, so a
    reload shows the same report pages."""
    for report in session.exec(select(ParkReport).where(ParkReport.period_id == period.id)):
        if report.submitted_at is not None:
            report.submitted_at = report.first_submitted_at = OPEN_SUBMITTED
        if report.reviewed_at is not None:
            report.reviewed_at = OPEN_REVIEWED
        session.add(report)
    value_ids = select(IndicatorValue.id).where(IndicatorValue.period_id == period.id)
    for value in session.exec(select(IndicatorValue).where(IndicatorValue.period_id == period.id)):
        value.updated_at = OPEN_SAVED
        session.add(value)
    for ev in session.exec(select(Evidence).where(col(Evidence.value_id).in_(value_ids))):
        ev.uploaded_at = OPEN_SAVED
        session.add(ev)
    session.flush()
    # The histories too: a row written by a step of the tour reads at that step's time and
    # names the same times as the report (or the history contradicts the page above it).
    report_ids = select(ParkReport.id).where(ParkReport.period_id == period.id)
    evidence_ids = select(Evidence.id).where(col(Evidence.value_id).in_(value_ids))
    rows = session.exec(
        select(AuditLog).where(
            sa.or_(
                sa.and_(
                    AuditLog.object_type == "ParkReport", col(AuditLog.object_id).in_(report_ids)
                ),
                sa.and_(
                    AuditLog.object_type == "IndicatorValue", col(AuditLog.object_id).in_(value_ids)
                ),
                sa.and_(
                    AuditLog.object_type == "Evidence", col(AuditLog.object_id).in_(evidence_ids)
                ),
            )
        )
    ).all()
    for row in rows:
        before, after = dict(row.before or {}), dict(row.after or {})
        for values in (before, after):
            for key, fixed in OPEN_STAMPS.items():
                if values.get(key):
                    values[key] = fixed.isoformat()
        if after.get("reviewed_at") and after.get("reviewed_at") != before.get("reviewed_at"):
            row.at = OPEN_REVIEWED
        elif after.get("submitted_at") and after.get("submitted_at") != before.get("submitted_at"):
            row.at = OPEN_SUBMITTED
        else:
            row.at = OPEN_SAVED
        row.before, row.after = before or row.before, after or row.after
        session.add(row)
    session.flush()


def _evidence_file(filename: str, park: str, period: str) -> bytes:
    """A small real file of the kind its name says: a one-page PDF or a PNG picture."""
    if filename.endswith(".png"):
        return _png(160, 100, seed=sum(map(ord, filename)))
    return _pdf(
        [
            "ParkGrid demo evidence",
            f"Period: {period}",
            f"File: {filename.encode('unicode_escape').decode()}",
            f"Park: {park.encode('unicode_escape').decode()}",
        ]
    )


def _pdf(lines: list[str]) -> bytes:
    """A valid one-page PDF with a few lines of Helvetica text (ASCII)."""
    text = (
        "BT /F1 12 Tf 50 780 Td 16 TL "
        + " ".join(
            "(" + line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ") '"
            for line in lines
        )
        + " ET"
    )
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        "/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Length {len(text)} >>\nstream\n{text}\nendstream",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out


def _png(width: int, height: int, *, seed: int) -> bytes:
    """A PNG picture of soft stripes (RGB, 8 bits), made without an imaging library."""
    base = (40 + seed % 80, 110 + seed % 60, 160 + seed % 90)
    raw = b"".join(
        b"\x00"
        + bytes(
            c
            for x in range(width)
            for c in (
                (base[0] + (x // 20) * 12) % 256,
                (base[1] + y) % 256,
                base[2],
            )
        )
        for y in range(height)
    )

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )
