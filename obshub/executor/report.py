"""The night report: where the time went, per block and per night.

Observers count dither, settle and focus overhead by hand (field.md, item 1); here it is
summed from the ``activity`` events the runner records around every step.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from obshub.store.db import Event, Store

ACTIVITIES = (
    "exposing",
    "calibrating",
    "slewing",
    "settling",
    "dithering",
    "focusing",
    "flipping",
    "waiting_safety",
    "waiting_flip",
    "waiting_window",
    "recovering",
)


def activity_totals(events: list[Event]) -> dict[str, float]:
    """Seconds per activity, every activity listed (0 when none)."""
    out: dict[str, float] = dict.fromkeys(ACTIVITIES, 0.0)
    for ev in events:
        if ev.kind == "activity":
            k = str(ev.data.get("kind"))
            out[k] = out.get(k, 0.0) + float(ev.data.get("seconds", 0.0))
    return {k: round(v, 3) for k, v in out.items()}


def night_of(at: float, longitude_deg: float = 0.0) -> str:
    """The night an instant belongs to: the local-solar date of the evening before.

    Shifting by 12 h puts a whole night (evening to morning) on one date.
    """
    local = datetime.fromtimestamp(at, UTC) + timedelta(hours=longitude_deg / 15.0 - 12.0)
    return local.date().isoformat()


def night_report(store: Store, longitude_deg: float = 0.0) -> dict[str, Any]:
    """Time per activity and frame counts, per block and per night, for the whole store."""
    names = {b.id: f"{b.station}/{b.name}" for b in store.blocks()}
    per_block: dict[str, list[Event]] = defaultdict(list)
    per_night: dict[str, list[Event]] = defaultdict(list)
    for ev in store.events():
        per_block[names.get(ev.block_id, str(ev.block_id))].append(ev)
        per_night[night_of(ev.at, longitude_deg)].append(ev)

    def summary(evs: list[Event]) -> dict[str, Any]:
        out = {
            "seconds": activity_totals(evs),
            "frames_saved": sum(e.kind == "frame_saved" for e in evs),
            "frames_failed": sum(e.kind in ("frame_failed", "frame_aborted") for e in evs),
            "interruptions": sum(e.kind == "interrupted" for e in evs),
            "flips": sum(e.kind == "flip" for e in evs),
            "focus_runs": sum(e.kind == "focus" for e in evs),
        }
        cams = sync_accounting(evs)
        if cams:
            out["sync"] = cams
        return out

    return {
        "blocks": {k: summary(v) for k, v in per_block.items()},
        "nights": {k: summary(v) for k, v in sorted(per_night.items())},
    }


def sync_accounting(events: list[Event]) -> dict[str, dict[str, Any]]:
    """Per camera: seconds exposing, waiting for sync, lost to spoiled frames, and frames.

    Read from the ``sync`` events a synchronised block records (the sync layer's log, see
    :class:`obshub.sync.Accounting`); empty for blocks that did not run through it.
    """
    from obshub.sync.accounting import Accounting
    from obshub.sync.log import SyncLog, record_from_json

    log = SyncLog()
    for ev in events:
        if ev.kind == "sync":
            try:
                log.records.append(record_from_json(ev.data))
            except (KeyError, TypeError, ValueError):
                continue  # a record of a newer version: leave it out rather than fail
    acc = Accounting(log)
    keep = ("exposing", "waiting", "spoiled", "frames", "spoiled_frames", "other", "efficiency")
    return {
        cam: {k: v for k, v in t.to_dict().items() if k in keep}
        for cam, t in sorted(acc.per_camera().items())
    }
