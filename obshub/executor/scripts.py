"""Instrument scripts: how one instrument acquires, focuses, dithers and exposes.

Each port kind has a default script; a station file can name its own per port
(``script: "mypkg.scripts:MyCamera"``), a subclass of :class:`InstrumentScript` overriding
any step. The runner decides *when* (safety, flips, cadence, what is left to take); the
script decides *how*.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import astropy.units as u
from astropy.coordinates import SkyCoord

from obshub.devices.interfaces import Image, PierSide
from obshub.errors import ConfigError, NotImplementedByDevice, ObshubError
from obshub.executor.autofocus import FocusFit, fit_focus, measure_hfr
from obshub.executor.blocks import Block, Focus, PlannedFrame
from obshub.executor.motion import MotionCoordinator
from obshub.executor.retry import retry
from obshub.station.model import PortKind

if TYPE_CHECKING:
    from obshub.station.station import Instrument, MountUnit, Station

T = TypeVar("T")


@dataclass
class ScriptContext:
    """What a script may use: the devices, the block, the motion hook and the recorder."""

    station: Station
    unit: MountUnit
    inst: Instrument
    block: Block
    motion: MotionCoordinator
    record: Callable[..., Any]  # record(kind, **data): append an event to the night's log

    @asynccontextmanager
    async def activity(self, kind: str, **detail: Any) -> AsyncIterator[None]:
        """Time what happens inside and record it as an ``activity`` event."""
        t0 = time.monotonic()
        try:
            yield
        finally:
            self.record("activity", kind=kind, seconds=round(time.monotonic() - t0, 3), **detail)


class FrameSpoiled(ObshubError):
    """The mount moved during the exposure (an urgent motion): the frame is taken again."""


@dataclass
class FocusResult:
    position: int
    size: float
    fit: FocusFit
    samples: list[tuple[int, float | None]]


class InstrumentScript:
    """The default acquisition script of an imaging instrument.

    Subclasses override single steps; every device call goes through :meth:`call` (retries
    with back-off) and every mount motion through ``ctx.motion.mount_motion``.
    """

    dithers = True

    def __init__(self, ctx: ScriptContext):
        self.ctx = ctx
        s = ctx.block.executor
        self._retry_kw = {
            "retries": s.retries,
            "backoff": s.backoff,
            "max_backoff": s.max_backoff,
        }

    # Plumbing --------------------------------------------------------------------------

    async def call(self, what: str, op: Callable[[], Awaitable[T]]) -> T:
        return await retry(op, what, **self._retry_kw)

    @property
    def mount(self):  # noqa: ANN201 - the station's Mount
        return self.ctx.unit.mount

    def _motion(self, kind: str):  # noqa: ANN202
        return self.ctx.motion.mount_motion(self.ctx.unit.name, kind)

    # Steps -----------------------------------------------------------------------------

    async def ready_mount(self) -> None:
        """Unpark and track (after a park, a restart of the server, a power-up)."""
        if await self.call("mount atpark", self.mount.is_parked):
            await self.call("mount unpark", self.mount.unpark)
        if not await self.call("mount tracking", self.mount.is_tracking):
            await self.call("mount tracking on", lambda: self.mount.set_tracking(True))

    async def acquire(self, target: SkyCoord) -> None:
        """Slew to the target and let the mount settle."""
        await self.ready_mount()
        async with self._motion("slew"):
            async with self.ctx.activity("slewing", target=self.ctx.block.target.name):
                await self.call("slew", lambda: self.mount.slew(target))
            async with self.ctx.activity("settling"):
                await asyncio.sleep(self.ctx.block.executor.slew_settle)

    async def dither(self, target: SkyCoord, n: int) -> tuple[float, float]:
        """Move to the ``n``-th dither position around ``target``; returns the offset (arcsec)."""
        d = self.ctx.block.dither
        dx, dy = dither_offset(d.pattern.value, n, d.amount, self.ctx.block.name)
        pos = target.spherical_offsets_by(dx * u.arcsec, dy * u.arcsec)
        async with self._motion("dither"):
            async with self.ctx.activity("dithering", n=n, dx=dx, dy=dy):
                await self.call("dither", lambda: self.mount.slew(pos))
            async with self.ctx.activity("settling", after="dither"):
                await asyncio.sleep(d.settle)
        return dx, dy

    async def flip(self, target: SkyCoord) -> dict[str, Any]:
        """Flip to the other side of the pier and re-acquire ``target``.

        Returns what happened (``ok``, sides before and after, pointing error); the runner
        records it, so a flip never fails silently.
        """
        before = await self.call("side of pier", self.mount.side_of_pier)
        want = {PierSide.EAST: PierSide.WEST, PierSide.WEST: PierSide.EAST}.get(before)
        detail = ""
        async with self._motion("flip"):
            async with self.ctx.activity("flipping", side_before=before.name):
                if want is not None:
                    try:
                        await self.call("flip", lambda: self.mount.set_side_of_pier(want))
                    except NotImplementedByDevice:
                        detail = "mount cannot set its side; flipped by a new goto"
                # A goto past the meridian is what flips most mounts; it also re-acquires.
                await self.call("slew", lambda: self.mount.slew(target))
            async with self.ctx.activity("settling", after="flip"):
                await asyncio.sleep(self.ctx.block.executor.slew_settle)
        after = await self.call("side of pier", self.mount.side_of_pier)
        here = await self.call("coordinates", self.mount.coordinates)
        err = float(here.separation(target).arcsec)
        ok = err < 60 and (before is PierSide.UNKNOWN or after != before)
        if before is not PierSide.UNKNOWN and after == before:
            detail = f"mount still reports {after.name} after the flip"
        elif err >= 60:
            detail = f"pointing {err:.0f} arcsec off the target after the flip"
        return {
            "ok": ok,
            "side_before": before.name,
            "side_after": after.name,
            "pointing_error_arcsec": round(err, 1),
            "detail": detail,
        }

    async def select_filter(self, name: str | None) -> None:
        wheel = self.ctx.inst.filter_wheel
        if name is None:
            return
        if wheel is None:
            raise ObshubError(f"{self.ctx.inst.name}: no filter wheel for filter {name!r}")
        await self.call("set filter", lambda: wheel.set_filter(name))

    async def current_filter(self) -> str | None:
        wheel = self.ctx.inst.filter_wheel
        return None if wheel is None else await self.call("filter", wheel.filter)

    async def focus_offsets(self) -> dict[str, int]:
        wheel = self.ctx.inst.filter_wheel
        return {} if wheel is None else await self.call("offsets", wheel.focus_offsets)

    async def temperature(self) -> float | None:
        """The focus-relevant temperature: the focuser's probe, else the weather station's."""
        foc = self.ctx.inst.focuser
        try:
            if foc is not None:
                t = await foc.temperature()
                if t is not None:
                    return float(t.to_value(u.deg_C, equivalencies=u.temperature()))
            oc = self.ctx.station.observing_conditions
            if oc is not None:
                t = (await oc.read()).get("temperature")
                if t is not None:
                    return float(t.to_value(u.deg_C, equivalencies=u.temperature()))
        except ObshubError:
            return None
        return None

    async def expose(self, frame: PlannedFrame) -> Image:
        """Take one frame (the runner has done filter, flat panel and pointing)."""
        cam = self.ctx.inst.camera
        async with self.ctx.motion.exposure(self.ctx.unit.name, cam.name, frame.exposure) as lease:
            async with self.ctx.activity(
                "exposing" if frame.is_sky else "calibrating", key=frame.key
            ):
                image = await cam.expose(
                    frame.exposure * u.s,
                    light=frame.light,
                    binning=(frame.binning, frame.binning),
                    gain=frame.gain,
                )
        if getattr(lease, "spoiled", False):
            raise FrameSpoiled(f"{frame.key}: {getattr(lease, 'reason', None) or 'spoiled'}")
        return image

    async def flat_panel(self, brightness: int | None) -> None:
        """Close the cover and light the panel (``None`` switches off and opens)."""
        cover = self.ctx.station.cover
        if cover is None:
            raise ObshubError("flats need a cover with a flat panel ('cover' in the station file)")
        if brightness:
            await self.call("close cover", cover.close_cover)
            await self.call("calibrator on", lambda: cover.set_calibrator(brightness))
        else:
            await self.call("calibrator off", lambda: cover.set_calibrator(None))
            await self.call("open cover", cover.open_cover)

    async def autofocus(self, focus: Focus) -> FocusResult:
        """Sample positions around the current one, measure stars, fit, move to the best."""
        foc = self.ctx.inst.focuser
        if foc is None:
            raise ObshubError(f"{self.ctx.inst.name}: autofocus needs a focuser")
        cam = self.ctx.inst.camera
        start = await self.call("focuser position", foc.position)
        hi = await self.call("focuser max", foc.max_position)
        step = 2 * focus.range / (focus.steps - 1)
        positions = sorted(
            {
                int(min(max(round(start - focus.range + i * step), 0), hi))
                for i in range(focus.steps)
            }
        )
        samples: list[tuple[int, float | None]] = []
        async with self._motion("focus"):
            async with self.ctx.activity("focusing", start=start):
                for p in positions:
                    await self.call("focuser move", lambda p=p: foc.move_to(p))
                    img = await self.call(
                        "focus frame",
                        lambda: cam.expose(
                            focus.exposure * u.s, binning=(focus.binning, focus.binning)
                        ),
                    )
                    sizes = await asyncio.to_thread(measure_hfr, img.data)
                    size = None if sizes is None else getattr(sizes, focus.measure)
                    samples.append((p, size))
                good = [(p, s) for p, s in samples if s is not None]
                try:
                    fit = fit_focus([p for p, _ in good], [s for _, s in good], focus.model)
                except ValueError as exc:
                    await self.call("focuser back", lambda: foc.move_to(start))
                    raise ObshubError(f"autofocus failed: {exc}; focuser left at {start}") from exc
                best = int(round(fit.best))
                await self.call("focuser move", lambda: foc.move_to(best))
        return FocusResult(best, fit.min_size, fit, samples)


class SpectroscopyScript(InstrumentScript):
    """A spectrograph: the star must stay on the slit, so no dithering."""

    dithers = False


DEFAULT_SCRIPTS: dict[PortKind, type[InstrumentScript]] = {
    PortKind.imaging: InstrumentScript,
    PortKind.spectroscopy: SpectroscopyScript,
}


def dither_offset(pattern: str, n: int, amount: float, seed: str = "") -> tuple[float, float]:
    """The ``n``-th dither offset (arcsec, east and north) for a pattern.

    Deterministic in ``n``: a resumed block dithers where the first run would have.
    """
    if pattern == "none" or n <= 0:
        return 0.0, 0.0
    if pattern == "spiral":
        # Points on a square spiral, scaled so the outermost of the first 25 is ``amount``.
        x = y = 0
        dx, dy = 1, 0
        seg, walked, turns = 1, 0, 0
        for _ in range(n):
            x, y = x + dx, y + dy
            walked += 1
            if walked == seg:
                walked = 0
                dx, dy = -dy, dx
                turns += 1
                if turns % 2 == 0:
                    seg += 1
        return x * amount / 2, y * amount / 2
    h = hashlib.sha256(f"{seed}:{n}".encode()).digest()
    r = amount * math.sqrt(int.from_bytes(h[:4], "big") / 2**32)
    a = 2 * math.pi * int.from_bytes(h[4:8], "big") / 2**32
    return r * math.cos(a), r * math.sin(a)


def script_class(path: str | None, kind: PortKind) -> type[InstrumentScript]:
    """The script class for a port: the one the station file names, else the kind's default.

    Raises
    ------
    ConfigError
        The class cannot be imported or is not an :class:`InstrumentScript`.
    """
    if path is None:
        if kind not in DEFAULT_SCRIPTS:
            raise ConfigError("station", [("ports.kind", f"no acquisition script for {kind}")])
        return DEFAULT_SCRIPTS[kind]
    module, _, name = path.partition(":")
    try:
        cls = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise ConfigError("station", [("ports.script", f"cannot load {path!r}: {exc}")]) from None
    if not (isinstance(cls, type) and issubclass(cls, InstrumentScript)):
        raise ConfigError(
            "station", [("ports.script", f"{path!r} is not an InstrumentScript subclass")]
        )
    return cls
