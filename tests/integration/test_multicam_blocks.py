# ruff: noqa: ASYNC110 - polling the store is the point: the runner records there.
"""Blocks on three cameras of one mount, through the sync layer, on a real simulator.

One ``alpaca-simulators`` process serves the mount and three cameras: every dither and slew
of the block is negotiated with all three. The sync log records every exposure and motion;
none may overlap, whatever the policy.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from astropy.io import fits
from multicam_helpers import assert_no_motion_during_exposure, multicam_block

from obshub.executor.blocks import parse_block
from obshub.executor.multi import MultiBlockRunner, make_runner
from obshub.executor.report import night_report
from obshub.frames.fits import sha256_file
from obshub.station.station import Station
from obshub.store import Store

CAMS = ["main.imaging", "main.imaging2", "main.imaging3"]


async def _run(station_yaml: Path, block: dict, tmp_path: Path):
    station = Station.from_file(station_yaml)
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        runner = make_runner(station, parse_block(block), store, tmp_path / "frames")
        assert isinstance(runner, MultiBlockRunner)
        summary = await runner.run()
        events = store.events()
        report = night_report(store, station.config.site.longitude)
        return runner, summary, events, report
    finally:
        await station.aclose()
        store.close()


@pytest.mark.slow
@pytest.mark.parametrize("policy", ["strict", "loose", "planned"])
async def test_three_cameras_one_mount_block(cam3_station, tmp_path, policy):
    block = multicam_block(cam3_station, f"multicam-{policy}", sync={"policy": policy})
    runner, summary, events, report = await _run(cam3_station, block, tmp_path)

    assert summary["status"] == "completed", summary["reason"]
    assert summary["frames_expected"] == summary["frames_saved"] == summary["frames_on_disk"] == 11
    assert {k: v["frames_saved"] for k, v in summary["instruments"].items()} == {
        "main.imaging": 4,
        "main.imaging2": 3,
        "main.imaging3": 4,
    }
    # Every motion went through the coordinator and none overlapped an open shutter.
    log = runner.sync_log
    assert_no_motion_during_exposure(log)
    kinds = [m.kind for m in log.motions("main")]
    assert kinds[0] == "slew" and kinds[-1] == "park" and "dither" in kinds
    assert {e.camera for e in log.exposures()} == set(CAMS)

    # Frames: their own keys per instrument, sync keywords, recorded checksum.
    saved = [e.data for e in events if e.kind == "frame_saved"]
    assert len({d["key"] for d in saved}) == 11
    for d in saved:
        h = fits.getheader(d["path"])
        assert h["OBSFRKEY"] == d["key"] and h["OBSFRKEY"].split("/")[0] in CAMS
        assert h["SYNCPOL"] == policy and h["SYNCSPOL"] is False and h["SYNCWAIT"] >= 0
        assert sha256_file(Path(d["path"])) == d["sha256"]

    # Accounting per camera, in the summary and in the night report, from the store's events.
    cams = summary["sync"]["cameras"]
    assert set(cams) == set(CAMS)
    for cam, t in cams.items():
        assert t["frames"] >= summary["instruments"][cam]["frames_saved"]
        assert t["exposing"] > 0 and t["waiting"] >= 0 and t["spoiled"] >= 0
    (blk,) = report["blocks"].values()
    assert set(blk["sync"]) == set(CAMS)

    if policy == "planned":
        plan = runner.plans["main"]
        (ev,) = [e.data for e in events if e.kind == "sync_plan"]
        assert ev["plans"]["main"]["trains"].keys() == set(CAMS)
        started = [e.data for e in events if e.kind == "frame_started"]
        for d in started:
            cam = d["key"].split("/")[0]
            assert d["exposure"] == pytest.approx(plan.trains[cam].exposure, abs=1e-3)
        for d in saved:
            h = fits.getheader(d["path"])
            cam = d["key"].split("/")[0]
            assert h["EXPTIME"] == pytest.approx(plan.trains[cam].exposure, abs=0.01)
    if policy == "strict":
        # imaging3 (0.2 s frames) waits at the barrier for imaging2 (0.5 s) before each dither.
        assert cams["main.imaging3"]["waiting"] > 0
        assert any(w.why == "dither barrier" for w in log.waits("main.imaging3"))
        # The barrier: between two dithers every camera takes at most its 2 frames.
        dithers = [m for m in log.motions("main") if m.kind == "dither"]
        for a, b in zip(dithers, dithers[1:], strict=False):
            for cam in CAMS:
                n = sum(a.end <= e.start < b.start for e in log.exposures(cam) if e.counted)
                assert n <= 2, (cam, n)


def _sim_state(sim, device: str, prop: str):
    import httpx

    return httpx.get(f"http://{sim.address}/api/v1/{device}/0/{prop}", timeout=5).json()["Value"]


@pytest.mark.slow
async def test_unsafe_mid_block_parks_once_for_all_cameras_then_resumes(
    cam3_sim, cam3_station, tmp_path
):
    import asyncio

    block = multicam_block(
        cam3_station,
        "multicam-unsafe",
        executor={"safe_period": 1.0, "poll_interval": 0.3, "slew_settle": 0.1},
    )
    url = f"sqlite:///{tmp_path / 'store.db'}"
    seen: dict[str, object] = {}

    async def weather() -> None:
        store = Store(url)
        try:
            while len(store.events(kinds=("frame_saved",))) < 3:
                await asyncio.sleep(0.1)
            await asyncio.to_thread(cam3_sim.put, "api/v1/safetymonitor/0/issafe", IsSafe="false")
            while not store.events(kinds=("park",)):
                await asyncio.sleep(0.1)
            seen["parked"] = await asyncio.to_thread(_sim_state, cam3_sim, "telescope", "atpark")
            n = len(store.events(kinds=("frame_started",)))
            await asyncio.sleep(1.0)
            seen["started_while_unsafe"] = len(store.events(kinds=("frame_started",))) - n
            await asyncio.to_thread(cam3_sim.put, "api/v1/safetymonitor/0/issafe", IsSafe="true")
        finally:
            store.close()

    w = asyncio.create_task(weather())
    station = Station.from_file(cam3_station)
    store = Store(url)
    try:
        runner = make_runner(station, parse_block(block), store, tmp_path / "frames")
        summary = await runner.run()
        events = store.events()
    finally:
        await station.aclose()
        store.close()
    await w
    assert summary["status"] == "completed", summary["reason"]
    assert summary["frames_saved"] == summary["frames_on_disk"] == 11
    assert seen["parked"] is True and seen["started_while_unsafe"] == 0
    # One interruption for the station, not one per camera; every lane resumed after it.
    assert summary["interruptions"] == 1
    assert [e.data["cause"] for e in events if e.kind == "interrupted"] == ["unsafe"]
    parks = [e.data for e in events if e.kind == "park"]
    assert parks[0]["parked"] == ["main"] and parks[0]["why"].startswith("unsafe")
    assert_no_motion_during_exposure(runner.sync_log)
    slews = [m for m in runner.sync_log.motions("main") if m.kind == "slew"]
    assert len(slews) == 2  # the first acquisition and the one after reopening
