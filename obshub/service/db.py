"""The service's own tables: grants, leases, the command audit log, requests, port edits.

They have their own ``MetaData`` so they can share a database (one URL) with the night
executor's event log without either owning the other's tables. SQLite by default, PostgreSQL by
URL. All writes go through :class:`ServiceDB`, which commits each one before answering: a
request acknowledged to a client is stored.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

metadata = sa.MetaData()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


grants = sa.Table(
    "obshub_grants",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    # "user:NAME", "group:NAME" or "service:NAME"
    sa.Column("principal", sa.String(200), nullable=False, index=True),
    sa.Column("site", sa.String(100), nullable=False, index=True),
    sa.Column("telescope", sa.String(100), nullable=True),
    sa.Column("right", sa.String(20), nullable=False),
    sa.Column("granted_by", sa.String(200), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False, default=_now),
    sa.UniqueConstraint("principal", "site", "telescope", "right", name="obshub_grant_unique"),
)

leases = sa.Table(
    "obshub_leases",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("site", sa.String(100), nullable=False),
    sa.Column("telescope", sa.String(100), nullable=False),
    sa.Column("holder", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),  # manual | scheduler
    sa.Column("acquired_at", sa.DateTime, nullable=False),
    sa.Column("expires_at", sa.DateTime, nullable=False),
    sa.Column("released_at", sa.DateTime, nullable=True),
    sa.Column("released_by", sa.String(200), nullable=True),
    sa.Index("obshub_lease_active", "site", "telescope", "released_at"),
)

audit = sa.Table(
    "obshub_audit",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime, nullable=False, default=_now),
    sa.Column("principal", sa.String(200), nullable=False),
    sa.Column("site", sa.String(100), nullable=False, index=True),
    sa.Column("telescope", sa.String(100), nullable=True),
    sa.Column("device", sa.String(200), nullable=True),
    sa.Column("action", sa.String(100), nullable=False),
    sa.Column("args", sa.Text, nullable=False, default="{}"),
    sa.Column("outcome", sa.String(20), nullable=False),  # ok | error | denied
    sa.Column("message", sa.Text, nullable=True),
)

requests = sa.Table(
    "obshub_requests",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("site", sa.String(100), nullable=False, index=True),
    sa.Column("owner", sa.String(200), nullable=False, index=True),
    sa.Column("project", sa.String(100), nullable=True),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("state", sa.String(20), nullable=False),  # queued | cancelled | done | failed
    sa.Column("submitted_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

port_overrides = sa.Table(
    "obshub_port_overrides",
    metadata,
    sa.Column("site", sa.String(100), primary_key=True),
    sa.Column("telescope", sa.String(100), primary_key=True),
    sa.Column("port", sa.String(100), primary_key=True),
    sa.Column("patch", sa.Text, nullable=False),
    sa.Column("updated_by", sa.String(200), nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

site_settings = sa.Table(
    "obshub_site_settings",
    metadata,
    sa.Column("site", sa.String(100), primary_key=True),
    sa.Column("scheduler_policy", sa.String(20), nullable=False),
    sa.Column("updated_by", sa.String(200), nullable=False),
)

project_members = sa.Table(
    "obshub_project_members",
    metadata,
    sa.Column("project", sa.String(100), primary_key=True),
    sa.Column("user", sa.String(200), primary_key=True),
)


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL and a busy timeout so readers never block."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return sa.create_engine(url, pool_pre_ping=True)


def _row(r: Any) -> dict[str, Any]:
    d = dict(r._mapping)
    for k, v in d.items():
        if isinstance(v, dt.datetime):
            d[k] = v.replace(tzinfo=dt.UTC).isoformat()
    return d


class ServiceDB:
    """Every query the service makes, one short transaction each."""

    def __init__(self, url: str):
        self.engine = make_engine(url)
        metadata.create_all(self.engine)
        # Lease changes are check-then-write: serialise them within this process.
        self.lease_lock = threading.Lock()
        # Every request checks grants: keep the (small) table in memory. This process is the
        # only writer, so each change below drops the copy and the next check re-reads it.
        self._grants: list[dict[str, Any]] | None = None

    @contextmanager
    def tx(self) -> Iterator[Connection]:
        with self.engine.begin() as conn:
            yield conn

    # grants ---------------------------------------------------------------------------------
    def grants_for(self, principals: list[str]) -> list[dict[str, Any]]:
        table = self._grants
        if table is None:
            with self.tx() as c:
                table = [_row(r) for r in c.execute(sa.select(grants).order_by(grants.c.id))]
            self._grants = table
        wanted = set(principals)
        return [dict(g) for g in table if g["principal"] in wanted]

    def list_grants(self, site: str | None = None) -> list[dict[str, Any]]:
        q = sa.select(grants).order_by(grants.c.id)
        if site is not None:
            q = q.where(grants.c.site == site)
        with self.tx() as c:
            return [_row(r) for r in c.execute(q)]

    def get_grant(self, grant_id: int) -> dict[str, Any] | None:
        with self.tx() as c:
            r = c.execute(sa.select(grants).where(grants.c.id == grant_id)).first()
            return _row(r) if r else None

    def add_grant(
        self, principal: str, site: str, telescope: str | None, right: str, by: str
    ) -> dict[str, Any]:
        """Add a grant; an identical one is returned as it is."""
        try:
            return self._add_grant(principal, site, telescope, right, by)
        finally:
            self._grants = None

    def _add_grant(
        self, principal: str, site: str, telescope: str | None, right: str, by: str
    ) -> dict[str, Any]:
        with self.tx() as c:
            q = sa.select(grants).where(
                grants.c.principal == principal,
                grants.c.site == site,
                grants.c.right == right,
                grants.c.telescope.is_(None)
                if telescope is None
                else grants.c.telescope == telescope,
            )
            r = c.execute(q).first()
            if r:
                return _row(r)
            c.execute(
                grants.insert().values(
                    principal=principal,
                    site=site,
                    telescope=telescope,
                    right=right,
                    granted_by=by,
                    created_at=_now(),
                )
            )
            return _row(c.execute(q).one())

    def delete_grant(self, grant_id: int) -> None:
        with self.tx() as c:
            c.execute(grants.delete().where(grants.c.id == grant_id))
        self._grants = None

    # leases ---------------------------------------------------------------------------------
    def active_lease(self, conn: Connection, site: str, telescope: str) -> dict[str, Any] | None:
        r = conn.execute(
            sa.select(leases).where(
                leases.c.site == site,
                leases.c.telescope == telescope,
                leases.c.released_at.is_(None),
                leases.c.expires_at > _now(),
            )
        ).first()
        return dict(r._mapping) if r else None

    def list_leases(self, site: str) -> list[dict[str, Any]]:
        with self.tx() as c:
            rows = c.execute(
                sa.select(leases).where(
                    leases.c.site == site,
                    leases.c.released_at.is_(None),
                    leases.c.expires_at > _now(),
                )
            )
            return [_row(r) for r in rows]

    def lease_row(self, row: dict[str, Any]) -> dict[str, Any]:
        out = dict(row)
        for k, v in out.items():
            if isinstance(v, dt.datetime):
                out[k] = v.replace(tzinfo=dt.UTC).isoformat()
        return out

    # audit ----------------------------------------------------------------------------------
    def record(
        self,
        principal: str,
        site: str,
        action: str,
        *,
        telescope: str | None = None,
        device: str | None = None,
        args: dict[str, Any] | None = None,
        outcome: str = "ok",
        message: str | None = None,
        conn: Connection | None = None,
    ) -> None:
        values = dict(
            at=_now(),
            principal=principal,
            site=site,
            telescope=telescope,
            device=device,
            action=action,
            args=json.dumps(args or {}, default=str),
            outcome=outcome,
            message=message,
        )
        if conn is not None:
            conn.execute(audit.insert().values(**values))
            return
        with self.tx() as c:
            c.execute(audit.insert().values(**values))

    def list_audit(self, site: str, limit: int) -> list[dict[str, Any]]:
        with self.tx() as c:
            rows = c.execute(
                sa.select(audit)
                .where(audit.c.site == site)
                .order_by(audit.c.id.desc())
                .limit(limit)
            )
            out = [_row(r) for r in rows]
        for r in out:
            r["args"] = json.loads(r["args"])
        return out

    # requests -------------------------------------------------------------------------------
    def add_request(
        self, site: str, owner: str, project: str | None, payload: dict[str, Any]
    ) -> dict[str, Any]:
        now = _now()
        rid = str(uuid.uuid4())
        with self.tx() as c:
            c.execute(
                requests.insert().values(
                    id=rid,
                    site=site,
                    owner=owner,
                    project=project,
                    payload=json.dumps(payload),
                    state="queued",
                    submitted_at=now,
                    updated_at=now,
                )
            )
        got = self.get_request(rid)
        assert got is not None
        return got

    def get_request(self, rid: str) -> dict[str, Any] | None:
        with self.tx() as c:
            r = c.execute(sa.select(requests).where(requests.c.id == rid)).first()
        if not r:
            return None
        d = _row(r)
        d["payload"] = json.loads(d["payload"])
        return d

    def list_requests(
        self, site: str, owner: str | None = None, state: str | None = None, limit: int = 500
    ) -> list[dict[str, Any]]:
        q = sa.select(requests).where(requests.c.site == site)
        if owner is not None:
            q = q.where(requests.c.owner == owner)
        if state is not None:
            q = q.where(requests.c.state == state)
        q = q.order_by(requests.c.submitted_at).limit(limit)
        with self.tx() as c:
            out = [_row(r) for r in c.execute(q)]
        for d in out:
            d["payload"] = json.loads(d["payload"])
        return out

    def set_request_state(self, rid: str, state: str) -> None:
        with self.tx() as c:
            c.execute(
                requests.update().where(requests.c.id == rid).values(state=state, updated_at=_now())
            )

    # port configuration ---------------------------------------------------------------------
    def port_patches(self, site: str) -> dict[tuple[str, str], dict[str, Any]]:
        with self.tx() as c:
            rows = c.execute(sa.select(port_overrides).where(port_overrides.c.site == site))
            return {(r.telescope, r.port): json.loads(r.patch) for r in rows}

    def set_port_patch(
        self, site: str, telescope: str, port: str, patch: dict[str, Any], by: str
    ) -> None:
        with self.tx() as c:
            c.execute(
                port_overrides.delete().where(
                    port_overrides.c.site == site,
                    port_overrides.c.telescope == telescope,
                    port_overrides.c.port == port,
                )
            )
            c.execute(
                port_overrides.insert().values(
                    site=site,
                    telescope=telescope,
                    port=port,
                    patch=json.dumps(patch),
                    updated_by=by,
                    updated_at=_now(),
                )
            )

    # site settings and projects -------------------------------------------------------------
    def scheduler_policy(self, site: str, default: str) -> str:
        with self.tx() as c:
            r = c.execute(sa.select(site_settings).where(site_settings.c.site == site)).first()
        return r.scheduler_policy if r else default

    def set_scheduler_policy(self, site: str, policy: str, by: str) -> None:
        with self.tx() as c:
            c.execute(site_settings.delete().where(site_settings.c.site == site))
            c.execute(
                site_settings.insert().values(site=site, scheduler_policy=policy, updated_by=by)
            )

    def projects_of(self, user: str) -> set[str]:
        with self.tx() as c:
            rows = c.execute(
                sa.select(project_members.c.project).where(project_members.c.user == user)
            )
            return {r.project for r in rows}

    def add_project_member(self, project: str, user: str) -> None:
        with self.tx() as c:
            exists = c.execute(
                sa.select(project_members).where(
                    project_members.c.project == project, project_members.c.user == user
                )
            ).first()
            if not exists:
                c.execute(project_members.insert().values(project=project, user=user))
