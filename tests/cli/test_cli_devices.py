"""The foundation's CLI end to end: sim, status, expose, on real simulators."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from astropy.io import fits

from obshub.frames.stars import detect_stars
from obshub.sim.process import free_port
from obshub.sim.stations import alpaca_station, write_station

OBSHUB = [sys.executable, "-m", "obshub.cli.main"]


def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    r = subprocess.run(
        [*OBSHUB, *args], capture_output=True, text=True, timeout=180, env=os.environ.copy()
    )
    if check and r.returncode != 0:
        raise AssertionError(f"obshub {' '.join(args)} → {r.returncode}\n{r.stdout}\n{r.stderr}")
    return r


@pytest.fixture(scope="module")
def sim_station(tmp_path_factory):
    path = write_station(
        alpaca_station(f"127.0.0.1:{free_port()}"), tmp_path_factory.mktemp("cli") / "st.yaml"
    )
    yield path
    run("sim", "stop", str(path), check=False)


def test_sim_start_is_idempotent_and_status_expose_work(sim_station: Path, tmp_path: Path):
    first = json.loads(run("sim", "start", str(sim_station), "--json").stdout)
    assert len(first) == 1 and first[0]["running"] and first[0]["pid"]
    again = json.loads(run("sim", "start", str(sim_station), "--json").stdout)
    assert again[0]["pid"] == first[0]["pid"], "a second start must not start another simulator"
    assert "running" in run("sim", "status", str(sim_station)).stdout

    status = json.loads(run("status", str(sim_station), "--json").stdout)
    assert status["station"] == "Demo Observatory"
    assert len(status["devices"]) == 10 and all(d["ok"] for d in status["devices"].values())
    table = run("status", str(sim_station)).stdout
    assert "main.imaging.camera" in table and "DOWN" not in table

    out = run(
        "expose",
        str(sim_station),
        "--seconds",
        "0.5",
        "--filter",
        "G",
        "--object",
        "Test field",
        "--out",
        str(tmp_path),
    ).stdout
    path = Path(out.strip().splitlines()[-1])
    assert path.exists() and path.parent == tmp_path
    h = fits.getheader(path)
    assert h["FILTER"] == "G" and h["OBJECT"] == "Test field" and h["EXPTIME"] == 0.5

    bad = run(
        "expose",
        str(sim_station),
        "--camera",
        "nope",
        "--seconds",
        "1",
        "--out",
        str(tmp_path),
        check=False,
    )
    assert bad.returncode == 1 and "no instrument or camera 'nope'" in bad.stderr

    stopped = json.loads(run("sim", "stop", str(sim_station), "--json").stdout)
    assert not stopped[0]["running"]
    down = run("status", str(sim_station), check=False)
    assert down.returncode == 1 and "DOWN" in down.stdout


def test_demo_station_frame_shows_stars(tmp_path: Path):
    """The shipped demo station on its own simulator: a light frame at the zenith has stars."""
    import asyncio

    import astropy.units as u
    from astropy.coordinates import AltAz, SkyCoord
    from astropy.time import Time

    from obshub.frames import capture_frame
    from obshub.station import Station, load_station

    data = load_station(
        Path(__file__).resolve().parents[2] / "examples" / "demo-station.yaml"
    ).model_dump(mode="json")
    data["servers"]["demo-sim"]["address"] = f"127.0.0.1:{free_port()}"
    path = write_station(data, tmp_path / "demo.yaml")
    run("sim", "start", str(path))

    async def go():
        st = Station.from_file(path)
        try:
            await st.connect()
            unit, _ = st.instrument()
            await unit.mount.unpark()
            zen = SkyCoord(
                alt=75 * u.deg,
                az=100 * u.deg,
                frame=AltAz(obstime=Time.now(), location=st.location),
            ).icrs
            await unit.mount.slew(zen)
            return await capture_frame(st, tmp_path, duration=1 * u.s, filter="L")
        finally:
            await st.aclose()

    try:
        fpath, _, _ = asyncio.run(go())
        assert len(detect_stars(fits.getdata(fpath))) >= 3
    finally:
        run("sim", "stop", str(path))
