"""Fixtures for the executor: store URLs (SQLite and the real PostgreSQL server of
``tests/pg_server.py``), a simulator of the module's own, and the disk/store agreement check.
Block-file helpers are in ``executor_blocks.py`` (a conftest cannot be imported by name:
every test directory has one)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty store: an SQLite file, or a new database on the PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    from pg_server import new_pg_database

    return new_pg_database(request.getfixturevalue("postgres_server"))


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
