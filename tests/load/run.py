"""Runs the bounded load test: fresh database, real server, Locust users, checks, report.

    python -m tests.load.run --users 50 --seconds 60 [--workers N] [--database-url URL]

SQLite (a temporary file) by default; PostgreSQL when --database-url or
PARKGRID_LOAD_DATABASE_URL names one (its public schema is dropped and remade). Prints
each request kind's figures and the database checks; exits 1 on any 5xx, connection
error, lost write or broken version trail, 2 when the test could not run at all. Timing is
printed, never judged.
"""

import argparse
import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import gevent
from gevent.monkey import get_original
from locust.env import Environment
from locust.log import setup_logging
from sqlalchemy.engine import make_url

from tests.load import users
from tests.load.check import Findings, check
from tests.load.ledger import KindFigures, Ledger, Tally
from tests.load.prepare import Plan, prepare

# Users still inside a task when the time is up may finish it for this long; whatever is
# still in flight then is cut off and counted as unanswered.
STOP_TIMEOUT = 2 * users.REQUEST_TIMEOUT
# Beyond the run's own seconds, everything else (database, server start and stop, checks)
# must fit in this; past it the test kills its server and gives up, so it never hangs.
HARD_CAP_MARGIN = 240
SERVER_START_SECONDS = 60
SERVER_STOP_SECONDS = 15

_servers: list[subprocess.Popen] = []


def _args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.load.run", description=__doc__)
    parser.add_argument("--users", type=int, default=50, help="simultaneous users (50)")
    parser.add_argument("--seconds", type=int, default=60, help="how long the users work (60)")
    parser.add_argument("--spawn-rate", type=float, default=10, help="users started per second")
    parser.add_argument("--workers", type=int, default=1, help="server processes (1)")
    parser.add_argument(
        "--database-url",
        default="",
        help="PostgreSQL URL (default: PARKGRID_LOAD_DATABASE_URL, else a SQLite temp file); "
        "its public schema is dropped",
    )
    parser.add_argument("--keep", action="store_true", help="keep the work folder (server log)")
    args = parser.parse_args(argv)
    if not (1 <= args.users <= 500 and 1 <= args.seconds <= 3600 and 1 <= args.workers <= 16):
        parser.error("users 1..500, seconds 1..3600 and workers 1..16, please")
    if args.spawn_rate <= 0:
        parser.error("the spawn rate must be above 0")
    return args


def _kill(proc: subprocess.Popen, sig: int) -> None:
    # The server runs in a session of its own: its worker processes go with it.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)


def _watchdog(limit: float, work: Path) -> None:
    """Ends the whole test after `limit` seconds, whatever is blocked (a real OS thread:
    gevent's patched threads would wait for the very loop that may be stuck)."""
    start_new_thread = get_original("_thread", "start_new_thread")
    sleep = get_original("time", "sleep")

    def guard() -> None:
        sleep(limit)
        sys.stderr.write(
            f"\nload test: hard cap of {limit:.0f} s reached; giving up (server log in {work})\n"
        )
        for proc in _servers:
            _kill(proc, signal.SIGKILL)
        os._exit(2)

    start_new_thread(guard, ())


def _serve_command(port: int, workers: int) -> list[str]:
    exe = Path(sys.executable).with_name("parkgrid")
    if not exe.exists():
        exe = Path(shutil.which("parkgrid") or "parkgrid")
    command = [str(exe), "serve", "--host", "127.0.0.1", "--port", str(port)]
    if workers > 1:
        usage = subprocess.run(
            [str(exe), "serve", "--help"], capture_output=True, text=True, timeout=60
        ).stdout
        if "--workers" not in usage:
            raise SystemExit(
                "load test: `parkgrid serve` has no --workers option (yet); "
                "run with --workers 1 or add the option first"
            )
        command += ["--workers", str(workers)]
    return command


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_server(command: list[str], url: str, work: Path) -> subprocess.Popen:
    env = os.environ | {
        "PARKGRID_DATABASE_URL": url,
        "PARKGRID_ENV": "test",
        "PARKGRID_SECRET_KEY": secrets.token_urlsafe(48),
        "PARKGRID_EVIDENCE_DIR": str(work / "evidence"),
    }
    with (work / "server.log").open("wb") as log:
        proc = subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    _servers.append(proc)
    return proc


def _wait_healthy(base: str, proc: subprocess.Popen, work: Path) -> None:
    import urllib.request  # here, after Locust patched the standard library for gevent

    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    tail = (work / "server.log").read_text(errors="replace")[-3000:]
    raise SystemExit(f"load test: the server did not come up at {base}\n{tail}")


def _stop_server(proc: subprocess.Popen) -> None:
    _kill(proc, signal.SIGTERM)
    try:
        proc.wait(SERVER_STOP_SECONDS)
    except subprocess.TimeoutExpired:
        print(f"the server did not stop within {SERVER_STOP_SECONDS} s of SIGTERM: killed")
        _kill(proc, signal.SIGKILL)
        proc.wait(SERVER_STOP_SECONDS)


