"""One module per platform; each exposes ``PREFIX`` and ``build_router(state) -> APIRouter``."""
