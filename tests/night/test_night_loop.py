"""The night loop on a real Alpaca simulator: requests from a file and from the service's
queue are planned, the plan is saved where the service reads it, the executor follows it and
the frames are attributed; an unsafe site is closed in the plan."""

from __future__ import annotations

import asyncio
import glob
import json
from datetime import UTC, datetime
from pathlib import Path

import astropy.units as u
import pytest
import yaml
from astropy.io import fits
from astropy.time import Time

from obshub.night import StationNight, night_of
from obshub.night.blocks import entry_block
from obshub.night.demo_sky import demo_requests
from obshub.night.sources import FileRequests, ServiceQueue
from obshub.scheduler.plan import PlanEntry
from obshub.scheduler.requests import RequestSpec, build_request
from obshub.sim.stations import alpaca_station, write_station
from obshub.station import load_station
from obshub.store import Store

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def night_sim(alpaca_factory):
    """A simulator of its own: these tests leave its mount slewed and its dome open."""
    return alpaca_factory()


@pytest.fixture
def station(night_sim, tmp_path) -> Path:
    return write_station(alpaca_station(night_sim.address), tmp_path / "station.yaml")


def _requests_file(path: Path, docs: list[dict]) -> Path:
    path.write_text(yaml.safe_dump({"requests": docs}))
    return path


async def _until(cond, timeout: float, stop: asyncio.Event) -> None:
    for _ in range(int(timeout * 2)):
        if cond():
            break
        await asyncio.sleep(0.5)
    stop.set()


def test_night_of_is_the_local_evening_date():
    # Demo site, 5.7° E: local mean time ≈ UTC + 23 min.
    assert night_of(5.71, datetime(2026, 4, 16, 2, 0, tzinfo=UTC)) == "2026-04-15"
    assert night_of(5.71, datetime(2026, 4, 15, 20, 0, tzinfo=UTC)) == "2026-04-15"
    assert night_of(-120.0, datetime(2026, 4, 16, 5, 0, tzinfo=UTC)) == "2026-04-15"


def test_entry_block_keeps_the_requests_limits(station):
    cfg = load_station(station)
    doc = demo_requests(cfg, Time.now(), 1)[0]
    req = build_request(RequestSpec.model_validate(doc))
    now = Time.now()
    entry = PlanEntry(
        unit=req.id,
        request=req.id,
        telescope="Demo-Observatory/main",
        target="x",
        ra=10.0,
        dec=50.0,
        start=now,
        end=now + 90 * u.s,
        setup_s=10,
        exposures=[{"filter": "L", "seconds": 2, "count": 3}],
    )
    block = entry_block(entry, req, cfg)
    assert block.instrument == "main.imaging"
    assert block.constraints.sun_max_altitude == 90  # the demo sky relaxes the Sun
    assert block.constraints.min_altitude == 30
    assert not block.executor.park_at_end and block.constraints.not_after is not None
    strict = build_request(RequestSpec.model_validate({**doc, "constraints": None}))
    assert entry_block(entry, strict, cfg).constraints.sun_max_altitude == -18  # default night


async def test_night_follows_the_plan_from_file_and_service_queue(station, tmp_path):
    cfg = load_station(station)
    docs = demo_requests(cfg, Time.now(), 2, tag="t1")
    file_doc, queued_doc = docs[0], docs[1]
    file_doc["owner"] = "alice"
    reqs = _requests_file(tmp_path / "requests.yaml", [file_doc])
    queue = ServiceQueue(f"sqlite:///{tmp_path / 'service.sqlite'}", {"demo-observatory": "x"})
    queued_doc.pop("owner")
    row = queue.submit("demo-observatory", "bob", queued_doc)
    events: list[dict] = []
    store = Store(f"sqlite:///{tmp_path / 'obs.db'}")
    night = StationNight(
        station,
        [FileRequests([reqs]), queue],
        store,
        tmp_path / "frames",
        tmp_path / "plans",
        lead_s=120,
        poll_s=1,
        emit=events.append,
    )
    stop = asyncio.Event()
    done = lambda: len(night.results) >= 2  # noqa: E731
    await asyncio.gather(night.run(stop), _until(done, 150, stop))
    store.close()
    assert [r["status"] for r in night.results] == ["completed", "completed"], events
    plan = json.loads((tmp_path / "plans" / "demo-observatory.json").read_text())
    assert {e["request"]: e["state"] for e in plan["entries"]} == {
        file_doc["id"]: "done",
        queued_doc["id"]: "done",
    }
    assert queue.db.get_request(row)["state"] == "done"
    frames = sorted(
        glob.glob(str(tmp_path / "frames" / "demo-observatory" / night.night / "*.fits"))
    )
    heads = [fits.getheader(f) for f in frames]
    assert {h["OWNER"] for h in heads} == {"alice", "bob"}
    assert {h["OBSBLOCK"] for h in heads} == {file_doc["id"], queued_doc["id"]}
    assert len(frames) == 10
    assert [e["event"] for e in events][0] == "planned"


