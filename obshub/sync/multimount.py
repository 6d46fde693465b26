"""Several mounts on one target: exposures started at one instant, start skew measured.

Each mount keeps its own coordinator (so no mount moves under an open shutter); the frames are
first negotiated on every mount, then all cameras are told to start at one common instant.
Each frame's start skew — the camera's reported exposure start minus the common instant — goes
into its FITS header (``SYNCSKEW``, ms) and the sync log.

Clocks: a camera reports its start on its own host's clock. On the same host that is our clock.
For other hosts :func:`check_clock` compares the HTTP ``Date`` header of the device server with
ours (whole seconds: it catches a clock that is wrong by seconds, not milliseconds). When the
device clock cannot be trusted to better than ``trust_ms``, the skew is measured on our side
instead (when each start was dispatched) and the header says so (``SYNCSRC``).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import astropy.units as u
import httpx

from obshub.devices.interfaces.camera import Image
from obshub.sync.coordinator import MountCoordinator, SyncedFrame, SyncError
from obshub.sync.log import ClockRecord, SyncLog, now, to_utc
from obshub.sync.state import Lease

if TYPE_CHECKING:
    from obshub.station.station import Station


@dataclass
class ClockCheck:
    """How a device host's clock compares with ours.

    Attributes
    ----------
    host
        The device server's host.
    offset_ms
        Device clock minus ours, best estimate.
    uncertainty_ms
        Half-width of the interval the offset is known to lie in.
    method
        ``"same host"`` or ``"http-date"``.
    """

    host: str
    offset_ms: float
    uncertainty_ms: float
    method: str
    samples: int = 0

    @property
    def trusted_to(self) -> float:
        """Worst-case error of a device time converted to our clock, in ms."""
        return abs(self.offset_ms) + self.uncertainty_ms if self.method != "same host" else 0.0

    def __str__(self) -> str:
        return (
            f"{self.host}: offset {self.offset_ms:+.0f} ms ± {self.uncertainty_ms:.0f} ms "
            f"({self.method}, {self.samples} samples)"
        )


def _is_local(host: str) -> bool:
    host = host.strip("[]")
    if host in ("localhost", socket.gethostname()):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def check_clock(address: str, samples: int = 4, timeout: float = 2.0) -> ClockCheck:
    """Compare the clock of the HTTP server at ``host:port`` with ours.

    The ``Date`` header has whole seconds, and servers cache it for up to a second: each
    answer bounds the offset to a window about 2 s wide; the windows of several answers are
    intersected. A loopback host shares our clock (offset 0, exactly).

    Raises
    ------
    SyncError
        The server did not answer or sent no ``Date`` header.
    """
    host = address.rsplit(":", 1)[0]
    lo, hi = -float("inf"), float("inf")
    n = 0
    async with httpx.AsyncClient(timeout=timeout) as client:
        for _ in range(samples):
            t_send = datetime.now(UTC).timestamp()
            try:
                r = await client.get(f"http://{address}/api/v1/camera/0/connected")
            except httpx.HTTPError as exc:
                raise SyncError(f"clock check of {address}: no answer: {exc}") from None
            t_recv = datetime.now(UTC).timestamp()
            date = r.headers.get("date")
            if not date:
                raise SyncError(f"clock check of {address}: the server sends no Date header")
            d = parsedate_to_datetime(date).timestamp()
            # The server read its clock at some true instant in [t_send, t_recv] and wrote it
            # truncated, possibly up to a second stale: d <= its clock < d + 2.
            lo = max(lo, d - t_recv)
            hi = min(hi, d + 2.0 - t_send)
            n += 1
            await asyncio.sleep(0.15)
    if _is_local(host):
        return ClockCheck(host, 0.0, 0.0, "same host", n)
    if lo > hi:  # inconsistent answers (a clock step meanwhile): report the last window
        lo, hi = hi, lo
    return ClockCheck(host, (lo + hi) / 2 * 1000, (hi - lo) / 2 * 1000, "http-date", n)


def check_cooperation(station: Station, mounts: Sequence[str]) -> None:
    """Raise unless every pair of ``mounts`` may observe together (``cooperates_with``).

    Raises
    ------
    SyncError
        Naming unknown mounts, or the line to add to the station file.
    """
    unknown = [m for m in mounts if m not in station.mounts]
    if unknown:
        raise SyncError(
            f"{station.name}: no mount(s) {', '.join(unknown)} (known: {', '.join(station.mounts)})"
        )
    for i, a in enumerate(mounts):
        for b in mounts[i + 1 :]:
            ca = station.mounts[a].config.cooperates_with
            cb = station.mounts[b].config.cooperates_with
            if b not in ca and a not in cb:
                raise SyncError(
                    f"{station.name}: mounts {a!r} and {b!r} may not observe together: "
                    f"add cooperates_with: [{b}] to mount {a!r} in the station file"
                )


def _address(camera: Any) -> str | None:
    transport = getattr(camera, "transport", None)
    return getattr(transport, "address", None)


class MultiMount:
    """Several mounts (each with its coordinator) exposing together.

    Parameters
    ----------
    coordinators
        One per mount; camera names must be unique across them (``mount.port`` names are).
    log
        A shared log for the clock checks (each coordinator logs its own frames).
    trust_ms
        Use the cameras' own start times for the skew only if their host's clock is known
        to this many milliseconds.
    compensate
        Learn each camera's start latency (from the skews measured on the device clock) and
        tell it to start that much earlier next time.
    """

    def __init__(
        self,
        coordinators: Sequence[MountCoordinator],
        *,
        log: SyncLog | None = None,
        trust_ms: float = 20.0,
        compensate: bool = True,
    ):
        if not coordinators:
            raise SyncError("MultiMount needs at least one mount")
        self.coordinators = list(coordinators)
        self.log = log if log is not None else self.coordinators[0].log
        self.trust_ms = trust_ms
        self.compensate = compensate
        #: Learnt start latency per camera, ms (how late it starts after being told).
        self.latency_ms: dict[str, float] = {}
        self.clocks: dict[str, ClockCheck] = {}
        self.last_t0: float | None = None
        self._owner: dict[str, MountCoordinator] = {}
        for c in self.coordinators:
            for cam in c.cameras:
                if cam in self._owner:
                    raise SyncError(
                        f"camera {cam!r} is on two mounts ({self._owner[cam].name}, {c.name})"
                    )
                self._owner[cam] = c

    @classmethod
    def from_station(
        cls,
        station: Station,
        mounts: Sequence[str] | None = None,
        *,
        policy: str = "strict",
        log: SyncLog | None = None,
        **kwargs: Any,
    ) -> MultiMount:
        """The station's mounts that may cooperate (``cooperates_with`` in the station file).

        Raises
        ------
        SyncError
            Unknown mounts, or two mounts that do not list each other as cooperating.
        """
        names = list(mounts) if mounts is not None else list(station.mounts)
        check_cooperation(station, names)
        log = log if log is not None else SyncLog()
        coords = [MountCoordinator.from_station(station, m, policy=policy, log=log) for m in names]
        return cls(coords, log=log, **kwargs)

    @property
    def cameras(self) -> list[str]:
        return list(self._owner)

    async def check_clocks(self) -> dict[str, ClockCheck]:
        """Check the clock of every device server the cameras are on (where it has one)."""
        addresses = {
            a for c in self.coordinators for cam in c.cameras.values() if (a := _address(cam))
        }
        checks = await asyncio.gather(*(check_clock(a) for a in sorted(addresses)))
        for a, chk in zip(sorted(addresses), checks, strict=True):
            self.clocks[a] = chk
            self.log.add(
                ClockRecord(chk.host, chk.offset_ms, chk.uncertainty_ms, chk.method, now())
            )
        return dict(self.clocks)

    def _skew_fn(self, t0: float, camera: Any) -> Any:
        address = _address(camera)
        clock = self.clocks.get(address) if address else None
        t0_utc = to_utc(t0)

        def skew(image: Image | None, lease: Lease) -> float | None:
            if image is not None and clock is not None and clock.trusted_to <= self.trust_ms:
                dev = image.start.to_datetime(timezone=UTC)
                return (dev - t0_utc).total_seconds() * 1000 - clock.offset_ms
            # The device's clock is unknown: our dispatch instant is what we can measure.
            return (lease.start - t0) * 1000

        return skew

    def skew_source(self, camera: str) -> str:
        clock = self.clocks.get(_address(self._owner[camera].cameras[camera]) or "")
        return "device" if clock is not None and clock.trusted_to <= self.trust_ms else "dispatch"

    async def expose_together(
        self,
        durations: Mapping[str, u.Quantity | float] | u.Quantity | float,
        *,
        lead: float = 0.3,
        light: bool = True,
        out_dir: str | Path | None = None,
        station: Station | None = None,
        object: str | None = None,
        options: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> list[SyncedFrame]:
        """Start one frame on every camera at one instant.

        Parameters
        ----------
        durations
            One exposure time for all cameras, or a time per camera name (only those expose).
        lead
            Seconds between the last mount agreeing and the common start (covers dispatch).
        out_dir, station, object
            Write each frame as FITS there, with the station's header context.
        options
            More arguments of ``Camera.expose`` per camera name (``binning``, ``gain``).

        Returns
        -------
        list of SyncedFrame
            In camera order; each record carries ``skew_ms``.
        """
        if not self.clocks:
            await self.check_clocks()
        if isinstance(durations, Mapping):
            wanted = {self._name(k): v for k, v in durations.items()}
        else:
            wanted = dict.fromkeys(self._owner, durations)
        contexts: dict[str, dict[str, Any]] = {}
        if out_dir is not None and station is not None:
            contexts = await self._contexts(station, list(wanted))
        # Every mount agrees first (each may be finishing a dither); only then the instant.
        leases = await asyncio.gather(
            *(self._owner[c].reserve(c, d) for c, d in wanted.items()), return_exceptions=True
        )
        failed = [x for x in leases if isinstance(x, BaseException)]
        if failed:
            for c, lease in zip(wanted, leases, strict=True):
                if isinstance(lease, Lease):
                    await self._owner[c].cancel_reserved(lease)
            raise failed[0]
        t0 = now() + lead
        #: The common start of the last frames started together (for :meth:`sync_keywords`).
        self.last_t0 = t0
        extra = {self._name(k): dict(v) for k, v in (options or {}).items()}
        frames = await asyncio.gather(
            *(
                self._owner[c].start_reserved(
                    lease,
                    start_at=t0 - self.latency_ms.get(c, 0.0) / 1000,
                    light=light,
                    skew=self._skew_fn(t0, self._owner[c].cameras[c]),
                    **extra.get(c, {}),
                )
                for c, lease in zip(wanted, leases, strict=True)
            )
        )
        for f in frames:
            self._learn(f)
        if out_dir is not None:
            for f in frames:
                await self._save(f, Path(out_dir), contexts.get(f.camera, {}), object, t0)
        return list(frames)

    def _learn(self, frame: SyncedFrame) -> None:
        skew = frame.record.skew_ms
        if not self.compensate or skew is None or frame.image is None:
            return
        if self.skew_source(frame.camera) != "device":
            return
        # The skew measured is relative to when the camera was told to start; what it was
        # told already includes the latency learnt so far.
        measured = skew + self.latency_ms.get(frame.camera, 0.0)
        old = self.latency_ms.get(frame.camera)
        self.latency_ms[frame.camera] = measured if old is None else 0.5 * old + 0.5 * measured

    def _name(self, camera: str) -> str:
        for c in self.coordinators:
            try:
                return c.camera_name(camera)
            except SyncError:
                continue
        raise SyncError(f"no camera {camera!r} on these mounts (known: {', '.join(self._owner)})")

    async def _contexts(self, station: Station, cameras: list[str]) -> dict[str, dict[str, Any]]:
        from obshub.frames.capture import frame_context

        async def one(cam: str) -> dict[str, Any]:
            unit, inst = station.instrument(cam)
            return await frame_context(station, unit, inst)

        values = await asyncio.gather(*(one(c) for c in cameras))
        return dict(zip(cameras, values, strict=True))

    def sync_keywords(self, frame: SyncedFrame, t0: float) -> dict[str, Any]:
        """The FITS keywords of a frame started together with others."""
        kw = frame.header_keywords()
        kw["SYNCT0"] = (to_utc(t0).isoformat(timespec="milliseconds")[:23], "common start, UTC")
        kw["SYNCSRC"] = (self.skew_source(frame.camera), "skew from device clock or dispatch")
        clock = self.clocks.get(_address(self._owner[frame.camera].cameras[frame.camera]) or "")
        if clock is not None:
            kw["CLKOFFS"] = (round(clock.offset_ms, 1), "[ms] device host clock minus server")
            kw["CLKUNC"] = (round(clock.uncertainty_ms, 1), "[ms] uncertainty of CLKOFFS")
        return kw

    async def _save(
        self, frame: SyncedFrame, out_dir: Path, context: dict[str, Any], obj: str | None, t0: float
    ) -> None:
        from obshub.frames.capture import frame_filename
        from obshub.frames.fits import build_header, write_fits

        if frame.image is None:
            return
        values = dict(context, object=obj, extra=self.sync_keywords(frame, t0))
        header = build_header(frame.image, values)
        # fsync is blocking I/O: keep the loop free for the other mounts.
        frame.path, frame.sha256 = await asyncio.to_thread(
            write_fits, out_dir / frame_filename(frame.image, values), frame.image, header
        )

    def report(self) -> dict[str, Any]:
        """Clock checks and, for the frames logged so far, skews by camera."""
        skews: dict[str, list[float]] = {}
        for c in self.coordinators:
            for r in c.log.exposures():
                if r.skew_ms is not None and r.camera in self._owner:
                    skews.setdefault(r.camera, []).append(round(r.skew_ms, 2))
        return {
            "clocks": {a: asdict(c) for a, c in self.clocks.items()},
            "skews_ms": skews,
            "latency_ms": {c: round(v, 2) for c, v in self.latency_ms.items()},
        }
