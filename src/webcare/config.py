"""Settings: the only reader of the environment.

Everything is read once, from ``WEBCARE_*`` variables, into one immutable object that is passed
down explicitly. Nothing reads configuration at import time, so tests can build apps with
different settings side by side.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Process configuration. Defaults give an embedded SQLite install that just runs."""

    model_config = SettingsConfigDict(env_prefix="WEBCARE_", frozen=True, extra="ignore")

    data_dir: Path = Field(default=Path("var"), description="Where SQLite and keys live.")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; unset means SQLite in data_dir."
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Signs sessions, encrypts channel credentials; made in data_dir if unset.",
    )
    base_url: str = "http://127.0.0.1:8000"
    host: str = "127.0.0.1"
    port: int = 8000
    embedded_worker: bool = Field(
        default=True, description="Run a job worker inside `webcare serve`."
    )
    reopen_window_hours: float = Field(
        default=168.0,
        description="A customer writing within this time after resolution reopens it.",
    )
    worker_poll_seconds: float = 1.0
    session_max_age_seconds: int = 60 * 60 * 12
    cookie_secure: bool = False
    log_level: str = "INFO"
    allow_private_feed_hosts: bool = Field(
        default=False,
        description=(
            "Let listening fetch feeds from private, loopback and link-local addresses (an "
            "intranet news feed). Off by default, so a feed URL cannot reach internal services."
        ),
    )

    @property
    def resolved_database_url(self) -> str:
        """The URL to connect to: the configured one, or the embedded SQLite file."""
        if self.database_url:
            return normalise_database_url(self.database_url)
        return f"sqlite:///{(self.data_dir / 'webcare.sqlite3').resolve()}"


def normalise_database_url(url: str) -> str:
    """Let people paste the URL their PostgreSQL host gives them; we drive it with psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
