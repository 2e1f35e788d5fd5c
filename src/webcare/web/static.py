"""Serving the UI's CSS, JavaScript and the npm-installed libraries under ``/static``."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"
VENDOR_FILES = ("htmx.min.js",)
log = logging.getLogger(__name__)


def mount_static(app: FastAPI) -> None:
    missing = [name for name in VENDOR_FILES if not (STATIC_DIR / "vendor" / name).exists()]
    if missing:
        # The pages still render and plain form posts still work; live updates do not.
        log.warning(
            "front-end libraries missing (%s): run `make install` to fetch them from npm",
            ", ".join(missing),
        )
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
