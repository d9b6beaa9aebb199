"""The province-scale demo: N parks in two or more cities of one province, inserted in bulk.

`parkgrid demo --scale N` builds it into an empty database to see what every page costs at
province scale: about 20 parks a district, 5.5 grids and 100 enterprises a park, 20 quarters
of indicator values and quarterly reports, the year frameworks and the demo accounts. Rows
are made in Python in a fixed order from seeded generators and written with multi-row
inserts carrying their own ids, so children name their parents without reading anything
back and the same N always gives the same rows.
"""

import math
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from typing import TypeVar

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, func, select

from app.accounts.models import Role, User, UserScope
from app.accounts.service import DEMO_PASSWORD
from app.assessment.models import IndicatorValue, ParkReport, Period, ReportState, ValueOrigin
from app.assessment.results import measures, scores
from app.core.calendar import default_deadline
from app.core.security import passwords
from app.core.templating import LOCAL_TZ
from app.demo import data, loader
from app.demo import scale_names as names
from app.demo.data import Story, Trade
from app.demo.loader import COMPUTED_SOURCES, CUMULATIVE_MEASURES, QUARTER_SHARE, SIZES
from app.enterprises.models import Enterprise, Liaison, LiaisonRole, Ownership, ReformType, Size
from app.framework import service as framework_service
from app.framework.models import Indicator
from app.geo.models import (
    SERVICE_POSITIONS,
    Area,
    AreaLevel,
    Grid,
    GridBasis,
    GridStatus,
    Park,
    ParkKind,
    PilotLevel,
)

T = TypeVar("T")

SEED = 20_261_203
PARKS_PER_DISTRICT = 20
# A city's districts take the codes <city>01–<city>99 that are not in use.
MAX_DISTRICTS_PER_CITY = 90
MAX_PARKS = PARKS_PER_DISTRICT * MAX_DISTRICTS_PER_CITY * (1 + len(names.CITIES))
STREETS_PER_DISTRICT = 2
# Share of parks that hang under a street or town rather than the district itself.
STREET_PARK_SHARE = 0.15
QUARTERS = 20
# Rows per insert statement: big enough that statement overhead vanishes, small enough that
# a chunk of dicts stays a few megabytes.
CHUNK = 5_000

HUAXIA = "无锡华夏家居港"
GRID_COUNTS = (3, 4, 5, 6, 7, 8, 10)
GRID_WEIGHTS = (10, 22, 25, 18, 12, 8, 5)  # 5.5 grids a park on average
STORY_WEIGHTS = {Story.strong: 20, Story.improving: 25, Story.steady: 40, Story.lagging: 15}
INDUSTRIAL = frozenset({ParkKind.high_tech_zone, ParkKind.economic_zone, ParkKind.park_in_park})
# Sizes (large, medium, small, micro) in per mille: markets, office buildings and rural chains
# are mostly small traders.
SIZE_WEIGHTS = {True: (15, 80, 450, 455), False: (3, 30, 400, 567)}
PILOTS = (None, *PilotLevel)
PILOT_WEIGHTS = (250, 5, 60, 150, 300, 235)
# Shares of the roster by story: (taking part, with a union, contract among unions, with
# their own liaison among those taking part).
ROSTER_SHARES = {
    Story.strong: ((0.93, 0.99), (0.88, 0.97), (0.95, 1.0), 0.9),
    Story.improving: ((0.85, 0.95), (0.8, 0.92), (0.9, 0.98), 0.85),
    Story.steady: ((0.72, 0.9), (0.7, 0.9), (0.85, 0.97), 0.75),
    Story.lagging: ((0.45, 0.7), (0.5, 0.75), (0.6, 0.85), 0.5),
}
# Chance that a grid has no liaison, or no node enterprise, yet.
GRID_GAP = {Story.strong: 0.0, Story.improving: 0.0, Story.steady: 0.03, Story.lagging: 0.15}
# How the latest quarter's report stands, by story (None: no report yet, its deadline passed).
A, S, R, D = ReportState.approved, ReportState.submitted, ReportState.returned, ReportState.draft
LATEST_STATES: dict[Story, tuple[tuple[ReportState | None, int], ...]] = {
    Story.strong: ((A, 80), (S, 20)),
    Story.improving: ((A, 50), (S, 35), (R, 15)),
    Story.steady: ((A, 30), (S, 45), (R, 10), (D, 10), (None, 5)),
    Story.lagging: ((S, 30), (D, 40), (None, 30)),
}
STATUS_TIME = loader.STATUS_TIME
# The check character of a unified social credit code: weights 3^i mod 31 (GB 32100-2015).
CREDIT_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
CREDIT_VALUE = {c: i for i, c in enumerate(loader.CREDIT_ALPHABET)}


