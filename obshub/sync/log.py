"""The synchronisation log: every exposure, mount motion and wait, as intervals in time.

Times are ``time.monotonic()`` seconds (immune to clock steps during the night); each record
also carries UTC ISO stamps so a log read the next day still says when things happened. The
log is in memory and, with a path, also appended to a JSON-lines file as records arrive, so a
crash loses nothing already recorded.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# Monotonic and wall clocks read once together: converting one to the other later stays
# consistent even if the wall clock is stepped meanwhile.
_MONO0 = time.monotonic()
_WALL0 = time.time()


def now() -> float:
    """The coordinator's clock (monotonic seconds)."""
    return time.monotonic()


def to_utc(t: float) -> datetime:
    """A monotonic time as an aware UTC datetime."""
    return datetime.fromtimestamp(_WALL0 + (t - _MONO0), tz=UTC)


def from_utc(d: datetime) -> float:
    """An aware datetime as a monotonic time on this process's clock."""
    return _MONO0 + (d.timestamp() - _WALL0)


def night_of(t: float) -> str:
    """The night a time belongs to, named by the UTC date of its evening (noon to noon)."""
    return (to_utc(t) - timedelta(hours=12)).date().isoformat()


@dataclass
class ExposureRecord:
    """One exposure as the coordinator saw it.

    ``start`` is when the camera was told to open, ``closed`` when the shutter was seen shut
    (the mount may move from then on), ``end`` when the frame was downloaded. A ``spoiled``
    frame overlapped a motion (or was aborted) and is not counted as integration.
    """

    camera: str
    mount: str
    duration: float
    requested: float
    start: float
    closed: float
    end: float
    spoiled: bool = False
    reason: str = ""
    block: str | None = None
    skew_ms: float | None = None
    type: str = "exposure"

    @property
    def counted(self) -> bool:
        return not self.spoiled


@dataclass
class MotionRecord:
    """One mount event (dither, offset, focus, flip, slew): when asked for, when it ran."""

    mount: str
    kind: str
    requested: float
    start: float
    end: float
    requested_by: str | None = None
    urgent: bool = False
    cameras: list[str] = field(default_factory=list)
    block: str | None = None
    type: str = "motion"


@dataclass
class WaitRecord:
    """Time a camera spent not exposing because of another camera or the mount."""

    camera: str
    mount: str
    start: float
    end: float
    why: str
    block: str | None = None
    type: str = "wait"


@dataclass
class ClockRecord:
    """A clock comparison between this server and a device host."""

    host: str
    offset_ms: float
    uncertainty_ms: float
    method: str
    at: float
    type: str = "clock"


Record = ExposureRecord | MotionRecord | WaitRecord | ClockRecord
_TYPES: dict[str, type] = {
    "exposure": ExposureRecord,
    "motion": MotionRecord,
    "wait": WaitRecord,
    "clock": ClockRecord,
}
_TIMES = ("requested", "start", "closed", "end", "at")


class SyncLog:
    """Records of one or more coordinators.

    Parameters
    ----------
    path
        A JSON-lines file to append every record to (created if missing).
    on_record
        Called with every record as it is added (the executor forwards them to its night log).
    """

    def __init__(
        self, path: str | Path | None = None, on_record: Callable[[Record], None] | None = None
    ):
        self.records: list[Record] = []
        self.path = Path(path) if path is not None else None
        self.on_record = on_record
        self._lock = threading.Lock()

    def add(self, record: Record) -> Record:
        with self._lock:
            self.records.append(record)
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with open(self.path, "a") as f:
                    f.write(json.dumps(_to_json(record)) + "\n")
        if self.on_record is not None:
            self.on_record(record)
        return record

    def exposures(self, camera: str | None = None) -> list[ExposureRecord]:
        return [
            r
            for r in self.records
            if isinstance(r, ExposureRecord) and (camera is None or r.camera == camera)
        ]

    def motions(self, mount: str | None = None) -> list[MotionRecord]:
        return [
            r
            for r in self.records
            if isinstance(r, MotionRecord) and (mount is None or r.mount == mount)
        ]

    def waits(self, camera: str | None = None) -> list[WaitRecord]:
        return [
            r
            for r in self.records
            if isinstance(r, WaitRecord) and (camera is None or r.camera == camera)
        ]

    def clocks(self) -> list[ClockRecord]:
        return [r for r in self.records if isinstance(r, ClockRecord)]

    def extend(self, records: Iterable[Record]) -> None:
        for r in records:
            self.add(r)

    @classmethod
    def load(cls, path: str | Path) -> SyncLog:
        """Read a JSON-lines log back (times on this process's monotonic clock)."""
        log = cls()
        for n, line in enumerate(Path(path).read_text().splitlines(), 1):
            if not line.strip():
                continue
            try:
                log.records.append(_from_json(json.loads(line)))
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}:{n}: not a sync log record: {exc}") from None
        return log


def _to_json(record: Record) -> dict[str, Any]:
    d = asdict(record)
    # UTC stamps rather than monotonic seconds: another process cannot use those.
    for k in _TIMES:
        if k in d and d[k] is not None:
            d[k] = to_utc(d[k]).isoformat()
    return d


def _from_json(d: dict[str, Any]) -> Record:
    cls = _TYPES[d.pop("type")]
    for k in _TIMES:
        if k in d and isinstance(d[k], str):
            d[k] = from_utc(datetime.fromisoformat(d[k]))
    return cls(**d)


def record_to_json(record: Record) -> dict[str, Any]:
    """A record as JSON-ready data (UTC stamps), as the JSON-lines file holds it."""
    return _to_json(record)


def record_from_json(data: dict[str, Any]) -> Record:
    """A record from :func:`record_to_json`'s data (times on this process's clock)."""
    return _from_json(dict(data))
