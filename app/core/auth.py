"""The signed-in principal, as a route dependency every domain can declare.

Routes of every domain need the person behind the request, but signing in (sessions,
cookies, users) is the accounts domain's, which most domains sit below. So core declares
the dependency and accounts provides it: create_app wires `signed_in` to accounts'
implementation through FastAPI's dependency overrides, which resolve the implementation's
own sub-dependencies (the session cookie, the database session) as if declared here.
"""

from typing import Annotated

from fastapi import Depends, Request

from app.core.errors import Denied
from app.core.permissions import Principal, denial


# Reads no database, like the implementation it stands for: `async` keeps it out of the
# thread pool (whose few threads are for database work).
async def signed_in() -> Principal:
    """Stands for the signed-in principal; never runs in a wired app."""
    # Loud rather than open: an app without sign-in wired must not serve a single route.
    raise RuntimeError("no sign-in is wired: create_app sets app.dependency_overrides[signed_in]")


Who = Annotated[Principal, Depends(signed_in)]


def allowed(action: str):
    """A route dependency: the page exists only for roles with the action (else 404, as a
    page out of scope; the refusal is audited like one)."""

    async def check(request: Request, p: Who) -> Principal:
        if not p.can(action):
            raise Denied(row=denial(p, action, "Route", None, label=request.url.path))
        return p

    return Depends(check)
