"""The hub config file as a deployment would load it, for each authenticator and options."""

from __future__ import annotations

import os
from unittest import mock

from traitlets.config import PyFileConfigLoader

from obshub.service import scopes as S
from obshub.service.hubprocess import CONFIG


def _load(tmp_path, service_station, **env):
    base = {"OBSHUB_HOME": str(tmp_path), "OBSHUB_STATIONS": str(service_station)}
    with mock.patch.dict(os.environ, {**base, **env}, clear=False):
        for k in ("OBSHUB_AUTH", "OBSHUB_SSL_CERT", "OBSHUB_HUB_DB_URL", "OBSHUB_BOOTSTRAP_TOKEN"):
            if k not in env:
                os.environ.pop(k, None)
        loader = PyFileConfigLoader(CONFIG.name, path=str(CONFIG.parent))
        return loader.load_config()


def test_native_club_config(tmp_path, service_station):
    c = _load(
        tmp_path,
        service_station,
        OBSHUB_AUTH="native",
        OBSHUB_ADMINS="root1",
        OBSHUB_OBSERVERS="anna,ben",
        OBSHUB_HUB_DB_URL="postgresql+psycopg://hub:x@127.0.0.1/jupyterhub",
        OBSHUB_SSL_CERT="/etc/cert.pem",
        OBSHUB_SSL_KEY="/etc/key.pem",
    )
    assert c.JupyterHub.authenticator_class == "native"
    assert c.NativeAuthenticator.open_signup is False
    assert c.JupyterHub.db_url.startswith("postgresql")
    assert c.JupyterHub.bind_url.startswith("https://")
    assert c.JupyterHub.ssl_cert == "/etc/cert.pem"
    roles = {r["name"]: r for r in c.JupyterHub.load_roles}
    assert roles["obshub-observer"]["users"] == ["anna", "ben"]
    assert "root1" in roles["obshub-admin"]["users"]
    assert "self" not in roles["user"]["scopes"]  # club members: no notebook server
    assert set(c.JupyterHub.custom_scopes) == set(S.CUSTOM_SCOPES)
    svc = {s["name"]: s for s in c.JupyterHub.services}
    obshub = svc["obshub"]
    assert obshub["command"][0].startswith("/") and obshub["oauth_no_confirm"] is True
    assert set(S.ALL_CUSTOM) <= set(obshub["oauth_client_allowed_scopes"])
    assert "idle-culler" in svc
    assert "OBSHUB_SEED_GRANTS" not in obshub["environment"]  # no demo grants for a club
    assert c.ConfigurableHTTPProxy.command[0].endswith("node_modules/.bin/configurable-http-proxy")


def test_demo_config_with_executor_and_scheduler(tmp_path, service_station):
    c = _load(
        tmp_path,
        service_station,
        OBSHUB_EXECUTOR_CMD="obshub observe --service",
        OBSHUB_SCHEDULER_CMD="obshub schedule --serve",
    )
    assert c.JupyterHub.authenticator_class.__name__ == "DemoAuthenticator"
    roles = {r["name"]: r for r in c.JupyterHub.load_roles}
    assert roles["obshub-observer"]["users"] == ["alice", "bob"]
    assert roles["obshub-scheduler"]["services"] == ["obshub-executor", "obshub-scheduler"]
    svc = {s["name"]: s for s in c.JupyterHub.services}
    cmd = svc["obshub-executor"]["command"]
    assert (
        cmd[0].startswith("/")
        and cmd[0].endswith("/obshub")
        and cmd[1:] == ["observe", "--service"]
    )
    assert "OBSHUB_SEED_GRANTS" in svc["obshub"]["environment"]
    assert c.JupyterHub.load_groups["club"]["users"] == ["vera"]
