"""A private indiserver per test module: these tests kill it, restart it and break callbacks."""

from __future__ import annotations

from pathlib import Path

import pytest

from obshub.station import Station, parse_station

pytest.importorskip("PyIndi")


@pytest.fixture(scope="module")
def indi_server(tmp_path_factory: pytest.TempPathFactory, sky_catalog: Path):
    from obshub.sim.indi import IndiServerProcess, indi_station
    from obshub.sim.process import free_port

    port = free_port()
    cfg = parse_station(indi_station(f"127.0.0.1:{port}", timeout=3.0))
    srv = IndiServerProcess(
        cfg, "indi", tmp_path_factory.mktemp("indi-own"), sky_catalog, port=port
    )
    srv.start()
    yield srv
    srv.kill()


@pytest.fixture
async def station(indi_server):
    indi_server.start()  # a test may have left it killed
    st = Station(indi_server.station)
    errors = await st.connect()
    assert all(e is None for e in errors.values()), errors
    yield st
    await st.aclose()
