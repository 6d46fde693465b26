"""Fixtures shared by the whole suite: real simulators on free loopback ports.

Every simulator is a real ``alpaca-simulators`` process, reading an offline star catalog made
here; the suite never reaches the network.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from pg_server import postgres_server  # noqa: F401 - one real PostgreSQL server for every area


@pytest.fixture(scope="session", autouse=True)
def obshub_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Keep every run's state (catalog, simulator state) out of the user's home."""
    home = Path(os.environ.get("OBSHUB_TEST_HOME") or tmp_path_factory.mktemp("obshub-home"))
    os.environ["OBSHUB_HOME"] = str(home)
    return home


@pytest.fixture(scope="session")
def sky_catalog(obshub_home: Path) -> Path:
    from obshub.sim.catalog import default_catalog

    return default_catalog()


def _alpaca(workdir: Path, catalog: Path, cameras: int = 1):
    from obshub.sim.alpaca import simulator_config
    from obshub.sim.process import AlpacaSimulatorProcess, free_port
    from obshub.sim.stations import alpaca_station
    from obshub.station import parse_station

    port = free_port()
    station = parse_station(alpaca_station(f"127.0.0.1:{port}", cameras=cameras))
    return AlpacaSimulatorProcess(simulator_config(station, "sim", catalog), workdir, port=port)


@pytest.fixture(scope="session")
def alpaca_factory(tmp_path_factory: pytest.TempPathFactory, sky_catalog: Path) -> Iterator:
    """Make more simulator processes; all are stopped at the end of the run."""
    made = []

    def make(cameras: int = 1):
        sim = _alpaca(tmp_path_factory.mktemp("alpaca"), sky_catalog, cameras)
        made.append(sim)
        return sim.start()

    yield make
    for sim in made:
        sim.stop()


@pytest.fixture(scope="session")
def alpaca_sim(alpaca_factory):
    """One simulator process: one mount with its camera, wheel, focuser, rotator and site kit."""
    return alpaca_factory()


@pytest.fixture(scope="session")
def station_file(alpaca_sim, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A station file for :func:`alpaca_sim`."""
    from obshub.sim.stations import alpaca_station, write_station

    d = tmp_path_factory.mktemp("station")
    return write_station(alpaca_station(alpaca_sim.address), d / "station.yaml")
