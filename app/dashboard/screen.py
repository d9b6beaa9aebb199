"""The big screen (大屏) for a meeting-room display."""

from fastapi import APIRouter

router = APIRouter()
