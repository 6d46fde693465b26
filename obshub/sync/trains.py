"""Running exposure trains on one mount under each policy (for notebooks, tests, benchmarks).

Every runner takes frames on all the coordinator's cameras until ``until`` (no frame is
started that would end after it), or until ``dithers`` dithers are done, and dithers the mount; all motions and exposures go through
the coordinator, so its log holds every interval and accounting works the same for all.

- :func:`run_independent` — each camera dithers every N of its own frames and ignores the
  others (the baseline; frames a dither overlaps are flagged spoiled).
- :func:`run_strict` — every camera takes its N frames, downloads, waits at the barrier; then
  the mount dithers.
- :func:`run_loose` — the leader dithers every N of its frames; the others keep exposing when
  their frame ends before the leader's.
- :func:`run_plan` — the planned trains: dithers at the cycle boundaries, while the last frames
  read out.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from obshub.sync.coordinator import MountCoordinator
from obshub.sync.log import ExposureRecord, now
from obshub.sync.planner import CameraSpec, Plan, strict_plan


@dataclass
class Dither:
    """How the runners dither: one guide pulse of ``pulse`` seconds, or an offset slew of
    ``offset`` arcsec (directions cycle), then ``settle`` seconds."""

    pulse: float = 0.3
    settle: float = 0.0
    offset: float | None = None
    _n: int = field(default=0, init=False, repr=False)

    @property
    def duration(self) -> float:
        """The expected duration (a guess for an offset slew: its settling plus 0.5 s)."""
        return (self.pulse if self.offset is None else 0.5) + self.settle


@dataclass
class RunResult:
    """What a runner did: wall time and per-camera exposure seconds (counted and spoiled)."""

    policy: str
    start: float
    end: float
    exposed: dict[str, float] = field(default_factory=dict)
    spoiled: dict[str, float] = field(default_factory=dict)
    frames: dict[str, int] = field(default_factory=dict)
    dithers: int = 0

    @property
    def wall(self) -> float:
        return self.end - self.start

    def efficiency(self) -> float:
        """Counted exposure seconds / (cameras × wall seconds)."""
        n = len(self.exposed) or 1
        return sum(self.exposed.values()) / (n * self.wall) if self.wall > 0 else 0.0


def _collect(coord: MountCoordinator, policy: str, t0: float, t1: float, dithers: int) -> RunResult:
    res = RunResult(policy, t0, t1, dithers=dithers)
    for cam in coord.cameras:
        recs = [r for r in coord.log.exposures(cam) if r.start >= t0 and r.end <= t1]
        res.exposed[cam] = sum(r.duration for r in recs if r.counted)
        res.spoiled[cam] = sum(r.duration for r in recs if not r.counted)
        res.frames[cam] = sum(1 for r in recs if r.counted)
    return res


def _enough(count: int, dithers: int | None) -> bool:
    return dithers is not None and count >= dithers


async def _dither(coord: MountCoordinator, dither: Dither, by: str | None, request=None) -> None:
    import astropy.units as u

    if dither.offset is None:
        await coord.dither(
            dither.pulse * u.s, settle=dither.settle, requested_by=by, request=request
        )
        return
    # Out and back along a square, so the pointing stays near the target.
    steps = [(1, 0), (0, 1), (-1, 0), (0, -1)]
    dx, dy = steps[dither._n % 4]
    dither._n += 1
    await coord.offset(
        dx * dither.offset * u.arcsec,
        dy * dither.offset * u.arcsec,
        settle=dither.settle,
        requested_by=by,
        request=request,
    )


async def run_independent(
    coord: MountCoordinator,
    specs: Mapping[str, CameraSpec],
    dither: Dither,
    until: float,
    dithers: int | None = None,
) -> RunResult:
    """Each camera: N frames, then its own dither, ignoring the others."""
    t0 = now()
    count = 0

    async def camera(name: str) -> None:
        nonlocal count
        s = specs[name]
        k = 0
        while now() + s.exposure <= until and not _enough(count, dithers):
            await coord.expose(name, s.exposure)
            k += 1
            if k % s.dither_every == 0 and now() + dither.duration <= until:
                await _dither(coord, dither, name)
                count += 1

    await asyncio.gather(*(camera(n) for n in coord.cameras))
    return _collect(coord, "independent", t0, now(), count)


async def run_cycles(
    coord: MountCoordinator,
    plan: Plan,
    dither: Dither,
    until: float,
    dithers: int | None = None,
    *,
    overlap_readout: bool = True,
) -> RunResult:
    """Run a plan's cycles: each camera takes its train, then the mount dithers.

    With ``overlap_readout`` a camera is done with its cycle when its last shutter closes (the
    dither runs during its readout); without, when its last frame is downloaded (the barrier).
    """
    t0 = now()
    names = list(plan.trains)
    count = 0
    # Cycle k's gate opens after the dither before it; done[k, camera] when that camera's
    # frames of cycle k are over (shutter closed, or downloaded for the barrier).
    gates: defaultdict[int, asyncio.Event] = defaultdict(asyncio.Event)
    done: defaultdict[tuple[int, str], asyncio.Event] = defaultdict(asyncio.Event)
    gates[0].set()
    stopped = False

    async def camera(name: str) -> None:
        train = plan.trains[name]
        k = 0
        while True:
            await gates[k].wait()
            if stopped:
                return
            mine = done[k, name]
            for j in range(train.frames):
                if now() + train.exposure > until:
                    break
                last = j == train.frames - 1

                def closed(_r: ExposureRecord, ev: asyncio.Event = mine, last: bool = last) -> None:
                    if last and overlap_readout:
                        ev.set()

                await coord.expose(name, train.exposure, on_closed=closed)
            mine.set()
            k += 1

    async def mount() -> None:
        nonlocal count, stopped
        k = 0
        while True:
            await asyncio.gather(*(done[k, n].wait() for n in names))
            shortest = min(t.exposure for t in plan.trains.values())
            if now() + dither.duration + shortest > until or _enough(count, dithers):
                stopped = True
                gates[k + 1].set()
                return
            await _dither(coord, dither, "plan")
            count += 1
            gates[k + 1].set()
            k += 1

    await asyncio.gather(mount(), *(camera(n) for n in names))
    return _collect(coord, plan.kind, t0, now(), count)


async def run_strict(
    coord: MountCoordinator,
    specs: Mapping[str, CameraSpec],
    dither: Dither,
    until: float,
    dithers: int | None = None,
) -> RunResult:
    """The barrier: N frames each at nominal exposure, all downloaded, then the dither."""
    plan = strict_plan([specs[n] for n in coord.cameras], dither.duration)
    return await run_cycles(coord, plan, dither, until, dithers, overlap_readout=False)


async def run_plan(
    coord: MountCoordinator,
    plan: Plan,
    dither: Dither,
    until: float,
    dithers: int | None = None,
) -> RunResult:
    """The planned trains, dithering while the last frames of each cycle read out."""
    return await run_cycles(coord, plan, dither, until, dithers, overlap_readout=True)


async def run_loose(
    coord: MountCoordinator,
    specs: Mapping[str, CameraSpec],
    dither: Dither,
    until: float,
    leader: str,
    dithers: int | None = None,
) -> RunResult:
    """The leader dithers every N of its frames; followers start only frames that fit."""
    leader = coord.camera_name(leader)
    t0 = now()
    count = 0
    leading = True

    async def lead() -> None:
        nonlocal count, leading
        s = specs[leader]
        k = 0
        while now() + s.exposure <= until and not _enough(count, dithers):
            k += 1
            due = k % s.dither_every == 0
            frame = await coord.expose(leader, s.exposure, then="dither" if due else None)
            if frame.announced is not None:
                if now() + dither.duration <= until:
                    await _dither(coord, dither, leader, request=frame.announced)
                    count += 1
                else:
                    await coord.withdraw(frame.announced)
        leading = False

    async def follow(name: str) -> None:
        s = specs[name]
        while leading and now() + s.exposure <= until:
            await coord.expose(name, s.exposure)

    await asyncio.gather(lead(), *(follow(n) for n in coord.cameras if n != leader))
    return _collect(coord, "loose", t0, now(), count)
