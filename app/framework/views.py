"""HTML pages of the framework editor (city office)."""

from fastapi import APIRouter

router = APIRouter()