def quarters(n: int = QUARTERS) -> tuple[tuple[int, int], ...]:
    """The n consecutive quarters that end with the Wuxi demo's last assessed one."""
    year, quarter = data.PERIODS[-1]
    out = []
    for _ in range(n):
        out.append((year, quarter))
        year, quarter = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
    return tuple(reversed(out))


PERIODS = quarters()
YEARS = tuple(sorted({y for y, _ in PERIODS}))


@dataclass
class ScaleSummary:
    """What build put in the database, and how long each step took (seconds)."""

    cities: int
    districts: int
    streets: int
    parks: int
    grids: int
    enterprises: int
    workers: int
    liaisons: int
    periods: int
    values: int
    reports: int
    users: int
    timings: dict[str, float] = field(default_factory=dict)

    def describe(self) -> str:
        steps = ", ".join(f"{k} {v:.1f}" for k, v in self.timings.items())
        return (
            f"province demo loaded: 1 province, {self.cities} cities, {self.districts} districts, "
            f"{self.streets} streets, {self.parks} parks, {self.grids} grids, "
            f"{self.enterprises} enterprises ({self.workers} workers), {self.liaisons} liaisons, "
            f"{self.periods} quarters, {self.values} values, {self.reports} reports, "
            f"{self.users} users; seconds: {steps}"
        )


def build(*, session: Session, parks: int, with_scores: bool = True) -> ScaleSummary:
    """Fills an empty database with a province of `parks` parks; flushes, never commits."""
    if not loader.is_empty(session=session):
        raise ValueError("the demo loads only into an empty database")
    if not 2 <= parks <= MAX_PARKS:
        raise ValueError(f"the province demo has 2 to {MAX_PARKS} parks")
    timings: dict[str, float] = {}
    started = time.perf_counter()

    def lap(step: str) -> None:
        nonlocal started
        now = time.perf_counter()
        timings[step] = round(now - started, 2)
        started = now

    def rng(part: str) -> random.Random:
        # One generator per step, so a change in one step leaves the others' rows alone.
        return random.Random(f"{SEED}:{parks}:{part}")

    frameworks = {y: framework_service.create_default(session=session, year=y).id for y in YEARS}
    periods = [
        Period(year=y, quarter=q, deadline=default_deadline(y, q).day, framework_id=frameworks[y])
        for y, q in PERIODS
    ]
    session.add_all(periods)
    session.flush()
    indicators = {
        y: framework_service.indicators(session=session, framework_id=fid)
        for y, fid in frameworks.items()
    }

    bulk = _Bulk(session, (Area, Park, Liaison, Grid, Enterprise, IndicatorValue, ParkReport))
    tree = _areas(rng("areas"), bulk, parks)
    plans = _parks(rng("parks"), bulk, tree, parks)
    bulk.flush()
    lap("places")
    people = _People(rng("people"), bulk)
    roster = _Roster(rng("roster"), bulk, people)
    for plan in plans:
        roster.add(plan)
    bulk.flush()
    lap("roster")
    _values(rng("values"), session, bulk, plans, periods, indicators)
    bulk.flush()
    lap("values")
    _reports(rng("reports"), bulk, plans, periods)
    bulk.flush()
    if session.get_bind().dialect.name == "postgresql":
        _after_bulk_on_postgresql(session, bulk.models)
    users = _accounts(session, tree, plans[0])
    lap("reports and accounts")
    if with_scores:
        scores.store_all(session)
        lap("scores")

    return ScaleSummary(
        cities=len(tree.cities),
        districts=len(tree.districts),
        streets=sum(len(d.streets) for d in tree.districts),
        parks=len(plans),
        grids=bulk.count[Grid],
        enterprises=bulk.count[Enterprise],
        workers=sum(p.workers for p in plans),
        liaisons=bulk.count[Liaison],
        periods=len(periods),
        values=bulk.count[IndicatorValue],
        reports=bulk.count[ParkReport],
        users=users,
        timings=timings,
    )


