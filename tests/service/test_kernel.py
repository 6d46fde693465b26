"""A kernel in a spawned user server drives the telescope through the service, as its user."""

from __future__ import annotations

import json
import time
import uuid

import httpx
import pytest
from websockets.sync.client import connect

from tests.service.conftest import SITE_A

CODE = """
import json, os
from obshub.client import RemoteStation
from obshub.devices.interfaces import Mount
st = await RemoteStation.open()
snap = await st.status()
mount = st.mounts["main"].mount
async with st.lease("main", 60):
    await mount.unpark()
    await mount.set_tracking(True)
    tracking = await mount.is_tracking()
    coords = await mount.coordinates()
me = await st.me()
print("RESULT" + json.dumps({
    "site": st.site_id, "devices": len(snap["devices"]), "tracking": tracking,
    "is_mount": isinstance(mount, Mount), "ra": float(coords.ra.deg), "me": me["name"],
    "backends": list(st.backends),
}))
await st.aclose()
"""


def _msg(code: str, session: str) -> dict:
    return {
        "header": {
            "msg_id": uuid.uuid4().hex,
            "username": "test",
            "session": session,
            "msg_type": "execute_request",
            "version": "5.3",
        },
        "parent_header": {},
        "metadata": {},
        "channel": "shell",
        "content": {
            "code": code,
            "silent": False,
            "store_history": False,
            "user_expressions": {},
            "allow_stdin": False,
            "stop_on_error": True,
        },
    }


def _run(ws, code: str, timeout: float = 120) -> tuple[str, list[dict]]:
    msg = _msg(code, uuid.uuid4().hex)
    ws.send(json.dumps(msg))
    out, errors = [], []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        m = json.loads(ws.recv(timeout=deadline - time.monotonic()))
        if m.get("parent_header", {}).get("msg_id") != msg["header"]["msg_id"]:
            continue
        t = m["msg_type"]
        if t == "stream":
            out.append(m["content"]["text"])
        elif t == "error":
            errors.append(m["content"])
        elif t == "status" and m["content"]["execution_state"] == "idle":
            return "".join(out), errors
    raise AssertionError(f"kernel did not finish: {''.join(out)}")


@pytest.mark.slow
def test_kernel_uses_the_service_as_its_user(hub):
    r = hub.hub_api("POST", "users/alice/server")
    assert r.status_code in (201, 202), r.text
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        srv = hub.hub_api("GET", "users/alice").json()["servers"].get("")
        if srv and srv.get("ready"):
            break
        time.sleep(0.5)
    else:
        pytest.fail(f"alice's server did not start:\n{hub.log.read_text()[-3000:]}")
    token = hub.user_token("alice")
    base = f"{hub.url}user/alice/api"
    headers = {"Authorization": f"token {token}"}
    try:
        r = httpx.post(f"{base}/kernels", json={"name": "python3"}, headers=headers, timeout=60)
        assert r.status_code == 201, r.text
        kid = r.json()["id"]
        ws_url = f"{base}/kernels/{kid}/channels".replace("http://", "ws://")
        with connect(ws_url, additional_headers=headers, open_timeout=30) as ws:
            out, errors = _run(ws, CODE)
        assert not errors, errors
        line = next(x for x in out.splitlines() if x.startswith("RESULT"))
        res = json.loads(line.removeprefix("RESULT"))
        assert res["site"] == SITE_A and res["me"] == "alice"
        assert res["tracking"] is True and res["is_mount"] is True
        assert res["devices"] >= 5
        assert res["backends"] == []  # no device connection inside the kernel
        # The service recorded the commands as alice's.
        with hub.client("olivia") as owner:
            audit = owner.get(f"/sites/{SITE_A}/audit").json()
        assert any(a["principal"] == "user:alice" and a["action"] == "set_tracking" for a in audit)
    finally:
        hub.hub_api("DELETE", "users/alice/server")
