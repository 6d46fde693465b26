"""The state of a block, derived from its event log alone.

Nothing in the store is ever updated: "what is running", "which frames exist" and "how
often was this interrupted" are all folds over the events, so a crash can never leave a
stale status behind — a run with no ``run_ended`` is, by definition, one that died.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from obshub.store.db import Event

#: Every event kind the executor records, with what its data holds.
EVENT_KINDS: dict[str, str] = {
    "run_started": "pid, host, out_dir, frames_expected: a process took the block",
    "run_ended": "status (completed|failed|stopped), reason",
    "interrupted": "cause (crash|unsafe|device|flip), reason",
    "resumed": "after an interruption, what was done to resume",
    "frame_started": "key, index, imagetyp, filter, exposure, binning, gain",
    "frame_saved": "key, path, sha256, bytes, recovered?",
    "frame_failed": "key, error: the frame was not saved and will be taken again",
    "frame_aborted": "key, reason: cut short (unsafe, shutdown)",
    "activity": "kind (exposing|slewing|settling|focusing|flipping|dithering|waiting_safety|"
    "recovering|calibrating), seconds, detail",
    "safety": "safe, reasons, roof: a change of the safety verdict",
    "park": "parked and closed because of …",
    "reopen": "opened and unparked after a safe period",
    "flip": "ha_hours, side_before, side_after, ok, detail",
    "focus": "position, hfr, fwhm, temperature, filter, model, samples",
    "device_down": "device, error, attempts",
    "power": "outlet, on",
    "warning": "message",
}


@dataclass
class BlockState:
    """Where a block stands.

    Attributes
    ----------
    status
        ``new`` (never run), ``running`` (a run without its end: alive or crashed),
        ``completed``, ``failed`` or ``stopped``.
    saved
        Frame key → the ``frame_saved`` data (path, sha256, …).
    open_frames
        Frames started and neither saved, failed nor aborted: a run died during them.
    interruptions
        How many ``interrupted`` events (crashes found on restart, unsafe periods, …).
    """

    status: str = "new"
    reason: str | None = None
    saved: dict[str, dict[str, Any]] = field(default_factory=dict)
    open_frames: dict[str, dict[str, Any]] = field(default_factory=dict)
    interruptions: int = 0
    runs: int = 0
    last_run: dict[str, Any] | None = None
    last_focus: dict[str, Any] | None = None
    attempts: dict[str, int] = field(default_factory=dict)


def derive_state(events: list[Event]) -> BlockState:
    """Fold a block's events (in recorded order) into its state."""
    st = BlockState()
    for ev in events:
        d = ev.data
        k = ev.kind
        if k == "run_started":
            st.status, st.reason = "running", None
            st.runs += 1
            st.last_run = d
        elif k == "run_ended":
            st.status, st.reason = d.get("status", "stopped"), d.get("reason")
            st.open_frames.clear()
        elif k == "interrupted":
            st.interruptions += 1
            if d.get("cause") == "crash":
                st.open_frames.clear()
        elif k == "frame_started":
            st.open_frames[d["key"]] = d
            st.attempts[d["key"]] = st.attempts.get(d["key"], 0) + 1
        elif k == "frame_saved":
            st.saved[d["key"]] = d
            st.open_frames.pop(d["key"], None)
        elif k in ("frame_failed", "frame_aborted"):
            st.open_frames.pop(d["key"], None)
        elif k == "focus":
            st.last_focus = d
    return st
