"""Helpers for the sync tests: preparing a station, polling the simulator, checking logs."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import astropy.units as u
import httpx
from astropy.coordinates import AltAz, SkyCoord
from astropy.time import Time

from obshub.station import Station
from obshub.sync.log import SyncLog

# Small frames: the simulator renders each frame after the shutter closes; 128x128 keeps that
# (the simulated "readout") to a few tens of milliseconds on a loaded machine.
SUBFRAME = (0, 0, 128, 128)


async def prepare(station: Station, mount: str = "main", sync_only: bool = False) -> None:
    """Unpark, point near the zenith (tracking) and set small frames on every camera.

    With ``sync_only`` the mount is told where it points instead of slewing there.
    """
    unit = station.mounts[mount]
    await unit.mount.unpark()
    frame = AltAz(obstime=Time.now(), location=station.location)
    target = SkyCoord(alt=75 * u.deg, az=180 * u.deg, frame=frame).icrs
    if sync_only:
        await unit.mount.set_tracking(True)
        await unit.mount.sync(target)
    else:
        await unit.mount.slew(target)
    for inst in unit.ports.values():
        await inst.camera.set_binning(1)
        await inst.camera.set_subframe(*SUBFRAME)


@dataclass
class Reading:
    """One property read: the value held at some instant between ``sent`` and ``received``."""

    sent: float
    received: float
    value: bool


@dataclass
class Observed:
    """What the pollers saw on the simulator: the mount moving, each camera exposing."""

    mount: list[Reading] = field(default_factory=list)
    cameras: dict[int, list[Reading]] = field(default_factory=dict)

    def moving_intervals(self) -> list[tuple[float, float]]:
        """Intervals in which the mount was certainly moving.

        A run of consecutive "moving" readings shows motion from the first one's answer to
        the last one's request (one motion, or several back to back: the coordinator never
        lets a frame start and end in the few milliseconds between two readings).
        """
        out, run = [], []
        for r in self.mount + [Reading(float("inf"), float("inf"), False)]:
            if r.value:
                run.append(r)
                continue
            if len(run) >= 2 and run[0].received < run[-1].sent:
                out.append((run[0].received, run[-1].sent))
            run = []
        return out

    def overlaps(self) -> list[tuple[int, float]]:
        """(camera, time) of exposing readings taken entirely within a certain motion."""
        moving = self.moving_intervals()
        return [
            (n, r.sent)
            for n, readings in self.cameras.items()
            for r in readings
            if r.value and any(a <= r.sent and r.received <= b for a, b in moving)
        ]

    @property
    def moving_samples(self) -> int:
        return sum(1 for r in self.mount if r.value)

    @property
    def exposing_samples(self) -> int:
        return sum(1 for rs in self.cameras.values() for r in rs if r.value)


class SimPoller:
    """Poll the simulator's own state (not through obshub) while a run goes on: the mount in
    one tight loop, the cameras in another."""

    def __init__(self, address: str, cameras: int = 3):
        self.base = f"http://{address}/api/v1"
        self.cameras = cameras
        self.observed = Observed(cameras={n: [] for n in range(cameras)})
        self._tasks: list[asyncio.Task] = []
        self._stop = False

    async def _read(self, client: httpx.AsyncClient, path: str) -> tuple[float, float, object]:
        sent = time.monotonic()
        r = await client.get(
            f"{self.base}/{path}", params={"ClientID": 9, "ClientTransactionID": 1}
        )
        return sent, time.monotonic(), r.json()["Value"]

    async def _mount(self) -> None:
        async with httpx.AsyncClient(timeout=5) as client:
            while not self._stop:
                # Slewing, then guiding: "moving" if either held between the first send and
                # the second answer — the reading spans both requests.
                s1, _, slewing = await self._read(client, "telescope/0/slewing")
                _, r2, guiding = await self._read(client, "telescope/0/ispulseguiding")
                self.observed.mount.append(Reading(s1, r2, bool(slewing) or bool(guiding)))

    async def _cameras(self) -> None:
        async with httpx.AsyncClient(timeout=5) as client:
            while not self._stop:
                for n in range(self.cameras):
                    # 2 = CameraState.EXPOSING: the shutter is open.
                    s, r, state = await self._read(client, f"camera/{n}/camerastate")
                    self.observed.cameras[n].append(Reading(s, r, int(state) == 2))
                await asyncio.sleep(0.01)

    async def __aenter__(self) -> Observed:
        self._tasks = [asyncio.create_task(self._mount()), asyncio.create_task(self._cameras())]
        return self.observed

    async def __aexit__(self, *exc) -> None:
        self._stop = True
        await asyncio.gather(*self._tasks)


def log_overlaps(log: SyncLog) -> list[tuple[str, str, float]]:
    """(camera, motion kind, seconds) for every exposure whose open shutter overlapped a motion
    of its mount that affected it, according to the coordinator's own log."""
    out = []
    for m in log.motions():
        for e in log.exposures():
            if e.mount != m.mount or e.camera not in m.cameras:
                continue
            overlap = min(e.closed, m.end) - max(e.start, m.start)
            if overlap > 0:
                out.append((e.camera, m.kind, overlap))
    return out
