"""HTML pages of the roster (being written)."""

from fastapi import APIRouter

router = APIRouter()
