"""The dashboards as hub-managed services: public, and behind the hub's login for members.

A real JupyterHub (hub_config/jupyterhub_config.py with the dashboards hook), the obshub
service, two Voila services and Debian's chromium; the station is a real Alpaca simulator.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import astropy.units as u
import httpx
import pytest
from astropy.time import Time

from obshub.errors import ObshubError
from obshub.service.hubprocess import start_hub
from obshub.service.hubsetup import demo_grants, site_ids
from obshub.sim.process import free_port

pytestmark = pytest.mark.slow

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"

PASSWORD = "dash-demo-pw"
REPORT = {
    "night": "2026-11-25",
    "telescopes": {"main": {"exposing_s": 3 * 3600, "slewing_s": 600, "waiting_safety_s": 900}},
}


def _plan(site_name: str) -> dict:
    from obshub.scheduler.plan import Plan, PlanEntry, Unscheduled

    t0 = Time.now() - 20 * u.min
    entries = [
        PlanEntry(
            "u1",
            "r1",
            "main",
            "M57",
            283.4,
            33.0,
            t0,
            t0 + 40 * u.min,
            60.0,
            [],
            owner="alice",
            program="club",
            priority=6,
            state="done",
        ),
        PlanEntry(
            "u2",
            "r2",
            "main",
            "Algol",
            47.0,
            41.0,
            t0 + 40 * u.min,
            t0 + 100 * u.min,
            60.0,
            [],
            owner="bob",
            program="variables",
            priority=8,
        ),
    ]
    missed = [Unscheduled("u3", "r3", "never_visible", "r3: never above 20° tonight")]
    return Plan(
        night="2026-11-25", entries=entries, unscheduled=missed, telescopes=["main"]
    ).to_dict()


@pytest.fixture(scope="module")
def dash_hub(alpaca_sim, station_file, tmp_path_factory):
    root = tmp_path_factory.mktemp("dash-hub")
    ((sid, _),) = site_ids([str(station_file)])
    plans = root / "plans"
    plans.mkdir()
    (plans / f"{sid}.json").write_text(json.dumps(_plan(sid)))
    report = root / "report.json"
    report.write_text(json.dumps(REPORT))
    env = {
        "OBSHUB_DEMO_PASSWORD": PASSWORD,
        "OBSHUB_IDLE_TIMEOUT": "0",
        "OBSHUB_PLANS_DIR": str(plans),
        "OBSHUB_FRAMES_DIR": str(root / "frames"),
        "OBSHUB_NIGHT_REPORT": str(report),
        "OBSHUB_DASHBOARDS_PORT": str(free_port()),
        "OBSHUB_CLUB_DASHBOARDS_PORT": str(free_port()),
        "OBSHUB_SEED_GRANTS": json.dumps(demo_grants([str(station_file)])),
    }
    try:
        hub = start_hub(root, [Path(station_file)], env)
    except ObshubError as exc:
        pytest.fail(str(exc))
    try:
        # The Voila services come up beside the hub; their tree page starts no kernel.
        deadline = time.monotonic() + 90
        for name in ("dashboards", "club-dashboards"):
            port = env[
                "OBSHUB_DASHBOARDS_PORT" if name == "dashboards" else "OBSHUB_CLUB_DASHBOARDS_PORT"
            ]
            while True:
                try:
                    r = httpx.get(
                        f"http://127.0.0.1:{port}/services/{name}/voila/static/voila.js", timeout=2
                    )
                    if r.status_code < 500:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"{name} did not come up:\n{hub.log.read_text()[-3000:]}")
                time.sleep(0.3)
        yield hub
    finally:
        hub.stop()


def _login(context, hub, user: str):
    page = context.new_page()
    page.goto(hub.url + "hub/login", timeout=60_000)
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_load_state()
    return page


def _open(page, url: str, wait_for: str):
    page.goto(url, timeout=90_000)
    try:
        page.wait_for_selector(wait_for, timeout=90_000)
    except Exception:
        name = url.rsplit("/", 1)[-1].replace(".ipynb", "")
        page.screenshot(path=str(ARTIFACTS / f"failed-{name}.png"), full_page=True)
        raise
    page.wait_for_selector(".bk-Canvas, canvas", state="attached", timeout=60_000)


def test_public_dashboard_needs_no_login(dash_hub, browser, artifacts):
    page = browser.new_page(viewport={"width": 1400, "height": 1400})
    try:
        _open(
            page,
            dash_hub.url + "services/dashboards/voila/render/station-status.ipynb",
            "[data-key=verdict]",
        )
        assert page.inner_text("[data-key=verdict]") in ("SAFE", "UNSAFE")
        page.screenshot(path=str(artifacts / "hub-public-status.png"), full_page=True)
    finally:
        page.close()


def test_club_dashboards_send_anonymous_visitors_to_login(dash_hub):
    r = httpx.get(
        dash_hub.url + "services/club-dashboards/voila/render/station-status.ipynb",
        follow_redirects=True,
        timeout=30,
    )
    assert "/hub/login" in str(r.url)


def test_club_member_sees_live_status(dash_hub, browser, alpaca_sim, artifacts):
    context = browser.new_context(viewport={"width": 1400, "height": 1400})
    try:
        page = _login(context, dash_hub, "vera")
        _open(
            page,
            dash_hub.url + "services/club-dashboards/voila/render/station-status.ipynb",
            "[data-key=verdict]",
        )
        assert page.inner_text("[data-key=verdict]") == "SAFE"
        alpaca_sim.put("api/v1/safetymonitor/0/issafe", IsSafe="false")
        page.wait_for_function(
            "document.querySelector('[data-key=verdict]').innerText == 'UNSAFE'", timeout=60_000
        )
        page.screenshot(path=str(artifacts / "hub-club-status-vera.png"), full_page=True)
    finally:
        alpaca_sim.put("api/v1/safetymonitor/0/issafe", IsSafe="true")
        context.close()


def _run_notebook(name: str, env: dict[str, str], workdir: Path) -> str:
    import os

    import nbformat
    from nbclient import NotebookClient

    root = Path(__file__).resolve().parents[2]
    nb = nbformat.read(root / "notebooks" / f"{name}.ipynb", as_version=4)
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)  # the kernel inherits this process's environment
    try:
        NotebookClient(
            nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(workdir)}}
        ).execute()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return "\n".join(
        str(o.get("text", ""))
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
    )


def test_notebooks_in_the_hub_go_through_the_service(dash_hub, tmp_path):
    """As in alice's kernel: the service URL and her token, no station file."""
    from concurrent.futures import ThreadPoolExecutor

    env = {
        "OBSHUB_SERVICE_URL": dash_hub.url + "services/obshub/",
        "JUPYTERHUB_API_TOKEN": dash_hub.user_token("alice"),
        "OBSHUB_FRAMES": str(tmp_path / "frames"),
    }
    with ThreadPoolExecutor(1) as pool:
        control = pool.submit(_run_notebook, "control", env, tmp_path).result()
        planning = pool.submit(_run_notebook, "planning", env, tmp_path).result()
    assert "'holder': 'alice'" in control or "alice" in control  # the lease
    assert "M13_R_" in control and "parked" in control
    assert "->" in planning and "queued" in planning


