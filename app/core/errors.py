"""Domain errors that services raise and the web layer turns into 4xx answers."""

from collections.abc import Mapping


class NotFound(Exception):
    """The object does not exist (or, later, is out of the user's scope): a 404."""


class Invalid(Exception):
    """Input that cannot be saved; `errors` maps each field to a message for the user."""

    def __init__(self, errors: Mapping[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = dict(errors)
