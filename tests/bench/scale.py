"""Benchmark: what the dashboards cost at province scale, the Wuxi demo and N parks side by side.

For each size in --parks (default 15 = the Wuxi demo, and 2,000 parks of app.demo.scale), on
SQLite (and on PostgreSQL too when PARKGRID_BENCH_PG_URL names a database it may empty), the
database is served by uvicorn in a thread and a `leader` asks for every dashboard page and the
rankings export. Printed:

- per page: median and p95 of the server's time (its Server-Timing header) over --runs
  requests, SQL statements per request, and the size of the answer;
- recompute: `scores.store` for each quarter of the latest year (their sum: a year), and
  `scores.store_park` for one park of the latest quarter (rolled back);
- 4 leaders at once going round the pages for 10 s: p95 of every request, and the server
  process's peak RSS (the server runs in this process, so it includes the build when the
  database was not cached);
- status saves per second (`POST /grids/{id}/status` as liaison_huaxia_1) against a bare
  single-row UPDATE over HTTP on the same server, and their ratio.

    .venv/bin/python -m tests.bench.scale [--parks 15,2000] [--runs 20]

Built SQLite files are kept in var/bench/scale-N.db and reused while their alembic revision is
the head (building 2,000 parks takes about a minute); each run serves a copy of it.

Targets (issue 12): at 2,000 parks every dashboard page and export median <= 100 ms; statements
per page the same at 15 and 2,000 parks; 4 leaders p95 <= 300 ms and RSS <= 250 MB; a year's
recompute <= 2 s and one park's <= 200 ms; a status save >= 50 % of the bare write's rate.
Timings are printed, never asserted. Run by `make bench`.
"""

import argparse
import os
import re
import resource
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx2
from sqlalchemy import event, text
from sqlmodel import Session, col, select

from app.accounts.service import DEMO_PASSWORD
from tests.helpers import serving

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / "var" / "bench"
LEADER = "leader"
LIAISON = "liaison_huaxia_1"
HUAXIA = "无锡华夏家居港"
CONCURRENT = 4
CONCURRENT_SECONDS = 10.0
SAVE_SECONDS = 5.0
WARMUP = 2
PAGES = ("overview", "district", "park", "rankings", "screen", "rankings.xlsx")


def _head() -> str:
    from alembic.script import ScriptDirectory

    from app.core.migrate import alembic_config

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _revision(path: Path) -> str | None:
    import sqlite3
    from contextlib import closing

    if not path.exists():
        return None
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)) as conn:
            return conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    except sqlite3.Error:
        return None


def _fill(engine, parks: int) -> float:
    """Migrates and fills the empty database of `engine`; returns the seconds it took."""
    from app.core.migrate import upgrade
    from app.demo import scale
    from app.demo.loader import load_demo

    started = time.perf_counter()
    upgrade(engine)
    with Session(engine) as s:
        if parks == 15:
            load_demo(session=s)
        else:
            scale.build(session=s, parks=parks)
        s.commit()
    return time.perf_counter() - started


def sqlite_database(parks: int, folder: Path) -> str:
    """A copy of the cached SQLite file for `parks` (built first when missing or stale)."""
    from app.core.db import make_engine

    cached = CACHE / f"scale-{parks}.db"
    head = _head()
    if _revision(cached) == head:
        print(f"  {parks} parks: cached {cached.relative_to(ROOT)} (revision {head})")
    else:
        CACHE.mkdir(parents=True, exist_ok=True)
        building = CACHE / f"scale-{parks}.building.db"
        for stale in (building, Path(f"{building}-wal"), Path(f"{building}-shm")):
            stale.unlink(missing_ok=True)
        engine = make_engine(f"sqlite:///{building}")
        took = _fill(engine, parks)
        engine.dispose()  # the last connection to close checkpoints the WAL into the file
        building.replace(cached)
        print(f"  {parks} parks: built {cached.relative_to(ROOT)} in {took:.0f} s")
    served = folder / f"scale-{parks}.db"
    shutil.copyfile(cached, served)
    return f"sqlite:///{served}"


def postgresql_database(url: str, parks: int) -> str:
    """The database at `url` emptied (public schema dropped and remade) and filled."""
    from app.core.db import make_engine

    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    took = _fill(engine, parks)
    engine.dispose()
    print(f"  {parks} parks: built on PostgreSQL in {took:.0f} s")
    return url


class Counter:
    """SQL statements sent on an engine (requests are sequential: reset before each)."""

    def __init__(self, engine) -> None:
        self.n = 0
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *_args) -> None:
        self.n += 1


def _add_bare_write(app, engine) -> None:
    """POST /bench/bare: one UPDATE of one grid's note in a transaction of its own."""
    from fastapi import Form

    from app.core.db import writer

    @app.post("/bench/bare")
    def bare(grid_id: int = Form(), note: str = Form("")) -> dict:
        with writer(engine).begin() as conn:
            conn.execute(
                text("UPDATE grid SET status_note = :note WHERE id = :id"),
                {"note": note, "id": grid_id},
            )
        return {"ok": True}


