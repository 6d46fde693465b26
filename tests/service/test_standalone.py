"""The service without a hub: API tokens from a file, the client library, frames and plans."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import astropy.units as u
import httpx
import numpy as np
import pytest
import yaml
from astropy.io import fits

from obshub.client import LeaseError, PermissionDenied, RemoteStation
from obshub.devices.interfaces import Camera, CameraState, Mount
from tests.service.conftest import kill_tree

TOKENS = {
    "alice": "alice-token-123",
    "bob": "bob-token-456",
    "admin": "admin-token-789",
    "executor": "executor-token-000",
}


@pytest.fixture(scope="module")
def standalone(service_station, tmp_path_factory):
    from obshub.sim.process import free_port
    from obshub.station import load_station

    root = tmp_path_factory.mktemp("standalone")
    tokens = root / "tokens.yaml"
    tokens.write_text(
        yaml.safe_dump(
            {
                "tokens": [
                    {"name": "alice", "token": TOKENS["alice"], "roles": ["observer"]},
                    {"name": "bob", "token": TOKENS["bob"], "roles": ["observer"]},
                    {"name": "admin", "token": TOKENS["admin"], "roles": ["admin"]},
                    {
                        "name": "executor",
                        "kind": "service",
                        "token": TOKENS["executor"],
                        "roles": ["scheduler"],
                    },
                ]
            }
        )
    )
    from obshub.service.stations import slug

    site = slug(load_station(service_station).site.name)
    port = free_port()
    env = {
        **os.environ,
        "OBSHUB_STATIONS": str(service_station),
        "OBSHUB_SERVICE_TOKENS": str(tokens),
        "OBSHUB_SERVICE_DB": f"sqlite:///{root / 'service.sqlite'}",
        "OBSHUB_FRAMES_DIR": str(root / "frames"),
        "OBSHUB_PLANS_DIR": str(root / "plans"),
        "OBSHUB_SEED_GRANTS": json.dumps(
            [
                {"principal": "user:alice", "site": site, "right": "control"},
                {"principal": "user:bob", "site": site, "right": "control"},
            ]
        ),
    }
    for k in list(env):
        if k.startswith("JUPYTERHUB_"):
            del env[k]
    log = open(root / "service.log", "wb")  # noqa: SIM115 - closed at teardown
    proc = subprocess.Popen(
        [sys.executable, "-m", "obshub.service", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "api/v1/health", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.3)
    else:
        kill_tree(proc)
        pytest.fail((root / "service.log").read_text()[-3000:])
    yield {"url": url, "site": site, "root": root}
    kill_tree(proc)
    log.close()


async def test_remote_station_has_the_local_shape(standalone):
    st = await RemoteStation.open(url=standalone["url"], token=TOKENS["alice"])
    try:
        assert st.site_id == standalone["site"]
        unit, inst = st.instrument()
        assert isinstance(unit.mount, Mount) and isinstance(inst.camera, Camera)
        assert inst.filter_wheel is not None and st.dome is not None
        assert await inst.camera.state() in set(CameraState)
        assert isinstance(await inst.filter_wheel.names(), list)
        status = await st.status()
        assert status["devices"][unit.mount.name]["ok"] is True
        # writes need the lease
        with pytest.raises(LeaseError):
            await inst.camera.set_gain(1)
        async with st.lease(unit.name, 60):
            image = await inst.camera.expose(0.1 * u.s, binning=(2, 2))
            assert image.data.ndim == 2 and image.data.size > 0
            assert image.meta["OWNER"] == "alice"
        frame = inst.camera.last_frame
        frames = await st.frames(frame["night"])
        assert frame["file"] in [f["file"] for f in frames]
        out = await st.download(frames[0], standalone["root"])
        assert fits.getheader(out)["OWNER"] == "alice"
    finally:
        await st.aclose()


async def test_frames_are_private_unless_a_project_shares_them(standalone):
    night_dir = standalone["root"] / "frames" / standalone["site"] / "2026-01-02"
    night_dir.mkdir(parents=True, exist_ok=True)
    hdu = fits.PrimaryHDU(np.zeros((4, 4), dtype=np.uint16))
    hdu.header["OWNER"] = "carol"
    hdu.header["PROJECT"] = "comets"
    hdu.writeto(night_dir / "comet_R.fits", overwrite=True)
    api = standalone["url"] + "api/v1"
    frames = f"{api}/sites/{standalone['site']}/nights/2026-01-02/frames"
    bob = {"Authorization": f"token {TOKENS['bob']}"}
    admin = {"Authorization": f"token {TOKENS['admin']}"}
    async with httpx.AsyncClient() as c:
        assert (await c.get(frames, headers=bob)).json() == []
        r = await c.get(frames + "/comet_R.fits", headers=bob)
        assert r.status_code == 403
        r = await c.post(f"{api}/projects/comets/members", json={"user": "bob"}, headers=admin)
        assert r.status_code == 201
        assert [f["file"] for f in (await c.get(frames, headers=bob)).json()] == ["comet_R.fits"]
        r = await c.get(frames + "/comet_R.fits", headers=bob)
        assert r.status_code == 200 and r.content[:6] == b"SIMPLE"
        r = await c.get(frames + "/..%2Fsecret.fits", headers=bob)
        assert r.status_code in (404, 422)


def _write_plan(root: Path, site: str) -> None:
    plans = root / "plans"
    plans.mkdir(exist_ok=True)
    (plans / f"{site}.json").write_text(json.dumps({"blocks": [{"id": "x"}]}))


async def test_plan_and_bad_token(standalone):
    _write_plan(standalone["root"], standalone["site"])
    st = await RemoteStation.open(url=standalone["url"], token=TOKENS["bob"])
    try:
        assert (await st.schedule())["plan"] == {"blocks": [{"id": "x"}]}
    finally:
        await st.aclose()
    with pytest.raises(PermissionDenied):
        await RemoteStation.open(url=standalone["url"], token="wrong")


def _executor_frame(night_dir: Path, block: str) -> None:
    night_dir.mkdir(parents=True, exist_ok=True)
    hdu = fits.PrimaryHDU(np.zeros((4, 4), dtype=np.uint16))
    hdu.header["OBSBLOCK"] = block  # what the executor writes; no OWNER
    hdu.writeto(night_dir / "M57_R_exec.fits", overwrite=True)


async def test_executor_frames_belong_to_the_request_owner(standalone):
    bob = await RemoteStation.open(url=standalone["url"], token=TOKENS["bob"])
    alice = await RemoteStation.open(url=standalone["url"], token=TOKENS["alice"])
    try:
        req = await bob.submit(
            {
                "id": "bob-m57",
                "target": {"name": "M 57", "ra": 283.4, "dec": 33.0},
                "exposures": [{"filter": "R", "seconds": 5}],
                "program": "nebulae",
            }
        )
        assert req["payload"]["owner"] == "bob" and req["project"] == "nebulae"
        _executor_frame(
            standalone["root"] / "frames" / standalone["site"] / "2026-01-03", "bob-m57"
        )
        mine = await bob.frames("2026-01-03")
        assert [(f["file"], f["owner"], f["project"]) for f in mine] == [
            ("M57_R_exec.fits", "bob", "nebulae")
        ]
        assert await alice.frames("2026-01-03") == []
    finally:
        await bob.aclose()
        await alice.aclose()


async def test_scheduler_service_preempts_and_drives(standalone):
    alice = await RemoteStation.open(url=standalone["url"], token=TOKENS["alice"])
    executor = await RemoteStation.open(url=standalone["url"], token=TOKENS["executor"])
    try:
        unit, _ = alice.instrument()
        await alice.acquire(unit.name, 60)
        with pytest.raises(LeaseError):
            await executor.mounts[unit.name].mount.set_tracking(True)
        async with executor.lease(unit.name, 60, scheduler=True) as held:
            assert held["preempted"]["holder"] == "user:alice"
            assert held["holder"] == "service:executor"
            await executor.mounts[unit.name].mount.unpark()
            await executor.mounts[unit.name].mount.set_tracking(True)
            with pytest.raises(LeaseError):
                await alice.mounts[unit.name].mount.set_tracking(False)
        with pytest.raises(PermissionDenied):  # the scheduler grants nothing
            await executor.client.get(f"sites/{executor.site_id}/grants")
    finally:
        await alice.aclose()
        await executor.aclose()
