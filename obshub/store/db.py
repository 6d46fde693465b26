"""Opening a store and appending to it."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from obshub.errors import ObshubError
from obshub.store.models import BlockRow, EventRow

MIGRATIONS = Path(__file__).with_name("migrations")
VERSION_TABLE = "obshub_store_alembic_version"


def default_url() -> str:
    """``sqlite:///$OBSHUB_HOME/observations.db``."""
    from obshub.sim.paths import state_dir

    return f"sqlite:///{state_dir() / 'observations.db'}"


@dataclass(frozen=True)
class Event:
    """An event as read back: its order (``id``), time, kind and data."""

    id: int
    block_id: int
    at: float
    kind: str
    data: dict[str, Any]


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets a reader (a test, a dashboard) look while the executor writes; FULL sync
    # because a recorded frame must survive whatever happens next.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def migrate(engine: Engine) -> None:
    """Create or upgrade the schema to the newest migration."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


class Store:
    """Blocks and their event logs in one database.

    Parameters
    ----------
    url
        SQLAlchemy URL; :func:`default_url` by default.
    upgrade
        Run the migrations on open (default).
    """

    def __init__(self, url: str | None = None, *, upgrade: bool = True):
        self.url = url or default_url()
        if self.url.startswith("sqlite"):
            path = self.url.split("///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.engine = create_engine(self.url, pool_pre_ping=True)
        except Exception as exc:  # a bad URL or a missing driver
            raise ObshubError(f"store {self.url!r}: {exc}") from exc
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        # One writer at a time within a process: events keep their order.
        self._lock = threading.Lock()
        if upgrade:
            try:
                migrate(self.engine)
            except SQLAlchemyError as exc:
                self.engine.dispose()
                raise ObshubError(f"store {self._safe_url()}: cannot open: {exc}") from exc

    def _safe_url(self) -> str:
        # Never print a password that was part of the URL.
        return self.engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        self.engine.dispose()

    # Blocks -----------------------------------------------------------------------------

    def block_id(self, station: str, name: str, spec: dict[str, Any]) -> int:
        """The block's id, creating it on first sight (the spec stored is the first one)."""
        with Session(self.engine) as s:
            row = s.scalar(
                select(BlockRow).where(BlockRow.station == station, BlockRow.name == name)
            )
            if row is not None:
                return row.id
            row = BlockRow(station=station, name=name, spec=spec, created_at=time.time())
            s.add(row)
            try:
                s.commit()
            except IntegrityError:  # created meanwhile by another process
                s.rollback()
                return self.block_id(station, name, spec)
            return row.id

    def blocks(self) -> list[BlockRow]:
        with Session(self.engine, expire_on_commit=False) as s:
            return list(s.scalars(select(BlockRow).order_by(BlockRow.id)))

    def find_block(self, station: str, name: str) -> int | None:
        with Session(self.engine) as s:
            row = s.scalar(
                select(BlockRow).where(BlockRow.station == station, BlockRow.name == name)
            )
            return None if row is None else row.id

    # Events -----------------------------------------------------------------------------

    def append(self, block_id: int, kind: str, /, **data: Any) -> Event:
        """Record one event durably and return it.

        Raises
        ------
        ObshubError
            A ``frame_saved`` for a frame already recorded as saved.
        """
        key = data.get("key") if kind == "frame_saved" else None
        now = time.time()
        with self._lock, Session(self.engine) as s:
            row = EventRow(block_id=block_id, at=now, kind=kind, frame_key=key, data=data)
            s.add(row)
            try:
                s.commit()
            except IntegrityError as exc:
                raise ObshubError(f"frame {key!r} of block {block_id} is already saved") from exc
            return Event(row.id, block_id, now, kind, data)

    def events(self, block_id: int | None = None, kinds: tuple[str, ...] = ()) -> list[Event]:
        """Events in the order they were recorded, for one block or all."""
        q = select(EventRow).order_by(EventRow.id)
        if block_id is not None:
            q = q.where(EventRow.block_id == block_id)
        if kinds:
            q = q.where(EventRow.kind.in_(kinds))
        with Session(self.engine) as s:
            return [Event(r.id, r.block_id, r.at, r.kind, dict(r.data)) for r in s.scalars(q)]