def serving_database(url: str):
    """The database at `url` served as it is (no demo loaded), with the bare-write route."""
    return serving(url, demo=False, prepare=_add_bare_write)


def _client(base: str, username: str, page: str) -> httpx2.Client:
    """A client logged in through the form, sending the CSRF token found on `page`."""
    client = httpx2.Client(base_url=base, follow_redirects=False, timeout=120)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    resp = client.post(
        "/login", data={"username": username, "password": DEMO_PASSWORD, "csrf_token": token}
    )
    assert resp.status_code in (200, 303), (username, resp.status_code)
    m = re.search(r'"X-CSRF-Token": "([^"]+)"', client.get(page).text)
    if m:
        client.headers["X-CSRF-Token"] = m.group(1)
    return client


def _paths(engine) -> dict[str, str]:
    from app.geo.models import Area, AreaLevel, Park

    with Session(engine) as s:
        district = (
            s.exec(select(Area.id).where(Area.name == "梁溪区")).first()
            or s.exec(
                select(Area.id).where(Area.level == AreaLevel.district).order_by(col(Area.id))
            ).first()
        )
        park = (
            s.exec(select(Park.id).where(Park.name == HUAXIA)).first()
            or s.exec(select(Park.id).order_by(col(Park.id))).first()
        )
    return {
        "overview": "/",
        "district": f"/districts/{district}",
        "park": f"/parks/{park}",
        "rankings": "/rankings",
        "screen": "/screen",
        "rankings.xlsx": "/rankings.xlsx",
    }


def _server_ms(resp) -> float:
    return float(resp.headers["server-timing"].split("dur=")[1])


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def page_figures(client, counter: Counter, paths: dict[str, str], runs: int) -> dict:
    """{page: (median ms, p95 ms, statements, bytes, HTTP status)}."""
    out = {}
    for name, path in paths.items():
        took, statements = [], []
        for i in range(runs + WARMUP):
            counter.n = 0
            resp = client.get(path)
            if i >= WARMUP:  # the first requests warm the caches
                took.append(_server_ms(resp))
                statements.append(counter.n)
        out[name] = (
            statistics.median(took),
            _p95(took),
            max(statements),
            len(resp.content),
            resp.status_code,
        )
    return out


def recompute(engine) -> dict:
    """Seconds of scores.store per quarter of the latest year, and of one park's store_park."""
    from app.assessment import scores
    from app.assessment.models import Period, Score

    out: dict = {}
    with Session(engine) as s:
        year = s.exec(select(Period.year).order_by(col(Period.year).desc())).first()
        periods = s.exec(
            select(Period).where(Period.year == year).order_by(col(Period.quarter))
        ).all()
        quarters = []
        for p in periods:
            started = time.perf_counter()
            scores.store(s, p)
            s.flush()
            quarters.append((p.quarter, time.perf_counter() - started))
        s.rollback()
        out["year"], out["quarters"] = year, quarters
    with Session(engine) as s:
        latest = s.exec(
            select(Period).order_by(col(Period.year).desc(), col(Period.quarter).desc())
        ).first()
        park = s.exec(
            select(Score.park_id).where(Score.period_id == latest.id).order_by(col(Score.park_id))
        ).first()
        started = time.perf_counter()
        scores.store_park(s, latest, park)
        s.flush()
        out["park"] = time.perf_counter() - started
        out["latest"] = f"{latest.year} Q{latest.quarter}"
        s.rollback()
    return out


