"""Every router the app serves, in one list (the map of the HTTP surface)."""

from __future__ import annotations

from fastapi import APIRouter

ROUTERS: list[APIRouter] = []
