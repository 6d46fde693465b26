"""One mount, several cameras: mount events negotiated with every camera on the mount.

The coordinator holds, for one mount, the open exposures ("leases") and the mount events asked
for. Two rules hold whatever the policy:

1. A negotiated mount motion (dither, offset, focus, flip, slew) starts only when no camera it
   affects has its shutter open, and no affected camera opens its shutter while it runs.
2. A frame that a motion would spoil is not started (the policy decides what "would" means);
   a frame spoiled anyway — by an urgent motion, a motion nobody negotiated (another program
   slewing the mount), an error — is flagged and not counted.

The shutter is watched through the camera's state, so the mount may move while a camera reads
out: dithers land in the readout gaps.

Use it from a notebook::

    coord = MountCoordinator.from_station(station, "main", policy="strict")
    frame = await coord.expose("main.imaging", 30 * u.s)
    async with coord.mount_motion("dither", requested_by="main.imaging"):
        await station.mounts["main"].mount.pulse_guide(GuideDirection.NORTH, 0.5 * u.s)

and from the executor, whose hook for mount-level motions is ``coord.mount_motion``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import astropy.units as u

from obshub.devices.interfaces.camera import Camera, CameraState, Image
from obshub.devices.interfaces.mount import GuideDirection, Mount
from obshub.errors import ObshubError
from obshub.sync.log import ExposureRecord, MotionRecord, SyncLog, WaitRecord, now
from obshub.sync.policies import Policy, policy_from
from obshub.sync.state import Lease, MotionRequest

if TYPE_CHECKING:
    from obshub.station.station import Station

_OPEN = (CameraState.WAITING, CameraState.EXPOSING)
_READ = (CameraState.READING, CameraState.DOWNLOAD)
# Waits shorter than this are scheduling noise, not waiting for the others.
_WAIT_FLOOR = 0.005


class SyncError(ObshubError):
    """A synchronisation request that cannot be met (unknown camera, timeout, misuse)."""


@dataclass
class SyncedFrame:
    """A frame taken through a coordinator.

    Attributes
    ----------
    image
        The image; ``None`` when an urgent motion aborted the exposure.
    record
        When it was asked for, started, closed and downloaded; whether it is spoiled and why.
    announced
        The motion announced to follow this frame (``expose(..., then="dither")``), to pass
        to :meth:`MountCoordinator.mount_motion`.
    """

    image: Image | None
    record: ExposureRecord
    announced: MotionRequest | None = None
    #: Where the frame was written, and its checksum, if it was.
    path: Path | None = None
    sha256: str | None = None

    @property
    def camera(self) -> str:
        return self.record.camera

    @property
    def spoiled(self) -> bool:
        return self.record.spoiled

    @property
    def counted(self) -> bool:
        """Whether the frame counts as integration (not spoiled)."""
        return not self.record.spoiled

    @property
    def reason(self) -> str:
        return self.record.reason

    @property
    def duration(self) -> float:
        return self.record.duration

    @property
    def waited(self) -> float:
        """Seconds between asking to expose and starting."""
        return self.record.start - self.record.requested

    def header_keywords(self) -> dict[str, Any]:
        """FITS keywords saying how the frame was synchronised."""
        kw: dict[str, Any] = {
            "SYNCSPOL": (self.spoiled, "spoiled by a mount motion or abort"),
            "SYNCWAIT": (round(self.waited, 3), "[s] waited for other cameras/mount"),
        }
        if self.spoiled:
            kw["SYNCWHY"] = (self.reason[:60], "why the frame is spoiled")
        if self.record.skew_ms is not None:
            kw["SYNCSKEW"] = (round(self.record.skew_ms, 2), "[ms] start minus common start")
        return kw


class MountCoordinator:
    """The cameras on one mount and the mount's events, negotiated.

    Parameters
    ----------
    mount
        The mount.
    cameras
        Camera by name (``"main.imaging"``); every camera that can be spoiled by the mount.
    name
        The mount's name, for logs.
    policy
        ``"strict"`` (default), ``"loose"``, ``"planned"``, ``"independent"`` or a
        :class:`~obshub.sync.policies.Policy`.
    log
        Where records go; a new in-memory :class:`~obshub.sync.log.SyncLog` by default.
    check_pointing
        Read the mount's coordinates before and after each exposure and flag the frame as
        spoiled if they moved by more than ``pointing_tolerance`` (a motion nobody negotiated),
        and hold a frame back while the mount reports slewing.
    pointing_tolerance
        See ``check_pointing``.
    poll_interval
        How often the shutter state is polled near a frame's end, in seconds.
    """

    def __init__(
        self,
        mount: Mount,
        cameras: Mapping[str, Camera],
        *,
        name: str | None = None,
        policy: str | Policy = "strict",
        log: SyncLog | None = None,
        check_pointing: bool = True,
        pointing_tolerance: u.Quantity = 2 * u.arcsec,
        poll_interval: float = 0.04,
    ):
        if not cameras:
            raise SyncError(f"{name or mount.name}: a coordinator needs at least one camera")
        self.mount = mount
        self.cameras: dict[str, Camera] = dict(cameras)
        self.name = name or mount.name
        self.policy = policy_from(policy)
        self.log = log if log is not None else SyncLog()
        self.check_pointing = check_pointing
        self.pointing_tolerance = pointing_tolerance
        self.poll_interval = poll_interval
        #: The block frames and motions are booked to (see :meth:`in_block`).
        self.block: str | None = None
        self._cond = asyncio.Condition()
        self._leases: dict[str, Lease] = {}
        self._tasks: dict[str, asyncio.Task[Image]] = {}
        self._pending: list[MotionRequest] = []
        self._moving: MotionRequest | None = None
        self._directions = itertools.cycle(
            [GuideDirection.NORTH, GuideDirection.EAST, GuideDirection.SOUTH, GuideDirection.WEST]
        )

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def from_station(
        cls, station: Station, mount: str | None = None, **kwargs: Any
    ) -> MountCoordinator:
        """The coordinator for a station's mount and the cameras on its imaging ports.

        Parameters
        ----------
        station
            The station (connected or not).
        mount
            The mount's name; the station's only mount by default.
        **kwargs
            Passed to :class:`MountCoordinator` (``policy``, ``log``, …).
        """
        if mount is None:
            if len(station.mounts) != 1:
                raise SyncError(
                    f"{station.name}: several mounts ({', '.join(station.mounts)}); name one"
                )
            mount = next(iter(station.mounts))
        try:
            unit = station.mounts[mount]
        except KeyError:
            raise SyncError(
                f"{station.name}: no mount {mount!r} (known: {', '.join(station.mounts)})"
            ) from None
        cams = {i.name: i.camera for i in unit.ports.values() if i.kind.value != "guide"}
        return cls(unit.mount, cams, name=unit.name, **kwargs)

    def camera_name(self, camera: str | Camera) -> str:
        """The coordinator's name for a camera given by name, port name or object."""
        if isinstance(camera, Camera):
            for k, c in self.cameras.items():
                if c is camera:
                    return k
            raise SyncError(f"{self.name}: camera {camera.name!r} is not on this mount")
        if camera in self.cameras:
            return camera
        for k, c in self.cameras.items():
            if k.split(".")[-1] == camera or c.name == camera:
                return k
        raise SyncError(
            f"{self.name}: no camera {camera!r} on this mount (known: {', '.join(self.cameras)})"
        )

    @contextlib.contextmanager
    def in_block(self, block: str | None) -> Iterator[None]:
        """Book everything done inside to ``block`` (for accounting)."""
        old, self.block = self.block, block
        try:
            yield
        finally:
            self.block = old

    # -- exposures ------------------------------------------------------------------------

    async def expose(
        self,
        camera: str | Camera,
        duration: u.Quantity | float,
        light: bool = True,
        *,
        binning: tuple[int, int] | None = None,
        subframe: tuple[int, int, int, int] | None = None,
        gain: int | None = None,
        min_duration: u.Quantity | float | None = None,
        then: str | None = None,
        start_at: float | None = None,
        on_closed: Callable[[ExposureRecord], None] | None = None,
    ) -> SyncedFrame:
        """Take one frame once the policy admits it; flag it if it is spoiled anyway.

        Parameters
        ----------
        camera
            Camera name (``"main.imaging"`` or the port name ``"imaging"``) or object.
        duration
            Exposure time (Quantity, or seconds).
        light, binning, subframe, gain
            As for :meth:`~obshub.devices.interfaces.Camera.expose`.
        min_duration
            Shortest exposure acceptable if the planned policy shortens the frame to end
            before a motion.
        then
            Announce a motion of this kind (``"dither"``) to follow this frame: other cameras
            then know when the mount will move (loose and planned policies). Pass the frame's
            ``announced`` request to :meth:`mount_motion`.
        start_at
            Start at this time on the coordinator's clock (:func:`obshub.sync.log.now`); for
            several mounts starting together.
        on_closed
            Called with the (partial) record as soon as the shutter is seen closed.

        Returns
        -------
        SyncedFrame
            The image and its record. A spoiled frame is returned, flagged, not raised.
        """
        name = self.camera_name(camera)
        seconds = _seconds(duration)
        min_s = None if min_duration is None else _seconds(min_duration)
        if seconds < 0:
            raise SyncError(f"{name}: exposure time must not be negative, got {duration}")
        requested = now()
        lease = await self._acquire(name, seconds, min_s, start_at)
        announced = None
        if then is not None:
            announced = self.announce(then, at=lease.expected_end, requested_by=name)
        try:
            image, record = await self._run(
                name,
                lease,
                requested,
                start_at,
                dict(light=light, binning=binning, subframe=subframe, gain=gain),
                on_closed,
            )
        except BaseException:
            if announced is not None:
                await self.withdraw(announced)
            raise
        return SyncedFrame(image, record, announced)

    async def reserve(
        self,
        camera: str | Camera,
        duration: u.Quantity | float,
        start_at: float | None = None,
    ) -> Lease:
        """Negotiate a frame without starting it (the first half of :meth:`expose`).

        Several mounts starting together reserve on every mount first, then start all at one
        instant. Release with :meth:`start_reserved` or :meth:`cancel_reserved`.
        """
        name = self.camera_name(camera)
        return await self._acquire(name, _seconds(duration), None, start_at)

    async def start_reserved(
        self,
        lease: Lease,
        start_at: float | None = None,
        light: bool = True,
        *,
        skew: Callable[[Image | None, Lease], float | None] | None = None,
        **kw: Any,
    ) -> SyncedFrame:
        """Start a frame reserved with :meth:`reserve` (at ``start_at``).

        ``skew`` computes the frame's start skew in ms (logged with the frame).
        """
        image, record = await self._run(
            lease.camera, lease, lease.start, start_at, dict(light=light, **kw), None, skew
        )
        return SyncedFrame(image, record)

    async def cancel_reserved(self, lease: Lease) -> None:
        """Give a reservation back without exposing."""
        async with self._cond:
            if self._leases.get(lease.camera) is lease:
                del self._leases[lease.camera]
            self._cond.notify_all()

    @contextlib.asynccontextmanager
    async def exposing(
        self, camera: str | Camera, duration: u.Quantity | float | None = None
    ) -> AsyncIterator[Lease]:
        """A lease for an exposure taken by someone else (``camera.expose`` called inside).

        The shutter is assumed open for the whole ``async with`` body; the lease's ``spoiled``
        and ``reason`` say afterwards whether a motion overlapped it. Without ``duration``
        the frame's end is unknown, so the loose and planned policies cannot fit other frames
        before the next motion and behave like the strict one.
        """
        name = self.camera_name(camera)
        seconds = float("inf") if duration is None else _seconds(duration)
        requested = now()
        lease = await self._acquire(name, seconds, None, None)
        lease.start = now()
        self._log_wait(name, requested, lease.start)
        try:
            yield lease
        finally:
            t = now()
            await self._release(lease, t)
            record = self._record(lease, requested, t, t)
            if duration is None:
                record.duration = t - lease.start
            self.log.add(record)

    def _blocked_by_motion(self, camera: str) -> bool:
        m = self._moving
        return m is not None and camera in m.cameras and self.policy.motion_waits

    async def _acquire(
        self, camera: str, seconds: float, min_s: float | None, start_at: float | None
    ) -> Lease:
        requested = now()
        blocked_by: set[str] = set()
        async with self._cond:
            while True:
                t = now()
                begin = max(t, start_at or t)
                allowed: float | None = None
                if camera in self._leases:
                    raise SyncError(f"{camera}: already exposing (one frame at a time)")
                if not self._blocked_by_motion(camera):
                    pending = [m for m in self._pending if m.start is None]
                    allowed = self.policy.admit(
                        camera, begin, seconds, pending, self._leases, min_s
                    )
                if allowed is not None:
                    break
                blocked_by |= {m.kind for m in self._pending if camera in m.cameras}
                if self._blocked_by_motion(camera) and self._moving is not None:
                    blocked_by.add(self._moving.kind)
                await self._cond.wait()
            lease = Lease(camera, allowed, start=begin, expected_end=begin + allowed)
            if self._moving is not None and camera in self._moving.cameras:
                # Only the baseline gets here: it opens the shutter on a moving mount.
                self._spoil(lease, f"started during a {self._moving.kind}")
            self._leases[camera] = lease
        if blocked_by:
            # Only time spent held back counts as waiting for sync, not lock or HTTP latency.
            self._log_wait(
                camera, requested, now(), f"{self.policy.name}: {'/'.join(sorted(blocked_by))}"
            )
        return lease

    async def _release(self, lease: Lease, closed: float) -> None:
        async with self._cond:
            lease.closed = closed
            if self._leases.get(lease.camera) is lease:
                del self._leases[lease.camera]
            self._cond.notify_all()

    async def _run(
        self,
        name: str,
        lease: Lease,
        requested: float,
        start_at: float | None,
        kw: dict[str, Any],
        on_closed: Callable[[ExposureRecord], None] | None,
        skew: Callable[[Image | None, Lease], float | None] | None = None,
    ) -> tuple[Image | None, ExposureRecord]:
        camera = self.cameras[name]
        task: asyncio.Task[Image] | None = None
        closed: float | None = None
        image: Image | None = None
        try:
            before = await self._hold_while_slewing(name) if self.check_pointing else None
            if start_at is not None:
                await asyncio.sleep(max(0.0, start_at - now()))
            if lease.aborted:
                # An urgent motion came before the shutter opened: do not open it.
                return None, await self._finish(lease, requested, None)
            lease.start = now()
            lease.expected_end = lease.start + lease.duration
            task = asyncio.create_task(camera.expose(lease.duration * u.s, **kw))
            self._tasks[name] = task
            closed = await self._watch_shutter(camera, task, lease)
            if before is not None and not lease.spoiled:
                after = await self._pointing()
                if after is not None:
                    moved = before.separation(after)
                    if moved > self.pointing_tolerance:
                        self._spoil(
                            lease,
                            f"mount moved {moved.to_value(u.arcsec):.1f} arcsec during the "
                            "exposure (not negotiated)",
                        )
            await self._release(lease, closed)
            if on_closed is not None:
                on_closed(self._record(lease, requested, closed, closed))
            image = await task
        except asyncio.CancelledError:
            me = asyncio.current_task()
            if me is not None and me.cancelling():
                self._spoil(lease, "cancelled")
                await self._finish(lease, requested, closed)
                raise
            # An urgent motion aborted this frame; the caller gets it back, flagged.
            self._spoil(lease, lease.reason or "aborted")
        except BaseException as exc:
            self._spoil(lease, f"failed: {exc}")
            await self._finish(lease, requested, closed)
            raise
        finally:
            self._tasks.pop(name, None)
        skew_ms = skew(image, lease) if skew is not None else None
        return image, await self._finish(lease, requested, closed, skew_ms)

    async def _finish(
        self, lease: Lease, requested: float, closed: float | None, skew_ms: float | None = None
    ) -> ExposureRecord:
        t = now()
        if self._leases.get(lease.camera) is lease:
            await self._release(lease, t)
        record = self._record(lease, requested, closed if closed is not None else t, t)
        record.skew_ms = skew_ms
        return self.log.add(record)  # type: ignore[return-value]

    async def _watch_shutter(
        self, camera: Camera, task: asyncio.Task[Image], lease: Lease
    ) -> float:
        """When the shutter is seen closed (or the frame finished, if state cannot be read)."""
        seen = False
        end = lease.start + lease.duration
        # Polling near the end only: a long frame costs a few requests, not thousands.
        while not task.done():
            t = now()
            if seen and t < end - 2 * self.poll_interval:
                await asyncio.wait({task}, timeout=end - 2 * self.poll_interval - t)
                continue
            try:
                state = await camera.state()
            except (ObshubError, NotImplementedError):
                await asyncio.wait({task})
                break
            if state in _OPEN:
                seen = True
            elif state in _READ or (state is CameraState.IDLE and seen):
                return now()
            # IDLE before we saw it open: the start request is still on its way.
            await asyncio.wait({task}, timeout=self.poll_interval)
        return now()

    async def _pointing(self) -> Any:
        try:
            return await self.mount.coordinates()
        except ObshubError:
            return None

    async def _hold_while_slewing(self, camera: str) -> Any:
        """Do not open on a mount that is moving without having asked; return the pointing."""
        t0 = now()
        held = False
        while True:
            slewing, pointing = await asyncio.gather(self._slewing(), self._pointing())
            if not slewing:
                break
            held = True
            await asyncio.sleep(self.poll_interval)
        if held:
            self._log_wait(camera, t0, now(), "mount slewing (not negotiated)")
        return pointing

    async def _slewing(self) -> bool:
        try:
            return await self.mount.is_slewing()
        except ObshubError:
            return False

    def _spoil(self, lease: Lease, reason: str) -> None:
        if not lease.spoiled:
            lease.spoiled = True
            lease.reason = reason

    def _record(self, lease: Lease, requested: float, closed: float, end: float) -> ExposureRecord:
        return ExposureRecord(
            camera=lease.camera,
            mount=self.name,
            duration=lease.duration,
            requested=requested,
            start=lease.start,
            closed=closed,
            end=end,
            spoiled=lease.spoiled,
            reason=lease.reason,
            block=self.block,
        )

    def _log_wait(self, camera: str, start: float, end: float, why: str = "sync") -> None:
        if end - start < _WAIT_FLOOR:
            return
        self.log.add(WaitRecord(camera, self.name, start, end, why, self.block))

    # -- mount events ---------------------------------------------------------------------

    def announce(
        self,
        kind: str,
        at: float | None = None,
        *,
        requested_by: str | None = None,
        cameras: Iterable[str] | None = None,
        urgent: bool = False,
    ) -> MotionRequest:
        """Say that a mount event is coming (at ``at``, if known), before it runs.

        From now on the policy holds back frames that the event would spoil. Run it with
        ``async with coord.mount_motion(request=req)``, or :meth:`withdraw` it.
        """
        names = (
            frozenset(self.camera_name(c) for c in cameras) if cameras else frozenset(self.cameras)
        )
        req = MotionRequest(
            kind=kind,
            requested=now(),
            cameras=names,
            requested_by=requested_by,
            eta=at,
            urgent=urgent,
        )
        # Adding a request only makes admission stricter: nobody waiting needs waking.
        self._pending.append(req)
        return req

    async def withdraw(self, request: MotionRequest) -> None:
        """Drop an announced event that will not run."""
        async with self._cond:
            if request in self._pending and request.start is None:
                self._pending.remove(request)
            self._cond.notify_all()

    @contextlib.asynccontextmanager
    async def mount_motion(
        self,
        kind: str = "dither",
        *,
        requested_by: str | None = None,
        cameras: Iterable[str] | None = None,
        urgent: bool = False,
        abort: bool = False,
        request: MotionRequest | None = None,
        timeout: float | None = None,
    ) -> AsyncIterator[MotionRequest]:
        """Negotiate a mount event; the body runs when no affected shutter is open.

        This is the executor's hook for mount-level motions::

            async with coord.mount_motion("flip"):
                await mount.slew(target)

        Parameters
        ----------
        kind
            ``"dither"``, ``"offset"``, ``"focus"``, ``"flip"``, ``"slew"``, …
        requested_by
            Who asks (a camera or ``"executor"``), for the log.
        cameras
            The cameras the event would spoil; all on the mount by default (a focus run of the
            main camera with shared optics affects all of them; with separate tubes, name only
            the main camera).
        urgent
            Do not wait for open exposures (safety): they are flagged spoiled.
        abort
            With ``urgent``, also abort them.
        request
            An event announced earlier with :meth:`announce` (or a frame's ``announced``).
        timeout
            Give up waiting for open exposures after this many seconds (:class:`SyncError`).
        """
        req = request or self.announce(
            kind, requested_by=requested_by, cameras=cameras, urgent=urgent
        )
        if req not in self._pending:
            self._pending.append(req)
        urgent = urgent or req.urgent
        try:
            async with self._cond:
                if urgent:
                    self._spoil_open(req, abort)

                def ready() -> bool:
                    if self._moving is not None:
                        return False
                    if urgent or not self.policy.motion_waits:
                        return True
                    return not any(c in req.cameras for c in self._leases)

                try:
                    async with asyncio.timeout(timeout):
                        await self._cond.wait_for(ready)
                except TimeoutError:
                    busy = ", ".join(c for c in self._leases if c in req.cameras)
                    raise SyncError(
                        f"{self.name}: {req.kind} not started within {timeout:g} s: "
                        f"still exposing: {busy}"
                    ) from None
                req.start = now()
                self._moving = req
                # The baseline moves under open shutters: those frames are spoiled.
                self._spoil_open(req, abort=False)
        except BaseException:
            await self.withdraw(req)
            raise
        try:
            yield req
        finally:
            async with self._cond:
                req.end = now()
                self._moving = None
                if req in self._pending:
                    self._pending.remove(req)
                self._cond.notify_all()
            self.log.add(
                MotionRecord(
                    mount=self.name,
                    kind=req.kind,
                    requested=req.requested,
                    start=req.start,
                    end=req.end,
                    requested_by=req.requested_by,
                    urgent=urgent,
                    cameras=sorted(req.cameras),
                    block=self.block,
                )
            )

    def _spoil_open(self, req: MotionRequest, abort: bool) -> None:
        for cam, lease in list(self._leases.items()):
            if cam in req.cameras:
                self._spoil(lease, f"exposing during a {req.kind}")
                if cam not in req.spoiled:
                    req.spoiled.append(cam)
                if abort:
                    lease.aborted = True
                    task = self._tasks.get(cam)
                    if task is not None:
                        task.cancel()

    async def dither(
        self,
        pulse: u.Quantity = 0.5 * u.s,
        *,
        settle: u.Quantity | float = 0.0,
        direction: GuideDirection | None = None,
        requested_by: str | None = None,
        request: MotionRequest | None = None,
    ) -> MotionRequest:
        """A dither by one guide pulse (directions cycle N, E, S, W), then settling."""
        d = direction if direction is not None else next(self._directions)
        async with self.mount_motion("dither", requested_by=requested_by, request=request) as req:
            await self.mount.pulse_guide(d, pulse)
            if _seconds(settle) > 0:
                await asyncio.sleep(_seconds(settle))
        return req

    async def offset(
        self,
        d_ra: u.Quantity,
        d_dec: u.Quantity,
        *,
        settle: u.Quantity | float = 0.0,
        requested_by: str | None = None,
        request: MotionRequest | None = None,
    ) -> MotionRequest:
        """A small offset slew (a dither by slewing), then settling."""
        async with self.mount_motion("offset", requested_by=requested_by, request=request) as req:
            await self.mount.offset(d_ra, d_dec)
            if _seconds(settle) > 0:
                await asyncio.sleep(_seconds(settle))
        return req

    # -- state ----------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """A JSON-ready snapshot: policy, open exposures, pending and running events."""
        t = now()
        return {
            "mount": self.name,
            "policy": self.policy.name,
            "block": self.block,
            "exposing": {
                c: {
                    "for_s": round(t - lease.start, 3),
                    "left_s": round(lease.expected_end - t, 3)
                    if lease.expected_end < float("inf")
                    else None,
                }
                for c, lease in self._leases.items()
            },
            "pending": [
                {
                    "kind": m.kind,
                    "requested_by": m.requested_by,
                    "in_s": None if m.eta is None else round(m.eta - t, 3),
                }
                for m in self._pending
                if m.start is None
            ],
            "moving": None if self._moving is None else self._moving.kind,
        }

    def __repr__(self) -> str:
        return f"<MountCoordinator {self.name!r} {self.policy.name} cameras={list(self.cameras)}>"


def _seconds(value: u.Quantity | float) -> float:
    if isinstance(value, u.Quantity):
        return float(value.to_value(u.s))
    return float(value)
