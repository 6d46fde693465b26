"""SQLAlchemy 2 models: a block and the events recorded while it ran."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class BlockRow(Base):
    """An observation block as submitted: its name, station and specification."""

    __tablename__ = "obshub_blocks"
    __table_args__ = (UniqueConstraint("station", "name", name="uq_obshub_blocks_station_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    station: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[float] = mapped_column(Float)


class EventRow(Base):
    """One thing that happened, never updated nor deleted.

    ``frame_key`` is set only on ``frame_saved`` events; the unique constraint makes the
    database itself refuse a frame recorded twice, whatever the executor believes.
    """

    __tablename__ = "obshub_events"
    __table_args__ = (UniqueConstraint("block_id", "frame_key", name="uq_obshub_events_frame"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    block_id: Mapped[int] = mapped_column(ForeignKey("obshub_blocks.id"), index=True)
    at: Mapped[float] = mapped_column(Float)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    frame_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
