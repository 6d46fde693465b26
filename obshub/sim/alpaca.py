"""Running ``alpaca-simulators`` for one server entry of a station file."""

from __future__ import annotations

import copy
import shutil
import sys
from pathlib import Path
from typing import Any

import yaml

from obshub.station.model import Protocol, ServerConfig, StationConfig


def simulator_command() -> list[str]:
    """The console script installed beside this interpreter (services do not inherit PATH)."""
    exe = Path(sys.executable).with_name("alpaca-simulators")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("alpaca-simulators")
    if found:
        return [found]
    raise FileNotFoundError(
        "alpaca-simulators is not installed: pip install 'obshub[sim]' (or alpaca-simulators)"
    )


def _template() -> dict[str, Any]:
    import alpaca_simulators

    path = Path(alpaca_simulators.__file__).parent / "config" / "template.yaml"
    return yaml.safe_load(path.read_text())


def simulator_config(station: StationConfig, server_name: str, catalog: Path) -> dict[str, Any]:
    """The simulator's YAML config for ``server_name``: the station's site, optics and filters."""
    server: ServerConfig = station.servers[server_name]
    assert server.protocol is Protocol.alpaca and server.simulator is not None
    sim = server.simulator
    cfg = _template()
    devices = cfg["devices"]
    site = station.site
    tel = devices["telescope"][0]
    tel.update(
        focallength=sim.focal_length,
        slew_rate=sim.slew_rate,
        sitelatitude=site.latitude,
        sitelongitude=site.longitude,
        siteelevation=site.elevation,
    )
    cam0 = devices["camera"][0]
    cam0["cooling_time"] = sim.cooling_time
    for n in range(1, sim.cameras):
        cam = copy.deepcopy(cam0)
        cam["name"] = f"Simulator Camera {n}"
        devices["camera"][n] = cam
    # The wheel reports the filters the station file names, so both agree on slot names.
    for m in station.mounts:
        for p in m.ports:
            fw = p.filter_wheel
            if fw is not None and fw.server == server_name and fw.filters:
                wheel = devices["filterwheel"].setdefault(
                    fw.number or 0, copy.deepcopy(devices["filterwheel"][0])
                )
                wheel["names"] = list(fw.filters)
                offsets = fw.focus_offsets or {}
                wheel["focusoffsets"] = [int(offsets.get(f, 0)) for f in fw.filters]
    cfg["tap_source"] = str(catalog)
    cfg["gaia_query_timeout"] = 10
    return cfg
