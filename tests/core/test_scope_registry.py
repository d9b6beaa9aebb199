"""Scope rules are registered by the domains; a table without one is refused loudly."""

import pytest

import app.models  # noqa: F401  (every table and its scope rule)
from app.assessment.models import Period
from app.core import permissions
from app.core.permissions import Principal, system
from app.geo.models import Park


@pytest.mark.parametrize("who", [system(), Principal(1, "leader", "领导", "leader")])
def test_a_table_without_a_scope_rule_is_an_error_for_everyone(who):
    # Never a silent "everything" for a principal who sees everything, nor "nothing".
    with pytest.raises(LookupError, match="no scope rule for Period"):
        permissions.scope_clause(who, "view", Period)


def test_a_second_rule_for_a_table_is_an_error():
    with pytest.raises(RuntimeError, match="Park has a scope rule already"):
        permissions.register(Park, lambda p, action: None)
