"""Blocks on several cameras: one mount with several ports, or several mounts that cooperate.

A block that names ``instruments:`` (or a ``sync:`` policy) runs one *lane* per instrument,
concurrently, through the sync layer (:class:`obshub.sync.StationSync`): every mount motion is
negotiated with every camera on that mount under the block's policy, and frames a motion
spoiled are taken again. What belongs to the station (safety, dome, power) is done once for
the block; what belongs to a mount (slew, flip, dither, park) once per mount; what belongs to
an instrument (filter, focus, exposures) by its lane.

- Dithers follow a per-mount cycle: under ``strict`` every lane on the mount takes its
  ``dither_every`` frames, then the mount dithers (the barrier); under ``loose`` the leader's
  cadence alone dithers and the policy lets the others expose when their frame fits; under
  ``planned`` each lane takes the frames and exposure time of the planner's
  :class:`~obshub.sync.planner.Plan` per cycle.
- A block on several mounts starts its light frames together (:class:`~obshub.sync.MultiMount`):
  the start skew of every frame goes into its FITS header (``SYNCSKEW``…).
- The sync log is forwarded to the store (``sync`` events), so the per-camera accounting
  (exposing, waiting for sync, lost to spoiled frames) survives a crash.

Crash safety is the single runner's: frame keys carry the instrument
(``main.imaging2/light:L:60s:b1:gNone#0001``) so every lane's frames have their own keys.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from obshub.errors import ConfigError, ObshubError
from obshub.executor.blocks import (
    Block,
    InstrumentPlan,
    PlannedFrame,
    SyncPolicyName,
    SyncSettings,
    plan_frames,
)
from obshub.executor.meridian import hour_angle
from obshub.executor.motion import MotionCoordinator
from obshub.executor.report import sync_accounting
from obshub.executor.runner import BlockRunner, SafetyInterrupt
from obshub.executor.scripts import FrameSpoiled
from obshub.station.model import PortKind
from obshub.station.station import Station
from obshub.store.db import Store
from obshub.sync.coordinator import MountCoordinator, SyncedFrame, SyncError
from obshub.sync.hook import StationSync
from obshub.sync.log import Record, SyncLog, WaitRecord, now, record_to_json
from obshub.sync.multimount import MultiMount, check_cooperation
from obshub.sync.planner import CameraSpec, Plan, plan_trains
from obshub.sync.policies import Loose, Planned, Policy, Strict


def make_runner(
    station: Station,
    block: Block,
    store: Store,
    out_dir: str | Path,
    *,
    motion: MotionCoordinator | None = None,
) -> BlockRunner:
    """The runner a block needs: :class:`MultiBlockRunner` for blocks with ``instruments:``
    or ``sync:``, the single-instrument :class:`BlockRunner` otherwise."""
    cls = MultiBlockRunner if block.synchronised else BlockRunner
    return cls(station, block, store, out_dir, motion=motion)


class DitherCycle:
    """The dither cadence of one mount shared by its lanes.

    Each lane in ``quota`` takes that many light frames, then arrives; when every lane still
    observing has arrived, the last to arrive dithers the mount and all go on. Lanes not in
    ``quota`` never wait (loose followers).
    """

    def __init__(
        self,
        quota: dict[str, int],
        first: int = 1,
        *,
        mount: str = "",
        log: SyncLog | None = None,
        block: str | None = None,
    ):
        self.quota = dict(quota)
        self.mount = mount
        self.log = log
        self.block = block
        self._started = -float("inf")
        self.count = dict.fromkeys(quota, 0)
        self.active = set(quota)
        self.arrived: set[str] = set()
        self.generation = 0
        self.n = first
        self.busy = False
        self._changed = asyncio.Event()

    def _wake(self) -> None:
        ev, self._changed = self._changed, asyncio.Event()
        ev.set()

    def saved(self, lane: str) -> None:
        if lane in self.count:
            self.count[lane] += 1

    def retire(self, lane: str) -> None:
        self.active.discard(lane)
        self._wake()

    def due(self, lane: str) -> bool:
        return lane in self.quota and self.count[lane] >= self.quota[lane]

    async def wait_turn(self, lane: Lane) -> None:
        """Return once ``lane`` may take its next frame (dithering first if it is the last)."""
        name = lane.inst.name
        if not self.due(name):
            return
        self.arrived.add(name)
        self._wake()
        gen = self.generation
        arrived = now()
        while self.generation == gen:
            if not self.busy and self.active <= self.arrived:
                self.busy = True
                self._started = now()
                self._waited(name, arrived, self._started)
                try:
                    # After a park the next slew re-points anyway: no dither on a parked mount.
                    if lane.acquired and lane.target is not None:
                        await lane.script.dither(lane.target, self.n)
                        self.n += 1
                finally:
                    self.busy = False
                    self.generation += 1
                    self.arrived.clear()
                    self.count = dict.fromkeys(self.quota, 0)
                    self._wake()
                return
            ev = self._changed
            await ev.wait()
        # Waiting for the other cameras counts as waiting for sync; the dither itself does not.
        self._waited(name, arrived, self._started if self._started >= arrived else now())

    def _waited(self, camera: str, start: float, end: float) -> None:
        if self.log is not None and end - start >= 0.005:
            self.log.add(WaitRecord(camera, self.mount, start, end, "dither barrier", self.block))


class Together:
    """Light frames of lanes on several mounts started at one instant.

    Each lane submits its next frame; once every lane present has submitted, the frames start
    together through the :class:`~obshub.sync.MultiMount`. A lane waiting for its mount's
    dither, or done with its lights, is not present, so nobody waits for it.
    """

    def __init__(self, group: MultiMount, lanes: list[str], lead: float):
        self.group = group
        self.lead = lead
        self.present = set(lanes)
        self.requests: dict[str, tuple[PlannedFrame, asyncio.Future]] = {}

    async def expose(self, lane: str, frame: PlannedFrame) -> tuple[SyncedFrame, float]:
        fut: asyncio.Future = asyncio.get_running_loop().create_future()
        self.requests[lane] = (frame, fut)
        asked = now()
        self._maybe_fire()
        try:
            synced, t0 = await fut
            # Waiting for the other mounts' cameras to be ready is waiting for sync.
            start = synced.record.requested
            if start - asked >= 0.005:
                owner = self.group._owner[lane]
                self.group.log.add(
                    WaitRecord(lane, owner.name, asked, start, "other mounts", owner.block)
                )
            return synced, t0
        finally:
            # Cancelled before the start: withdraw the request (a started batch goes on).
            if lane in self.requests and self.requests[lane][1] is fut:
                del self.requests[lane]

    def _maybe_fire(self) -> None:
        if not self.requests or not self.present <= set(self.requests):
            return
        batch, self.requests = self.requests, {}
        asyncio.get_running_loop().create_task(self._fire(batch))

    async def _fire(self, batch: dict[str, tuple[PlannedFrame, asyncio.Future]]) -> None:
        try:
            frames = await self.group.expose_together(
                {n: f.exposure for n, (f, _) in batch.items()},
                lead=self.lead,
                options={
                    n: {"binning": (f.binning, f.binning), "gain": f.gain}
                    for n, (f, _) in batch.items()
                },
            )
        except BaseException as exc:  # every lane of the batch sees the failure and retries
            for _, fut in batch.values():
                if not fut.done():
                    fut.set_exception(exc if isinstance(exc, Exception) else SyncError(repr(exc)))
            if not isinstance(exc, Exception):
                raise
            return
        t0 = self.group.last_t0
        by_cam = {f.camera: f for f in frames}
        for n, (_, fut) in batch.items():
            if not fut.done():
                fut.set_result((by_cam[n], t0))

    def leave(self, lane: str) -> None:
        self.present.discard(lane)
        self._maybe_fire()

    def come_back(self, lane: str) -> None:
        self.present.add(lane)

    @contextlib.contextmanager
    def away(self, lane: str) -> Iterator[None]:
        """While ``lane`` waits elsewhere (its mount's dither), the others do not wait for it."""
        was = lane in self.present
        self.leave(lane)
        try:
            yield
        finally:
            if was:
                self.come_back(lane)


@dataclass
class MountState:
    """Pointing state of one mount of the block, shared by its lanes."""

    name: str
    lanes: list[str] = field(default_factory=list)
    acquired: bool = False
    flipped: bool = False
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    cycle: DitherCycle | None = None
    plan: Plan | None = None


class Lane(BlockRunner):
    """One instrument of a multi-instrument block.

    A :class:`BlockRunner` whose block state, safety watcher and dome state are the parent's,
    and whose pointing state (acquired, flipped) is its mount's.
    """

    def __init__(self, parent: MultiBlockRunner, block: Block, mount: MountState):
        self._parent = parent
        self._mount = mount
        self._synced: dict[str, Any] = {}
        super().__init__(parent.station, block, parent.store, parent.out_dir, motion=parent.motion)

    # Shared state: the parent's (block, station) or the mount's (pointing) --------------

    def _shared(name: str, where: str = "_parent") -> property:  # noqa: N805 - descriptor factory
        def get(self: Lane) -> Any:
            return getattr(getattr(self, where), name)

        def put(self: Lane, value: Any) -> None:
            setattr(getattr(self, where), name, value)

        return property(get, put)

    block_id = _shared("block_id")
    state = _shared("state")
    watcher = _shared("watcher")
    closed_by_us = _shared("closed_by_us")
    safety_closed = _shared("safety_closed")
    target = _shared("target")
    acquired = _shared("acquired", "_mount")
    flipped = _shared("flipped", "_mount")
    del _shared

    def record(self, event: str, /, **data: Any) -> None:
        data.setdefault("instrument", self.inst.name)
        self._parent.record(event, **data)

    async def _shutdown(self, why: str, *, park: bool = True, close: bool = True) -> None:
        await self._parent._shutdown(why, park=park, close=close)

    # Preparing a sky frame ---------------------------------------------------------------

    async def _prepare(self, frame: PlannedFrame) -> None:
        if not frame.is_sky:
            await super()._prepare(frame)
            return
        p = self._parent
        # The dither first: after waiting for it the station may have become unsafe.
        await self._maybe_dither()
        await self._wait_for_window()
        async with p.open_lock:
            await self._ensure_open()
        self._check_constraints()
        async with self._mount.lock:
            if not self.acquired:
                await self._acquire(frame)
            await self._meridian(frame)
        await self._filter(frame.filter)
        f = self.block.focus
        if f.policy.value != "never" and not self.focused and self.inst.focuser is not None:
            await self._autofocus(f.filter or frame.filter)
        await self._maybe_refocus(frame)

    async def _maybe_refocus(self, frame: PlannedFrame) -> None:
        if self.inst.focuser is not None:
            await super()._maybe_refocus(frame)

    async def _acquire(self, frame: PlannedFrame) -> None:
        # The mount's slew, for every lane on it; each lane focuses its own focuser after.
        assert self.target is not None
        await self.script.acquire(self.target)
        ha = hour_angle(self.target, self.station.location)
        self.flipped = ha * 60 >= self.unit.config.meridian.flip_after
        self.acquired = True

    async def _maybe_dither(self) -> None:
        cycle = self._mount.cycle
        if cycle is None or not cycle.due(self.inst.name):
            return
        together = self._parent.together
        with together.away(self.inst.name) if together else contextlib.nullcontext():
            await cycle.wait_turn(self)

    # Taking it ---------------------------------------------------------------------------

    async def _expose(self, frame: PlannedFrame) -> Any:
        p = self._parent
        v = self.watcher.verdict if self.watcher is not None else None
        if frame.is_sky and ((v is not None and not v.safe) or not self.acquired):
            # Became unsafe (or parked) while this lane waited for the others: not this frame.
            self.record("frame_aborted", key=frame.key, reason="unsafe before the start")
            raise SafetyInterrupt()
        if p.together is None or not frame.is_sky:
            image = await self.script.expose(frame)
            self._synced = p.exposure_keywords(self.inst.name)
            return image
        async with self.ctx.activity("exposing", key=frame.key):
            synced, t0 = await p.together.expose(self.inst.name, frame)
        if synced.spoiled or synced.image is None:
            raise FrameSpoiled(f"{frame.key}: {synced.reason or 'spoiled'}")
        self._synced = p.group.sync_keywords(synced, t0) if p.group and t0 else {}
        return synced.image

    def _extra_keywords(self, frame: PlannedFrame) -> dict[str, Any]:
        kw = {"SYNCPOL": (self._parent.policy_name, "sync policy of the block")}
        kw.update(self._synced)
        self._synced = {}
        return kw

    async def _take(self, frame: PlannedFrame) -> None:
        await super()._take(frame)
        if frame.is_sky and self._mount.cycle is not None:
            self._mount.cycle.saved(self.inst.name)


class MultiBlockRunner(BlockRunner):
    """Run a block on several instruments at once, synchronised (see the module's docstring).

    Parameters are :class:`BlockRunner`'s. ``motion`` is a :class:`~obshub.sync.StationSync`
    to share with other runners; by default one is made for the block's mounts with the
    block's ``sync`` policy.

    Raises
    ------
    ConfigError
        Unknown instruments, instruments on mounts that may not cooperate, filters an
        instrument has no wheel for, exposure plans the planner cannot use — all at once.
    """

    several_instruments = True

    def __init__(
        self,
        station: Station,
        block: Block,
        store: Store,
        out_dir: str | Path,
        *,
        motion: MotionCoordinator | None = None,
    ):
        self.sync_settings = block.sync or SyncSettings()
        if block.instruments is not None:
            specs = list(block.instruments)
        else:  # one instrument with a sync policy: the block's, else the first imaging one
            name = block.instrument
            if name is None:
                try:
                    name = station.instrument(None)[1].name
                except KeyError as exc:
                    problem = [("instrument", exc.args[0])]
                    raise ConfigError(f"block {block.name!r}", problem) from None
            specs = [InstrumentPlan(instrument=name)]
        resolved = self._validate(station, block, specs)
        self._every = {
            inst.name: spec.dither_every or block.dither.every
            for spec, (_, inst) in zip(specs, resolved, strict=True)
        }
        self.mount_states: dict[str, MountState] = {}
        for unit, inst in resolved:
            ms = self.mount_states.setdefault(unit.name, MountState(unit.name))
            ms.lanes.append(inst.name)
        self.policy_name = self.sync_settings.policy.value
        self.plans = self._plan(block, specs, resolved)
        self.sync_log: SyncLog | None = None
        if motion is None:
            self.sync_log = SyncLog(on_record=self._on_sync_record)
            coords = {
                m: MountCoordinator.from_station(
                    station, m, policy=self._policy(m), log=self.sync_log
                )
                for m in self.mount_states
            }
            motion = StationSync(coords, urgent_kinds=self.sync_settings.urgent, station=station)
        elif isinstance(motion, StationSync):
            self.sync_log = motion.log
            if motion.log.on_record is None:
                motion.log.on_record = self._on_sync_record
        super().__init__(station, block, store, out_dir, motion=motion)
        self.open_lock = asyncio.Lock()
        self.lanes: list[Lane] = []
        for spec, (unit, inst) in zip(specs, resolved, strict=True):
            sub = block.model_copy(
                update={
                    "instrument": inst.name,
                    "instruments": None,
                    "sync": None,
                    "exposures": block.exposures if spec.exposures is None else spec.exposures,
                }
            )
            lane = Lane(self, sub, self.mount_states[unit.name])
            lane.plan = self._lane_plan(lane, sub)
            self.lanes.append(lane)
        self.unit, self.inst = self.lanes[0].unit, self.lanes[0].inst
        self.plan = [f for lane in self.lanes for f in lane.plan]
        self.group: MultiMount | None = None
        self.together: Together | None = None
        if len(self.mount_states) > 1 and isinstance(self.motion, StationSync):
            self.group = self.motion.together(list(self.mount_states))

    # Validation and planning -------------------------------------------------------------

    @staticmethod
    def _validate(
        station: Station, block: Block, specs: list[InstrumentPlan]
    ) -> list[tuple[Any, Any]]:
        problems: list[tuple[str, str]] = []
        resolved: list[tuple[Any, Any]] = []
        seen: dict[str, int] = {}
        many = block.instruments is not None
        for i, spec in enumerate(specs):
            where = f"instruments[{i}]" if many else "instrument"
            try:
                unit, inst = station.instrument(spec.instrument)
            except KeyError as exc:
                problems.append((f"{where}.instrument" if many else where, exc.args[0]))
                continue
            if inst.kind is PortKind.guide:
                problems.append((where, f"{inst.name} is a guide port, not an imaging camera"))
            if inst.name in seen:
                problems.append((where, f"{inst.name} is already instruments[{seen[inst.name]}]"))
            seen[inst.name] = i
            exposures = block.exposures if spec.exposures is None else spec.exposures
            wheel_cfg = inst.config.filter_wheel
            for j, e in enumerate(exposures):
                at = f"{where}.exposures[{j}]" if spec.exposures is not None else f"exposures[{j}]"
                if e.filter is None:
                    continue
                if inst.filter_wheel is None:
                    problems.append((f"{at}.filter", f"{inst.name} has no filter wheel"))
                elif wheel_cfg.filters and e.filter not in wheel_cfg.filters:
                    problems.append(
                        (
                            f"{at}.filter",
                            f"{inst.name} has no filter {e.filter!r} "
                            f"(its wheel: {', '.join(wheel_cfg.filters)})",
                        )
                    )
            resolved.append((unit, inst))
        mounts = list(dict.fromkeys(u.name for u, _ in resolved))
        if len(mounts) > 1:
            try:
                check_cooperation(station, mounts)
            except SyncError as exc:
                problems.append(("instruments", str(exc)))
        if problems:
            raise ConfigError(f"block {block.name!r}", problems)
        return resolved

    def _plan(
        self, block: Block, specs: list[InstrumentPlan], resolved: list[tuple[Any, Any]]
    ) -> dict[str, Plan]:
        """The planner's plan per mount (``policy: planned`` with dithers), else ``{}``."""
        s = self.sync_settings
        if s.policy is not SyncPolicyName.planned or block.dither.pattern.value == "none":
            return {}
        problems: list[tuple[str, str]] = []
        by_mount: dict[str, list[CameraSpec]] = {}
        lo_f, hi_f = s.exposure_range
        for i, (spec, (unit, inst)) in enumerate(zip(specs, resolved, strict=True)):
            exposures = block.exposures if spec.exposures is None else spec.exposures
            times = sorted({e.exposure for e in exposures})
            if not times:
                continue
            if len(times) > 1 or times[0] <= 0:
                problems.append(
                    (
                        f"instruments[{i}].exposures",
                        f"planned: {inst.name} needs one exposure time > 0 for its light "
                        f"frames, got {', '.join(f'{t:g}' for t in times)} s",
                    )
                )
                continue
            e = times[0]
            try:
                by_mount.setdefault(unit.name, []).append(
                    CameraSpec(
                        inst.name,
                        exposure=e,
                        readout=spec.readout if spec.readout is not None else s.readout,
                        dither_every=spec.dither_every or block.dither.every,
                        min_exposure=spec.min_exposure if spec.min_exposure else e * lo_f,
                        max_exposure=spec.max_exposure if spec.max_exposure else e * hi_f,
                    )
                )
            except ValueError as exc:
                problems.append((f"instruments[{i}]", str(exc)))
        if problems:
            raise ConfigError(f"block {block.name!r}", problems)
        dither = s.dither_seconds if s.dither_seconds is not None else block.dither.settle + 1.0
        plans = {m: plan_trains(cams, dither) for m, cams in by_mount.items()}
        for m, plan in plans.items():
            self.mount_states[m].plan = plan
        return plans

    def _policy(self, mount: str) -> Policy:
        s = self.sync_settings
        if s.policy is SyncPolicyName.loose:
            return Loose(leader=self._leader(mount), margin=s.margin)
        if s.policy is SyncPolicyName.planned:
            return Planned(plan=self.mount_states[mount].plan, margin=s.margin)
        return Strict(margin=s.margin)

    def _leader(self, mount: str) -> str:
        lanes = self.mount_states[mount].lanes
        leader = self.sync_settings.leader
        if leader is not None:
            for name in lanes:
                if leader in (name, name.split(".", 1)[-1]):
                    return name
        return lanes[0]

    def _lane_plan(self, lane: Lane, sub: Block) -> list[PlannedFrame]:
        """The lane's frames with keys of their own; planned exposure times for lights."""
        train = None
        ms = lane._mount
        if ms.plan is not None:
            train = ms.plan.trains.get(lane.inst.name)
        out = []
        for f in plan_frames(sub):
            f = dataclasses.replace(f, key=f"{lane.inst.name}/{f.key}")
            if train is not None and f.is_sky:
                f = dataclasses.replace(f, exposure=round(train.exposure, 3))
            out.append(f)
        return out

    def _cycles(self) -> None:
        """Each mount's dither cycle: who takes how many frames between dithers."""
        d = self.block.dither
        if d.pattern.value == "none":
            return
        every = self._every
        done = sum(
            e.kind == "activity" and e.data.get("kind") == "dithering"
            for e in self.store.events(self.block_id, kinds=("activity",))
        )
        for ms in self.mount_states.values():
            lanes = [ln for ln in self.lanes if ln._mount is ms and ln.script.dithers]
            if not lanes:
                continue
            if self.sync_settings.policy is SyncPolicyName.loose:
                leader = self._leader(ms.name)
                quota = {leader: every[leader]} if leader in every else {}
            elif ms.plan is not None:
                quota = {ln.inst.name: ms.plan.trains[ln.inst.name].frames for ln in lanes}
            else:
                quota = {ln.inst.name: every[ln.inst.name] for ln in lanes}
            # Dither positions go on from where a crashed run left them.
            ms.cycle = DitherCycle(
                quota, first=done + 1, mount=ms.name, log=self.sync_log, block=self.block.name
            )

    # The sync log into the store -----------------------------------------------------------

    def _on_sync_record(self, record: Record) -> None:
        block = getattr(record, "block", self.block.name)
        if self.block_id is None or block not in (self.block.name, None):
            return
        self.store.append(self.block_id, "sync", **record_to_json(record))

    def exposure_keywords(self, camera: str) -> dict[str, Any]:
        """FITS keywords of the camera's last frame, from the sync log."""
        if self.sync_log is None:
            return {}
        recs = self.sync_log.exposures(camera)
        return SyncedFrame(None, recs[-1]).header_keywords() if recs else {}

    # Running -------------------------------------------------------------------------------

    async def _start_station(self) -> None:
        await super()._start_station()
        for lane in self.lanes[1:]:
            with contextlib.suppress(ObshubError):
                from obshub.devices.interfaces import CameraState

                if await lane.inst.camera.state() not in (CameraState.IDLE, CameraState.ERROR):
                    await lane.inst.camera.abort()
        if isinstance(self.motion, StationSync):
            for m in self.mount_states:
                self.motion.coordinator(m).block = self.block.name
        self._cycles()
        if self.group is not None:
            lights = [ln.inst.name for ln in self.lanes if any(f.is_sky for f in ln.plan)]
            self.together = Together(self.group, lights, self.sync_settings.lead)
        if self.plans:
            self.record(
                "sync_plan",
                policy=self.policy_name,
                plans={m: p.to_dict() for m, p in self.plans.items()},
            )

    async def _observe(self) -> None:
        tasks = [asyncio.create_task(self._run_lane(lane)) for lane in self.lanes]
        try:
            done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        except asyncio.CancelledError:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        for t in pending:
            t.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        for t in done:
            if t.exception() is not None:
                raise t.exception()

    async def _run_lane(self, lane: Lane) -> None:
        name = lane.inst.name
        try:
            for frame in lane.plan:
                if frame.key in self.state.saved:
                    continue
                if not frame.is_sky:
                    self._done_with_lights(lane)
                await lane._take_with_retries(frame)
        finally:
            self._done_with_lights(lane)
            if lane._mount.cycle is not None:
                lane._mount.cycle.retire(name)

    def _done_with_lights(self, lane: Lane) -> None:
        name = lane.inst.name
        if self.together is not None and name in self.together.present:
            self.together.leave(name)
        cycle = lane._mount.cycle
        if cycle is not None:
            cycle.retire(name)

    async def _shutdown(self, why: str, *, park: bool = True, close: bool = True) -> None:
        """Park every mount of the block, then close the dome."""
        done: dict[str, Any] = {"why": why}
        if park:
            for name in self.mount_states:
                mount = self.station.mounts[name].mount
                try:
                    async with self.motion.mount_motion(name, "park"):
                        if not await mount.is_parked():
                            await self.script.call("park", mount.park)
                    done.setdefault("parked", []).append(name)
                except ObshubError as exc:
                    done.setdefault("park_error", {})[name] = str(exc)
        dome = self.station.dome
        if close and dome is not None and self.settings.dome.value == "executor":
            try:
                await self.script.call("close dome", dome.close)
                done["closed"] = True
                self.closed_by_us = True
            except ObshubError as exc:
                done["close_error"] = str(exc)
        for ms in self.mount_states.values():
            ms.acquired = False
        self.record("park", **done)

    # Summary -------------------------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        """The single runner's summary, plus frames per instrument and sync accounting."""
        out = super().summary()
        events = self.store.events(self.block_id, kinds=("frame_saved", "sync"))
        saved = {e.data["key"] for e in events if e.kind == "frame_saved"}
        out["instruments"] = {
            lane.inst.name: {
                "mount": lane.unit.name,
                "frames_expected": len(lane.plan),
                "frames_saved": sum(f.key in saved for f in lane.plan),
            }
            for lane in self.lanes
        }
        out["sync"] = {
            "policy": self.policy_name,
            "mounts": list(self.mount_states),
            "cameras": sync_accounting([e for e in events if e.kind == "sync"]),
        }
        if self.plans:
            out["sync"]["plans"] = {m: p.to_dict() for m, p in self.plans.items()}
        return out
