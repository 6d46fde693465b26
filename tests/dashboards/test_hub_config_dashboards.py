"""hub_config/dashboards.py: the two Voila services and who may open the club one."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _module():
    spec = importlib.util.spec_from_file_location("dash_cfg", ROOT / "hub_config" / "dashboards.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_services_are_read_only_voila_with_absolute_commands(monkeypatch):
    monkeypatch.delenv("OBSHUB_DASHBOARDS", raising=False)
    monkeypatch.setenv("OBSHUB_DASHBOARDS_PORT", "9100")
    dash = _module()
    svc = {s["name"]: s for s in dash.services("http://127.0.0.1:8765/services/obshub/", "/h")}
    assert set(svc) == {"dashboards", "club-dashboards"}
    pub, club = svc["dashboards"], svc["club-dashboards"]
    assert pub["url"] == "http://127.0.0.1:9100"
    assert os.path.isabs(pub["command"][0])
    assert "--Voila.base_url=/services/dashboards/" in pub["command"]
    assert not any("identity_provider" in a for a in pub["command"])
    assert any("HubIdentityProvider" in a for a in club["command"])
    for s in svc.values():
        # No token in the configuration: the hub gives each service its own (read-only role).
        assert "api_token" not in s
        assert s["environment"]["OBSHUB_SERVICE_URL"].endswith("/services/obshub/")


def test_club_role_and_switch_off(monkeypatch):
    dash = _module()
    (role,) = dash.roles({"obshub-observer": ["alice"], "obshub-admin": ["admin"]}, ["club"])
    assert role["scopes"] == ["access:services!service=club-dashboards"]
    assert role["users"] == ["admin", "alice"] and role["groups"] == ["club"]
    monkeypatch.setenv("OBSHUB_DASHBOARDS", "0")
    assert dash.services("http://x/", "/h") == [] and dash.roles({}, []) == []
