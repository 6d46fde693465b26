"""The one hook through which every mount motion and every exposure passes.

A mount-level motion (slew, dither, flip, focus run) must never happen while a camera on the
same mount is exposing, or frames are streaked (field.md: "dithering with two cameras loses
exposures"). The runner wraps each motion in ``mount_motion(mount, kind)`` and each exposure
in ``exposure(mount, camera)``. :class:`LocalMotion` enforces this within one process; the
sync layer (``obshub.sync``) can pass its own :class:`MotionCoordinator` to coordinate
cameras in several processes or on several mounts.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class MotionCoordinator(Protocol):
    """What the runner needs from a motion coordinator."""

    def mount_motion(self, mount: str, kind: str) -> AsyncIterator[None]:
        """Async context manager: entered once no camera on ``mount`` exposes; while inside,
        no exposure on ``mount`` may start. ``kind`` is ``slew``, ``dither``, ``flip``,
        ``focus`` or ``park``."""
        ...

    def exposure(
        self, mount: str, camera: str, duration: float | None = None
    ) -> AsyncIterator[Any]:
        """Async context manager around one exposure of ``camera`` on ``mount``.

        ``duration`` (seconds) lets a coordinator fit other cameras' frames around motions.
        What it yields may say afterwards that the frame was spoiled (``.spoiled`` true,
        ``.reason``): the runner then takes it again instead of recording it.
        """
        ...


class LocalMotion:
    """Readers-writer exclusion per mount: exposures share, motions exclude.

    A waiting motion blocks new exposures from starting (writer preference), so a dither is
    not starved by cameras that keep starting frames.
    """

    def __init__(self) -> None:
        self._cond: dict[str, asyncio.Condition] = defaultdict(asyncio.Condition)
        self._exposing: dict[str, int] = defaultdict(int)
        self._moving: dict[str, bool] = defaultdict(bool)
        self._waiting_motions: dict[str, int] = defaultdict(int)

    @asynccontextmanager
    async def mount_motion(self, mount: str, kind: str) -> AsyncIterator[None]:
        cond = self._cond[mount]
        async with cond:
            self._waiting_motions[mount] += 1
            try:
                await cond.wait_for(lambda: not self._exposing[mount] and not self._moving[mount])
            finally:
                self._waiting_motions[mount] -= 1
            self._moving[mount] = True
        try:
            yield
        finally:
            async with cond:
                self._moving[mount] = False
                cond.notify_all()

    @asynccontextmanager
    async def exposure(
        self, mount: str, camera: str, duration: float | None = None
    ) -> AsyncIterator[None]:
        cond = self._cond[mount]
        async with cond:
            await cond.wait_for(
                lambda: not self._moving[mount] and not self._waiting_motions[mount]
            )
            self._exposing[mount] += 1
        try:
            yield
        finally:
            async with cond:
                self._exposing[mount] -= 1
                cond.notify_all()
