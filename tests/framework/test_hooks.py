"""The framework asks the assessment through a hook; without it, a change fails loudly."""

import pytest

import app.models  # noqa: F401  (registers the assessment with the framework)
from app.framework import hooks


def test_the_assessment_is_registered():
    assert type(hooks.assessment()).__module__ == "app.assessment.periods"


def test_without_the_assessment_the_framework_refuses_to_go_on(monkeypatch):
    # A missing wiring must fail, never skip rescoring silently.
    monkeypatch.setattr(hooks, "_registered", None)
    with pytest.raises(RuntimeError, match="no assessment is registered"):
        hooks.assessment()
