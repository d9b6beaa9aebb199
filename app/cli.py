"""The `parkgrid` command: serve, migrate, demo, create-user, import, backup, restore."""

import sys
from pathlib import Path

import typer

# Every table and its scope rule (see app.models): the commands read through scopes.
from app import models  # noqa: F401
from app.core.config import get_settings
from app.core.db import get_engine, writer
from app.core.i18n import _

cli = typer.Typer(help="ParkGrid 园区产改网格化管理平台", no_args_is_help=True)


@cli.command()
def migrate() -> None:
    """Brings the database to the newest migration."""

    from sqlmodel import Session

    from app.assessment.results import scores
    from app.migrate import upgrade

    engine = get_engine()
    done = upgrade(engine)
    if done.created:
        message = _("Created the database and upgraded it to the newest version {revision}.")
    elif done.steps:
        message = _("Upgraded {count} versions; the database is at {revision} now.")
    else:
        message = _("The database is at the newest version ({revision}).")
    typer.echo(message.format(count=done.steps, revision=done.revision))
    # A migration may empty the stored scores (they are derived): store them again.
    with Session(writer(engine)) as session:
        stored = scores.store_unscored(session)
        session.commit()
    if stored:
        typer.echo(_("Stored the scores of {count} quarters again.").format(count=stored))


@cli.command()
def demo(
    if_empty: bool = typer.Option(False, "--if-empty", help="Do nothing when data exists."),
    scale: int | None = typer.Option(
        None,
        "--scale",
        min=2,
        help="Instead of Wuxi, build a province of this many parks (about 20 per district).",
    ),
    with_scores: bool = typer.Option(
        True,
        "--scores/--no-scores",
        help="With --scale: store every park's scores at the end (slow at thousands of parks).",
    ),
) -> None:
    """Loads the Wuxi demo (or with --scale N a province of N parks) into an empty database."""
    import time

    from sqlmodel import Session

    from app.core import files
    from app.demo.loader import is_empty, load_demo

    if scale is None and not with_scores:
        typer.echo("--no-scores goes with --scale", err=True)
        raise typer.Exit(2)
    started = time.perf_counter()
    with Session(writer(get_engine())) as session:
        if not is_empty(session=session):
            if if_empty:
                typer.echo(_("The database already has data: kept it as it is, no demo loaded."))
                return
            typer.echo(
                _("The database is not empty: the demo loads only into an empty database."),
                err=True,
            )
            raise typer.Exit(1)
        if scale is not None:
            from app.demo.scale import MAX_PARKS, build

            if scale > MAX_PARKS:
                typer.echo(f"--scale goes up to {MAX_PARKS} parks", err=True)
                raise typer.Exit(2)
            built = build(session=session, parks=scale, with_scores=with_scores)
            session.commit()
            built.timings["total"] = round(time.perf_counter() - started, 2)
            typer.echo(built.describe())
            return
        summary = load_demo(session=session, storage=files.storage_for(get_settings()))
        session.commit()
    typer.echo(_("Loaded the Wuxi demo:"))
    for line in _demo_lines(summary):
        typer.echo("  " + line)


def _demo_lines(summary) -> list[str]:
    """The demo's counts, one a line, as a person reads them."""
    lines = [
        _("Districts: {n}").format(n=summary.districts),
        _("Parks: {n}").format(n=summary.parks),
        _("Grids: {n}").format(n=summary.grids),
        _("Enterprises: {n} ({workers} workers)").format(
            n=summary.enterprises, workers=summary.workers
        ),
        _("Liaisons: {n}").format(n=summary.liaisons),
    ]
    if summary.open_period:
        lines.append(
            _("Quarters: {n}, of which {open} is open for reporting").format(
                n=summary.periods, open=summary.open_period
            )
        )
    else:
        lines.append(_("Quarters: {n}").format(n=summary.periods))
    lines.append(_("Accounts: {n} (the server lists them when it starts)").format(n=summary.users))
    return lines


