"""Domain errors that services raise and the web layer turns into 4xx answers."""

from collections.abc import Mapping
from typing import Any


class NotFound(Exception):
    """The object does not exist, or is out of the user's scope: a 404 either way."""


class Denied(NotFound):
    """An object that exists but is out of scope. Answers 404; `row` records the attempt."""

    def __init__(self, row: Any = None):
        super().__init__()
        self.row = row


class Forbidden(Exception):
    """A request refused before it reaches any object (a missing CSRF token): a 403;
    `row` records the attempt, as Denied's does."""

    def __init__(self, row: Any = None):
        super().__init__()
        self.row = row


class Invalid(Exception):
    """Input that cannot be saved; `errors` maps each field to a message for the user."""

    def __init__(self, errors: Mapping[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = dict(errors)


class Conflict(Exception):
    """The request does not fit the object's current state (a stale form, a locked period): 409."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class Busy(Exception):
    """The database could not give the request its lock in time: a 503 with Retry-After.

    Raised instead of waiting without bound: a writer queues for at most the configured
    lock wait, then the person is asked to try again in a moment.
    """
