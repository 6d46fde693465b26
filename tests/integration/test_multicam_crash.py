# ruff: noqa: ASYNC110 - polling the store is the point: the executor runs elsewhere.
"""SIGKILL during a block on three cameras, then resume: no frame twice, every frame on disk."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from multicam_helpers import multicam_block, write_block

from obshub.frames.fits import sha256_file
from obshub.store import Store, derive_state

OBSHUB = [sys.executable, "-m", "obshub.cli.main"]


def _observe(station: Path, block: Path, url: str, out: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [*OBSHUB, "observe", str(station), str(block), "--db", url, "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _wait_for(url: str, kind: str, n: int, p: subprocess.Popen, timeout: float = 60) -> None:
    store = Store(url)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and p.poll() is None:
            if len(store.events(kinds=(kind,))) >= n:
                return
            time.sleep(0.05)
    finally:
        store.close()


@pytest.mark.slow
def test_sigkill_a_three_camera_block_then_resume(cam3_station, tmp_path):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    block = multicam_block(
        cam3_station,
        "multicam-killed",
        instruments=[
            {
                "instrument": "main.imaging",
                "exposures": [{"filter": "L", "exposure": 0.2, "count": 5}],
            },
            {"instrument": "main.imaging2", "exposures": [{"exposure": 0.3, "count": 4}]},
            {"instrument": "main.imaging3", "exposures": [{"exposure": 0.2, "count": 5}]},
        ],
        sync={"policy": "loose"},
    )
    path = write_block(block, tmp_path / "block.yaml")
    out = tmp_path / "frames"
    rng = random.Random(int(os.environ.get("OBSHUB_KILL_SEED", "5")))
    kills = 0
    for _ in range(2):
        p = _observe(cam3_station, path, url, out)
        # Kill once frames are being taken by several cameras, at a random moment.
        saved = len(Store(url).events(kinds=("frame_saved",))) if kills else 0
        _wait_for(url, "frame_saved", saved + 2, p)
        time.sleep(rng.uniform(0.0, 1.0))
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            kills += 1
        p.wait(timeout=30)
    p = _observe(cam3_station, path, url, out)
    stdout, stderr = p.communicate(timeout=120)
    assert p.returncode == 0, stderr[-3000:]
    summary = json.loads(stdout.strip().splitlines()[-1])
    assert kills >= 1
    assert summary["frames_expected"] == summary["frames_saved"] == summary["frames_on_disk"] == 14
    assert summary["interruptions"] >= kills
    assert {k: v["frames_saved"] for k, v in summary["instruments"].items()} == {
        "main.imaging": 5,
        "main.imaging2": 4,
        "main.imaging3": 5,
    }
    assert set(summary["sync"]["cameras"]) == {"main.imaging", "main.imaging2", "main.imaging3"}

    store = Store(url)
    try:
        events = store.events()
    finally:
        store.close()
    saved = [e.data for e in events if e.kind == "frame_saved"]
    keys = [d["key"] for d in saved]
    assert len(keys) == len(set(keys)) == 14, "a frame was recorded twice"
    for d in saved:
        assert Path(d["path"]).is_file(), f"recorded frame {d['key']} missing on disk"
        assert sha256_file(Path(d["path"])) == d["sha256"]
    assert sorted(str(f) for f in out.glob("*.fits")) == sorted(d["path"] for d in saved)
    assert not list(out.glob(".*.part"))
    st = derive_state(events)
    assert st.status == "completed" and not st.open_frames
    # Every run that did not end (a killed one) was seen as a crash by the next run.
    unended, open_run = 0, False
    for e in events:
        if e.kind == "run_started":
            unended += open_run
            open_run = True
        elif e.kind == "run_ended":
            open_run = False
    crashes = sum(e.kind == "interrupted" and e.data["cause"] == "crash" for e in events)
    assert unended >= 1 and crashes == unended
