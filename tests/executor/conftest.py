"""Fixtures for the executor: a real PostgreSQL server, store URLs, a simulator, blocks.

PostgreSQL comes from Debian's packages (``scripts/setup.sh`` installs ``postgresql``):
``initdb`` and ``pg_ctl`` in a temporary directory on a free loopback port, run as the
``postgres`` user when the tests run as root (initdb refuses root). The server is stopped
at the end of the session.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    exe = shutil.which("initdb")
    return Path(exe).parent if exe else None


def _as_db_user(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", "postgres", "--", *cmd]


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A PostgreSQL server for this session; yields its base URL (no database name)."""
    bindir = _pg_bin()
    if bindir is None or not (bindir / "pg_ctl").exists():
        pytest.skip(
            "PostgreSQL binaries (initdb, pg_ctl) not installed: apt-get install postgresql"
        )
    from obshub.sim.process import free_port

    # Not under pytest's temp tree: that is private to root, and the server runs as postgres.
    root = Path(tempfile.mkdtemp(prefix="obshub-pg-"))
    data, sock = root / "data", root / "sock"
    data.mkdir()
    sock.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
        shutil.chown(data, "postgres", "postgres")
        shutil.chown(sock, "postgres", "postgres")
        os.chmod(root, 0o755)
    port = free_port()
    init = subprocess.run(
        _as_db_user(
            [str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8"]
        ),
        capture_output=True,
        text=True,
    )
    if init.returncode:
        raise RuntimeError(f"initdb failed: {init.stdout}{init.stderr}")
    opts = f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        _as_db_user(
            [
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                opts,
                "-l",
                str(root / "log"),
                "-w",
                "start",
            ]
        ),
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(
            _as_db_user([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


def _new_pg_database(base: str) -> str:
    import psycopg

    name = "obshub_" + uuid.uuid4().hex[:12]
    dsn = base.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{base}/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty store: an SQLite file, or a new database on the PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return _new_pg_database(request.getfixturevalue("postgres_server"))


@pytest.fixture(scope="module")
def exec_sim(alpaca_factory):
    """A simulator of this module's own: the tests make it unsafe, park it, kill it."""
    return alpaca_factory()


@pytest.fixture
def sim(exec_sim):
    """The module's simulator, reset to its start state and made safe."""
    import httpx

    exec_sim.start()
    httpx.get(f"http://{exec_sim.address}/reload", timeout=10).raise_for_status()
    exec_sim.put("api/v1/safetymonitor/0/issafe", IsSafe="true")
    return exec_sim


@pytest.fixture
def station_yaml(sim, tmp_path: Path) -> Path:
    from obshub.sim.stations import alpaca_station, write_station

    return write_station(alpaca_station(sim.address), tmp_path / "station.yaml")


def high_target(station_yaml: Path, alt: float = 70.0, az: float = 120.0) -> tuple[float, float]:
    """RA, Dec (degrees) of a point high in the station's sky now: the simulator makes stars
    only where the mount points, and a block refuses targets below the horizon limit."""
    import astropy.units as u
    from astropy.coordinates import AltAz, SkyCoord
    from astropy.time import Time

    from obshub.station import load_station
    from obshub.station.station import Station

    loc = Station(load_station(station_yaml)).location
    c = SkyCoord(alt=alt * u.deg, az=az * u.deg, frame=AltAz(obstime=Time.now(), location=loc))
    return float(c.icrs.ra.deg), float(c.icrs.dec.deg)


def block_dict(station_yaml: Path, name: str = "test-block", **over: Any) -> dict[str, Any]:
    """A short block on a high target: 0.2-0.3 s frames, fast settle, 1 s safe period."""
    ra, dec = high_target(station_yaml)
    b: dict[str, Any] = {
        "name": name,
        "target": {"name": "field", "ra": ra, "dec": dec},
        "exposures": [
            {"filter": "L", "exposure": 0.3, "count": 3},
            {"filter": "R", "exposure": 0.2, "count": 2},
        ],
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
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(b.get(k), dict):
            b[k] = {**b[k], **v}
        else:
            b[k] = v
    return b


def write_block(data: dict[str, Any], path: Path) -> Path:
    import yaml

    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture
def check_disk():
    """Assert the store and the disk agree: every saved frame exists with its checksum,
    no frame key saved twice, no stray FITS file, no temporary file, nothing running."""

    def check(store_url: str, block_name: str, out_dir: Path, expected: int) -> list[Any]:
        from obshub.frames.fits import sha256_file
        from obshub.store import Store, derive_state

        store = Store(store_url)
        try:
            blocks = [b for b in store.blocks() if b.name == block_name]
            assert len(blocks) == 1
            events = store.events(blocks[0].id)
        finally:
            store.close()
        saved = [e.data for e in events if e.kind == "frame_saved"]
        keys = [d["key"] for d in saved]
        assert len(keys) == len(set(keys)), "a frame was recorded twice"
        for d in saved:
            p = Path(d["path"])
            assert p.is_file(), f"recorded frame {d['key']} missing on disk"
            assert sha256_file(p) == d["sha256"], f"checksum of {p} differs"
        on_disk = sorted(str(p) for p in out_dir.glob("*.fits"))
        assert on_disk == sorted(d["path"] for d in saved), "files on disk differ from the store"
        assert not list(out_dir.glob(".*.part")), "a temporary file was left"
        st = derive_state(events)
        assert st.status == "completed", (st.status, st.reason)
        assert len(saved) == expected
        return events

    return check
