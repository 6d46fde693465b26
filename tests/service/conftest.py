"""A real JupyterHub (real proxy from npm, obshub as a managed service) on free loopback ports.

Two sites are served from one alpaca-simulators process of these tests' own: ``club-site-a``
(the demo grants: olivia owns it, carl configures, alice and bob control its telescope ``main``, the ``club``
group views it) and ``other-site-b`` (no grants: the "other site" of everyone but the admin).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path

import httpx
import pytest

from obshub.errors import ObshubError
from obshub.service.hubprocess import HubProcess, kill_tree, start_hub

__all__ = ["kill_tree"]

SITE_A = "club-site-a"
SITE_B = "other-site-b"
PASSWORD = "test-demo-pw"


class Hub(HubProcess):
    """The test hub, with a client for the obshub API per user."""

    @property
    def frames_dir(self) -> Path:
        return Path(self.env["OBSHUB_FRAMES_DIR"])

    def client(self, user: str | None, scopes: list[str] | None = None) -> httpx.Client:
        headers = {"Authorization": f"token {self.user_token(user, scopes)}"} if user else {}
        return httpx.Client(base_url=self.api, headers=headers, timeout=60)


def _station(sim, name: str, path: Path) -> Path:
    from obshub.sim.stations import alpaca_station, write_station

    doc = alpaca_station(sim.address)
    doc["site"]["name"] = name
    return write_station(doc, path)


@pytest.fixture(scope="session")
def service_sim(alpaca_factory):
    """A simulator of the service tests' own: they unpark, track and expose with it."""
    return alpaca_factory()


@pytest.fixture(scope="session")
def service_station(service_sim, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from obshub.sim.stations import alpaca_station, write_station

    d = tmp_path_factory.mktemp("service-station")
    return write_station(alpaca_station(service_sim.address), d / "station.yaml")


def _pg_databases(request: pytest.FixtureRequest, *names: str) -> list[str] | None:
    """New databases on the session's PostgreSQL server, or None without PostgreSQL."""
    try:
        base = request.getfixturevalue("postgres_server")
    except pytest.skip.Exception:
        return None
    import psycopg

    dsn = base.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    with psycopg.connect(dsn, autocommit=True) as conn:
        for n in names:
            conn.execute(f'CREATE DATABASE "{n}"')
    return [f"{base}/{n}" for n in names]


@pytest.fixture(scope="session")
def hub(
    service_sim, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Hub]:
    """The hub and the service keep their databases in PostgreSQL, as a club deployment does
    (SQLite where PostgreSQL is not installed)."""
    from obshub.service.hubsetup import demo_grants

    root = tmp_path_factory.mktemp("hub")
    a = _station(service_sim, "Club Site A", root / "site-a.yaml")
    b = _station(service_sim, "Other Site B", root / "site-b.yaml")
    env = {
        "OBSHUB_DEMO_PASSWORD": PASSWORD,
        "OBSHUB_IDLE_TIMEOUT": "3600",
        "OBSHUB_DEFAULT_URL": "/tree",
        "OBSHUB_FRAMES_DIR": str(root / "frames"),
        "OBSHUB_PLANS_DIR": str(root / "plans"),
        # Only site A has grants: B is everyone's "other site".
        "OBSHUB_SEED_GRANTS": json.dumps(demo_grants([str(a)])),
    }
    pg = _pg_databases(request, "jupyterhub_tests", "obshub_service_tests")
    if pg:
        env["OBSHUB_HUB_DB_URL"], env["OBSHUB_SERVICE_DB"] = pg
    try:
        started = start_hub(root, [a, b], env)
    except ObshubError as exc:
        pytest.fail(str(exc))
    hub = Hub(**{f.name: getattr(started, f.name) for f in fields(HubProcess)})
    try:
        yield hub
    finally:
        forced = hub.stop()
    # `obshub hub` stopped on SIGTERM with its hub, proxy and services: nothing left to kill.
    assert not forced, f"processes that did not stop by themselves: {forced}"
