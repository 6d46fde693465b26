"""Watching whether it is safe to be open: safety monitor, weather, Sun, and the roof.

Two inputs are kept apart on purpose (field.md, item 8): *is the weather safe to be open*
and *is the roof open*. A roof the host closed is not an unsafe condition — the executor
waits for it — and a closed roof in cloud is a safe station.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import astropy.units as u
from astropy.coordinates import AltAz, get_sun
from astropy.time import Time

from obshub.devices.interfaces import ShutterState
from obshub.errors import ObshubError
from obshub.executor.blocks import ExecutorSettings
from obshub.station.station import Station

log = logging.getLogger("obshub.executor")


@dataclass
class Verdict:
    """One reading of the station's safety inputs.

    Attributes
    ----------
    safe
        Weather, safety monitor and Sun allow being open.
    reasons
        Why not, one line per input that says no.
    roof
        ``"open"``, ``"closed"``, ``"moving"``, ``"error"``, or ``None`` without a dome.
    """

    safe: bool
    reasons: list[str] = field(default_factory=list)
    roof: str | None = None
    sun_altitude: float | None = None

    @property
    def station_safe(self) -> bool:
        """A closed station is safe whatever the sky does."""
        return self.safe or self.roof == "closed"


def sun_altitude(station: Station, when: Time | None = None) -> float:
    """The Sun's altitude at the station, in degrees."""
    t = when or Time.now()
    return float(get_sun(t).transform_to(AltAz(obstime=t, location=station.location)).alt.deg)


class SafetyWatcher:
    """Reads every safety input every ``poll_interval`` and keeps the latest verdict.

    Parameters
    ----------
    station
        A connected station.
    settings
        Limits and the poll interval.
    sun_max_altitude
        Unsafe while the Sun is higher (degrees); 90 ignores the Sun.
    on_change
        Called with each verdict that differs from the previous one.
    was_unsafe
        The last recorded verdict was unsafe: the safe period starts from the first safe
        reading rather than counting as already served.
    """

    def __init__(
        self,
        station: Station,
        settings: ExecutorSettings,
        sun_max_altitude: float = -12.0,
        on_change: Callable[[Verdict], None] | None = None,
        was_unsafe: bool = False,
    ):
        self.station = station
        self.settings = settings
        self.sun_max_altitude = sun_max_altitude
        self.on_change = on_change
        self.verdict: Verdict | None = None
        self.safe_since: float | None = None if was_unsafe else float("-inf")
        self.unsafe = asyncio.Event()
        self.changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._sun_cache: tuple[float, float] | None = None

    async def _sun(self) -> float:
        now = time.monotonic()
        if self._sun_cache is None or now - self._sun_cache[0] > 30:
            alt = await asyncio.to_thread(sun_altitude, self.station)
            self._sun_cache = (now, alt)
        return self._sun_cache[1]

    async def check(self) -> Verdict:
        """Read every input once, concurrently. An input that cannot be read says unsafe."""
        st = self.station
        s = self.settings
        reasons: list[str] = []

        async def monitor() -> None:
            if st.safety_monitor is None:
                return
            try:
                if not await st.safety_monitor.is_safe():
                    reasons.append("safety monitor says unsafe")
            except ObshubError as exc:
                reasons.append(f"safety monitor unreadable: {exc}")

        async def weather() -> None:
            oc = st.observing_conditions
            if oc is None or not (
                s.max_cloudcover is not None
                or s.max_windspeed is not None
                or s.max_humidity is not None
                or s.rain_is_unsafe
            ):
                return
            try:
                w = await oc.read()
            except ObshubError as exc:
                reasons.append(f"weather station unreadable: {exc}")
                return

            def over(key: str, limit: float | None, unit: u.UnitBase) -> None:
                v = w.get(key)
                if limit is not None and v is not None and v.to_value(unit) > limit:
                    reasons.append(f"{key} {v.to_value(unit):g} > {limit:g}")

            over("cloudcover", s.max_cloudcover, u.percent)
            over("windspeed", s.max_windspeed, u.m / u.s)
            over("humidity", s.max_humidity, u.percent)
            if s.rain_is_unsafe:
                over("rainrate", 0.0, u.mm / u.hour)

        async def roof() -> str | None:
            if st.dome is None:
                return None
            try:
                state = await st.dome.shutter()
            except ObshubError:
                return "error"
            return {
                ShutterState.OPEN: "open",
                ShutterState.CLOSED: "closed",
                ShutterState.ERROR: "error",
            }.get(state, "moving")

        sun_alt = None
        if self.sun_max_altitude < 90:
            sun_alt = await self._sun()
            if sun_alt > self.sun_max_altitude:
                reasons.append(f"Sun at {sun_alt:.1f} deg > {self.sun_max_altitude:g}")
        _, _, roof_state = await asyncio.gather(monitor(), weather(), roof())
        return Verdict(not reasons, reasons, roof_state, sun_alt)

    def _update(self, v: Verdict) -> None:
        prev = self.verdict
        self.verdict = v
        if v.safe:
            self.unsafe.clear()
            if prev is not None and not prev.safe or self.safe_since is None:
                self.safe_since = time.monotonic()
        else:
            self.unsafe.set()
            self.safe_since = None
        if prev is None or (prev.safe, prev.reasons, prev.roof) != (v.safe, v.reasons, v.roof):
            self.changed.set()
            if self.on_change is not None:
                self.on_change(v)

    async def poll_once(self) -> Verdict:
        v = await self.check()
        self._update(v)
        return v

    def safe_for(self) -> float:
        """Seconds the verdict has been safe without a break (0 while unsafe)."""
        if self.safe_since is None:
            return 0.0
        return time.monotonic() - self.safe_since

    async def _loop(self) -> None:
        while True:
            try:
                await self.poll_once()
            except Exception:  # a watcher that dies would leave the station open
                log.exception("safety check failed")
                self._update(Verdict(False, ["safety check failed"]))
            await asyncio.sleep(self.settings.poll_interval)

    async def start(self) -> None:
        await self.poll_once()
        self._task = asyncio.create_task(self._loop(), name="safety-watcher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
