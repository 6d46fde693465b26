"""Plan objects: the executor's view (JSON, next_for), printing and plotting."""

from __future__ import annotations

import json

import astropy.units as u
import matplotlib
import pytest
from sched_helpers import NIGHT, random_requests, telescope

from obshub.scheduler.plan import Plan
from obshub.scheduler.schedule import schedule

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def plan():
    tels = [telescope("ohp/t1"), telescope("ohp/t2")]
    p, _ = schedule(random_requests(30, seed=9), tels, NIGHT, time_limit=2)
    return p


def test_json_round_trip_has_what_the_executor_needs(plan, tmp_path):
    path = plan.save(tmp_path / "plan.json")
    doc = json.loads(path.read_text())
    e = doc["entries"][0]
    for key in (
        "request",
        "target",
        "ra",
        "dec",
        "start",
        "end",
        "telescope",
        "exposures",
        "setup_s",
    ):
        assert key in e
    assert e["start"].endswith(("0", "Z")) and "T" in e["start"]
    back = Plan.load(path)
    assert len(back.entries) == len(plan.entries)
    assert back.entries[0].start.isot == plan.to_dict()["entries"][0]["start"]
    assert [x.reason for x in back.unscheduled] == [x.reason for x in plan.unscheduled]


def test_next_for_gives_running_then_next_then_none(plan):
    entries = plan.for_telescope("ohp/t1")
    first, second = entries[0], entries[1]
    assert plan.next_for("ohp/t1", first.start - 1 * u.hour) is first
    assert plan.next_for("ohp/t1", first.start + 1 * u.s) is first  # running
    assert plan.next_for("ohp/t1", first.end + 1 * u.s) is second
    assert plan.next_for("ohp/t1", entries[-1].end + 1 * u.s) is None
    first.state = "done"
    try:
        assert plan.next_for("ohp/t1", first.start) is second
    finally:
        first.state = "planned"
    assert plan.next_for("nonexistent", first.start) is None


def test_print_and_plot(plan, tmp_path):
    text = str(plan)
    assert "ohp/t1" in text and "not scheduled" in text
    ax = plan.plot()
    assert [t.get_text() for t in ax.get_yticklabels()] == ["ohp/t1", "ohp/t2"]
    ax.figure.savefig(tmp_path / "plan.png")
    assert (tmp_path / "plan.png").stat().st_size > 1000


def test_entries_become_executor_blocks(plan):
    blocks = pytest.importorskip("obshub.executor.blocks")
    for e in plan.entries[:5]:
        b = blocks.Block.model_validate(e.block_spec())
        assert (
            b.target.ra == pytest.approx(e.ra) and b.exposures[0].count == e.exposures[0]["count"]
        )
