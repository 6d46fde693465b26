"""Pure view functions: plans, reports and status cards render what the data say."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from obshub.dashboards.plan import ALL, filtered, normalise_plan, normalise_report, options
from obshub.dashboards.queue import queue_html, unscheduled_html
from obshub.dashboards.report import report_html
from obshub.dashboards.samples import SAMPLE_REPORT, sample_plan
from obshub.dashboards.status import station_html


def test_plan_filters_by_site_telescope_and_user():
    plan = normalise_plan(sample_plan())
    assert options(plan, "owner")[0] == ALL and "alice" in options(plan, "owner")
    assert len(filtered(plan, owner="alice")["blocks"]) == 2
    assert len(filtered(plan, telescope="Demo Observatory/east")["blocks"]) == 2
    assert len(filtered(plan, site="Nowhere")["blocks"]) == 0
    assert "never above 20°" in unscheduled_html(plan)
    assert queue_html(plan).index("Mira") < queue_html(plan).index("M51")  # by priority


def test_scheduler_plan_dicts_are_read():
    import astropy.units as u
    from astropy.time import Time

    from obshub.scheduler.plan import Plan, PlanEntry, Unscheduled

    t0 = Time("2026-11-25T20:00:00")
    plan = Plan(
        night="2026-11-25",
        entries=[
            PlanEntry(
                "u1", "r1", "main", "M13", 250.4, 36.5, t0, t0 + 30 * u.min, 60.0, [], owner="ann"
            )
        ],
        unscheduled=[Unscheduled("u2", "r2", "never_visible", "r2: never above the horizon")],
        telescopes=["main"],
    )
    p = normalise_plan(plan.to_dict())
    assert p["blocks"][0]["state"] == "scheduled" and p["blocks"][0]["owner"] == "ann"
    assert p["blocks"][0]["start_dt"] == datetime(2026, 11, 25, 20, tzinfo=UTC)
    assert "never above the horizon" in unscheduled_html(p)
    # A monitoring request's visits show as its progress tonight.
    visits = [
        PlanEntry(
            f"u{i}",
            "var1",
            "main",
            "Algol",
            47.0,
            41.0,
            t0 + i * u.h,
            t0 + i * u.h + 5 * u.min,
            30.0,
            [],
            owner="ann",
            visit=i,
            state="done" if i == 0 else "planned",
        )
        for i in range(3)
    ]
    plan.entries += visits
    progs = normalise_plan(plan.to_dict())["programs"]
    assert progs == [{"program": "var1 (Algol)", "owner": "ann", "done": 1, "total": 3}]


def test_bad_plans_and_reports_name_the_entry():
    bad = sample_plan()
    del bad["blocks"][2]["end"]
    with pytest.raises(ValueError, match=r"plan.blocks\[2\]: missing 'end'"):
        normalise_plan(bad)
    bad = sample_plan()
    bad["blocks"][0]["start"] = "yesterday"
    with pytest.raises(ValueError, match=r"plan.blocks\[0\]: not an ISO time"):
        normalise_plan(bad)
    with pytest.raises(ValueError, match=r"telescopes.x.slewing_s: not a number"):
        normalise_report({"telescopes": {"x": {"slewing_s": "fast"}}})


def test_report_shows_missing_figures_as_dash():
    html = report_html(normalise_report(SAMPLE_REPORT))
    assert 'data-key="Demo Observatory/main.exposing_s">5h30<' in html
    assert 'data-key="Demo Observatory/east.lost_to_sync_s">–<' in html


def test_station_cards_show_safety_and_down_devices():
    status = {
        "station": "Test <Site>",
        "site": {"latitude": 1.0, "longitude": 2.0, "elevation": 3},
        "devices": {
            "safety_monitor": {"kind": "safetymonitor", "ok": True, "safe": False},
            "main": {
                "kind": "mount",
                "ok": True,
                "ra_deg": 10.0,
                "dec_deg": -5.0,
                "tracking": True,
            },
            "cam": {"kind": "camera", "ok": False, "error": "timed out"},
        },
        "observing": {"target": "M13", "owner": "ann", "telescope": "main"},
    }
    html = station_html(status)
    assert "Test &lt;Site&gt;" in html  # escaped
    assert 'data-key="verdict">UNSAFE<' in html
    assert 'data-key="main.state">tracking<' in html
    assert 'data-key="main.ra">0:40:00<' in html
    assert "DOWN" in html and "timed out" in html
    assert "<b>M13</b> for ann on main" in html


def test_running_now_comes_from_the_plan():
    from datetime import timedelta

    from obshub.dashboards.plan import running_now

    plan = normalise_plan(sample_plan())
    now = datetime.now(UTC) + timedelta(minutes=1)
    on = running_now(plan, "Demo Observatory", now)
    assert on is not None and on["target"] in ("M57", "M31")
    assert running_now(plan, "Elsewhere", now) is None
    assert running_now(plan, None, now + timedelta(days=1)) is None


def test_executor_report_is_summed_per_station():
    from obshub.dashboards.plan import from_executor

    def block(exposing, slewing, safety, frames, sync=None):
        d = {
            "seconds": {
                "exposing": exposing,
                "slewing": slewing,
                "settling": 10.0,
                "waiting_safety": safety,
                "dithering": 5.0,
            },
            "frames_saved": frames,
        }
        if sync:
            d["sync"] = sync
        return d

    raw = {
        "blocks": {
            "Demo Observatory/m13": block(3600.0, 120.0, 0.0, 60),
            "Demo Observatory/m57": block(
                1800.0, 60.0, 600.0, 30, {"cam1": {"waiting": 20.0, "spoiled": 10.0}}
            ),
        },
        "nights": {"2026-11-24": {}, "2026-11-25": {}},
    }
    rep = from_executor(raw)
    assert rep["night"] == "2026-11-25"
    row = normalise_report(raw)["Demo Observatory"]
    assert row["exposing_s"] == 5400.0
    assert row["slewing_s"] == 200.0
    assert row["waiting_safety_s"] == 600.0
    assert row["lost_to_sync_s"] == 30.0
    assert row["idle_s"] == 10.0 and row["frames"] == 90


async def test_night_report_from_the_executors_store(tmp_path, station_file):
    from obshub.dashboards.sources import LocalSource
    from obshub.store.db import Store

    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    store = Store(url)
    try:
        b = store.block_id("Demo Observatory", "m13", {"target": "M13"})
        store.append(b, "activity", kind="slewing", seconds=42.0)
        store.append(b, "activity", kind="exposing", seconds=600.0)
        store.append(b, "frame_saved", key="f1", path="x.fits")
    finally:
        store.close()
    src = LocalSource([station_file], store_url=url)
    figures = normalise_report(await src.night_report())
    assert figures["Demo Observatory"]["slewing_s"] == 42.0
    assert figures["Demo Observatory"]["exposing_s"] == 600.0
    assert figures["Demo Observatory"]["frames"] == 1
