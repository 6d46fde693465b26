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


@pytest.fixture(scope="session")
def slow_sim3(tmp_path_factory, sky_catalog):
    """Three cameras on a mount that slews slowly (0.01 deg/s): a 20 arcsec offset takes
    about half a second, long enough for a poller to see the mount slewing."""
    from obshub.sim.alpaca import simulator_config
    from obshub.sim.process import AlpacaSimulatorProcess, free_port

    port = free_port()
    cfg = parse_station(alpaca_station(f"127.0.0.1:{port}", cameras=3))
    sim_cfg = simulator_config(cfg, "sim", sky_catalog)
    sim_cfg["devices"]["telescope"][0]["slew_rate"] = 0.01
    sim = AlpacaSimulatorProcess(sim_cfg, tmp_path_factory.mktemp("slow-sim"), port=port)
    sim.start()
    yield sim
    sim.stop()


@pytest.fixture
async def slow_station3(slow_sim3):
    st = Station(parse_station(alpaca_station(slow_sim3.address, cameras=3)))
    await st.connect()
    # Slewing to the target would take hours at this rate: tell the mount where it points.
    await prepare(st, sync_only=True)
    yield st
    await st.aclose()


@pytest.fixture
async def station3(sim3):
    st = Station(parse_station(alpaca_station(sim3.address, cameras=3)))
    await st.connect()
    await prepare(st)
    yield st
    await st.aclose()
