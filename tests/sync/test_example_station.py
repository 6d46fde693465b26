"""The multi-camera example station: three cameras on one mount, one simulator serving them."""

from __future__ import annotations

from pathlib import Path

from obshub.sim.alpaca import simulator_config
from obshub.station import load_station

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "multicam-station.yaml"


def test_example_has_three_cameras_on_one_mount_and_one_simulator(sky_catalog):
    cfg = load_station(EXAMPLE)
    (mount,) = cfg.mounts
    cams = [(p.camera.server, p.camera.number) for p in mount.ports]
    assert cams == [("sim", 0), ("sim", 1), ("sim", 2)]
    assert mount.device.server == "sim" and mount.device.number == 0
    assert cfg.servers["sim"].simulator.cameras == 3
    sim = simulator_config(cfg, "sim", sky_catalog)
    assert sorted(sim["devices"]["camera"]) == [0, 1, 2]
