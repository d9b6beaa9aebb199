"""HTML pages of grid work: monthly (being written)."""

from fastapi import APIRouter

router = APIRouter()
