"""Fixtures for the sync tests: three cameras on one mount, in one real simulator process."""

from __future__ import annotations

import pytest
from sync_helpers import prepare

from obshub.sim.stations import alpaca_station
from obshub.station import Station, parse_station


@pytest.fixture(scope="session")
def sim3(alpaca_factory):
    """One simulator process serving a mount and three cameras (shared by the sync tests)."""
    return alpaca_factory(cameras=3)


@pytest.fixture
async def station3(sim3):
    st = Station(parse_station(alpaca_station(sim3.address, cameras=3)))
    await st.connect()
    await prepare(st)
    yield st
    await st.aclose()
