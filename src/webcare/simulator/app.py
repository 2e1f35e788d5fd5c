"""The simulator app: every platform's API under its own prefix, plus controls for tests.

A connector is pointed at the simulator with its account's ``settings["api_base"]``, e.g.
``http://127.0.0.1:8900/meta`` instead of ``https://graph.facebook.com``. The prefixes keep
platforms that share a real host (Meta's Graph API serves Pages, Instagram and WhatsApp) apart.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from fastapi import APIRouter, FastAPI
from pydantic import BaseModel, Field

from webcare.simulator import customer_view
from webcare.simulator.state import Fault, SimState


def _platform_modules() -> list[ModuleType]:
    """The platform routers present; each lives in ``simulator/platforms/<name>.py``."""
    import importlib
    import pkgutil

    from webcare.simulator import platforms

    return [
        importlib.import_module(f"{platforms.__name__}.{info.name}")
        for info in pkgutil.iter_modules(platforms.__path__)
        if not info.name.startswith("_")
    ]


class FaultIn(BaseModel):
    platform: str = Field(min_length=1, max_length=40)
    status: int = Field(ge=400, le=599)
    retry_after: float | None = Field(default=None, ge=0)
    message: str | None = Field(default=None, max_length=500)
    count: int = Field(default=1, ge=1, le=100)


def _control_router(state: SimState) -> APIRouter:
    router = APIRouter(prefix="/_sim", tags=["simulator controls"])

    @router.post("/faults", status_code=204)
    def add_fault(fault: FaultIn) -> None:
        """Make the platform's next ``count`` requests fail with ``status``."""
        state.add_fault(
            fault.platform, Fault(fault.status, fault.retry_after, fault.message), fault.count
        )

    @router.get("/sent")
    def sent(platform: str | None = None) -> list[dict[str, Any]]:
        """Everything webcare made the platforms do, oldest first."""
        return [
            {
                "platform": s.platform,
                "kind": s.kind,
                "external_id": s.external_id,
                "text": s.text,
                "recipient": s.recipient,
                "in_reply_to": s.in_reply_to,
                "at": s.at.isoformat(),
            }
            for s in state.sent(platform)
        ]

    return router


def create_simulator_app(state: SimState | None = None) -> FastAPI:
    state = state or SimState()
    app = FastAPI(title="webcare platform simulator", docs_url="/_sim/docs", redoc_url=None)
    app.state.sim = state
    app.include_router(_control_router(state))
    app.include_router(customer_view.build_router(state))
    for module in _platform_modules():
        app.include_router(module.build_router(state), prefix=module.PREFIX)
    return app
