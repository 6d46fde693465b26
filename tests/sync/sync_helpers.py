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


async def prepare(station: Station, mount: str = "main") -> None:
    """Unpark, point near the zenith (tracking) and set small frames on every camera."""
    unit = station.mounts[mount]
    await unit.mount.unpark()
    frame = AltAz(obstime=Time.now(), location=station.location)
    target = SkyCoord(alt=75 * u.deg, az=180 * u.deg, frame=frame).icrs
    await unit.mount.slew(target)
    for inst in unit.ports.values():
        await inst.camera.set_binning(1)
        await inst.camera.set_subframe(*SUBFRAME)


@dataclass
class Observed:
    """What a poller saw on the simulator: samples of (t, mount moving, cameras exposing)."""

    samples: list[tuple[float, bool, dict[int, bool], bool]] = field(default_factory=list)

    def overlaps(self) -> list[tuple[float, list[int]]]:
        """Samples where a camera was exposing while the mount moved.

        Each sample reads the mount, then the cameras, then the mount again, one after the
        other: a camera exposing between two readings that both say "moving" was exposing
        during that motion — no false alarms from reads that are not simultaneous.
        """
        out = []
        for t, before, cams, after in self.samples:
            if before and after:
                busy = [n for n, exp in cams.items() if exp]
                if busy:
                    out.append((t, busy))
        return out

    @property
    def moving_samples(self) -> int:
        return sum(1 for _, b, _, a in self.samples if b and a)

    @property
    def exposing_samples(self) -> int:
        return sum(1 for _, _, c, _ in self.samples if any(c.values()))


class SimPoller:
    """Poll the simulator's own state (not through obshub) while a run goes on."""

    def __init__(self, address: str, cameras: int = 3):
        self.base = f"http://{address}/api/v1"
        self.cameras = cameras
        self.observed = Observed()
        self._task: asyncio.Task | None = None
        self._stop = False

    async def _get(self, client: httpx.AsyncClient, path: str):
        r = await client.get(
            f"{self.base}/{path}", params={"ClientID": 9, "ClientTransactionID": 1}
        )
        return r.json()["Value"]

    async def _mount_moving(self, client) -> bool:
        return bool(await self._get(client, "telescope/0/slewing")) or bool(
            await self._get(client, "telescope/0/ispulseguiding")
        )

    async def _run(self) -> None:
        async with httpx.AsyncClient(timeout=5) as client:
            while not self._stop:
                t = time.monotonic()
                before = await self._mount_moving(client)
                cams = {}
                for n in range(self.cameras):
                    # 2 = CameraState.EXPOSING: the shutter is open.
                    cams[n] = int(await self._get(client, f"camera/{n}/camerastate")) == 2
                after = await self._mount_moving(client)
                self.observed.samples.append((t, before, cams, after))
                await asyncio.sleep(0.01)

    async def __aenter__(self) -> Observed:
        self._task = asyncio.create_task(self._run())
        return self.observed

    async def __aexit__(self, *exc) -> None:
        self._stop = True
        await self._task


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