async def test_unsafe_site_is_closed_in_the_plan(station, night_sim, tmp_path):
    cfg = load_station(station)
    doc = demo_requests(cfg, Time.now(), 1, tag="t2")[0]
    reqs = _requests_file(tmp_path / "requests.yaml", [doc])
    events: list[dict] = []
    store = Store(f"sqlite:///{tmp_path / 'obs.db'}")
    night = StationNight(
        station,
        [FileRequests([reqs])],
        store,
        tmp_path / "frames",
        tmp_path / "plans",
        lead_s=120,
        poll_s=1,
        unsafe_hold_s=600,
        emit=events.append,
    )
    await asyncio.to_thread(night_sim.put, "api/v1/safetymonitor/0/issafe", IsSafe="false")
    try:
        stop = asyncio.Event()
        unsafe = lambda: any(e.get("cause") == "unsafe" for e in events)  # noqa: E731
        await asyncio.gather(night.run(stop), _until(unsafe, 60, stop))
    finally:
        await asyncio.to_thread(night_sim.put, "api/v1/safetymonitor/0/issafe", IsSafe="true")
        store.close()
    assert unsafe(), events
    assert night.results == []  # nothing was run while unsafe
    closed = next(e for e in events if e.get("cause") == "unsafe")["closed_until"]
    plan = json.loads((tmp_path / "plans" / "demo-observatory.json").read_text())
    # The request was moved after the closure, or explained as weather.
    moved = [e for e in plan["entries"] if e["request"] == doc["id"]]
    why = [x for x in plan["unscheduled"] if x["request"] == doc["id"]]
    assert all(e["start"][:19] >= closed for e in moved) and (moved or why), plan


async def test_a_failed_block_is_placed_again_and_then_done(station, tmp_path, monkeypatch):
    cfg = load_station(station)
    doc = demo_requests(cfg, Time.now(), 1, tag="t3")[0]
    reqs = _requests_file(tmp_path / "requests.yaml", [doc])
    events: list[dict] = []
    store = Store(f"sqlite:///{tmp_path / 'obs.db'}")
    night = StationNight(
        station,
        [FileRequests([reqs])],
        store,
        tmp_path / "frames",
        tmp_path / "plans",
        lead_s=120,
        poll_s=1,
        emit=events.append,
    )
    real = night._run_entry
    calls = []

    async def first_fails(entry):
        # A fake failure (a unit-level stand-in for a device that gave up): the rest is real.
        calls.append(entry.unit)
        if len(calls) == 1:
            return {"block": entry.unit, "status": "failed", "reason": "injected"}
        return await real(entry)

    monkeypatch.setattr(night, "_run_entry", first_fails)
    stop = asyncio.Event()
    try:
        await asyncio.gather(night.run(stop), _until(lambda: len(night.results) >= 2, 150, stop))
    finally:
        store.close()
    assert [r["status"] for r in night.results] == ["failed", "completed"], events
    assert any(e.get("cause") == "block failed" for e in events)
    plan = json.loads((tmp_path / "plans" / "demo-observatory.json").read_text())
    assert [e["state"] for e in plan["entries"] if e["request"] == doc["id"]] == ["done"]


async def test_a_request_cancelled_after_planning_is_not_run(station, tmp_path):
    cfg = load_station(station)
    docs = demo_requests(cfg, Time.now(), 2, tag="t4")
    queue = ServiceQueue(f"sqlite:///{tmp_path / 'service.sqlite'}", {})
    rows = {}
    for d in docs:
        owner = d.pop("owner")
        rows[d["id"]] = queue.submit("demo-observatory", owner, d)
    events: list[dict] = []
    store = Store(f"sqlite:///{tmp_path / 'obs.db'}")
    night = StationNight(
        station,
        [queue],
        store,
        tmp_path / "frames",
        tmp_path / "plans",
        lead_s=120,
        poll_s=1,
        emit=events.append,
    )
    cancelled: list[str] = []

    def cancel_the_later_one() -> bool:
        if not cancelled and night.sched is not None and night.sched.plan.entries:
            later = max(night.sched.plan.entries, key=lambda e: e.start.jd)
            queue.db.set_request_state(rows[later.request], "cancelled")
            cancelled.append(later.request)
        return any(e["event"] == "skipped" for e in events) and len(night.results) >= 1

    stop = asyncio.Event()
    try:
        await asyncio.gather(night.run(stop), _until(cancel_the_later_one, 150, stop))
    finally:
        store.close()
    states = {
        e["request"]: e["state"]
        for e in json.loads((tmp_path / "plans" / "demo-observatory.json").read_text())["entries"]
    }
    (other,) = set(rows) - set(cancelled)
    assert states == {cancelled[0]: "cancelled", other: "done"}, events
    assert queue.db.get_request(rows[cancelled[0]])["state"] == "cancelled"
    assert queue.db.get_request(rows[other])["state"] == "done"
    assert [r["block"] for r in night.results] == [other]
