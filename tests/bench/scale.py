"""Benchmark: what the dashboards cost at province scale, the Wuxi demo and N parks side by side.

For each size in --parks (default 15 = the Wuxi demo, and 2,000 parks of app.demo.scale), on
SQLite (and on PostgreSQL too when PARKGRID_BENCH_PG_URL names a database it may empty), the
database is served by uvicorn in a thread and a `leader` asks for every dashboard page and the
rankings export. Printed:

- per page: median and p95 of the server's time (its Server-Timing header) over --runs
  requests, SQL statements per request, the size of the answer, and the raw SQL read of the
  same rows: the SELECTs the server sent for the page, captured with their parameters and run
  again --runs times on a plain connection of the same engine (every row fetched; median),
  with the page's median over it (what the app adds to reading its rows). A page that fails
  shows its HTTP status or error instead;
- in Chromium (tests.bench.browser; skipped without it): time to interactive of a first page
  (/ with a cold cache, until load and its charts drawn) and of a later one (/rankings, cache
  warm), medians of 3 tries, and the compressed bytes each load took over the wire;
- recompute: `scores.store` for each quarter of the latest year (their sum: a year), and
  `scores.store_park` for one park of the latest quarter (rolled back);
- 4 leaders at once going round the pages for 10 s against `parkgrid serve` in a process of
  its own: p95 of every request, and that server process's peak RSS;
- status saves per second (`POST /grids/{id}/status` as liaison_huaxia_1) against a bare
  single-row UPDATE over HTTP on the same server, and their ratio.

    .venv/bin/python -m tests.bench.scale [--parks 15,2000] [--runs 20] [--rebuild]

Built SQLite files are kept in var/bench/scale-N.db and reused while their alembic revision is
the head and the migration scripts are unchanged (building 2,000 parks takes about a minute;
--rebuild builds them again, e.g. after the scoring changed); each run serves a copy of it.

Targets (issue 12): at 2,000 parks every dashboard page and export median <= 100 ms; statements
per page the same at 15 and 2,000 parks; 4 leaders p95 <= 300 ms and RSS <= 250 MB; a year's
recompute <= 2 s and one park's <= 200 ms; a status save >= 50 % of the bare write's rate; a
first load <= 1.5 MB compressed. Timings are printed, never asserted. Run by `make bench`.
"""

import argparse
import math
import os
import re
import resource
import shutil
import statistics
import tempfile
import threading
import time
from functools import partial
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

    from app.migrate import alembic_config

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
    from app.demo import scale
    from app.demo.loader import load_demo
    from app.migrate import upgrade

    started = time.perf_counter()
    upgrade(engine)
    with Session(engine) as s:
        if parks == 15:
            load_demo(session=s)
        else:
            scale.build(session=s, parks=parks)
        s.commit()
    return time.perf_counter() - started


def _migrations_digest() -> str:
    """A digest of the migration scripts: a migration edited in place (while it is being
    written, before it is committed) keeps its revision but changes the schema."""
    import hashlib

    digest = hashlib.sha256()
    for script in sorted((ROOT / "migrations" / "versions").glob("*.py")):
        digest.update(script.name.encode() + b"\0" + script.read_bytes())
    return digest.hexdigest()[:16]


