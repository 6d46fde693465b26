"""The executor's motion hook, backed by one :class:`MountCoordinator` per mount.

The night executor (``obshub.executor``) wraps every mount motion in
``mount_motion(mount, kind)`` and every exposure in ``exposure(mount, camera)``; its default
keeps motions and exposures apart within one process. :class:`StationSync` does the same
through the sync coordinators, so the executor's blocks get the sync policies, the log and the
accounting, and frames taken from a notebook through the same coordinators are respected too::

    sync = StationSync.from_station(station, policy="loose")
    runner = BlockRunner(station, block, store, out_dir, motion=sync)
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import astropy.units as u

from obshub.sync.coordinator import MountCoordinator, SyncError
from obshub.sync.log import SyncLog
from obshub.sync.multimount import MultiMount, check_cooperation
from obshub.sync.state import Lease, MotionRequest

if TYPE_CHECKING:
    from obshub.station.station import Station


class StationSync:
    """Coordinators for every mount of a station, behind the executor's hook.

    Parameters
    ----------
    coordinators
        Coordinator by mount name.
    urgent_kinds
        Motion kinds that do not wait for open exposures (they are flagged spoiled), e.g.
        ``{"park"}`` if an unsafe-weather park must not wait for a long frame.
    """

    def __init__(
        self,
        coordinators: Mapping[str, MountCoordinator],
        *,
        urgent_kinds: Iterable[str] = (),
        station: Station | None = None,
    ):
        self.coordinators = dict(coordinators)
        self.urgent_kinds = frozenset(urgent_kinds)
        self.station = station

    @classmethod
    def from_station(
        cls,
        station: Station,
        *,
        policy: str = "strict",
        log: SyncLog | None = None,
        urgent_kinds: Iterable[str] = (),
        **kwargs: Any,
    ) -> StationSync:
        """One coordinator per mount of ``station``, sharing one log."""
        log = log if log is not None else SyncLog()
        coords = {
            name: MountCoordinator.from_station(station, name, policy=policy, log=log, **kwargs)
            for name in station.mounts
        }
        return cls(coords, urgent_kinds=urgent_kinds, station=station)

    @property
    def log(self) -> SyncLog:
        return next(iter(self.coordinators.values())).log

    def coordinator(self, mount: str) -> MountCoordinator:
        try:
            return self.coordinators[mount]
        except KeyError:
            raise SyncError(
                f"no coordinator for mount {mount!r} (known: {', '.join(self.coordinators)})"
            ) from None

    def together(self, mounts: Iterable[str], **kwargs: Any) -> MultiMount:
        """The mounts as a :class:`~obshub.sync.multimount.MultiMount`, on these coordinators
        (one coordinator per mount: frames started together still respect the executor).

        Raises
        ------
        SyncError
            Unknown mounts, or mounts the station file does not let cooperate.
        """
        names = list(mounts)
        if self.station is not None:
            check_cooperation(self.station, names)
        return MultiMount([self.coordinator(m) for m in names], log=self.log, **kwargs)

    @contextlib.asynccontextmanager
    async def mount_motion(self, mount: str, kind: str) -> AsyncIterator[MotionRequest]:
        """Entered once no camera on ``mount`` exposes; no exposure starts while inside."""
        urgent = kind in self.urgent_kinds
        async with self.coordinator(mount).mount_motion(
            kind, requested_by="executor", urgent=urgent
        ) as req:
            yield req

    @contextlib.asynccontextmanager
    async def exposure(
        self, mount: str, camera: str, duration: u.Quantity | float | None = None
    ) -> AsyncIterator[Lease]:
        """Around one exposure of ``camera`` (its station name) on ``mount``.

        Pass ``duration`` where known: the loose and planned policies need it to fit other
        cameras' frames before a motion. The yielded lease says afterwards if the frame was
        spoiled (``lease.spoiled``, ``lease.reason``).
        """
        async with self.coordinator(mount).exposing(camera, duration) as lease:
            yield lease
