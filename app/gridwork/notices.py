"""HTML pages of grid work: notices (being written)."""

from fastapi import APIRouter

router = APIRouter()