class _Bulk:
    """Buffers rows per table and inserts them in chunks, every table in parent-first order.

    A row is added after the rows it points to, and a flush writes the tables in order, so
    foreign keys hold at every statement (PostgreSQL checks them per statement).
    """

    def __init__(self, session: Session, models: tuple[type[SQLModel], ...]) -> None:
        self.session = session
        self.models = models
        self.rows: dict[type[SQLModel], list[dict]] = {m: [] for m in models}
        self.count = dict.fromkeys(models, 0)
        # The database is empty of these rows, but another table's ids may have been used.
        self.next_id = {
            m: (session.exec(select(func.max(m.id))).one() or 0) + 1  # type: ignore[attr-defined]
            for m in models
        }

    def new_id(self, model: type[SQLModel]) -> int:
        i = self.next_id[model]
        self.next_id[model] = i + 1
        return i

    def add(self, model: type[SQLModel], row: dict) -> None:
        buffer = self.rows[model]
        buffer.append(row)
        if len(buffer) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        for m in self.models:
            if rows := self.rows[m]:
                self.session.execute(sa.insert(m.__table__), rows)  # type: ignore[attr-defined]
                self.count[m] += len(rows)
                self.rows[m] = []


def _after_bulk_on_postgresql(session: Session, models: tuple[type[SQLModel], ...]) -> None:
    # Rows came with their own ids, so the id sequences still stand at 1: move them past
    # the rows, or the app's first insert collides. Fresh statistics let the planner see
    # the tables' real sizes before the scores read them.
    for m in models:
        table = m.__tablename__  # type: ignore[attr-defined]
        session.execute(
            sa.text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        )
        session.execute(sa.text(f"ANALYZE {table}"))


# ---- places ------------------------------------------------------------------------


@dataclass
class _District:
    id: int
    code: str
    name: str
    stem: str  # what the district's park names start with
    prefix: str  # what its enterprises' names start with (the city, or a county-level city)
    streets: list[int] = field(default_factory=list)


@dataclass
class _Tree:
    province: int
    cities: list[int]
    districts: list[_District]


def _area(
    bulk: _Bulk, parent: int | None, level: AreaLevel, name: str, code: str, order: int
) -> int:
    area_id = bulk.new_id(Area)
    row = {"id": area_id, "parent_id": parent, "level": level, "name": name, "code": code}
    bulk.add(Area, {**row, "sort_order": order})
    return area_id