def concurrent_leaders(base: str, paths: dict[str, str]) -> dict:
    """CONCURRENT leaders going round the pages for CONCURRENT_SECONDS."""
    clients = [_client(base, LEADER, "/") for _ in range(CONCURRENT)]
    walls: list[float] = []
    servers: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + CONCURRENT_SECONDS

    def run(client) -> None:
        while time.monotonic() < stop:
            for path in paths.values():
                started = time.perf_counter()
                resp = client.get(path)
                wall = (time.perf_counter() - started) * 1000
                with lock:
                    walls.append(wall)
                    if resp.status_code == 200:
                        servers.append(_server_ms(resp))
                    else:
                        errors[0] += 1

    threads = [threading.Thread(target=run, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for c in clients:
        c.close()
    return {
        "requests": len(walls),
        "errors": errors[0],
        "p95_wall": _p95(walls),
        "p95_server": _p95(servers) if servers else float("nan"),
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def save_rates(base: str, engine) -> dict:
    """Status saves per second against bare single-row writes per second, over HTTP."""
    from app.accounts.models import User, UserScope
    from app.geo.models import Grid

    with Session(engine) as s:
        grid_id = s.exec(
            select(UserScope.grid_id)
            .join(User, col(User.id) == col(UserScope.user_id))
            .where(User.username == LIAISON, col(UserScope.grid_id).is_not(None))
        ).first()

    def version() -> int:
        with Session(engine) as s:
            return s.exec(select(Grid.status_version).where(Grid.id == grid_id)).one()

    client = _client(base, LIAISON, "/my")
    try:
        headers = {"HX-Request": "true"}
        saves, took, codes = 0, 0.0, set()
        stop = time.monotonic() + SAVE_SECONDS
        while time.monotonic() < stop:
            data = {
                "status": ("green", "amber")[saves % 2],
                "note": f"基准 {saves}",
                "version": str(version()),
            }
            started = time.perf_counter()
            resp = client.post(f"/grids/{grid_id}/status", data=data, headers=headers)
            took += time.perf_counter() - started
            codes.add(resp.status_code)
            saves += 1
        bare, bare_took, bare_codes = 0, 0.0, set()
        stop = time.monotonic() + SAVE_SECONDS
        while time.monotonic() < stop:
            started = time.perf_counter()
            resp = client.post("/bench/bare", data={"grid_id": grid_id, "note": f"裸写 {bare}"})
            bare_took += time.perf_counter() - started
            bare_codes.add(resp.status_code)
            bare += 1
    finally:
        client.close()
    status_rate, bare_rate = saves / took, bare / bare_took
    return {
        "status": status_rate,
        "bare": bare_rate,
        "ratio": status_rate / bare_rate,
        "codes": sorted(codes),
        "bare_codes": sorted(bare_codes),
    }


def measure(url: str, runs: int) -> dict:
    with serving_database(url) as (base, engine):
        counter = Counter(engine)
        paths = _paths(engine)
        client = _client(base, LEADER, "/")
        pages = page_figures(client, counter, paths, runs)
        client.close()
        figures = {"pages": pages, "recompute": recompute(engine)}
        figures["concurrent"] = concurrent_leaders(base, paths)
        figures["saves"] = save_rates(base, engine)
    return figures


def report(engine_name: str, results: dict[int, dict]) -> None:
    sizes = list(results)
    print(f"\n{engine_name}: server time median / p95 (ms), SQL statements, KB unpacked")
    print(f"  {'page':<14}" + "".join(f"{f'{n} parks':>36}" for n in sizes))
    for page in PAGES:
        cells = []
        for n in sizes:
            median, p95, statements, size, status = results[n]["pages"][page]
            flag = "" if status == 200 else f" HTTP{status}"
            cells.append(
                f"{median:7.1f} /{p95:7.1f} {statements:5d} st {size / 1024:7.0f} KB{flag}"
            )
        print(f"  {page:<14}" + "".join(f"{c:>36}" for c in cells))
    print("  recompute (scores.store per quarter of the latest year; rolled back):")
    for n in sizes:
        r = results[n]["recompute"]
        quarters = "  ".join(f"Q{q} {t * 1000:.0f} ms" for q, t in r["quarters"])
        total = sum(t for _q, t in r["quarters"])
        print(
            f"    {n:>5} parks: {r['year']} year {total:6.2f} s ({quarters});"
            f" one park ({r['latest']}) {r['park'] * 1000:.0f} ms"
        )
    for n in sizes:
        c = results[n].get("concurrent")
        if c:
            print(
                f"  {CONCURRENT} leaders for {CONCURRENT_SECONDS:.0f} s at {n} parks:"
                f" {c['requests']} requests ({c['errors']} not 200), p95 {c['p95_wall']:.0f} ms"
                f" (server {c['p95_server']:.0f} ms); peak RSS of this process"
                f" {c['rss_mb']:.0f} MB (includes any build)"
            )
    for n in sizes:
        v = results[n].get("saves")
        if v:
            print(
                f"  status saves at {n} parks: {v['status']:.0f}/s (HTTP {v['codes']}) vs bare"
                f" single-row write {v['bare']:.0f}/s (HTTP {v['bare_codes']}):"
                f" {v['ratio'] * 100:.0f} %"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parks", default="15,2000", help="sizes, comma-separated")
    parser.add_argument("--runs", type=int, default=20, help="requests per page")
    args = parser.parse_args()
    sizes = [int(n) for n in args.parks.split(",") if n.strip()]
    folder = Path(tempfile.mkdtemp(prefix="parkgrid-bench-scale-"))
    try:
        print("SQLite:")
        results = {}
        for n in sizes:
            url = sqlite_database(n, folder)
            results[n] = measure(url, args.runs)
        report("SQLite", results)
        pg_url = os.environ.get("PARKGRID_BENCH_PG_URL")
        if pg_url:
            print("\nPostgreSQL:")
            results = {}
            for n in sizes:
                url = postgresql_database(pg_url, n)
                results[n] = measure(url, args.runs)
            report("PostgreSQL", results)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(
        "\ntargets (issue 12, at 2,000 parks): every page and export median <= 100 ms;"
        " statements per page the same at 15 and 2,000; 4 leaders p95 <= 300 ms,"
        " RSS <= 250 MB; year recompute <= 2 s, one park <= 200 ms;"
        " status save >= 50 % of the bare write"
    )


if __name__ == "__main__":
    main()