def sqlite_database(parks: int, folder: Path, rebuild: bool = False) -> str:
    """A copy of the cached SQLite file for `parks` (built first when missing or stale)."""
    from app.core.db import make_engine

    cached = CACHE / f"scale-{parks}.db"
    key_file = CACHE / f"scale-{parks}.key"  # the digest of the migrations it was built with
    head, digest = _head(), _migrations_digest()
    key = key_file.read_text().strip() if key_file.exists() else None
    if not rebuild and _revision(cached) == head and key == digest:
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
        key_file.write_text(digest + "\n")
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
    """SQL statements sent on an engine, with their parameters (requests are sequential:
    reset before each), so that a page's reads can be run again without the app."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.statements: list[tuple[str, object, bool]] = []
        event.listen(engine, "before_cursor_execute", self._record)

    def _record(self, _conn, _cursor, statement, parameters, _context, executemany) -> None:
        self.statements.append((statement, parameters, executemany))

    @property
    def n(self) -> int:
        return len(self.statements)

    def reset(self) -> None:
        self.statements = []

    def close(self) -> None:
        # Nothing is kept while the later figures (concurrency, peak RSS) are taken.
        event.remove(self.engine, "before_cursor_execute", self._record)
        self.reset()


def _is_read(statement: str) -> bool:
    # BEGIN, PRAGMA, SET and the session's bookkeeping writes are not reads of the rows shown.
    return statement.lstrip().split(None, 1)[0].upper() in ("SELECT", "WITH")


def raw_read_ms(engine, statements: list[tuple[str, object, bool]], runs: int) -> float:
    """Median ms of running a page's captured SELECTs again, as the DB-API sends them, on one
    plain connection of `engine` in one read transaction (like the request's), fetching every
    row: the raw SQL read of the rows the page shows, without the ORM, scoring or templates."""
    reads = [s for s in statements if _is_read(s[0])]
    raw = engine.raw_connection()
    took = []
    try:
        for i in range(runs + 1):
            cur = raw.cursor()
            if engine.dialect.name == "sqlite":
                cur.execute("BEGIN")  # app.core.db leaves BEGIN to us on SQLite
            started = time.perf_counter()
            for statement, parameters, executemany in reads:
                if executemany:
                    cur.executemany(statement, parameters)
                else:
                    cur.execute(statement, parameters)
                if cur.description is not None:
                    cur.fetchall()
            if i:  # the first run warms the database's caches, as the page's warm-up does
                took.append((time.perf_counter() - started) * 1000)
            cur.close()
            raw.rollback()
    finally:
        raw.rollback()
        raw.close()
    return statistics.median(took)


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
    timing = resp.headers.get("server-timing", "")
    return float(timing.split("dur=")[1]) if "dur=" in timing else float("nan")


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0]}"[:160]


def page_figures(client, counter: Counter, engine, paths: dict[str, str], runs: int) -> dict:
    """{page: {ok, median, p95 (ms), statements, bytes, statuses, error, sql_ms, ratio}}.

    A page that errors (the app may be mid-rewrite) is reported with its status, not fatal.
    The SQL of the last answer served with 200 is run again by raw_read_ms.
    """
    out = {}
    for name, path in paths.items():
        took, statements, statuses = [], [], set()
        size, error, captured = 0, None, None
        for i in range(runs + WARMUP):
            counter.reset()
            try:
                resp = client.get(path)
            except httpx2.HTTPError as exc:
                statuses.add("error")
                error = _error(exc)
                continue
            statuses.add(resp.status_code)
            size = len(resp.content)
            if resp.status_code != 200:
                continue
            captured = counter.statements
            if i >= WARMUP:  # the first requests warm the caches
                took.append(_server_ms(resp))
                statements.append(counter.n)
        figures = {
            "ok": len(took),  # measured answers with 200
            "median": statistics.median(took) if took else float("nan"),
            "p95": _p95(took) if took else float("nan"),
            "statements": max(statements) if statements else 0,
            "bytes": size,
            "statuses": sorted(statuses, key=str),
            "error": error,
            "sql_ms": float("nan"),
            "ratio": float("nan"),
        }
        if captured is not None:
            try:
                figures["sql_ms"] = raw_read_ms(engine, captured, runs)
                figures["ratio"] = figures["median"] / figures["sql_ms"]
            except Exception as exc:  # reported in the table, the other pages still run
                figures["sql_error"] = _error(exc)
        out[name] = figures
    return out


def recompute(engine) -> dict:
    """Seconds of scores.store per quarter of the latest year, and of one park's store_park."""
    from app.assessment.models import Period, Score
    from app.assessment.results import scores

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
                try:
                    resp = client.get(path)
                except httpx2.HTTPError:
                    resp = None
                wall = (time.perf_counter() - started) * 1000
                with lock:
                    walls.append(wall)
                    if resp is not None and resp.status_code == 200:
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


def leaders_on_their_own_server(url: str, paths: dict[str, str]) -> dict:
    """The concurrent leaders against `parkgrid serve` in a process of its own, as in
    production: the p95 is not slowed by this process's clients sharing the server's
    interpreter, and the peak RSS is the server's alone (VmHWM of its process)."""
    from tests.helpers import serving_process

    with serving_process(url, demo=False, quiet=True) as (base, _engine, proc):
        found = concurrent_leaders(base, paths)
        with open(f"/proc/{proc.pid}/status") as status:
            peak = next(line for line in status if line.startswith("VmHWM:"))
        found["rss_mb"] = int(peak.split()[1]) / 1024
        found["own_server"] = True
    return found


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


def _section(figures: dict, key: str, work) -> None:
    """figures[key] = work(), or {"error": ...}: one failing part does not hide the others."""
    try:
        figures[key] = work()
    except Exception as exc:
        figures[key] = {"error": _error(exc)}


def _pages(base: str, engine, paths: dict[str, str], runs: int) -> dict:
    counter = Counter(engine)
    client = _client(base, LEADER, "/")
    try:
        return page_figures(client, counter, engine, paths, runs)
    finally:
        client.close()
        counter.close()


def measure(url: str, runs: int) -> dict:
    from tests.bench.browser import interactive_figures

    figures: dict = {}
    with serving_database(url) as (base, engine):
        paths = _paths(engine)
        _section(figures, "pages", lambda: _pages(base, engine, paths, runs))
        _section(figures, "recompute", lambda: recompute(engine))
        _section(figures, "concurrent", lambda: leaders_on_their_own_server(url, paths))
        _section(figures, "saves", lambda: save_rates(base, engine))
        # Last, so that nothing of it is in the figures taken before (peak RSS above all).
        _section(figures, "browser", lambda: interactive_figures(base))
    return figures


PAGE_CELL = 52
BROWSER_CELL = 30


def _row(label: str, cells: list[str], width: int, label_width: int = 14) -> str:
    return f"  {label:<{label_width}}" + "".join(f"{c:>{width}}" for c in cells)


def _page_cell(f: dict) -> str:
    if not f["ok"]:  # no answer with 200: its statuses stand in for the figures
        return "HTTP " + ",".join(map(str, f["statuses"]))
    if math.isnan(f["sql_ms"]):
        sql = "     - sql      -"
    else:
        sql = f"{f['sql_ms']:6.1f} sql {f['ratio']:5.1f}x"
    return (
        f"{f['median']:6.1f} /{f['p95']:6.1f} {f['statements']:4d} st"
        f" {f['bytes'] / 1024:6.0f} KB {sql}"
    )


def report_pages(results: dict[int, dict]) -> None:
    sizes = list(results)
    print(
        "  pages as leader: server time median / p95 (ms), SQL statements, KB unpacked,\n"
        "  raw SQL read of the same rows (median ms of the request's SELECTs run again on a"
        " plain connection, every row fetched) and page median / that"
    )
    print(_row("page", [f"{n} parks" for n in sizes], PAGE_CELL))
    notes = []
    for page in PAGES:
        cells = []
        for n in sizes:
            pages = results[n]["pages"]
            if page not in pages:  # the pages could not be asked for at all (see below)
                cells.append("error")
                continue
            f = pages[page]
            cells.append(_page_cell(f))
            if f["statuses"] != [200]:
                notes.append(f"{page} at {n} parks: HTTP {f['statuses']} {f['error'] or ''}")
            if "sql_error" in f:
                notes.append(f"{page} at {n} parks: raw SQL read failed: {f['sql_error']}")
        print(_row(page, cells, PAGE_CELL))
    for n in sizes:
        if "error" in results[n]["pages"]:
            notes.append(f"pages at {n} parks: {results[n]['pages']['error']}")
    for note in notes:
        print(f"    ! {note}")


def report_browser(results: dict[int, dict]) -> None:
    from tests.bench.browser import FIRST, LATER, TRIES

    sizes = list(results)
    figures = [results[n]["browser"] for n in sizes]
    if all("skipped" in f for f in figures):
        print(f"  Chromium: skipped: {figures[0]['skipped']}")
        return
    print(
        f"  Chromium as leader, median of {TRIES} tries: time to interactive (navigation start"
        " to its load event and charts drawn);\n  bytes over the wire: compressed bodies /"
        " with response headers, requests not answered from the cache"
    )

    def line(label: str, fn) -> None:
        cells = [
            (f.get("skipped") or "error") if "skipped" in f or "error" in f else fn(f)
            for f in figures
        ]
        print(_row(label, cells, BROWSER_CELL, label_width=28))

    def kb(t: dict) -> str:
        return f"{t['body'] / 1024:.0f} / {t['wire'] / 1024:.0f} KB, {t['requests']} req"

    print(_row("", [f"{n} parks" for n in sizes], BROWSER_CELL, label_width=28))
    line(
        f"first {FIRST}, cold cache",
        lambda f: f"{f['first_ms']:.0f} ms ({f['charts'][0]} charts)",
    )
    line(
        f"later {LATER}, warm cache",
        lambda f: f"{f['later_ms']:.0f} ms ({f['charts'][1]} charts)",
    )
    line("first load transferred", lambda f: kb(f["first"]))
    line("later page transferred", lambda f: kb(f["later"]))
    for n, f in zip(sizes, figures, strict=True):
        if "error" in f:
            print(f"    ! Chromium at {n} parks: {f['error']}")
        elif f["errors"] or f["statuses"] != [200]:
            print(f"    ! Chromium at {n} parks: HTTP {f['statuses']} {'; '.join(f['errors'])}")


def report(engine_name: str, results: dict[int, dict]) -> None:
    sizes = list(results)
    print(f"\n{engine_name}:")
    report_pages(results)
    report_browser(results)
    print("  recompute (scores.store per quarter of the latest year; rolled back):")
    for n in sizes:
        r = results[n]["recompute"]
        if "error" in r:
            print(f"    {n:>5} parks: {r['error']}")
            continue
        quarters = "  ".join(f"Q{q} {t * 1000:.0f} ms" for q, t in r["quarters"])
        total = sum(t for _q, t in r["quarters"])
        print(
            f"    {n:>5} parks: {r['year']} year {total:6.2f} s ({quarters});"
            f" one park ({r['latest']}) {r['park'] * 1000:.0f} ms"
        )
    for n in sizes:
        c = results[n]["concurrent"]
        if "error" in c:
            print(f"  {CONCURRENT} leaders at {n} parks: {c['error']}")
            continue
        print(
            f"  {CONCURRENT} leaders for {CONCURRENT_SECONDS:.0f} s at {n} parks:"
            f" {c['requests']} requests ({c['errors']} not 200), p95 {c['p95_wall']:.0f} ms"
            f" (server {c['p95_server']:.0f} ms); the server process's peak RSS"
            f" {c['rss_mb']:.0f} MB"
        )
    for n in sizes:
        v = results[n]["saves"]
        if "error" in v:
            print(f"  status saves at {n} parks: {v['error']}")
            continue
        print(
            f"  status saves at {n} parks: {v['status']:.0f}/s (HTTP {v['codes']}) vs bare"
            f" single-row write {v['bare']:.0f}/s (HTTP {v['bare_codes']}):"
            f" {v['ratio'] * 100:.0f} %"
        )


def _measured(database, args) -> dict:
    """measure() on the database `database()` builds; when building or serving it fails,
    every part reports that error (the other sizes and engines still run)."""
    try:
        return measure(database(), args.runs)
    except Exception as exc:
        failed = {"error": _error(exc)}
        print(f"  failed: {failed['error']}")
        return {key: failed for key in ("pages", "browser", "recompute", "concurrent", "saves")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parks", default="15,2000", help="sizes, comma-separated")
    parser.add_argument("--runs", type=int, default=20, help="requests per page")
    parser.add_argument(
        "--rebuild",
        action="store_true",
        help="build the SQLite files again even when cached (e.g. after scoring changed)",
    )
    args = parser.parse_args()
    sizes = [int(n) for n in args.parks.split(",") if n.strip()]
    folder = Path(tempfile.mkdtemp(prefix="parkgrid-bench-scale-"))
    try:
        print("SQLite:")
        results = {}
        for n in sizes:
            results[n] = _measured(partial(sqlite_database, n, folder, args.rebuild), args)
        report("SQLite", results)
        pg_url = os.environ.get("PARKGRID_BENCH_PG_URL")
        if pg_url:
            print("\nPostgreSQL:")
            results = {}
            for n in sizes:
                results[n] = _measured(partial(postgresql_database, pg_url, n), args)
            report("PostgreSQL", results)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(
        "\ntargets (issue 12, at 2,000 parks): every page and export median <= 100 ms;"
        " statements per page the same at 15 and 2,000; 4 leaders p95 <= 300 ms,"
        " RSS <= 250 MB; year recompute <= 2 s, one park <= 200 ms;"
        " status save >= 50 % of the bare write; Chromium's first load <= 1536 KB compressed"
    )


if __name__ == "__main__":
    main()
