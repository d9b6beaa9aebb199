"""The `parkgrid` command: serve, migrate, demo."""

import typer

from app.core.config import get_settings
from app.core.db import get_engine, writer

cli = typer.Typer(help="ParkGrid 园区产改网格化管理平台", no_args_is_help=True)


@cli.command()
def migrate() -> None:
    """Brings the database to the newest migration."""
    from app.core.migrate import upgrade

    upgrade(get_engine())
    typer.echo("database is at the newest migration")


@cli.command()
def demo(
    if_empty: bool = typer.Option(False, "--if-empty", help="Do nothing when data exists."),
) -> None:
    """Loads the Wuxi demo data into an empty database."""
    from sqlmodel import Session

    from app.demo.loader import is_empty, load_demo

    with Session(writer(get_engine())) as session:
        if not is_empty(session=session):
            if if_empty:
                typer.echo("database has data; demo not loaded")
                return
            typer.echo("the database is not empty; the demo loads only into an empty one", err=True)
            raise typer.Exit(1)
        summary = load_demo(session=session)
        session.commit()
    typer.echo(f"demo loaded: {summary}")


@cli.command("create-user")
def create_user(
    username: str = typer.Option(..., help="Login name (lower case)."),
    name: str = typer.Option(..., "--name", help="The person's name as shown."),
    role: str = typer.Option("city_admin", help="city_admin, district_office, park_admin, ..."),
    place: str = typer.Option(
        "", help="Scope: area:ID, park:ID or grid:ID (default: the city, for a city admin)."
    ),
    password: str = typer.Option(
        ..., prompt=True, hide_input=True, confirmation_prompt=True, help="At least 8 characters."
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
) -> None:
    """Serves the web application."""
    import uvicorn

    settings = get_settings()
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        reload=reload,
        proxy_headers=True,
    )


def main() -> None:
    cli()