def _drive(base: str, plan: Plan, args: argparse.Namespace) -> tuple[Tally, Ledger, dict]:
    """Locust in this process, headless: the users work for `seconds`, then stop."""
    tally, ledger = Tally(), Ledger()
    env = Environment(user_classes=list(users.USERS), host=base, stop_timeout=STOP_TIMEOUT)
    env.parkgrid = users.Shared(plan, ledger)  # type: ignore[attr-defined]
    env.events.request.add_listener(tally.on_request)
    runner = env.create_local_runner()
    runner.start(args.users, spawn_rate=args.spawn_rate)
    gevent.spawn_later(args.seconds, runner.quit)
    runner.greenlet.join()
    return tally, ledger, runner.exceptions


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}"


def _row(name: str, f: KindFigures) -> str:
    return (
        f"{name:<44} {f.count:>6} {f.server_errors:>5} {f.connection_errors:>5} "
        f"{f.conflicts:>5} {f.other_4xx:>5} {_ms(f.percentile(0.5)):>7} "
        f"{_ms(f.percentile(0.95)):>7}"
    )


def _server_errors(log: Path) -> tuple[int, list[tuple[str, int]]]:
    """Tracebacks in the server's log and its most frequent exception lines."""
    if not log.exists():
        return 0, []
    text = log.read_text(errors="replace")
    lines = re.findall(r"^[A-Za-z_][\w.]*(?:Error|Exception|Busy)\b.*$", text, re.M)
    common = Counter(line[:160] for line in lines).most_common(3)
    return text.count("Traceback (most recent call last)"), common


def _report(tally: Tally, ledger: Ledger, found: Findings, task_errors: dict, log: Path) -> bool:
    """Prints the figures; True when the run failed."""
    header = f"{'request':<44} {'count':>6} {'5xx':>5} {'conn':>5} {'409':>5} {'4xx':>5}"
    print(f"\n{header} {'p50 ms':>7} {'p95 ms':>7}")
    for name in sorted(tally.kinds):
        print(_row(name, tally.kinds[name]))
    total = tally.total()
    print(_row("all requests", total))
    statuses = ", ".join(f"{s or 'none'}×{n}" for s, n in sorted(tally.statuses.items()))
    print(f"answers by status: {statuses}")

    print("\nwrites sent (POSTs that change data):")
    for kind in sorted({w.kind for w in ledger.writes}):
        outcomes = Counter(w.outcome for w in ledger.of(kind))
        print(
            f"  {kind:<12} acknowledged {outcomes['acknowledged']:>5}, refused (4xx) "
            f"{outcomes['refused']:>5}, failed (5xx) {outcomes['failed']:>4}, unanswered "
            f"{outcomes['unknown']:>4}"
        )

    print("\ndatabase after the run:")
    for line in found.lines:
        print(f"  {line}")
    for line in found.lost:
        print(f"  LOST: {line}")
    for line in found.problems:
        print(f"  PROBLEM: {line}")

    tracebacks, common = _server_errors(log)
    print(f"\nserver log: {tracebacks} tracebacks")
    for line, n in common:
        print(f"  {n}× {line}")
    if task_errors:
        print("errors inside the load test's own tasks (a fault of the test, not the app):")
        for row in task_errors.values():
            print(f"  {row['count']}× {row['msg'][:200]}")

    print(
        f"\n5xx: {total.server_errors}   connection errors: {total.connection_errors}   "
        f"lost writes: {found.lost_writes}   other integrity problems: {len(found.problems)}"
    )
    failed = bool(
        total.server_errors or total.connection_errors or found.lost_writes or found.problems
    )
    print("RESULT: FAIL" if failed else "RESULT: PASS")
    return failed


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    url = args.database_url or os.environ.get("PARKGRID_LOAD_DATABASE_URL", "")
    work = Path(tempfile.mkdtemp(prefix="parkgrid-load-"))
    url = url or f"sqlite:///{work / 'load.db'}"
    engine = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    _watchdog(args.seconds + STOP_TIMEOUT + HARD_CAP_MARGIN, work)
    setup_logging("WARNING")
    try:
        command = _serve_command(_free_port(), args.workers)
        shown = make_url(url).render_as_string(hide_password=True)
        print(
            f"== load test: {engine} ({shown}), {args.users} users for {args.seconds} s, "
            f"{args.workers} server worker(s) =="
        )
        started = time.monotonic()
        plan = prepare(url)
        print(f"fresh database with the demo in {time.monotonic() - started:.1f} s")
        for note in plan.notes:
            print(f"  {note}")
        server = _start_server(command, url, work)
        base = f"http://127.0.0.1:{command[command.index('--port') + 1]}"
        try:
            _wait_healthy(base, server, work)
            print(f"server up at {base}; running the users")
            before = os.times()
            tally, ledger, task_errors = _drive(base, plan, args)
        finally:
            _stop_server(server)
        after = os.times()
        found = check(url, plan, ledger)
        failed = _report(tally, ledger, found, task_errors, work / "server.log")
        # The users and the server share the machine: how much each took tells whether the
        # figures measure the server or a starved one.
        own = after.user + after.system - before.user - before.system
        served = after.children_user + after.children_system
        served -= before.children_user + before.children_system
        print(f"CPU seconds: users (Locust) {own:.0f}, server {served:.0f}, {os.cpu_count()} cores")
        if args.keep:
            print(f"work folder kept: {work}")
        return 1 if failed else 0
    except SystemExit as exc:
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
            return 2
        raise
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
