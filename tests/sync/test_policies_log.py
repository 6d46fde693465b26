"""Admission rules of the policies, and the log and accounting (no devices)."""

from __future__ import annotations

import pytest

from obshub.sync import Accounting, SyncLog, policy_from
from obshub.sync.log import ExposureRecord, MotionRecord, WaitRecord, now
from obshub.sync.state import Lease, MotionRequest

CAMS = frozenset({"a", "b"})


def pending(eta=None, cameras=CAMS):
    return [MotionRequest("dither", 0.0, cameras, eta=eta)]


def test_strict_holds_everything_once_a_motion_is_asked_for():
    p = policy_from("strict")
    assert p.admit("a", 0.0, 1.0, [], {}) == 1.0
    assert p.admit("a", 0.0, 1.0, pending(eta=100.0), {}) is None
    # A motion that does not affect the camera does not hold it.
    assert p.admit("a", 0.0, 1.0, pending(cameras=frozenset({"b"})), {}) == 1.0


def test_loose_admits_frames_that_end_before_the_motion():
    p = policy_from("loose", margin=0.5)
    lease = {"b": Lease("b", 10.0, 0.0, 10.0)}
    assert p.admit("a", 1.0, 8.0, pending(), lease) == 8.0  # ends 9.0, motion at 10 - 0.5
    assert p.admit("a", 1.0, 9.0, pending(), lease) is None
    assert p.admit("a", 1.0, 1.0, pending(eta=2.0), {}) is None
    assert p.admit("a", 1.0, 1.0, pending(), {}) is None  # nothing holds the mount back


def test_planned_shortens_within_bounds():
    p = policy_from("planned", margin=0.0)
    assert p.admit("a", 0.0, 5.0, pending(eta=4.0), {}, min_duration=3.0) == 4.0
    assert p.admit("a", 0.0, 5.0, pending(eta=2.0), {}, min_duration=3.0) is None


def test_independent_admits_and_moves_regardless():
    p = policy_from("independent")
    assert p.admit("a", 0.0, 5.0, pending(eta=0.0), {}) == 5.0
    assert not p.motion_waits


def test_unknown_policy_and_bad_margin():
    with pytest.raises(ValueError, match="known: independent, loose, planned, strict"):
        policy_from("nina")
    with pytest.raises(ValueError, match="margin must be >= 0"):
        policy_from("strict", margin=-1)


def test_log_round_trips_through_jsonl_and_accounting_sums(tmp_path):
    seen = []
    log = SyncLog(tmp_path / "sync.jsonl", on_record=seen.append)
    t = now()
    log.add(ExposureRecord("a", "m", 10.0, t, t, t + 10, t + 11, block="B1"))
    log.add(
        ExposureRecord(
            "a", "m", 10.0, t + 11, t + 11, t + 21, t + 22, spoiled=True, reason="x", block="B1"
        )
    )
    log.add(WaitRecord("a", "m", t + 22, t + 25, "strict: dither", block="B1"))
    log.add(ExposureRecord("b", "m", 5.0, t, t, t + 5, t + 6, block="B2"))
    log.add(MotionRecord("m", "dither", t + 21, t + 22, t + 24, block="B1"))
    assert len(seen) == 5
    back = SyncLog.load(tmp_path / "sync.jsonl")
    assert [r.type for r in back.records] == [r.type for r in log.records]
    assert back.records[1].closed - back.records[1].start == pytest.approx(10.0, abs=1e-3)
    acc = Accounting(back)
    a = acc.per_camera(block="B1")["a"]
    assert (a.exposing, a.spoiled, a.frames, a.spoiled_frames) == (10.0, 10.0, 1, 1)
    assert a.waiting == pytest.approx(3.0, abs=1e-3)
    assert a.span == pytest.approx(25.0, abs=1e-3)
    assert a.other == pytest.approx(2.0, abs=1e-2)
    assert set(acc.per_camera()) == {"a", "b"}
    assert acc.motions()["m"]["dither_count"] == 1
    text = str(acc)
    assert "B1" in text and "B2" in text
    assert len(acc.to_dataframe()) == 2


def test_a_corrupt_log_line_is_reported_with_its_place(tmp_path):
    p = tmp_path / "bad.jsonl"
    p.write_text('{"type": "exposure"}\n')
    with pytest.raises(ValueError, match="bad.jsonl:1: not a sync log record"):
        SyncLog.load(p)
