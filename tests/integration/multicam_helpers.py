"""Helpers for the multi-camera block tests (blocks, stations, interval checks)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from obshub.sim.stations import alpaca_station


def two_mount_station_dict(addr_a: str, addr_b: str, cooperate: bool = True) -> dict[str, Any]:
    """Mounts ``east`` (simulator A, with the site devices) and ``west`` (simulator B)."""
    a = alpaca_station(addr_a, mount="east")
    b = alpaca_station(addr_b, mount="west")
    st = a
    st["servers"] = {"simA": a["servers"]["sim"], "simB": b["servers"]["sim"]}

    def point(obj: Any, server: str) -> Any:
        if isinstance(obj, dict):
            return {k: (server if k == "server" else point(v, server)) for k, v in obj.items()}
        if isinstance(obj, list):
            return [point(x, server) for x in obj]
        return obj

    east = point(a["mounts"][0], "simA")
    west = point(b["mounts"][0], "simB")
    if cooperate:
        east["cooperates_with"] = ["west"]
    st["mounts"] = [east, west]
    for k in ("dome", "cover", "safety_monitor", "observing_conditions"):
        st[k] = point(a[k], "simA")
    st["switches"] = point(a["switches"], "simA")
    return st


def high_target(station_yaml: Path, alt: float = 70.0, az: float = 120.0) -> tuple[float, float]:
    """RA, Dec of a point high in the station's sky now (the simulator makes stars there)."""
    import astropy.units as u
    from astropy.coordinates import AltAz, SkyCoord
    from astropy.time import Time

    from obshub.station import load_station
    from obshub.station.station import Station

    loc = Station(load_station(station_yaml)).location
    c = SkyCoord(alt=alt * u.deg, az=az * u.deg, frame=AltAz(obstime=Time.now(), location=loc))
    return float(c.icrs.ra.deg), float(c.icrs.dec.deg)


def multicam_block(station_yaml: Path, name: str, **over: Any) -> dict[str, Any]:
    """Three cameras of one mount, short frames, a dither every 2 frames, fast settling."""
    ra, dec = high_target(station_yaml)
    b: dict[str, Any] = {
        "name": name,
        "target": {"name": "field", "ra": ra, "dec": dec},
        "instruments": [
            {
                "instrument": "main.imaging",
                "exposures": [{"filter": "L", "exposure": 0.3, "count": 4}],
            },
            {"instrument": "main.imaging2", "exposures": [{"exposure": 0.5, "count": 3}]},
            {"instrument": "main.imaging3", "exposures": [{"exposure": 0.2, "count": 4}]},
        ],
        "sync": {"policy": "strict"},
        "dither": {"pattern": "random", "every": 2, "amount": 15, "settle": 0.1},
        "constraints": {"sun_max_altitude": 90},
        "executor": {
            "safe_period": 1.0,
            "poll_interval": 0.5,
            "slew_settle": 0.1,
            "backoff": 0.2,
            "max_backoff": 1.0,
            "device_down_after": 30,
        },
    }
    b.update(over)
    return b


def write_block(data: dict[str, Any], path: Path) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def assert_no_motion_during_exposure(log) -> None:
    """No exposure's open shutter (start..closed) overlaps a motion of its mount."""
    for e in log.exposures():
        for m in log.motions(e.mount):
            overlap = min(e.closed, m.end) - max(e.start, m.start)
            assert overlap <= 0, (
                f"{e.camera} exposed {e.start:.3f}-{e.closed:.3f} during a {m.kind} "
                f"{m.start:.3f}-{m.end:.3f} of {m.mount}"
            )
