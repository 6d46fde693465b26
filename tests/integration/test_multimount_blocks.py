"""A block on two mounts that cooperate: light frames start together, skew in the headers.

Two ``alpaca-simulators`` processes, one per mount, as two telescopes on one site.
"""

from __future__ import annotations

import pytest
from astropy.io import fits
from multicam_helpers import assert_no_motion_during_exposure, high_target

from obshub.executor.blocks import parse_block
from obshub.executor.multi import make_runner
from obshub.station.station import Station
from obshub.store import Store


@pytest.mark.slow
async def test_two_mounts_start_their_frames_together(two_mount_station, tmp_path):
    ra, dec = high_target(two_mount_station)
    block = parse_block(
        {
            "name": "two-mounts",
            "target": {"name": "V1405 Cas", "ra": ra, "dec": dec},
            "instruments": [
                {
                    "instrument": "east.imaging",
                    "exposures": [{"filter": "R", "exposure": 0.3, "count": 4}],
                },
                {
                    "instrument": "west.imaging",
                    "exposures": [{"filter": "B", "exposure": 0.5, "count": 4}],
                },
            ],
            "dither": {"pattern": "random", "every": 2, "amount": 10, "settle": 0.1},
            "sync": {"policy": "strict"},
            "constraints": {"sun_max_altitude": 90},
            "executor": {"safe_period": 1.0, "poll_interval": 0.5, "slew_settle": 0.1},
        }
    )
    station = Station.from_file(two_mount_station)
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        runner = make_runner(station, block, store, tmp_path / "frames")
        summary = await runner.run()
        events = store.events()
    finally:
        await station.aclose()
        store.close()
    assert summary["status"] == "completed", summary["reason"]
    assert summary["frames_saved"] == summary["frames_on_disk"] == 8
    assert summary["sync"]["mounts"] == ["east", "west"]
    assert_no_motion_during_exposure(runner.sync_log)
    # Each mount slewed and dithered under its own coordinator; both parked at the end.
    for mount in ("east", "west"):
        kinds = [m.kind for m in runner.sync_log.motions(mount)]
        assert kinds[0] == "slew" and "dither" in kinds and kinds[-1] == "park", (mount, kinds)

    starts: dict[str, list[tuple[str, float]]] = {}
    for d in (e.data for e in events if e.kind == "frame_saved"):
        h = fits.getheader(d["path"])
        assert h["SYNCSRC"] in ("device", "dispatch") and "CLKOFFS" in h
        starts.setdefault(h["SYNCT0"], []).append((d["key"].split("/")[0], h["SYNCSKEW"]))
    # Sanity bounds only (this machine is shared; docs/sync.md has measured figures): the
    # first start of a block is on cold cameras (measured 140-270 ms late here), later ones
    # are dispatched earlier by the latency learnt from it.
    first, *later = [starts[t0] for t0 in sorted(starts)]
    assert all(abs(skew) < 1000 for _, skew in first), first
    assert all(abs(skew) < 250 for pair in later for _, skew in pair), later
    # Frames were started in pairs, one per mount, at a common instant.
    pairs = [sorted(c for c, _ in v) for v in starts.values()]
    assert sum(p == ["east.imaging", "west.imaging"] for p in pairs) >= 3, starts
    skews = [r.skew_ms for r in runner.sync_log.exposures() if r.skew_ms is not None]
    assert len(skews) >= 8
    assert any(e.kind == "sync" and e.data["type"] == "clock" for e in events)
