"""Running ``indiserver`` with Debian's INDI simulator drivers for one server of a station file.

Each server gets its own HOME (drivers keep their configuration in ``~/.indi``), its own local
socket, and a ``gsc`` stand-in on its PATH so the CCD simulator draws stars from obshub's offline
catalog. The drivers' configuration files are written before start so the simulators know the
station's site, optics and filter names.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from obshub.sim.process import ServerProcess
from obshub.station.model import Protocol, ServerConfig, StationConfig

# INDI device name → driver executable, for every simulator Debian's indi-bin ships that
# obshub can drive. The names are the drivers' defaults.
DRIVERS: dict[str, str] = {
    "Telescope Simulator": "indi_simulator_telescope",
    "CCD Simulator": "indi_simulator_ccd",
    "Filter Simulator": "indi_simulator_wheel",
    "Focuser Simulator": "indi_simulator_focus",
    "Dome Simulator": "indi_simulator_dome",
    "Rotator Simulator": "indi_simulator_rotator",
    "Weather Simulator": "indi_simulator_weather",
    "Guide Simulator": "indi_simulator_guide",
    "Light Panel Simulator": "indi_simulator_lightpanel",
}
CCD_SETTINGS = {
    "SIM_XRES": 1280,
    "SIM_YRES": 1024,
    "SIM_XSIZE": 8.0,
    "SIM_YSIZE": 8.0,
    "SIM_MAXVAL": 65000,
    "SIM_SATURATION": 8.0,
    "SIM_LIMITINGMAG": 20.0,
    "SIM_NOISE": 10,
    "SIM_SKYGLOW": 19.5,
}
# Started even when the station file does not name them: a full simulated observatory.
DEFAULT_DEVICES = [
    "Telescope Simulator",
    "CCD Simulator",
    "Filter Simulator",
    "Focuser Simulator",
    "Dome Simulator",
    "Rotator Simulator",
    "Weather Simulator",
]


def indiserver() -> str:
    exe = shutil.which("indiserver")
    if exe is None:
        raise FileNotFoundError("indiserver is not installed: apt-get install indi-bin")
    return exe


def _vector(kind: str, device: str, name: str, values: dict[str, object]) -> str:
    tag = {"number": "Number", "switch": "Switch", "text": "Text"}[kind]
    items = "".join(
        f"    <one{tag} name={quoteattr(k)}>{escape(str(v))}</one{tag}>\n"
        for k, v in values.items()
    )
    return f"  <new{tag}Vector device={quoteattr(device)} name={quoteattr(name)}>\n{items}  </new{tag}Vector>\n"


def driver_configs(station: StationConfig, server_name: str) -> dict[str, str]:
    """The ``~/.indi/<device>_config.xml`` files: site, optics and filter names.

    Drivers load their configuration when a client connects them, so the simulators start
    with the station's latitude and longitude (INDI wants east longitude in 0..360).
    """
    server: ServerConfig = station.servers[server_name]
    sim = server.simulator
    focal_mm = (sim.focal_length if sim else 0.4) * 1000
    site = station.site
    geo = {"LAT": site.latitude, "LONG": site.longitude % 360, "ELEV": site.elevation}
    aperture = max(10.0, focal_mm / 5)
    files: dict[str, list[str]] = {
        "Telescope Simulator": [
            _vector("number", "Telescope Simulator", "GEOGRAPHIC_COORD", geo),
            _vector(
                "number",
                "Telescope Simulator",
                "TELESCOPE_INFO",
                {
                    "TELESCOPE_APERTURE": aperture,
                    "TELESCOPE_FOCAL_LENGTH": focal_mm,
                    "GUIDER_APERTURE": aperture,
                    "GUIDER_FOCAL_LENGTH": focal_mm,
                },
            ),
        ],
        "CCD Simulator": [
            _vector(
                "number",
                "CCD Simulator",
                "SCOPE_INFO",
                {"FOCAL_LENGTH": focal_mm, "APERTURE": aperture},
            ),
            # Big pixels and a faint limit so a short frame shows the catalog's stars (down to
            # magnitude 15) over a field like the Alpaca simulator's (1.5 x 1.2 deg at 400 mm).
            _vector("number", "CCD Simulator", "SIMULATOR_SETTINGS", CCD_SETTINGS),
        ],
        "Weather Simulator": [_vector("number", "Weather Simulator", "GEOGRAPHIC_COORD", geo)],
        "Dome Simulator": [],
    }
    for m in station.mounts:
        for p in m.ports:
            fw = p.filter_wheel
            if fw is not None and fw.server == server_name and fw.filters and fw.device:
                names = {f"FILTER_SLOT_NAME_{i + 1}": n for i, n in enumerate(fw.filters)}
                files.setdefault(fw.device, []).append(
                    _vector("text", fw.device, "FILTER_NAME", names)
                )
    return {
        dev: "<INDIDriver>\n" + "".join(parts) + "</INDIDriver>\n"
        for dev, parts in files.items()
        if parts
    }


# The telescope simulator's home: pointing at the pole, where it starts, so parking is short.
PARK_DATA = """<parkdata>
  <device name="Telescope Simulator">
    <parkstatus>false</parkstatus>
    <parkposition>
      <axis1position>6.0</axis1position>
      <axis2position>90.0</axis2position>
    </parkposition>
  </device>
