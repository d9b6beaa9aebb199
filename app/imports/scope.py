"""Scope rule of import jobs: a job belongs to the park whose roster it imports."""

from app.core.permissions import register
from app.geo.scope import by_park
from app.imports.models import ImportJob

register(ImportJob, by_park(ImportJob))
