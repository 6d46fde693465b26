"""The dashboards in a real Voila server, drawn by Debian's chromium, against a simulator."""

from __future__ import annotations

import asyncio
import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import astropy.units as u
import pytest

from obshub.dashboards.samples import sample_plan
from obshub.dashboards.serve import VoilaProcess
from obshub.frames.capture import capture_frame
from obshub.sim.process import free_port
from obshub.station import Station

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def voila(station_file, dashboard_files, tmp_path_factory, obshub_home):
    env = {
        "OBSHUB_STATION": str(station_file),
        "OBSHUB_PLAN": str(dashboard_files["plan"]),
        "OBSHUB_NIGHT_REPORT": str(dashboard_files["report"]),
        "OBSHUB_FRAMES": str(dashboard_files["frames"]),
        "OBSHUB_HOME": str(obshub_home),
    }
    log = tmp_path_factory.mktemp("voila") / "voila.log"
    with VoilaProcess(free_port(), env, log) as v:
        yield v


async def _take_frame(station_file: Path, out: Path) -> Path:
    station = Station.from_file(station_file)
    await station.connect()
    try:
        mount = station.instrument()[0].mount
        await mount.unpark()
        path, _, _ = await capture_frame(station, out, duration=0.5 * u.s, object="M13", filter="R")
        return path
    finally:
        await station.aclose()


def _render(browser, url: str, wait_for: str):
    page = browser.new_page(viewport={"width": 1400, "height": 1400})
    # Offline-safe: nothing may be fetched from anywhere but the Voila server (no CDN).
    page.outside = []
    page.on(
        "request",
        lambda r: (
            None
            if r.url.startswith(("http://127.0.0.1", "data:", "blob:", "ws://127.0.0.1"))
            else page.outside.append(r.url)
        ),
    )
    page.goto(url, timeout=90_000)
    page.wait_for_selector(wait_for, timeout=90_000)
    # Bokeh draws into a canvas inside the jupyter_bokeh widget once BokehJS has loaded inline.
    page.wait_for_selector(".bk-Canvas, .bk-canvas, canvas", state="attached", timeout=60_000)
    return page


def test_station_status_follows_the_simulator(
    voila, browser, alpaca_sim, station_file, dashboard_files, artifacts
):
    # Playwright's sync API owns this thread's event loop: device code runs in another thread.
    with ThreadPoolExecutor(1) as pool:
        frame = pool.submit(
            asyncio.run, _take_frame(station_file, dashboard_files["frames"])
        ).result()
    page = _render(browser, voila.url + "voila/render/station-status.ipynb", "[data-key=verdict]")
    try:
        assert page.inner_text("[data-key=verdict]") == "SAFE"
        assert page.inner_text('[data-key="main.imaging.filter_wheel.filter"]') == "R"
        # What runs now comes from the plan: the sample's block under way at this site.
        assert "M57 for bob" in page.inner_text("[data-key=observing]")
        page.wait_for_selector("[data-key=frame]", timeout=30_000)
        assert frame.name in page.inner_text("[data-key=frame]")
        # The simulator's fault-injection hook: the page must follow without a reload.
        alpaca_sim.put("api/v1/safetymonitor/0/issafe", IsSafe="false")
        page.wait_for_function(
            "document.querySelector('[data-key=verdict]').innerText == 'UNSAFE'", timeout=30_000
        )
        page.screenshot(path=str(artifacts / "station-status-unsafe.png"), full_page=True)
        assert page.outside == []
    finally:
        alpaca_sim.put("api/v1/safetymonitor/0/issafe", IsSafe="true")
        page.close()


def test_queue_dashboard_shows_plan_and_follows_replans(voila, browser, dashboard_files, artifacts):
    page = _render(browser, voila.url + "voila/render/scheduler-queue.ipynb", "[data-key=summary]")
    try:
        assert "5 blocks on 2 telescopes" in page.inner_text("[data-key=summary]")
        assert "never above 20°" in page.inner_text("[data-key=unscheduled]")
        assert "14/40" in page.inner_text('[data-key="program.variables"]')
        page.screenshot(path=str(artifacts / "scheduler-queue.png"), full_page=True)
        assert page.outside == []
        # A re-plan shows up on its own.
        dashboard_files["plan"].write_text(json.dumps(sample_plan(extra_block=True)))
        page.wait_for_function(
            "document.querySelector('[data-key=summary]').innerText.includes('6 blocks')",
            timeout=40_000,
        )
        # Filtering by user narrows the tables.
        page.get_by_label("User").select_option("alice")
        page.wait_for_function(
            "document.querySelector('[data-key=summary]').innerText.startsWith('2 blocks')",
            timeout=20_000,
        )
    finally:
        dashboard_files["plan"].write_text(json.dumps(sample_plan()))
        page.close()


def test_voila_command_is_absolute_and_culls_kernels():
    from obshub.dashboards.serve import voila_command

    cmd = voila_command(1234, base_url="/services/dashboards/")
    assert os.path.isabs(cmd[0]) and cmd[1:3] == ["-m", "obshub.dashboards.voila_main"]
    assert os.path.isabs(cmd[3])
    assert "--VoilaConfiguration.template=obshub" in cmd
    assert "--MappingKernelManager.cull_idle_timeout=600" in cmd
    assert "--Voila.base_url=/services/dashboards/" in cmd