</parkdata>
"""


def devices_for(station: StationConfig, server_name: str) -> list[str]:
    """The INDI devices to run: the default set plus any other simulator the file names."""
    names = list(DEFAULT_DEVICES)
    for _, _, ref in station.device_refs():
        if ref.server == server_name and ref.device and ref.device not in names:
            if ref.device not in DRIVERS:
                raise ValueError(
                    f"servers.{server_name}: no INDI simulator provides device {ref.device!r} "
                    f"(simulators: {sorted(DRIVERS)})"
                )
            names.append(ref.device)
    return names


def prepare(
    station: StationConfig, server_name: str, workdir: Path, catalog: Path
) -> dict[str, str]:
    """Write the server's HOME (driver configs, park data) and ``gsc`` wrapper; return its env."""
    workdir = Path(workdir).resolve()
    home = workdir / "home"
    indi_dir = home / ".indi"
    indi_dir.mkdir(parents=True, exist_ok=True)
    for device, xml in driver_configs(station, server_name).items():
        (indi_dir / f"{device}_config.xml").write_text(xml)
    (indi_dir / "ParkData.xml").write_text(PARK_DATA)
    bindir = workdir / "bin"
    bindir.mkdir(exist_ok=True)
    gsc = bindir / "gsc"
    script = Path(__file__).with_name("gsc.py").resolve()
    gsc.write_text(
        f'#!/bin/sh\nexec "{sys.executable}" -I "{script}" --catalog "{Path(catalog).resolve()}" "$@"\n'
    )
    gsc.chmod(0o755)
    env = dict(os.environ)
    env["HOME"] = str(home)
    env["PATH"] = f"{bindir}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}"
    return env


def server_command(
    station: StationConfig, server_name: str, workdir: Path, catalog: Path, port: int | None = None
) -> tuple[list[str], dict[str, str]]:
    """The ``indiserver`` command line and environment for one INDI server entry.

    Parameters
    ----------
    port
        Listen here instead of the port in the server's address (tests use free ports).
    """
    server = station.servers[server_name]
    if server.protocol is not Protocol.indi:
        raise ValueError(f"servers.{server_name} is not an INDI server")
    env = prepare(station, server_name, workdir, catalog)
    port = port or server.port
    # indiserver's -u is an abstract socket name: one per server so two servers never collide.
    socket_name = f"/tmp/obshub-indiserver-{port}"
    drivers = [DRIVERS[d] for d in devices_for(station, server_name)]
    boot = Path(workdir).resolve() / "boot.xml"
    boot.write_text(boot_settings())
    booter = Path(__file__).with_name("indi_boot.py").resolve()
    cmd = [sys.executable, "-I", str(booter), str(boot), str(port), "--"]
    return [*cmd, indiserver(), "-p", str(port), "-u", socket_name, *drivers], env


def boot_settings() -> str:
    """Settings sent to the running server (the CCD simulator does not load them from its file)."""
    return _vector("number", "CCD Simulator", "SIMULATOR_SETTINGS", CCD_SETTINGS)


def indi_station(
    address: str,
    *,
    name: str = "INDI Observatory",
    mount: str = "main",
    simulator: bool = True,
    timeout: float = 5.0,
    site: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A one-mount station served by one INDI server of simulators at ``address``."""
    from obshub.sim.stations import DEMO_SITE

    server: dict[str, Any] = {"protocol": "indi", "address": address, "timeout": timeout}
    if simulator:
        server["simulator"] = {"focal_length": 0.4}
    srv = "indi"
    return {
        "site": dict(site or DEMO_SITE, name=name),
        "observer": "obshub tests",
        "servers": {srv: server},
        "mounts": [
            {
                "name": mount,
                "device": {"server": srv, "device": "Telescope Simulator", "motion_timeout": 120},
                "ports": [
                    {
                        "name": "imaging",
                        "kind": "imaging",
                        "camera": {
                            "server": srv,
                            "device": "CCD Simulator",
                            "download_timeout": 60,
                        },
                        "filter_wheel": {
                            "server": srv,
                            "device": "Filter Simulator",
                            "filters": ["L", "R", "G", "B", "Ha"],
                        },
                        "focuser": {"server": srv, "device": "Focuser Simulator"},
                        "rotator": {"server": srv, "device": "Rotator Simulator"},
                    }
                ],
            }
        ],
        "dome": {"server": srv, "device": "Dome Simulator", "motion_timeout": 120},
        "cover": {"server": srv, "device": "Light Panel Simulator"},
        "safety_monitor": {"server": srv, "device": "Weather Simulator"},
        "observing_conditions": {"server": srv, "device": "Weather Simulator"},
    }


class IndiServerProcess(ServerProcess):
    """``indiserver`` with the simulators, owned by the caller (tests, benchmarks).

    Parameters
    ----------
    station
        The station whose server ``server_name`` this runs (its site, optics, filters).
    workdir
        The server's HOME, ``gsc`` wrapper and log go here.
    port
        A free loopback port by default.
    """

    label = "indiserver"

    def __init__(
        self,
        station: StationConfig,
        server_name: str,
        workdir: Path,
        catalog: Path,
        port: int | None = None,
    ):
        from obshub.sim.process import free_port

        self.station = station
        self.server_name = server_name
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.catalog = catalog
        self.log_path = self.workdir / "indiserver.log"
        self.proc = None

    def command(self) -> tuple[list[str], dict[str, str] | None]:
        return server_command(self.station, self.server_name, self.workdir, self.catalog, self.port)