def _evenly(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def _areas(rng: random.Random, bulk: _Bulk, parks: int) -> _Tree:
    """The province, Wuxi and the invented cities, their districts and streets."""
    n_districts = max(2, round(parks / PARKS_PER_DISTRICT))
    n_cities = max(2, math.ceil(n_districts / MAX_DISTRICTS_PER_CITY))
    real = {a.code: a for a in data.AREAS}
    province, wuxi = real["320000"], real["320200"]
    tree = _Tree(_area(bulk, None, AreaLevel.province, province.name, province.code, 0), [], [])
    cities = [(wuxi.name, "无锡", wuxi.code), *names.CITIES[: n_cities - 1]]
    stems = set(names.WUXI_SHORT.values()) | {a.name[:2] for a in data.AREAS}
    for c, ((city_name, city_short, city_code), count) in enumerate(
        zip(cities, _evenly(n_districts, n_cities), strict=True)
    ):
        city = _area(bulk, tree.province, AreaLevel.city, city_name, city_code, c)
        tree.cities.append(city)
        free = (
            code for code in (f"{city_code[:4]}{k:02d}" for k in range(1, 100)) if code not in real
        )
        for j in range(count):
            if c == 0 and j < len(names.WUXI_DISTRICTS):
                code = names.WUXI_DISTRICTS[j]
                name, stem = real[code].name, names.WUXI_SHORT[code]
                prefix = stem if name.endswith("市") else city_short
            else:
                code, stem = next(free), _place(rng, stems)
                county = rng.random() < names.COUNTY_CITY_SHARE
                name = stem + ("市" if county else "区")
                prefix = stem if county else city_short
            district = _District(0, code, name, stem, prefix)
            # Districts are numbered across the province, so lists keep Wuxi's first.
            district.id = _area(bulk, city, AreaLevel.district, name, code, len(tree.districts))
            local = {stem}
            for s in range(STREETS_PER_DISTRICT):
                street = _place(rng, local) + rng.choice(names.STREET_KINDS)
                # Demo codes under the district's code, as in the Wuxi demo.
                district.streets.append(
                    _area(bulk, district.id, AreaLevel.street, street, f"{code}{s + 1:03d}", s)
                )
            tree.districts.append(district)
    return tree


def _place(rng: random.Random, taken: set[str]) -> str:
    while True:
        stem = rng.choice(names.PLACE_FIRST) + rng.choice(names.PLACE_SECOND)
        if stem not in taken:
            taken.add(stem)
            return stem


# ---- parks -------------------------------------------------------------------------


@dataclass
class _GridPlan:
    name: str
    trades: tuple[Trade, ...]


@dataclass
class _ParkPlan:
    id: int
    index: int
    name: str
    kind: ParkKind
    district: _District
    story: Story
    # Achievement against target at the end of each of YEARS (1.0 = on target).
    levels: tuple[float, ...]
    basis: GridBasis
    grids: list[_GridPlan]
    enterprises: int
    latest: ReportState | None
    workers: int = 0
    # The first grid, its liaison's id and name (for the demo accounts).
    first_grid: tuple[int, int | None, str] = (0, None, "")


def _split(rng: random.Random, total: int, parts: int) -> list[int]:
    """total in parts of uneven size, each at least 1 (largest remainders)."""
    weights = [rng.uniform(0.6, 1.4) for _ in range(parts)]
    raw = [total * w / sum(weights) for w in weights]
    counts = [max(1, int(r)) for r in raw]
    while sum(counts) < total:
        counts[max(range(parts), key=lambda i: raw[i] - counts[i])] += 1
    while sum(counts) > total:
        counts[
            max((i for i in range(parts) if counts[i] > 1), key=lambda i: counts[i] - raw[i])
        ] -= 1
    return counts


def _levels(rng: random.Random, story: Story) -> tuple[float, ...]:
    n = len(YEARS)
    if story is Story.strong:
        start = rng.uniform(1.2, 1.4)
        return tuple(round(start + 0.04 * i, 3) for i in range(n))
    if story is Story.improving:
        start, end = rng.uniform(0.35, 0.55), rng.uniform(1.0, 1.2)
        return tuple(round(start + (end - start) * i / (n - 1), 3) for i in range(n))
    base, wobble = (
        (rng.uniform(0.65, 0.95), 0.04) if story is Story.steady else (rng.uniform(0.3, 0.5), 0.03)
    )
    return tuple(round(base + rng.uniform(-wobble, wobble), 3) for _ in range(n))


def _grid_plans(rng: random.Random, kind: ParkKind, n: int) -> tuple[GridBasis, list[_GridPlan]]:
    if kind in INDUSTRIAL:
        return GridBasis.cluster, [_GridPlan(g, (t,)) for g, t in rng.sample(names.CLUSTERS, n)]
    if kind is ParkKind.market:
        return GridBasis.area, [
            _GridPlan(f"{x}区网格", names.MARKET_TRADES) for x in names.LETTERS[:n]
        ]
    if kind is ParkKind.building:
        return GridBasis.area, [
            _GridPlan(f"{x}座网格", names.OFFICE_TRADES) for x in names.LETTERS[:n]
        ]
    return GridBasis.area, [
        _GridPlan(f"{x}片区网格", names.RURAL_TRADES) for x in names.NUMERALS[:n]
    ]


def _parks(rng: random.Random, bulk: _Bulk, tree: _Tree, total: int) -> list[_ParkPlan]:
    plans: list[_ParkPlan] = []
    taken = {d.name for d in data.PARKS}
    kinds, kind_weights = zip(*names.KIND_WEIGHTS.items(), strict=True)
    stories, story_weights = zip(*STORY_WEIGHTS.items(), strict=True)
    for district, count in zip(
        tree.districts, _split(rng, total, len(tree.districts)), strict=True
    ):
        for _ in range(count):
            index = len(plans)
            kind: ParkKind = rng.choices(kinds, kind_weights)[0]
            story: Story = rng.choices(stories, story_weights)[0]
            n_grids = rng.choices(GRID_COUNTS, GRID_WEIGHTS)[0]
            area_id = district.id
            if rng.random() < STREET_PARK_SHARE:
                area_id = rng.choice(district.streets)
            if index == 0:
                # The README's park account belongs to 无锡华夏家居港 in 梁溪区, 10 area grids.
                kind, story, n_grids, area_id = ParkKind.market, Story.improving, 10, district.id
            basis, grids = _grid_plans(rng, kind, n_grids)
            name = HUAXIA if index == 0 else _park_name(rng, taken, kind, district, grids)
            taken.add(name)
            pilot = rng.choices(PILOTS, PILOT_WEIGHTS)[0]
            missing = {
                Story.strong: 0,
                Story.improving: rng.randint(0, 1),
                Story.steady: rng.randint(0, 2),
                Story.lagging: rng.randint(1, 3),
            }[story]
            lacking = set(rng.sample([f for f, _ in SERVICE_POSITIONS], missing))
            internal = {Story.strong: (2, 3), Story.lagging: (0, 1)}.get(story, (1, 2))
            industries = (
                [g.name for g in grids]
                if basis is GridBasis.cluster
                else [t.industry for t in grids[0].trades]
            )
            plan = _ParkPlan(
                id=bulk.new_id(Park),
                index=index,
                name=name,
                kind=kind,
                district=district,
                story=story,
                levels=_levels(rng, story),
                basis=basis,
                grids=grids,
                enterprises=max(2 * n_grids, int(20 + 180 * rng.random() ** 1.25)),
                latest=_weighted(rng, LATEST_STATES[story]),
            )
            bulk.add(
                Park,
                {
                    "id": plan.id,
                    "area_id": area_id,
                    "name": name,
                    "kind": kind,
                    "multi_theme": kind not in INDUSTRIAL,
                    "leading_industries": "、".join(industries)[:200],
                    "pilot_level": pilot,
                    "pilot_year": rng.randint(2021, 2025) if pilot else None,
                    "internal_training_bases": rng.randint(*internal),
                    "external_training_bases": rng.randint(0, 2),
                    **{f: f not in lacking for f, _ in SERVICE_POSITIONS},
                },
            )
            plans.append(plan)
    return plans


def _park_name(
    rng: random.Random, taken: set[str], kind: ParkKind, district: _District, grids: list[_GridPlan]
) -> str:
    while True:
        place = district.stem + "".join(rng.sample(names.BRAND_CHARS, 2))
        name = rng.choice(names.PARK_NAMES[kind]).format(p=place, c=grids[0].name)
        if name not in taken:
            return name


def _weighted(rng: random.Random, pairs: tuple[tuple[T, int], ...]) -> T:
    choices, weights = zip(*pairs, strict=True)
    return rng.choices(choices, weights)[0]


# ---- roster ------------------------------------------------------------------------


class _People:
    """Makes liaison rows with invented names and distinct mobile numbers.

    Names may repeat: among a province's hundred thousand liaisons, as in any real roster,
    two people share a name; the mobile number tells them apart.
    """

    def __init__(self, rng: random.Random, bulk: _Bulk) -> None:
        self.rng = rng
        self.bulk = bulk
        self.mobiles: set[str] = set()

    def make(self, park_id: int, role: LiaisonRole) -> tuple[int, str]:
        rng = self.rng
        given = rng.choice(data.GIVEN_CHARS)
        if rng.random() < 0.75:
            given += rng.choice(data.GIVEN_CHARS)
        name = rng.choice(data.SURNAMES) + given
        while True:
            mobile = rng.choice(data.MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
            if mobile not in self.mobiles:
                self.mobiles.add(mobile)
                break
        liaison_id = self.bulk.new_id(Liaison)
        row = {"id": liaison_id, "park_id": park_id, "name": name, "mobile": mobile}
        self.bulk.add(Liaison, {**row, "role": role})
        return liaison_id, name


@dataclass
class _Firm:
    grid: int
    size: Size
    workers: int
    trade: Trade
    is_node: bool = False


class _Roster:
    """Makes each park's grids and enterprises, with their liaisons."""

    def __init__(self, rng: random.Random, bulk: _Bulk, people: _People) -> None:
        self.rng = rng
        self.bulk = bulk
        self.people = people
        self.names: set[str] = set()
        self.codes: set[str] = set()

    def add(self, plan: _ParkPlan) -> None:
        rng, bulk, people = self.rng, self.bulk, self.people
        officer = people.make(plan.id, LiaisonRole.guidance_officer)
        people.make(plan.id, LiaisonRole.observer)
        gap = GRID_GAP[plan.story]
        grid_ids, nodeless = [], set()
        for i, g in enumerate(plan.grids):
            no_liaison, no_node = rng.random() < gap, rng.random() < gap
            liaison = None if no_liaison else people.make(plan.id, LiaisonRole.grid_liaison)
            if no_node:
                nodeless.add(i)
            status, note = self._status(plan.story, no_liaison, no_node)
            grid_id = bulk.new_id(Grid)
            grid_ids.append(grid_id)
            if i == 0:
                plan.first_grid = (grid_id, *(liaison or (None, "")))
            bulk.add(
                Grid,
                {
                    "id": grid_id,
                    "park_id": plan.id,
                    "name": g.name,
                    "basis": plan.basis,
                    "sort_order": i,
                    "liaison_id": liaison[0] if liaison else None,
                    "status": status,
                    "status_note": note,
                    "status_changed_at": STATUS_TIME
                    + timedelta(days=rng.randrange(60), minutes=rng.randrange(600)),
                    # Without a grid liaison, the park's guidance officer keeps the status.
                    "status_changed_by": (liaison or officer)[1],
                    "status_version": 1,
                },
            )

        firms = self._firms(plan)
        for i in range(len(plan.grids)):
            if i not in nodeless:
                # The node enterprise leads by example: the grid's biggest employer.
                max((f for f in firms if f.grid == i), key=lambda f: f.workers).is_node = True
        (p_low, p_high), (u_low, u_high), (c_low, c_high), own = ROSTER_SHARES[plan.story]
        taking_part, unions = rng.uniform(p_low, p_high), rng.uniform(u_low, u_high)
        contracts = rng.uniform(c_low, c_high)
        foreign = rng.uniform(0.0, 0.1) if plan.kind in INDUSTRIAL else rng.uniform(0.0, 0.03)
        state = rng.uniform(0.0, 0.06)
        for f in firms:
            in_reform = f.is_node or rng.random() < taking_part
            union = f.is_node or rng.random() < unions
            liaison = None
            if f.is_node or (in_reform and rng.random() < own):
                liaison = people.make(plan.id, LiaisonRole.enterprise_liaison)[0]
            r = rng.random()
            ownership = (
                Ownership.foreign
                if r < foreign
                else Ownership.state
                if r < foreign + state
                else Ownership.private
            )
            bulk.add(
                Enterprise,
                {
                    "id": bulk.new_id(Enterprise),
                    "credit_code": self._credit_code(plan.district.code),
                    "name": self._name(plan.district.prefix, f.trade, f.size),
                    "grid_id": grid_ids[f.grid],
                    "ownership": ownership,
                    "size": f.size,
                    "industry": f.trade.industry,
                    "worker_count": f.workers,
                    "union_founded": union,
                    "collective_contract": union and (f.is_node or rng.random() < contracts),
                    "in_reform": in_reform,
                    "reform_type": (
                        rng.choices(list(ReformType), weights=(0.4, 0.35, 0.25))[0]
                        if in_reform
                        else None
                    ),
                    "liaison_id": liaison,
                    "is_node": f.is_node,
                },
            )
            plan.workers += f.workers

    def _firms(self, plan: _ParkPlan) -> list[_Firm]:
        rng = self.rng
        n = len(plan.grids)
        # Every grid gets one enterprise first, then the rest by uneven grid weights.
        weights = [rng.uniform(0.6, 1.4) for _ in range(n)]
        slots = list(range(n)) + rng.choices(range(n), weights=weights, k=plan.enterprises - n)
        slots.sort()
        size_weights = SIZE_WEIGHTS[plan.kind in INDUSTRIAL]
        firms = []
        for slot in slots:
            size = rng.choices(SIZES, size_weights)[0]
            trade = rng.choice(plan.grids[slot].trades)
            firms.append(_Firm(slot, size, loader._workers(rng, size), trade))
        return firms

    def _credit_code(self, district: str) -> str:
        # GB 32100 as loader._credit_code makes it ("91", the district's division code,
        # nine organisation characters, the check character), with the check computed
        # here: stdnum's normalising of every code took a tenth of a 2,000-park build.
        while True:
            body = "91" + district + "".join(self.rng.choices(loader.CREDIT_ALPHABET, k=9))
            total = sum(CREDIT_VALUE[c] * w for c, w in zip(body, CREDIT_WEIGHTS, strict=True))
            code = body + loader.CREDIT_ALPHABET[(31 - total % 31) % 31]
            if code not in self.codes:
                self.codes.add(code)
                return code

    def _name(self, prefix: str, trade: Trade, size: Size) -> str:
        suffix = "股份有限公司" if size is Size.large else "有限公司"
        while True:
            brand = "".join(self.rng.sample(names.BRAND_CHARS, 2))
            name = f"{prefix}{brand}{self.rng.choice(trade.words)}{suffix}"
            if name not in self.names:
                self.names.add(name)
                return name

    def _status(self, story: Story, no_liaison: bool, no_node: bool) -> tuple[GridStatus, str]:
        if no_liaison and no_node:
            return GridStatus.red, data.RED_NOTE
        if no_liaison:
            return GridStatus.amber, data.NO_LIAISON_NOTE
        if no_node:
            return GridStatus.amber, data.NO_NODE_NOTE
        # A few grids in middling parks need attention too, so amber is not only a lagging sign.
        if story in (Story.steady, Story.improving) and self.rng.random() < 0.08:
            return GridStatus.amber, self.rng.choice(data.AMBER_NOTES)
        return GridStatus.green, self.rng.choice(data.GREEN_NOTES)


# ---- indicator values and reports --------------------------------------------------


def _level(plan: _ParkPlan, year: int, quarter: int) -> float:
    """The park's achievement level at a quarter, moving linearly between year ends."""
    t = year + quarter / 4 - YEARS[0] - 1
    if t <= 0:
        return plan.levels[0]
    i = min(int(t), len(plan.levels) - 2)
    return plan.levels[i] + (plan.levels[i + 1] - plan.levels[i]) * (t - i)


def _computed_series(
    rng: random.Random, plan: _ParkPlan, measure: str, latest: float
) -> list[float]:
    """Past values of a computed indicator that end at today's computed value."""
    n, story, n_grids = len(PERIODS), plan.story, len(plan.grids)
    if measure in loader.RATE_GAPS:
        gaps = loader.RATE_GAPS[measure].get(story)
        if gaps is None:
            # Lagging parks wobble around where they are now.
            series = [latest + rng.uniform(-1.5, 1.5) for _ in range(n - 1)] + [latest]
        else:
            series = loader._ramp(rng, latest - rng.uniform(*gaps), latest, n)
        return [round(min(100.0, max(0.0, v)), 2) for v in series]
    gap = loader.COUNT_GAPS[story]
    if measure == "grid_coverage":
        now = round(latest * n_grids / 100)
        counts = loader._count_ramp(max(0, now - gap * -(-n_grids // 5)), now, n)
        return [round(100.0 * c / n_grids, 2) for c in counts[:-1]] + [latest]
    if measure == "service_positions":
        total = len(SERVICE_POSITIONS)
        now = round(latest * total / 100)
        counts = loader._count_ramp(max(0, now - gap), now, n)
        return [round(100.0 * c / total, 2) for c in counts[:-1]] + [latest]
    if measure == "training_bases":
        return [float(c) for c in loader._count_ramp(max(0, int(latest) - gap), int(latest), n)]
    return [latest] * n


def _rate_value(rng: random.Random, plan: _ParkPlan, year: int, quarter: int) -> float:
    """A reported rate (worker demands resolved): it follows the level, capped below 100."""
    value = 55 + 30 * _level(plan, year, quarter)
    if plan.story is Story.improving:
        return round(min(value, 99.0), 1)
    value += rng.uniform(-1.5, 1.5)
    return round(min(value, rng.uniform(97.5, 99.6)), 1)


def _values(
    rng: random.Random,
    session: Session,
    bulk: _Bulk,
    plans: list[_ParkPlan],
    periods: list[Period],
    indicators: dict[int, list[Indicator]],
) -> None:
    # Today's roster is the latest quarter's truth for every computed indicator: the app's
    # own measures read it back, so stored and recomputed values agree.
    park_ids = [p.id for p in plans]
    computed = [i for i in indicators[PERIODS[-1][0]] if i.source in COMPUTED_SOURCES]
    measured = {i.measure: measures.measure(session, i.measure, park_ids) for i in computed}
    last = len(periods) - 1
    for plan in plans:
        series = {
            m: _computed_series(rng, plan, m, found[plan.id].value)
            for m, found in measured.items()
            if found is not None
        }
        # One draw per park, year and indicator, so the quarters of a year share it.
        year_levels = {
            (y, i.code): plan.levels[y - YEARS[0]] * rng.uniform(0.85, 1.15)
            for y in YEARS
            for i in indicators[y]
        }
        # Work is not spread evenly over the year, but the shares keep rising to 100 %.
        shares = {
            (y, q): share + (rng.uniform(-0.03, 0.03) if q < 4 else 0.0)
            for y in YEARS
            for q, share in enumerate(QUARTER_SHARE, start=1)
        }
        reporter = f"{plan.name}产改机构"
        for k, period in enumerate(periods):
            if k == last and plan.latest is None:
                continue  # no report for the latest quarter: nothing entered yet
            updated = loader._report_time(period.year, period.quarter, plan.index)
            for ind in indicators[period.year]:
                basis = ""
                if ind.source in COMPUTED_SOURCES:
                    past = series.get(ind.measure)
                    if past is None:
                        continue
                    value, origin = past[k], ValueOrigin.computed
                    if k == last:
                        basis = measured[ind.measure][plan.id].basis  # type: ignore[index]
                elif ind.unit == "%" and ind.measure not in CUMULATIVE_MEASURES:
                    value = _rate_value(rng, plan, period.year, period.quarter)
                    origin = ValueOrigin.reported
                else:
                    level = year_levels[(period.year, ind.code)]
                    share = shares[(period.year, period.quarter)]
                    value = loader._reported_value(ind, level, share, plan.workers)
                    origin = ValueOrigin.reported
                bulk.add(
                    IndicatorValue,
                    {
                        "id": bulk.new_id(IndicatorValue),
                        "park_id": plan.id,
                        "period_id": period.id,
                        "indicator_id": ind.id,
                        "value": value,
                        "origin": origin,
                        "updated_at": updated,
                        "updated_by": reporter if origin is ValueOrigin.reported else "",
                        "basis": basis,
                        "note": "",
                        "review_comment": "",
                    },
                )


def _reports(
    rng: random.Random, bulk: _Bulk, plans: list[_ParkPlan], periods: list[Period]
) -> None:
    last = len(periods) - 1
    for plan in plans:
        reviewer = f"{plan.district.name}产改办"
        for k, period in enumerate(periods):
            state = plan.latest if k == last else ReportState.approved
            if state is None:
                continue
            # Lagging parks miss the deadline every other quarter; the others are early.
            days = 2 if plan.story is Story.lagging and k % 2 == 0 else -(1 + plan.index % 5)
            day = period.deadline + timedelta(days=days)
            submitted = datetime.combine(day, clock(9 + plan.index % 8), LOCAL_TZ).astimezone(UTC)
            row = {
                "id": bulk.new_id(ParkReport),
                "park_id": plan.id,
                "period_id": period.id,
                "state": state,
                "submitted_at": None,
                "submitted_by": "",
                "first_submitted_at": None,
                "reviewed_at": None,
                "reviewed_by": "",
                "review_comment": "",
                "version": 1,
            }
            if state is not ReportState.draft:
                row["submitted_at"] = row["first_submitted_at"] = submitted
                row["submitted_by"] = f"{plan.name}产改机构"
            if state in (ReportState.approved, ReportState.returned):
                row["reviewed_at"] = submitted + timedelta(days=2)
                row["reviewed_by"] = reviewer
            if state is ReportState.returned:
                row["review_comment"] = rng.choice(names.RETURN_COMMENTS)
            bulk.add(ParkReport, row)


# ---- accounts ----------------------------------------------------------------------


def _accounts(session: Session, tree: _Tree, huaxia: _ParkPlan) -> int:
    """The README's five demo accounts on the same places, and a province administrator.

    accounts.service.create_demo_accounts expects one city; with two, this makes the same
    accounts. The province administrator is a city office account scoped to the province
    (there is no province role yet), the one account that sees every park.
    """
    grid_id, liaison_id, liaison_name = huaxia.first_grid
    wuxi, liangxi = tree.cities[0], tree.districts[0].id
    specs: list[tuple[str, str, Role, UserScope, int | None]] = [
        ("city_admin", "市产改办管理员", Role.city_admin, UserScope(area_id=wuxi), None),
        (
            "district_liangxi",
            "梁溪区产改办",
            Role.district_office,
            UserScope(area_id=liangxi),
            None,
        ),
        ("park_huaxia", "华夏家居港产改机构", Role.park_admin, UserScope(park_id=huaxia.id), None),
        (
            "liaison_huaxia_1",
            liaison_name or "A区网格联络员",
            Role.grid_liaison,
            UserScope(grid_id=grid_id),
            liaison_id,
        ),
        ("leader", "市领导", Role.leader, UserScope(area_id=wuxi), None),
        (
            "province_admin",
            "省产改办管理员",
            Role.city_admin,
            UserScope(area_id=tree.province),
            None,
        ),
    ]
    for username, name, role, place, liaison in specs:
        user = User(
            username=username,
            display_name=name,
            role=role,
            liaison_id=liaison,
            password_hash=passwords.hash(DEMO_PASSWORD),
        )
        session.add(user)
        session.flush()
        place.user_id = user.id
        session.add(place)
    session.flush()
    return len(specs)
