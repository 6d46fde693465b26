"""Fixtures for blocks on several cameras: real simulators, one process per mount."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest


def _reset(sim) -> None:
    sim.start()
    httpx.get(f"http://{sim.address}/reload", timeout=10).raise_for_status()
    sim.put("api/v1/safetymonitor/0/issafe", IsSafe="true")


@pytest.fixture(scope="module")
def cam3_sim(alpaca_factory):
    """Three cameras on one mount, in one simulator process of this module's own."""
    return alpaca_factory(cameras=3)


@pytest.fixture
def cam3_station(cam3_sim, tmp_path: Path) -> Path:
    from obshub.sim.stations import alpaca_station, write_station

    _reset(cam3_sim)
    return write_station(alpaca_station(cam3_sim.address, cameras=3), tmp_path / "station.yaml")


@pytest.fixture(scope="module")
def two_sims(alpaca_factory):
    """Two mounts: two simulator processes."""
    return alpaca_factory(), alpaca_factory()


@pytest.fixture
def two_mount_station(two_sims, tmp_path: Path) -> Path:
    from multicam_helpers import two_mount_station_dict

    from obshub.sim.stations import write_station

    for s in two_sims:
        _reset(s)
    a, b = two_sims
    return write_station(two_mount_station_dict(a.address, b.address), tmp_path / "station.yaml")
