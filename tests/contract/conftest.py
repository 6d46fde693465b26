"""One connected station per backend, for the device contract tests.

``rig`` is parametrised over ``alpaca`` and ``indi``: every contract test runs once against a
real ``alpaca-simulators`` process and once against a real ``indiserver`` with Debian's INDI
simulators, through the same station API.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from astropy.time import Time

from obshub.station import Station, parse_station


def _count_stars(
    data: np.ndarray, nsigma: float = 10.0, min_adu: float = 30.0, min_pixels: int = 2
) -> int:
    """Stars, deliberately simply: groups of pixels well above the background, labelled.

    The noise is the spread of the faintest 99.5 % of pixels, so stars do not inflate it. A
    star's image covers several pixels; a lone bright pixel is a hot pixel or a noise spike
    (the simulator's darks have the odd one), not a star.
    """
    from scipy import ndimage

    d = np.asarray(data, dtype=float)
    bg = float(np.median(d))
    noise = float(d[d <= np.percentile(d, 99.5)].std())
    labels, n = ndimage.label(d > bg + max(nsigma * noise, min_adu))
    if n == 0:
        return 0
    sizes = np.bincount(labels.ravel())[1:]
    return int((sizes >= min_pixels).sum())


@pytest.fixture(scope="session")
def count_stars():
    return _count_stars


@dataclass
class Rig:
    """A connected station and the backend-specific ways to change the weather."""

    backend: str
    station: Station
    make_unsafe: Callable[[], Awaitable[None]]
    make_safe: Callable[[], Awaitable[None]]

    @property
    def mount(self):
        return self.station.mounts["main"].mount

    @property
    def instrument(self):
        return self.station.mounts["main"].ports["imaging"]

    def field(self, dec: float = 80.0) -> SkyCoord:
        """A point six hours east of the meridian at ``dec``, high in the sky.

        The INDI telescope simulator starts (and parks) pointing at the pole at hour angle
        6 h and moves each axis at a fixed rate, so a target at that hour angle is a short
        move of the declination axis only.
        """
        lst = Time.now().sidereal_time("apparent", longitude=self.station.location.lon)
        return SkyCoord(ra=(lst - 6 * u.hourangle).wrap_at(24 * u.hourangle), dec=dec * u.deg)


@pytest.fixture(scope="session")
async def alpaca_rig(alpaca_factory):
    sim = alpaca_factory()
    from obshub.sim.stations import alpaca_station

    st = Station(parse_station(alpaca_station(sim.address)))
    await st.connect()

    async def unsafe() -> None:
        await asyncio.to_thread(sim.put, "api/v1/safetymonitor/0/issafe", IsSafe="false")

    async def safe() -> None:
        await asyncio.to_thread(sim.put, "api/v1/safetymonitor/0/issafe", IsSafe="true")

    yield Rig("alpaca", st, unsafe, safe)
    await st.aclose()


@pytest.fixture(scope="session")
def indi_server(tmp_path_factory: pytest.TempPathFactory, sky_catalog: Path):
    """A real indiserver with the simulators on a free port, killed at the end of the run."""
    pytest.importorskip("PyIndi")
    from obshub.sim.indi import IndiServerProcess, indi_station
    from obshub.sim.process import free_port

    port = free_port()
    cfg = parse_station(indi_station(f"127.0.0.1:{port}"))
    srv = IndiServerProcess(cfg, "indi", tmp_path_factory.mktemp("indi"), sky_catalog, port=port)
    srv.start()
    yield srv
    srv.kill()


@pytest.fixture(scope="session")
async def indi_rig(indi_server):
    st = Station(indi_server.station)
    await st.connect()
    weather = st.observing_conditions
    conn = weather.conn

    async def set_rain(mm_per_hour: float) -> None:
        # The weather simulator's own control panel; a refresh applies it at once.
        await conn.send(
            weather.device, "WEATHER_CONTROL", {"Precip": mm_per_hour}, "test", "rain", 10
        )
        await conn.send(
            weather.device, "WEATHER_REFRESH", {"REFRESH": True}, "test", "refresh", 10, ack=True
        )

    yield Rig("indi", st, lambda: set_rain(10.0), lambda: set_rain(0.0))
    await st.aclose()


@pytest.fixture(scope="session", params=["alpaca", "indi"])
def rig(request) -> Rig:
    return request.getfixturevalue(f"{request.param}_rig")
