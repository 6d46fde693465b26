"""The service's tables on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import uuid

import pytest

from obshub.service import leases as L
from obshub.service.db import ServiceDB


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'service.sqlite'}"
    else:
        import psycopg

        base = request.getfixturevalue("postgres_server")
        name = "obshub_service_" + uuid.uuid4().hex[:10]
        dsn = base.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = f"{base}/{name}"
    d = ServiceDB(url)
    yield d
    d.engine.dispose()


def test_grants_are_deduplicated_and_changes_seen_at_once(db):
    g = db.add_grant("user:alice", "a", "main", "control", "admin")
    assert db.add_grant("user:alice", "a", "main", "control", "admin")["id"] == g["id"]
    db.add_grant("group:club", "a", None, "view", "admin")
    got = db.grants_for(["user:alice", "group:club"])
    assert {(x["principal"], x["right"]) for x in got} == {
        ("user:alice", "control"),
        ("group:club", "view"),
    }
    db.delete_grant(g["id"])
    assert [x["right"] for x in db.grants_for(["user:alice", "group:club"])] == ["view"]


def test_leases_one_holder_preemption_and_audit(db):
    lease, pre = L.acquire(db, "a", "main", "user:alice", 60)
    assert lease["holder"] == "user:alice" and pre is None
    with pytest.raises(L.LeaseHeld):
        L.acquire(db, "a", "main", "user:bob", 60)
    with pytest.raises(L.LeaseHeld):
        L.acquire(db, "a", "main", "service:exec", 60, scheduler=True, policy="wait")
    lease, pre = L.acquire(db, "a", "main", "service:exec", 60, scheduler=True)
    assert lease["kind"] == "scheduler" and pre["holder"] == "user:alice"
    assert L.holds(db, "a", "main", "service:exec")
    assert not L.holds(db, "a", "main", "user:alice")
    L.release(db, "a", "main", "service:exec")
    assert L.current(db, "a", "main") is None
    actions = [(a["principal"], a["action"], a["outcome"]) for a in db.list_audit("a", 20)]
    assert ("user:bob", "lease.acquire", "denied") in actions
    assert ("service:exec", "lease.preempt", "ok") in actions


def test_requests_port_patches_projects(db):
    r = db.add_request("a", "user:alice", "comets", {"target": "M 57"})
    assert db.get_request(r["id"])["payload"] == {"target": "M 57"}
    assert [x["id"] for x in db.list_requests("a", owner="user:alice")] == [r["id"]]
    db.set_request_state(r["id"], "cancelled")
    assert db.list_requests("a", state="queued") == []
    db.set_port_patch("a", "main", "imaging", {"focal_length": 500}, "user:carl")
    db.set_port_patch("a", "main", "imaging", {"focal_length": 600}, "user:carl")
    assert db.port_patches("a") == {("main", "imaging"): {"focal_length": 600}}
    db.add_project_member("comets", "bob")
    db.add_project_member("comets", "bob")
    assert db.projects_of("bob") == {"comets"}
    assert db.scheduler_policy("a", "preempt") == "preempt"
    db.set_scheduler_policy("a", "wait", "user:olivia")
    assert db.scheduler_policy("a", "preempt") == "wait"
