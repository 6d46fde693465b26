"""Fixtures for the device-layer tests: a connected station on the shared simulator."""

from __future__ import annotations

import pytest

from obshub.station import Station


@pytest.fixture
async def station(station_file):
    st = Station.from_file(station_file)
    await st.connect()
    yield st
    await st.aclose()


@pytest.fixture
def zenith(station):
    """The ICRS position at the station's zenith now: always above the horizon."""
    import astropy.units as u
    from astropy.coordinates import AltAz, SkyCoord
    from astropy.time import Time

    frame = AltAz(obstime=Time.now(), location=station.location)
    return SkyCoord(alt=80 * u.deg, az=180 * u.deg, frame=frame).icrs
