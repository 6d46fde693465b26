"""Two mounts in two simulator processes starting exposures together.

The skew bound (250 ms) is a sanity bound, not a performance claim: on this loaded 2-core
machine the two starts are typically a few to a few tens of milliseconds apart.
"""

from __future__ import annotations

import copy

import pytest
from astropy.io import fits
from sync_helpers import prepare

import obshub.sync.multimount as mm_module
from obshub.sim.stations import alpaca_station
from obshub.station import Station, parse_station
from obshub.sync import MultiMount, StationSync, SyncError, check_clock

SKEW_BOUND_MS = 250.0


def _renamed(obj, old: str, new: str):
    if isinstance(obj, dict):
        return {
            k: (new if k == "server" and v == old else _renamed(v, old, new))
            for k, v in obj.items()
        }
    if isinstance(obj, list):
        return [_renamed(v, old, new) for v in obj]
    return obj


def two_mounts(addr1: str, addr2: str, cooperate: bool = True) -> dict:
    """One station, two mounts, each on its own simulator process."""
    a = alpaca_station(addr1, mount="east")
    b = alpaca_station(addr2, mount="west")
    data = _renamed(copy.deepcopy(a), "sim", "sim1")
    data["servers"] = {"sim1": a["servers"]["sim"], "sim2": b["servers"]["sim"]}
    west = _renamed(b["mounts"][0], "sim", "sim2")
    if cooperate:
        data["mounts"][0]["cooperates_with"] = ["west"]
    data["mounts"].append(west)
    return data


@pytest.fixture(scope="module")
def sims(alpaca_factory):
    return alpaca_factory(), alpaca_factory()


@pytest.fixture
async def station2(sims):
    st = Station(parse_station(two_mounts(sims[0].address, sims[1].address)))
    await st.connect()
    await prepare(st, "east")
    await prepare(st, "west")
    yield st
    await st.aclose()


async def test_two_mounts_start_together_and_record_their_skew(station2, tmp_path):
    group = MultiMount.from_station(station2, ["east", "west"])
    clocks = await group.check_clocks()
    assert {c.method for c in clocks.values()} == {"same host"}
    assert len(clocks) == 2
    frames = await group.expose_together(1.0, out_dir=tmp_path, station=station2, object="M42")
    assert [f.camera for f in frames] == ["east.imaging", "west.imaging"]
    for f in frames:
        assert f.counted and f.image is not None
        assert f.record.skew_ms is not None
        assert abs(f.record.skew_ms) < SKEW_BOUND_MS
        header = fits.getheader(f.path)
        assert header["SYNCSKEW"] == pytest.approx(f.record.skew_ms, abs=0.01)
        assert header["SYNCSRC"] == "device"
        assert header["CLKOFFS"] == 0
        assert header["OBJECT"] == "M42"
        assert header["TELESCOP"] == f.camera.split(".")[0]
    starts = [f.image.start for f in frames]
    assert abs((starts[0] - starts[1]).to_value("s")) * 1000 < SKEW_BOUND_MS
    # The night log has the clock checks and the skews.
    log = group.log
    assert len(log.clocks()) == 2
    assert all(r.skew_ms is not None for r in log.exposures())
    report = group.report()
    assert set(report["skews_ms"]) == {"east.imaging", "west.imaging"}
    # The start latency learnt from these frames is used for the next ones.
    assert set(report["latency_ms"]) == {"east.imaging", "west.imaging"}
    again = await group.expose_together(0.5)
    assert all(abs(f.record.skew_ms) < SKEW_BOUND_MS for f in again)


async def test_together_shares_the_executors_coordinators(station2):
    sync = StationSync.from_station(station2)
    group = sync.together(["east", "west"])
    assert group.coordinators == [sync.coordinator("east"), sync.coordinator("west")]
    frames = await group.expose_together({"east.imaging": 0.5, "west.imaging": 0.8})
    assert [round(f.duration, 3) for f in frames] == [0.5, 0.8]
    assert len(sync.log.exposures()) == 2  # the executor's log has them


async def test_mounts_must_be_declared_cooperating(sims):
    st = Station(parse_station(two_mounts(sims[0].address, sims[1].address, cooperate=False)))
    with pytest.raises(SyncError, match="add cooperates_with: \\[west\\] to mount 'east'"):
        MultiMount.from_station(st, ["east", "west"])
    with pytest.raises(SyncError, match="no mount"):
        MultiMount.from_station(st, ["east", "north"])
    with pytest.raises(SyncError, match="may not observe together"):
        StationSync.from_station(st).together(["east", "west"])


async def test_http_date_clock_check_brackets_the_true_offset(sims, monkeypatch):
    # Pretend the simulator is on another host: the Date-header method must still put the
    # true offset (zero: same machine) inside its window.
    monkeypatch.setattr(mm_module, "_is_local", lambda host: False)
    chk = await check_clock(sims[0].address)
    assert chk.method == "http-date"
    assert abs(chk.offset_ms) <= chk.uncertainty_ms + 50
    assert chk.uncertainty_ms <= 1500


async def test_clock_check_of_a_dead_server_says_so():
    from obshub.sim.process import free_port

    with pytest.raises(SyncError, match="no answer"):
        await check_clock(f"127.0.0.1:{free_port()}")
