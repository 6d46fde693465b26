"""Control leases: one holder per telescope at a time, with an expiry.

A manual lease is what lets an observer send commands to a telescope by hand. The scheduler
(executor) takes a ``scheduler`` lease before it observes; whether it then pre-empts a manual
holder or waits for the lease to expire is the site's ``scheduler_policy``. Every change is
written to the audit log in the same transaction as the lease itself.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa

from obshub.service.db import ServiceDB, leases


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class LeaseHeld(Exception):
    """Someone else holds the lease."""

    def __init__(self, lease: dict[str, Any]):
        self.lease = lease
        super().__init__(f"held by {lease['holder']} until {lease['expires_at']}")


def acquire(
    db: ServiceDB,
    site: str,
    telescope: str,
    holder: str,
    duration_s: float,
    *,
    scheduler: bool = False,
    policy: str = "preempt",
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Take or renew the lease.

    Returns
    -------
    (lease, preempted)
        ``preempted`` is the manual lease the scheduler took over, if it did.

    Raises
    ------
    LeaseHeld
        Another holder has it (and, for the scheduler, the site says wait).
    """
    kind = "scheduler" if scheduler else "manual"
    now = _now()
    expires = now + dt.timedelta(seconds=duration_s)
    with db.lease_lock:
        denied = None
        with db.tx() as c:
            current = db.active_lease(c, site, telescope)
            preempted = None
            if current is not None and current["holder"] == holder and current["kind"] == kind:
                c.execute(
                    leases.update().where(leases.c.id == current["id"]).values(expires_at=expires)
                )
                db.record(
                    holder,
                    site,
                    "lease.renew",
                    telescope=telescope,
                    args={"duration_s": duration_s},
                    conn=c,
                )
                current["expires_at"] = expires
                return db.lease_row(current), None
            if current is not None:
                can_preempt = scheduler and current["kind"] == "manual" and policy == "preempt"
                if not can_preempt:
                    denied = db.lease_row(current)
                else:
                    c.execute(
                        leases.update()
                        .where(leases.c.id == current["id"])
                        .values(released_at=now, released_by=f"{holder} (scheduler pre-empted)")
                    )
                    preempted = db.lease_row(current)
                    db.record(
                        holder,
                        site,
                        "lease.preempt",
                        telescope=telescope,
                        args={"from": current["holder"]},
                        conn=c,
                    )
            if denied is None:
                row = dict(
                    id=str(uuid.uuid4()),
                    site=site,
                    telescope=telescope,
                    holder=holder,
                    kind=kind,
                    acquired_at=now,
                    expires_at=expires,
                    released_at=None,
                    released_by=None,
                )
                c.execute(leases.insert().values(**row))
                db.record(
                    holder,
                    site,
                    "lease.acquire",
                    telescope=telescope,
                    args={"duration_s": duration_s, "kind": kind},
                    conn=c,
                )
                return db.lease_row(row), preempted
        # Recorded in its own transaction: raising inside the one above would roll it back.
        db.record(
            holder,
            site,
            "lease.acquire",
            telescope=telescope,
            outcome="denied",
            message=f"held by {denied['holder']}",
        )
        raise LeaseHeld(denied)


def current(db: ServiceDB, site: str, telescope: str) -> dict[str, Any] | None:
    with db.tx() as c:
        row = db.active_lease(c, site, telescope)
    return db.lease_row(row) if row else None


def release(db: ServiceDB, site: str, telescope: str, by: str) -> dict[str, Any] | None:
    """End the active lease (the caller's right to do so is checked before)."""
    with db.lease_lock, db.tx() as c:
        row = db.active_lease(c, site, telescope)
        if row is None:
            return None
        c.execute(
            leases.update()
            .where(leases.c.id == row["id"])
            .values(released_at=_now(), released_by=by)
        )
        db.record(
            by, site, "lease.release", telescope=telescope, args={"holder": row["holder"]}, conn=c
        )
        return db.lease_row(row)


def holds(db: ServiceDB, site: str, telescope: str, holder: str) -> bool:
    with db.tx() as c:
        row = db.active_lease(c, site, telescope)
    return row is not None and row["holder"] == holder


def held_by(db: ServiceDB, site: str, holder: str) -> list[dict[str, Any]]:
    with db.tx() as c:
        rows = c.execute(
            sa.select(leases).where(
                leases.c.site == site,
                leases.c.holder == holder,
                leases.c.released_at.is_(None),
                leases.c.expires_at > _now(),
            )
        )
        return [db.lease_row(dict(r._mapping)) for r in rows]
