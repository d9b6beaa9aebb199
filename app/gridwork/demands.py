"""HTML pages of grid work: demands (being written)."""

from fastapi import APIRouter

router = APIRouter()