@cli.command("create-user")
def create_user(
    username: str = typer.Option(..., help="Login name (lower case)."),
    name: str = typer.Option(..., "--name", help="The person's name as shown."),
    role: str = typer.Option("city_admin", help="city_admin, district_office, park_admin, ..."),
    place: str = typer.Option(
        "", help="Scope: area:ID, park:ID or grid:ID (default: the city, for a city admin)."
    ),
    password: str = typer.Option(
        ...,
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        help="At least 8 characters, hard to guess, without the username or the name.",
    ),
) -> None:
    """Creates a user, typically the first city administrator."""
    from sqlmodel import Session, select

    from app.accounts import service as accounts
    from app.core.errors import Invalid
    from app.core.permissions import system
    from app.geo.models import Area, AreaLevel

    with Session(writer(get_engine())) as session:
        if not place:
            city = session.exec(select(Area).where(Area.level == AreaLevel.city)).first()
            if city is None:
                typer.echo("no city in the database: load data first, or give --place", err=True)
                raise typer.Exit(2)
            place = f"area:{city.id}"
        data = {
            "username": username.strip().lower(),
            "display_name": name,
            "role": role,
            "scope": [place],
            "password": password,
        }
        try:
            user = accounts.create_user(session=session, who=system("cli"), data=data)
        except Invalid as exc:
            for field, message in exc.errors.items():
                typer.echo(f"{field}: {message}", err=True)
            raise typer.Exit(2) from None
        created = f"{user.username} ({user.role.value})"
        session.commit()
    typer.echo(f"created user {created}")


@cli.command()
def serve(
    host: str | None = typer.Option(None, help="Address to listen on."),
    port: int | None = typer.Option(None, help="Port (default: PORT or 8000)."),
    reload: bool = typer.Option(False, help="Restart on code changes (development)."),
    workers: int = typer.Option(
        1, min=1, help="Worker processes (production: about one per CPU core)."
    ),
) -> None:
    """Serves the web application."""
    import threading

    import uvicorn

    if reload and workers > 1:
        typer.echo(
            _(
                "--reload and --workers above 1 cannot be used together: "
                "reloading runs one process."
            ),
            err=True,
        )
        raise typer.Exit(2)
    settings = get_settings()
    if workers > 1 and settings.is_sqlite:
        typer.echo(
            _(
                "Note: {workers} processes share SQLite's one write lock; "
                "production runs on PostgreSQL."
            ).format(workers=workers),
            err=True,
        )
    host, port = host or settings.host, port or settings.port
    # Said once, by this process, when the server answers (whatever its workers or reloads).
    # The accounts are checked first: each check is an Argon2 verification (64 MiB), which
    # would otherwise overlap the first logins' and raise the server's peak memory.
    lines = _demo_account_lines(settings)
    threading.Thread(
        target=_announce, args=(settings, host, port), kwargs={"lines": lines}, daemon=True
    ).start()
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        reload=reload,
        workers=workers,
        proxy_headers=True,
    )


# The demo accounts the start-up message names one by one; the others follow their patterns.
DEMO_ACCOUNTS = ("city_admin", "district_liangxi", "park_huaxia", "liaison_huaxia_1", "leader")


