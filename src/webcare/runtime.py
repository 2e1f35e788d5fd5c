"""Process-wide handles built once from Settings: engine, sessions, secret box, wake-ups.

Holds no domain state: everything durable is in the database, so any number of server and
worker processes can share it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from webcare.config import Settings
from webcare.kit.crypto import SecretBox, new_token
from webcare.kit.db import create_db_engine, make_session_factory


@dataclass
class Runtime:
    """What a server, worker or CLI command needs to talk to the database."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    secret_key: str

    @property
    def secret_box(self) -> SecretBox:
        return SecretBox(self.secret_key)

    def dispose(self) -> None:
        self.engine.dispose()


def build_runtime(settings: Settings) -> Runtime:
    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_db_engine(settings.resolved_database_url)
    return Runtime(
        settings=settings,
        engine=engine,
        session_factory=make_session_factory(engine),
        secret_key=_secret_key(settings),
    )


def _secret_key(settings: Settings) -> str:
    """The configured secret, or one generated once and kept in the data directory.

    Several servers on one database must share WEBCARE_SECRET_KEY; the file is for the
    single-machine default only.
    """
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value()
    path = Path(settings.data_dir) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = new_token(nbytes=48)
    path.write_text(key)
    path.chmod(0o600)
    return key
