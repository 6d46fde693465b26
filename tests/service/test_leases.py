"""Two users, one telescope: the control lease, commands recorded with who sent them."""

from __future__ import annotations

import time

from tests.service.conftest import SITE_A

LEASE = f"/sites/{SITE_A}/telescopes/main/lease"
CALL = f"/sites/{SITE_A}/devices/main/call"


def test_two_users_one_telescope(hub):
    with hub.client("alice") as alice, hub.client("bob") as bob, hub.client("olivia") as olivia:
        # Without a lease, a command is refused (409) and the refusal is recorded.
        r = alice.post(CALL, json={"method": "set_tracking", "args": {"on": True}})
        assert r.status_code == 409 and r.json()["type"] == "lease_required"

        r = alice.put(LEASE, json={"duration_s": 120})
        assert r.status_code == 200, r.text
        assert r.json()["holder"] == "user:alice"
        r = bob.put(LEASE, json={"duration_s": 120})
        assert r.status_code == 409
        assert "user:alice" in r.json()["message"]
        # alice commands; bob cannot, though his grant would allow it
        assert alice.post(CALL, json={"method": "unpark"}).status_code == 200
        r = alice.post(CALL, json={"method": "set_tracking", "args": {"on": True}})
        assert r.status_code == 200, r.text
        assert alice.post(CALL, json={"method": "is_tracking"}).json()["result"] is True
        assert (
            bob.post(CALL, json={"method": "set_tracking", "args": {"on": False}}).status_code
            == 409
        )
        # bob may not release alice's lease; renewing keeps alice's
        assert bob.delete(LEASE).status_code == 403
        assert alice.put(LEASE, json={"duration_s": 120}).json()["holder"] == "user:alice"
        assert alice.delete(LEASE).status_code == 200
        r = bob.put(LEASE, json={"duration_s": 120})
        assert r.status_code == 200 and r.json()["holder"] == "user:bob"
        # the site owner may end anyone's lease
        assert olivia.delete(LEASE).status_code == 200

        audit = olivia.get(f"/sites/{SITE_A}/audit", params={"limit": 50}).json()
        seen = [(a["principal"], a["action"], a["outcome"]) for a in audit]
        assert ("user:alice", "set_tracking", "ok") in seen
        assert ("user:alice", "unpark", "ok") in seen
        assert ("user:bob", "set_tracking", "denied") in seen
        assert ("user:bob", "lease.acquire", "denied") in seen
        assert ("user:olivia", "lease.release", "ok") in seen


def test_lease_expires(hub):
    with hub.client("alice") as alice, hub.client("bob") as bob:
        assert alice.put(LEASE, json={"duration_s": 1}).status_code == 200
        assert bob.put(LEASE, json={"duration_s": 60}).status_code == 409
        time.sleep(1.5)
        r = bob.put(LEASE, json={"duration_s": 60})
        assert r.status_code == 200 and r.json()["holder"] == "user:bob"
        assert bob.delete(LEASE).status_code == 200


def test_scheduler_preempts_or_waits_as_the_site_says(hub):
    with hub.client("alice") as alice, hub.client("olivia") as olivia:
        sched = hub.client("admin")  # the admin may act as scheduler
        try:
            assert (
                olivia.put(
                    f"/sites/{SITE_A}/settings", json={"scheduler_policy": "wait"}
                ).status_code
                == 200
            )
            assert alice.put(LEASE, json={"duration_s": 120}).status_code == 200
            r = sched.put(LEASE, json={"scheduler": True, "duration_s": 60})
            assert r.status_code == 409
            assert (
                olivia.put(
                    f"/sites/{SITE_A}/settings", json={"scheduler_policy": "preempt"}
                ).status_code
                == 200
            )
            r = sched.put(LEASE, json={"scheduler": True, "duration_s": 60})
            assert r.status_code == 200, r.text
            assert r.json()["kind"] == "scheduler"
            assert r.json()["preempted"]["holder"] == "user:alice"
            # alice lost control
            assert alice.post(CALL, json={"method": "abort_slew"}).status_code == 409
            # a plain observer cannot claim to be the scheduler
            r = alice.put(LEASE, json={"scheduler": True})
            assert r.status_code == 403 and r.json()["field"] == "body.scheduler"
            assert sched.delete(LEASE).status_code == 200
        finally:
            sched.close()