def test_observer_sees_queue_and_report(dash_hub, browser, alpaca_sim, artifacts):
    context = browser.new_context(viewport={"width": 1400, "height": 1400})
    try:
        page = _login(context, dash_hub, "alice")
        _open(
            page,
            dash_hub.url + "services/club-dashboards/voila/render/scheduler-queue.ipynb",
            "[data-key=summary]",
        )
        summary = page.inner_text("[data-key=summary]")
        assert summary.startswith("2 blocks on 1 telescopes"), summary
        # The requests alice's planning notebook submitted are in the queue.
        assert "0 queued" not in summary
        assert "never above 20°" in page.inner_text("[data-key=unscheduled]")
        page.screenshot(path=str(artifacts / "hub-club-queue-alice.png"), full_page=True)
        _open(
            page,
            dash_hub.url + "services/club-dashboards/voila/render/station-status.ipynb",
            "[data-key=verdict]",
        )
        # A filter change on the simulator shows up without a reload.
        alpaca_sim.put("api/v1/filterwheel/0/position", Position="4")
        page.wait_for_function(
            "document.querySelector('[data-key=\"main.imaging.filter_wheel.filter\"]')"
            ".innerText == 'Ha'",
            timeout=60_000,
        )
        _open(
            page,
            dash_hub.url + "services/club-dashboards/voila/render/night-report.ipynb",
            "[data-key=report]",
        )
        assert page.inner_text('[data-key="main.exposing_s"]') == "3h00"
        page.screenshot(path=str(artifacts / "hub-club-report-alice.png"), full_page=True)
    finally:
        context.close()


async def _drive_remote_panel(url: str, token: str) -> dict:
    from obshub.client.station import RemoteStation
    from obshub.widgets import ControlPanel, resolve_target

    station = await RemoteStation.open(url=url, token=token)
    try:
        panel = ControlPanel(station)
        assert panel.leasable
        await panel.run("take control", panel.take_control)
        assert "you control main" in panel.message.value, panel.message.value
        # Under the lease, taken with the panel's own button:
        pad, cam = panel.mount, panel.camera
        await pad.run("unpark", pad.unpark)
        pad.target.value = "M13"
        await pad.run("slew", pad.slew)
        where = await station.mounts["main"].mount.coordinates()
        await cam.refresh()
        cam.filter.value = "B"
        cam.duration.value = 0.2
        await cam.run("expose", cam.expose)
        out = {
            "errors": [p.last_error for p in panel.parts if p.last_error],
            "separation_deg": float(where.separation(resolve_target("M13")).deg),
            "filter": cam.filter_now.value,
            "png": bytes(cam.view.value or b"")[:8],
        }
        await pad.run("park", pad.park)
        await panel.run("release", panel.release_control)
        # Without the lease the service refuses, and the panel says so instead of raising.
        await pad.run("unpark", pad.unpark)
        out["refused"] = pad.last_error or ""
        return out
    finally:
        await station.aclose()


def test_control_panel_drives_a_remote_station_with_a_lease(dash_hub):
    from concurrent.futures import ThreadPoolExecutor

    token = dash_hub.user_token("alice")
    url = dash_hub.url + "services/obshub/"
    # Playwright's sync API owns this thread's event loop: the panel runs in another thread.
    with ThreadPoolExecutor(1) as pool:
        out = pool.submit(asyncio.run, _drive_remote_panel(url, token)).result()
    assert out["errors"] == []
    assert out["separation_deg"] < 0.1
    assert out["filter"] == "B"
    assert out["png"] == b"\x89PNG\r\n\x1a\n"
    assert "lease" in out["refused"].lower()