def _announce(
    settings, host: str, port: int, wait: float = 60.0, lines: list[str] | None = None
) -> None:
    """Prints where to open the app, and the demo accounts while they keep the demo password."""
    import socket
    import time

    lines = _demo_account_lines(settings) if lines is None else lines
    # A wildcard address is reached on this machine through the loopback.
    shown = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
    url = f"http://{shown}:{port}" if ":" not in shown else f"http://[{shown}]:{port}"
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            socket.create_connection((shown, port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.2)
    else:
        return  # never came up: uvicorn says why
    typer.echo(
        "\n".join([_("ParkGrid is running: open {url} in a browser.").format(url=url), *lines])
    )


def _demo_account_lines(settings) -> list[str]:
    """The demo accounts that still open with the demo password; none in production."""
    from sqlmodel import Session, col, select

    from app.accounts.models import User
    from app.accounts.service import DEMO_PASSWORD
    from app.core.security import passwords

    if settings.env == "production":
        return []
    try:
        with Session(get_engine()) as session:
            users = list(session.exec(select(User).where(col(User.is_active))))
    except Exception:
        return []  # no tables yet: `parkgrid migrate` comes first
    # Verifying is slow by design: each distinct hash once (the tour's accounts share one).
    verified: dict[str, bool] = {}
    demo = []
    for u in users:
        if u.password_hash not in verified:
            verified[u.password_hash] = passwords.verify(DEMO_PASSWORD, u.password_hash)
        if verified[u.password_hash]:
            demo.append(u)
    if not demo:
        return []
    named = {u.username: u for u in demo if u.username in DEMO_ACCOUNTS}
    lines = [_("Demo accounts (password {password}):").format(password=DEMO_PASSWORD)]
    lines += [f"  {name:<18} {named[name].display_name}" for name in DEMO_ACCOUNTS if name in named]
    others = len(demo) - len(named)
    if others:
        lines.append(
            "  "
            + _(
                "and {n} more: district_<district>, park_<park>, liaison_<park>_1 "
                "(README.md, Demo accounts)"
            ).format(n=others)
        )
    return lines


@cli.command()
def backup(
    file: Path = typer.Argument(..., dir_okay=False, help="The archive to write (.tar.gz)."),
    force: bool = typer.Option(False, "--force", help="Replace the file if it exists."),
    pg_bin: Path | None = typer.Option(
        None, "--pg-bin", help="Folder of pg_dump (default: found by itself)."
    ),
) -> None:
    """Writes a consistent backup (database, evidence files, manifest) while the server runs."""
    from app.core import backup as backups

    settings = get_settings()
    try:
        done = backups.backup(
            database_url=settings.database_url,
            evidence_dir=settings.evidence_dir,
            target=file,
            overwrite=force,
            pg_bin=pg_bin,
        )
    except backups.Refused as exc:
        typer.echo(exc.message, err=True)
        raise typer.Exit(2) from None
    except backups.BackupError as exc:
        typer.echo(exc.message, err=True)
        raise typer.Exit(1) from None
    m = done.manifest
    if m.missing_files:
        typer.echo(
            _("Warning: {count} files named in the database are missing: {names}").format(
                count=len(m.missing_files), names=", ".join(m.missing_files[:5])
            ),
            err=True,
        )
    if done.skipped:
        typer.echo(
            _(
                "Left out {count} entries of the evidence folder that are no stored files: {names}"
            ).format(count=len(done.skipped), names=", ".join(done.skipped[:5])),
            err=True,
        )
    typer.echo(
        _(
            "Backup written to {path} ({size}): {tables} tables, {rows} rows, "
            "{files} files ({files_size})."
        ).format(
            path=done.path,
            size=backups.human_size(done.size),
            tables=len(m.tables),
            rows=m.rows,
            files=len(m.files),
            files_size=backups.human_size(m.files_size),
        )
    )


@cli.command()
def restore(
    file: Path = typer.Argument(..., dir_okay=False, help="An archive made by `parkgrid backup`."),
    pg_bin: Path | None = typer.Option(
        None, "--pg-bin", help="Folder of pg_restore (default: found by itself)."
    ),
) -> None:
    """Restores a backup into an empty database and an empty evidence folder, then checks it."""
    from app.core import backup as backups
    from app.core.templating import LOCAL_TZ

    settings = get_settings()
    try:
        done = backups.restore(
            database_url=settings.database_url,
            evidence_dir=settings.evidence_dir,
            source=file,
            pg_bin=pg_bin,
        )
    except backups.Refused as exc:
        typer.echo(exc.message, err=True)
        typer.echo(
            _("Nothing was restored; the database and the evidence folder are unchanged."),
            err=True,
        )
        raise typer.Exit(2) from None
    except backups.BackupError as exc:
        typer.echo(exc.message, err=True)
        raise typer.Exit(1) from None
    m = done.manifest
    typer.echo(
        _("Restored the {engine} backup made {created} (migration {revision}).").format(
            engine=backups.ENGINE_NAMES[m.engine],
            created=m.created.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M"),
            revision=m.alembic_revision or "—",
        )
    )
    typer.echo(
        _(
            "Checked against the manifest: {tables} tables with {rows} rows and {files} files "
            "({files_size}), all identical."
        ).format(
            tables=len(m.tables),
            rows=m.rows,
            files=len(m.files),
            files_size=backups.human_size(m.files_size),
        )
    )
    if m.missing_files:
        typer.echo(
            _(
                "Warning: {count} files named in the database were already missing at backup time."
            ).format(count=len(m.missing_files)),
            err=True,
        )
    if done.needs_migrate:
        typer.echo(_("The backup is at an older migration: run `parkgrid migrate` before serving."))


@cli.command("import")
def import_roster(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="The roster workbook."),
    park: int = typer.Option(..., "--park", help="The id of the park to import into."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check and preview only."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Apply without asking."),
) -> None:
    """Imports a park's roster (grids, liaisons, enterprises) from an .xlsx workbook.

    The same job as an upload in the web interface: every row is checked, the preview is
    printed, and only a file without errors is applied, in one transaction, audited.
    """
    from sqlmodel import Session

    from app.core.db import session_factory
    from app.core.errors import NotFound
    from app.core.permissions import system
    from app.imports import layout, service, workbook
    from app.imports.models import ImportJob, ImportStatus, LineKind

    settings = get_settings()
    engine = get_engine()
    sessions = session_factory(engine)
    who = system("cli")
    content = file.read_bytes()
    try:
        workbook.inspect(content, settings.import_max_mb * 1024 * 1024)
        workbook.check_layout(content, layout.SHEETS)
    except workbook.Refused as exc:
        typer.echo(f"{file.name}: {exc.message}", err=True)
        raise typer.Exit(2) from None
    with Session(writer(engine)) as session:
        try:
            job_id = service.start(
                session, who, park_id=park, filename=file.name, content=content
            ).id
        except NotFound:
            typer.echo(f"no park with id {park}", err=True)
            raise typer.Exit(2) from None
        session.commit()

    def run(step, label: str) -> None:
        with typer.progressbar(length=100, label=label, file=sys.stderr) as bar:
            shown = 0

            def progress(done: int, total: int) -> None:
                nonlocal shown
                now = int(100 * done / max(total, 1))
                bar.update(now - shown)
                shown = now

            step(sessions, who, job_id, progress)
            bar.update(100 - shown)

    run(service.run_check, "checking")
    with Session(engine) as session:
        job = session.get(ImportJob, job_id)
        errors = service.lines(session, job_id, LineKind.error, 1_000_000)[0]
        _print_preview(job, errors, service.sheet_titles())
        status = job.status
    if status is not ImportStatus.checked:
        raise typer.Exit(1)
    if dry_run or not (yes or typer.confirm("apply these changes?")):
        typer.echo("nothing imported")
        return
    with Session(writer(engine)) as session:
        service.confirm(session, who, job_id)
        session.commit()
    run(service.run_apply, "importing")
    with Session(engine) as session:
        job = session.get(ImportJob, job_id)
        if job.status is not ImportStatus.applied:
            typer.echo(f"nothing imported: {job.message}", err=True)
            raise typer.Exit(1)
    typer.echo(f"imported (job {job_id}, audit batch {job.audit_id})")


def _print_preview(job, errors, titles: dict[str, str]) -> None:
    if job.counts:
        for key, c in job.counts.items():
            typer.echo(
                f"{titles[key]}: new {c['new']}, updated {c['updated']}, "
                f"unchanged {c['unchanged']}, errors {c['error']}"
            )
    if job.message:
        typer.echo(job.message, err=True)
    for e in errors:
        typer.echo(f"{e.sheet}!{e.column}{e.row}: {e.message}", err=True)


def main() -> None:
    cli()
