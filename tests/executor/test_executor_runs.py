# ruff: noqa: ASYNC110 - polling the store is the point: the executor runs elsewhere.
"""The executor against a real Alpaca simulator, on SQLite and on PostgreSQL.

Frames are 0.2-0.3 s and the simulator slews at 90 deg/s, so each block takes seconds.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml
from executor_blocks import block_dict, write_block

from obshub.executor.blocks import parse_block
from obshub.executor.runner import BlockRunner
from obshub.station.station import Station
from obshub.store import Store, derive_state

OBSHUB = [sys.executable, "-m", "obshub.cli.main"]

# Tests of device behaviour rather than of the record: one store is enough (time budget).
SQLITE_ONLY = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)


def _observe(station_yaml: Path, block_yaml: Path, url: str, out: Path, **kw) -> subprocess.Popen:
    return subprocess.Popen(
        [*OBSHUB, "observe", str(station_yaml), str(block_yaml), "--db", url, "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        **kw,
    )


def _sim_state(sim, device: str, prop: str):
    r = httpx.get(f"http://{sim.address}/api/v1/{device}/0/{prop}", timeout=5)
    return r.json()["Value"]


async def _run_in_process(station_yaml: Path, block: dict, url: str, out: Path):
    station = Station.from_file(station_yaml)
    store = Store(url)
    try:
        runner = BlockRunner(station, parse_block(block), store, out)
        return runner, await runner.run()
    finally:
        await station.aclose()


@pytest.mark.slow
def test_cli_runs_a_block_to_completion_with_autofocus(
    sim, station_yaml, store_url, tmp_path, check_disk
):
    block = block_dict(
        station_yaml,
        name="complete",
        focus={"policy": "start", "range": 300, "steps": 5, "exposure": 0.2},
        calibration={"bias": 1, "darks": [{"exposure": 0.2, "count": 1}]},
    )
    out = tmp_path / "frames"
    # Filter focus offsets from the station file: R focuses 40 steps further out than L.
    st = yaml.safe_load(station_yaml.read_text())
    st["mounts"][0]["ports"][0]["filter_wheel"]["focus_offsets"] = {"L": 0, "R": 40}
    station_yaml.write_text(yaml.safe_dump(st))
    sim.put("api/v1/switch/0/setswitchvalue", Id=0, Value=0)
    p = _observe(station_yaml, write_block(block, tmp_path / "b.yaml"), store_url, out)
    stdout, stderr = p.communicate(timeout=120)
    assert p.returncode == 0, stderr[-3000:]
    summary = json.loads(stdout.strip().splitlines()[-1])
    assert summary["frames_expected"] == summary["frames_saved"] == summary["frames_on_disk"] == 7
    assert summary["interruptions"] == 0 and summary["status"] == "completed"
    secs = summary["seconds"]
    assert secs["exposing"] > 0 and secs["slewing"] > 0 and secs["focusing"] > 0
    assert secs["dithering"] > 0 and secs["calibrating"] > 0
    events = check_disk(store_url, "complete", out, 7)
    (focus,) = [e.data for e in events if e.kind == "focus"]
    # The simulator's stars are sharpest at focuser step 10000.
    assert abs(focus["position"] - 10000) <= 100, focus
    assert focus["filter"] == "L"
    (offset,) = [e.data for e in events if e.kind == "focus_offset"]
    assert (offset["filter_from"], offset["filter_to"], offset["steps"]) == ("L", "R", 40)
    assert _sim_state(sim, "focuser", "position") == focus["position"] + 40
    # The station's outlets were switched on before observing.
    assert [e.data for e in events if e.kind == "power"] == [{"outlet": "power.mount", "on": True}]
    r = httpx.get(f"http://{sim.address}/api/v1/switch/0/getswitchvalue?Id=0", timeout=5)
    assert r.json()["Value"] == 1
    assert _sim_state(sim, "telescope", "atpark") is True


@pytest.mark.slow
async def test_unsafe_parks_closes_then_resumes_after_safe_period(
    sim, station_yaml, store_url, tmp_path, check_disk
):
    block = block_dict(
        station_yaml,
        name="unsafe",
        exposures=[{"filter": "L", "exposure": 0.3, "count": 6}],
        executor={"safe_period": 2.0, "on_unsafe": "abort"},
    )
    out = tmp_path / "frames"
    seen: dict[str, object] = {}

    async def weather() -> None:
        store = Store(store_url)
        try:
            while True:
                evs = store.events(kinds=("frame_saved",))
                if len(evs) >= 2:
                    break
                await asyncio.sleep(0.1)
            await asyncio.to_thread(sim.put, "api/v1/safetymonitor/0/issafe", IsSafe="false")
            t_unsafe = time.monotonic()
            while not store.events(kinds=("park",)):
                await asyncio.sleep(0.1)
            # While unsafe: parked and closed, and no frame started.
            seen["parked"] = await asyncio.to_thread(_sim_state, sim, "telescope", "atpark")
            seen["shutter"] = await asyncio.to_thread(_sim_state, sim, "dome", "shutterstatus")
            n_started = len(store.events(kinds=("frame_started",)))
            await asyncio.sleep(1.0)
            seen["started_while_unsafe"] = len(store.events(kinds=("frame_started",))) - n_started
            await asyncio.to_thread(sim.put, "api/v1/safetymonitor/0/issafe", IsSafe="true")
            seen["safe_at"] = time.monotonic()
            seen["t_unsafe"] = t_unsafe
        finally:
            store.close()

    w = asyncio.create_task(weather())
    runner, summary = await _run_in_process(station_yaml, block, store_url, out)
    await w
    assert summary["status"] == "completed", summary
    assert seen["parked"] is True and seen["shutter"] == 1  # ShutterState.CLOSED
    assert seen["started_while_unsafe"] == 0
    assert summary["interruptions"] == 1
    assert summary["frames_saved"] == summary["frames_on_disk"] == 6
    assert summary["seconds"]["waiting_safety"] > 0
    events = check_disk(store_url, "unsafe", out, 6)
    kinds = [e.kind for e in events]
    i_int = kinds.index("interrupted")
    i_res = kinds.index("resumed")
    assert "park" in kinds[i_int:i_res]
    # Reopened only after the safe period had passed since the last unsafe reading.
    verdicts = [e for e in events if e.kind == "safety"]
    last_unsafe = max(i for i, e in enumerate(verdicts) if not e.data["safe"])
    safe_again = verdicts[last_unsafe + 1]
    assert safe_again.data["safe"]
    resumed = events[i_res]
    assert resumed.at - safe_again.at >= 2.0
    # Two slews to the target: the first acquisition and the one after reopening.
    slews = [e for e in events if e.kind == "activity" and e.data["kind"] == "slewing"]
    assert len(slews) == 2
    # The night report has the time spent waiting, for the block and for the night.
    from obshub.executor.report import night_report

    store = Store(store_url)
    try:
        report = night_report(store)
    finally:
        store.close()
    (blk,) = report["blocks"].values()
    assert blk["seconds"]["waiting_safety"] == summary["seconds"]["waiting_safety"]
    assert blk["interruptions"] == 1 and blk["frames_saved"] == 6
    assert sum(n["frames_saved"] for n in report["nights"].values()) == 6
    # Running a completed block again takes nothing and says so.
    _, again = await _run_in_process(station_yaml, block, store_url, out)
    assert again["status"] == "completed" and again["frames_saved"] == 6
    assert len(list(out.glob("*.fits"))) == 6


@pytest.mark.slow
def test_sigkill_at_random_moments_then_resume(station_yaml, store_url, tmp_path, check_disk):
    block = block_dict(
        station_yaml,
        name="killed",
        exposures=[
            {"filter": "L", "exposure": 0.2, "count": 5},
            {"filter": "R", "exposure": 0.2, "count": 3},
        ],
    )
    path = write_block(block, tmp_path / "b.yaml")
    out = tmp_path / "frames"
    rng = random.Random(int(os.environ.get("OBSHUB_KILL_SEED", "4")))
    kills = 0
    for _ in range(3):
        p = _observe(station_yaml, path, store_url, out)
        # Wait until it records its run, then kill at a random moment after that.
        store = Store(store_url)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and p.poll() is None:
                runs = store.events(kinds=("run_started",))
                if len(runs) > kills:
                    break
                time.sleep(0.05)
        finally:
            store.close()
        time.sleep(rng.uniform(0.0, 2.5))
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            kills += 1
        p.wait(timeout=30)
        if p.returncode == 0:
            break
    p = _observe(station_yaml, path, store_url, out)
    stdout, stderr = p.communicate(timeout=120)
    assert p.returncode == 0, stderr[-3000:]
    summary = json.loads(stdout.strip().splitlines()[-1])
    assert summary["frames_expected"] == summary["frames_saved"] == summary["frames_on_disk"] == 8
    assert kills >= 1
    assert summary["interruptions"] >= kills
    events = check_disk(store_url, "killed", out, 8)
    st = derive_state(events)
    assert not st.open_frames
    # Every run that did not end (the killed ones) was seen as a crash by the next run.
    unended, open_run = 0, False
    for e in events:
        if e.kind == "run_started":
            unended += open_run
            open_run = True
        elif e.kind == "run_ended":
            open_run = False
    assert unended >= 1
    assert sum(e.kind == "interrupted" and e.data["cause"] == "crash" for e in events) == unended


@pytest.mark.slow
async def test_simulator_killed_and_restarted_mid_block(
    sim, station_yaml, store_url, tmp_path, check_disk
):
    block = block_dict(
        station_yaml,
        name="restart",
        exposures=[{"filter": "L", "exposure": 0.3, "count": 5}],
        dither={"pattern": "none"},
    )
    out = tmp_path / "frames"

    async def crash() -> None:
        store = Store(store_url)
        try:
            while len(store.events(kinds=("frame_saved",))) < 2:
                await asyncio.sleep(0.05)
        finally:
            store.close()
        await asyncio.to_thread(sim.kill)
        await asyncio.sleep(1.5)
        await asyncio.to_thread(sim.start)

    c = asyncio.create_task(crash())
    runner, summary = await _run_in_process(station_yaml, block, store_url, out)
    await c
    assert summary["status"] == "completed", summary
    assert summary["frames_saved"] == summary["frames_on_disk"] == 5
    events = check_disk(store_url, "restart", out, 5)
    kinds = [e.kind for e in events]
    assert "frame_failed" in kinds or any(
        e.kind == "activity" and e.data["kind"] == "recovering" for e in events
    )
    # After the restart the mount was parked by the server: it was unparked and re-pointed.
    slews = [e for e in events if e.kind == "activity" and e.data["kind"] == "slewing"]
    assert len(slews) >= 2


@pytest.mark.slow
@SQLITE_ONLY
async def test_device_that_stays_down_ends_the_block_with_a_reason(
    sim, station_yaml, store_url, tmp_path
):
    block = block_dict(
        station_yaml,
        name="down",
        exposures=[{"filter": "L", "exposure": 0.3, "count": 5}],
        dither={"pattern": "none"},
        executor={"device_down_after": 3, "retries": 1},
    )

    async def crash() -> None:
        store = Store(store_url)
        try:
            while len(store.events(kinds=("frame_saved",))) < 1:
                await asyncio.sleep(0.05)
        finally:
            store.close()
        await asyncio.to_thread(sim.kill)

    c = asyncio.create_task(crash())
    try:
        runner, summary = await _run_in_process(station_yaml, block, store_url, tmp_path / "f")
    finally:
        await c
        sim.start()
    assert summary["status"] == "failed"
    assert "down" in summary["reason"] and summary["frames_saved"] >= 1
    store = Store(store_url)
    try:
        assert store.events(kinds=("device_down",))
    finally:
        store.close()


@pytest.mark.slow
async def test_meridian_flip_on_the_simulator_mount(sim, station_yaml, store_url, tmp_path):
    import astropy.units as u
    from astropy.coordinates import SkyCoord
    from astropy.time import Time

    from obshub.station import load_station

    cfg = load_station(station_yaml)
    loc = Station(cfg).location
    # A target that crosses the flip point (5 min past the meridian) a few seconds in.
    lst = Time.now().sidereal_time("apparent", longitude=loc.lon)
    ha_start = (cfg.mounts[0].meridian.flip_after * 60 - 3) / 3600  # hours
    ra = (lst.hour - ha_start) % 24 * 15
    target = SkyCoord(ra=ra * u.deg, dec=cfg.site.latitude * u.deg)
    block = block_dict(
        station_yaml,
        name="flip",
        target={"name": "meridian", "ra": float(target.ra.deg), "dec": float(target.dec.deg)},
        exposures=[{"filter": "L", "exposure": 0.5, "count": 6}],
        dither={"pattern": "none"},
    )
    runner, summary = await _run_in_process(station_yaml, block, store_url, tmp_path / "f")
    assert summary["status"] == "completed", summary
    assert summary["flips"] == 1
    store = Store(store_url)
    try:
        events = store.events()
    finally:
        store.close()
    (flip,) = [e for e in events if e.kind == "flip"]
    assert flip.data["ok"] is True
    assert flip.data["side_before"] != flip.data["side_after"]
    assert flip.data["pointing_error_arcsec"] < 60
    assert flip.data["ha_hours"] * 60 >= 5
    # Between frames: the flip came after one frame was saved and before the next started.
    kinds = [e.kind for e in events]
    i = kinds.index("flip")
    assert "frame_saved" in kinds[:i] and kinds[i + 1 :].count("frame_started") >= 1
    assert summary["seconds"]["flipping"] > 0


@pytest.mark.slow
@SQLITE_ONLY
async def test_roof_closed_by_host_is_waited_for_not_unsafe(sim, station_yaml, store_url, tmp_path):
    block = block_dict(
        station_yaml,
        name="host-roof",
        exposures=[{"filter": "L", "exposure": 0.2, "count": 2}],
        dither={"pattern": "none"},
        executor={"dome": "host"},
    )

    async def host_opens() -> None:
        store = Store(store_url)
        try:
            while not store.events(kinds=("interrupted",)):
                await asyncio.sleep(0.1)
        finally:
            store.close()
        await asyncio.to_thread(sim.put, "api/v1/dome/0/openshutter")

    h = asyncio.create_task(host_opens())
    _, summary = await _run_in_process(station_yaml, block, store_url, tmp_path / "f")
    await h
    assert summary["status"] == "completed" and summary["frames_saved"] == 2
    store = Store(store_url)
    try:
        events = store.events()
    finally:
        store.close()
    (why,) = [e.data for e in events if e.kind == "interrupted"]
    assert why["cause"] == "roof"
    # Safe all along: the roof being shut is not bad weather.
    assert all(e.data["safe"] for e in events if e.kind == "safety")
    # The host owns the roof: the executor never closed it, even at the end.
    assert _sim_state(sim, "dome", "shutterstatus") == 0


@pytest.mark.slow
@SQLITE_ONLY
async def test_station_script_override_and_refocus_on_temperature_change(
    sim, station_yaml, store_url, tmp_path
):
    from custom_script import WarmingScript

    WarmingScript.calls = 0
    st = yaml.safe_load(station_yaml.read_text())
    st["mounts"][0]["ports"][0]["script"] = "custom_script:WarmingScript"
    station_yaml.write_text(yaml.safe_dump(st))
    block = block_dict(
        station_yaml,
        name="refocus",
        exposures=[{"filter": "L", "exposure": 0.2, "count": 3}],
        dither={"pattern": "none"},
        focus={
            "policy": "auto",
            "temperature_delta": 1.0,
            "range": 200,
            "steps": 3,
            "exposure": 0.2,
        },
    )
    runner, summary = await _run_in_process(station_yaml, block, store_url, tmp_path / "f")
    assert isinstance(runner.script, WarmingScript)
    assert summary["status"] == "completed" and summary["focus_runs"] == 2
    store = Store(store_url)
    try:
        focus = [e.data for e in store.events(kinds=("focus",))]
    finally:
        store.close()
    assert focus[0]["why"] == "start" and focus[0]["temperature"] == 10.0
    assert "temperature" in focus[1]["why"]


@pytest.mark.slow
@SQLITE_ONLY
async def test_unsafe_during_darks_closes_the_station_and_darks_go_on(
    sim, station_yaml, store_url, tmp_path
):
    sim.put("api/v1/dome/0/openshutter")
    sim.put("api/v1/telescope/0/unpark")
    sim.put("api/v1/safetymonitor/0/issafe", IsSafe="false")
    block = {
        "name": "darks",
        "calibration": {"bias": 1, "darks": [{"exposure": 0.2, "count": 2}]},
        "executor": {"poll_interval": 0.5, "safe_period": 1},
    }
    _, summary = await _run_in_process(station_yaml, block, store_url, tmp_path / "f")
    assert summary["status"] == "completed" and summary["frames_saved"] == 3
    assert summary["interruptions"] == 1
    assert _sim_state(sim, "dome", "shutterstatus") == 1
    assert _sim_state(sim, "telescope", "atpark") is True


@pytest.mark.slow
async def test_frame_written_but_not_recorded_before_a_crash_is_adopted_not_retaken(
    sim, station_yaml, store_url, tmp_path
):
    """The narrowest crash window: the file is on disk, ``frame_saved`` never made it."""
    import socket

    import numpy as np
    from astropy.io import fits

    block = parse_block(
        {
            "name": "adopt",
            "calibration": {"darks": [{"exposure": 0.2, "count": 2}]},
            "constraints": {"sun_max_altitude": 90},
            "executor": {"poll_interval": 0.5},
        }
    )
    station = Station.from_file(station_yaml)
    out = tmp_path / "f"
    out.mkdir()
    store = Store(store_url)
    bid = store.block_id(station.name, "adopt", block.model_dump(mode="json"))
    # What a run killed between writing the file and recording it leaves behind.
    store.append(bid, "run_started", pid=2**22 + 12345, host=socket.gethostname())
    store.append(bid, "frame_started", key="dark:0.2s:b1#0001")
    hdr = fits.Header({"OBSBLOCK": "adopt", "OBSFRKEY": "dark:0.2s:b1#0001"})
    fits.PrimaryHDU(np.zeros((4, 4), np.uint16), hdr).writeto(out / "dark_1.fits")
    (out / ".dark_2.fits.abc.part").write_bytes(b"partial")
    try:
        summary = await BlockRunner(station, block, store, out).run()
        events = store.events(bid)
    finally:
        await station.aclose()
        store.close()
    assert summary["status"] == "completed"
    assert summary["frames_saved"] == summary["frames_on_disk"] == 2
    assert summary["interruptions"] == 1
    (crash,) = [e.data for e in events if e.kind == "interrupted"]
    assert crash["cause"] == "crash" and crash["adopted"] == ["dark:0.2s:b1#0001"]
    saved = {e.data["key"]: e.data for e in events if e.kind == "frame_saved"}
    assert saved["dark:0.2s:b1#0001"]["recovered"] is True
    # Only the missing frame was exposed: one frame_started per key, and no temporary left.
    started = [e.data["key"] for e in events if e.kind == "frame_started"]
    assert started == ["dark:0.2s:b1#0001", "dark:0.2s:b1#0002"]
    assert len(list(out.glob("*.fits"))) == 2 and not list(out.glob(".*.part"))


@pytest.mark.slow
@SQLITE_ONLY
async def test_a_live_run_is_not_taken_over(sim, station_yaml, store_url, tmp_path):
    import socket

    from obshub.errors import ObshubError

    block = parse_block({"name": "busy", "calibration": {"bias": 1}})
    station = Station.from_file(station_yaml)
    store = Store(store_url)
    bid = store.block_id(station.name, "busy", block.model_dump(mode="json"))
    # A run by a process that is alive (this test's parent, not us) holds the block.
    store.append(bid, "run_started", pid=os.getppid(), host=socket.gethostname())
    try:
        with pytest.raises(ObshubError, match="being run by process"):
            await BlockRunner(station, block, store, tmp_path).run()
    finally:
        await station.aclose()
        store.close()


class _SpoilFirst:
    """A motion coordinator (the sync layer's hook) that reports the first frame spoiled."""

    def __init__(self) -> None:
        from obshub.executor.motion import LocalMotion

        self.inner = LocalMotion()
        self.exposures: list[tuple[str, str, float | None]] = []
        self.motions: list[tuple[str, str]] = []

    def mount_motion(self, mount, kind):
        self.motions.append((mount, kind))
        return self.inner.mount_motion(mount, kind)

    @__import__("contextlib").asynccontextmanager
    async def exposure(self, mount, camera, duration=None):
        from types import SimpleNamespace

        self.exposures.append((mount, camera, duration))
        lease = SimpleNamespace(spoiled=len(self.exposures) == 1, reason="mount moved")
        async with self.inner.exposure(mount, camera, duration):
            yield lease


@pytest.mark.slow
@SQLITE_ONLY
async def test_motion_hook_sees_every_motion_and_a_spoiled_frame_is_retaken(
    sim, station_yaml, store_url, tmp_path
):
    block = parse_block(
        block_dict(
            station_yaml,
            name="hooked",
            exposures=[{"filter": "L", "exposure": 0.2, "count": 3}],
            dither={"pattern": "spiral", "every": 1, "amount": 10, "settle": 0.1},
        )
    )
    motion = _SpoilFirst()
    station = Station.from_file(station_yaml)
    store = Store(store_url)
    try:
        summary = await BlockRunner(station, block, store, tmp_path / "f", motion=motion).run()
        events = store.events()
    finally:
        await station.aclose()
        store.close()
    assert summary["status"] == "completed" and summary["frames_saved"] == 3
    assert [k for _, k in motion.motions] == ["slew", "dither", "dither", "park"]
    assert {m for m, _ in motion.motions} == {"main"}
    assert motion.exposures[0] == ("main", "main.imaging.camera", 0.2)
    assert len(motion.exposures) == 4  # the spoiled frame was taken again
    (spoiled,) = [e.data for e in events if e.kind == "frame_failed"]
    assert spoiled["spoiled"] is True and "mount moved" in spoiled["error"]
