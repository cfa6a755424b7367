"""Entry point for ASGI servers: `uvicorn --factory server.asgi:app_from_env`."""

from __future__ import annotations

from starlette.applications import Starlette

from .config import load_settings
from .logging_setup import configure_logging


def app_from_env() -> Starlette:
    from .app import create_app

    settings = load_settings()
    configure_logging(settings)
    return create_app(settings)
