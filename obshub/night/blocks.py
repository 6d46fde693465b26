"""A plan entry as an executor block, and a runner that writes who the frames belong to."""

from __future__ import annotations

import math
from typing import Any

import astropy.units as u

from obshub.executor.blocks import Block, PlannedFrame
from obshub.executor.runner import BlockRunner
from obshub.scheduler.constraints import AltitudeConstraint, AtNightConstraint
from obshub.scheduler.plan import PlanEntry
from obshub.scheduler.requests import Request
from obshub.station.model import StationConfig


def instrument_for(cfg: StationConfig, telescope: str, kind: str) -> str:
    """``mount.port`` of the first port of ``telescope``'s mount doing ``kind`` (imaging…)."""
    mount = telescope.split("/", 1)[-1]
    for m in cfg.mounts:
        if m.name == mount:
            for p in m.ports:
                if p.kind.value == kind:
                    return f"{m.name}.{p.name}"
    raise KeyError(f"{telescope}: no {kind} port")


def entry_block(
    entry: PlanEntry,
    request: Request | None,
    cfg: StationConfig,
    *,
    safe_period: float = 120.0,
) -> Block:
    """The executor block for ``entry``, with the request's own altitude and Sun limits.

    The scheduler placed the entry where the request's constraints hold; the executor checks
    the same limits again at run time (the Sun limit a request relaxed stays relaxed), and stops
    the block if it overruns its slot by its own length.
    """
    doc: dict[str, Any] = entry.block_spec()
    doc["instrument"] = instrument_for(cfg, entry.telescope, entry.instrument)
    cons: dict[str, Any] = {"sun_max_altitude": 90.0}
    for c in request.constraints if request else ():
        if isinstance(c, AtNightConstraint) and math.isfinite(c.hi):
            cons["sun_max_altitude"] = max(-90.0, min(90.0, float(c.hi)))
        if isinstance(c, AltitudeConstraint) and math.isfinite(c.lo) and c.lo > 0:
            cons["min_altitude"] = float(c.lo)
    cons["not_after"] = (entry.end + (entry.end - entry.start) + 2 * u.min).utc.datetime.replace(
        microsecond=0
    ).isoformat() + "+00:00"
    doc["constraints"] = cons
    # One block after another on the same mount: no park or dome close in between.
    doc["executor"] = {
        "safe_period": safe_period,
        "park_at_end": False,
        "close_at_end": False,
        "slew_settle": 1.0,
    }
    return Block.model_validate(doc)


class AttributedRunner(BlockRunner):
    """A block runner writing ``OWNER`` and ``PROJECT`` into every frame.

    The service attributes a frame to the user in ``OWNER`` (and to the project in
    ``PROJECT``); frames of a request from a file have no service row for ``OBSBLOCK`` to name.
    """

    def __init__(self, *args: Any, owner: str = "", project: str = "", **kw: Any):
        super().__init__(*args, **kw)
        self.owner = owner
        self.project = project

    def _extra_keywords(self, frame: PlannedFrame) -> dict[str, Any]:
        extra = dict(super()._extra_keywords(frame))
        if self.owner and self.owner != "anonymous":
            extra["OWNER"] = (self.owner[:68], "who requested this frame")
        if self.project and self.project != "default":
            extra["PROJECT"] = (self.project[:68], "the request's program")
        return extra
