"""Each viewer's home page: where a login lands and where the brand link and 首页 lead.

The city office and leaders read the city; a district office its district; a park
administrator its park; a grid liaison their grids. The choice is made here only, and
registered with core so that the menu and the breadcrumb of every page ask the same rule.
"""

from sqlmodel import Session, col, select

from app.accounts import service as accounts
from app.accounts.models import User
from app.core import crumbs
from app.core.crumbs import Home
from app.core.permissions import Principal
from app.geo.models import Area, AreaLevel


def own_districts(*, session: Session, who: Principal) -> tuple[tuple[int, str], ...]:
    """The districts among a principal's areas as (id, name), in display order (one query;
    the principal carries its areas' ids, the streets below included, but not their kind)."""
    if not who.area_ids:
        return ()
    rows = session.exec(
        select(Area.id, Area.name)
        .where(col(Area.id).in_(who.area_ids), Area.level == AreaLevel.district)
        .order_by(col(Area.sort_order), col(Area.id))
    ).all()
    return tuple((i, n) for i, n in rows if i is not None)


def home(*, session: Session, who: Principal) -> Home:
    """The principal's home page as a route name and its parameters.

    A district office with several districts lands on the first (the others are in its
    menu); a park administrator on its first park; an account whose places are missing
    (a scope emptied by an administrator) on the city overview, which every role reads.
    """
    if who.role == "grid_liaison":
        return Home("my_grids", overview=False)
    if who.role == "park_admin" and who.parks:
        return Home("park", {"park_id": who.parks[0][0]})
    if who.role == "district_office":
        districts = own_districts(session=session, who=who)
        if districts:
            return Home("district", {"area_id": districts[0][0]}, districts=districts)
    return Home("overview")


def home_of_user(*, session: Session, user: User) -> Home:
    """The home of a user who has just logged in (their principal is not built yet)."""
    return home(session=session, who=accounts.principal(session=session, user=user))


crumbs.register_home(home)
