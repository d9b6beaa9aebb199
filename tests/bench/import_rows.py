"""Benchmark: import a 20,000-row roster workbook into a demo park, while another user keeps
saving grid statuses. Prints the time of each phase, the importing process's peak memory,
and how long the other user's saves waited.

    .venv/bin/python -m tests.bench.import_rows [--rows 20000] [--url DATABASE_URL]

Without --url it uses a fresh SQLite file in a temporary folder. Run by `make bench`.
"""

import argparse
import multiprocessing as mp
import resource
import tempfile
import time
from io import BytesIO
from pathlib import Path

from openpyxl import Workbook
from sqlmodel import Session, col, select
from stdnum.cn import uscc

PARK = "无锡华夏家居港"


def _code(n: int) -> str:
    body = f"91320200MB{n:07d}"
    return body + uscc.calc_check_digit(body)


def build_workbook(grids: list[str], rows: int) -> bytes:
    """A roster workbook as an office would fill it: a liaison per 100 enterprises."""
    from app.imports.layout import ENTERPRISES, LIAISONS

    wb = Workbook(write_only=True)
    people = wb.create_sheet(LIAISONS.title)
    people.append([c.title for c in LIAISONS.columns])
    mobiles = [f"136{n:08d}" for n in range(rows // 100 + 1)]
    for i, m in enumerate(mobiles):
        people.append([f"基准联络员{i}", m, "企业产改联络员"])
    firms = wb.create_sheet(ENTERPRISES.title)
    firms.append([c.title for c in ENTERPRISES.columns])
    owners, sizes = ("国企", "民企", "外企"), ("大型", "中型", "小型", "微型")
    for n in range(rows):
        union = n % 3 != 0
        firms.append(
            [
                _code(n),
                f"基准测试企业{n:05d}有限公司",
                grids[n % len(grids)],
                owners[n % 3],
                sizes[n % 4],
                "家居制造",
                10 + n % 500,
                "是" if union else "否",
                "是" if union and n % 2 else "否",
                "是" if n % 5 else "否",
                "赋能成长型" if n % 5 else None,
                mobiles[n // 100],
                "否",
            ]
        )
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()


def run_import(url: str, park_id: int, content: bytes, out) -> None:
    """The import alone, in its own process, so its peak memory is its own."""
    from app.core.db import make_engine, session_factory, writer
    from app.core.permissions import system
    from app.imports import layout, service, workbook
    from app.imports.models import ImportJob

    engine = make_engine(url)
    sessions = session_factory(engine)
    who = system("bench")
    t0 = time.perf_counter()
    workbook.inspect(content, 50 * 1024 * 1024)
    workbook.check_layout(content, layout.SHEETS)
    with Session(writer(engine)) as s:
        job_id = service.start(s, who, park_id=park_id, filename="bench.xlsx", content=content).id
        s.commit()
    t1 = time.perf_counter()
    service.run_check(sessions, who, job_id)
    t2 = time.perf_counter()
    with Session(writer(engine)) as s:
        service.confirm(s, who, job_id)
        s.commit()
    service.run_apply(sessions, who, job_id)
    t3 = time.perf_counter()
    with Session(engine) as s:
        job = s.get(ImportJob, job_id)
        status, counts, message = job.status.value, job.counts, job.message
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out.send(
        {
            "upload": t1 - t0,
            "check": t2 - t1,
            "apply": t3 - t2,
            "total": t3 - t0,
            "peak_mb": peak_mb,
            "status": status,
            "counts": counts,
            "message": message,
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--url", default="")
    args = parser.parse_args()

    from app.core.db import make_engine
    from app.core.permissions import system
    from app.demo.loader import load_demo
    from app.geo.models import Grid, Park
    from app.gridwork.grids import service as gridwork
    from app.migrate import upgrade

    folder = tempfile.mkdtemp(prefix="parkgrid-bench-")
    url = args.url or f"sqlite:///{Path(folder) / 'bench.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as s:
        if s.exec(select(Park)).first() is None:
            load_demo(session=s)
            s.commit()
        park = s.exec(select(Park).where(Park.name == PARK)).one()
        grids = list(s.exec(select(Grid).where(Grid.park_id == park.id).order_by(col(Grid.id))))
        park_id, grid_id = park.id, grids[0].id
        names = [g.name for g in grids]

    t = time.perf_counter()
    content = build_workbook(names, args.rows)
    print(
        f"workbook: {args.rows:,} enterprise rows, {len(content) / 1024 / 1024:.1f} MB "
        f"(built in {time.perf_counter() - t:.1f} s)"
    )

    ctx = mp.get_context("spawn")
    here, there = ctx.Pipe()
    child = ctx.Process(target=run_import, args=(url, park_id, content, there))
    child.start()
    # Meanwhile another user saves a grid's status again and again.
    waits, failures = [], 0
    who = system("other-user")
    while child.is_alive() and not here.poll():
        t = time.perf_counter()
        try:
            from app.core.db import writer

            with Session(writer(engine)) as s:
                version = s.get(Grid, grid_id).status_version
                gridwork.update_status(
                    session=s,
                    who=who,
                    grid_id=grid_id,
                    data={"status": "amber", "note": "基准测试", "version": version},
                )
                s.commit()
        except Exception as exc:  # a save that fails is what this measures
            failures += 1
            print(f"  a concurrent save failed: {type(exc).__name__}: {exc}")
        waits.append(time.perf_counter() - t)
        time.sleep(0.2)
    result = here.recv()
    child.join()

    print(f"status: {result['status']} {result['message']}")
    print(f"counts: {result['counts']}")
    print(f"inspect + store upload: {result['upload']:6.2f} s")
    print(f"parse + check rows:     {result['check']:6.2f} s")
    print(f"parse + check + write:  {result['apply']:6.2f} s")
    print(f"total import time:      {result['total']:6.2f} s   (target < 60 s)")
    print(f"peak memory (RSS):      {result['peak_mb']:6.0f} MB  (target < 500 MB)")
    if waits:
        waits.sort()
        print(
            f"other user's {len(waits)} status saves during the import: median "
            f"{waits[len(waits) // 2] * 1000:.0f} ms, slowest {waits[-1] * 1000:.0f} ms, "
            f"{failures} failed"
        )


if __name__ == "__main__":
    main()
