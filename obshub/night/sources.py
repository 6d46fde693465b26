"""Where the night loop's requests come from: request files, and the service's queue.

A source's :meth:`poll` returns the requests it has that the loop has not seen yet, as
:class:`Incoming` items; the loop plans them and tells the source when one is done or failed
(:meth:`finished`), so the service's queue shows the request's new state, and asks before a
block runs whether its request is still wanted (:meth:`active`: not cancelled meanwhile).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from obshub.errors import ObshubError
from obshub.scheduler.requests import Request, RequestSpec, build_request, load_requests

log = logging.getLogger(__name__)


@dataclass
class Incoming:
    """A request for one site, with the service's row id when it came from the queue."""

    request: Request
    site: str | None = None  # None: any station of the loop (request files)
    service_id: str | None = None


class RequestSource(Protocol):
    def poll(self, site: str) -> list[Incoming]: ...

    def finished(self, item: Incoming, state: str) -> None: ...

    def active(self, item: Incoming) -> bool: ...


class FileRequests:
    """Requests files (``obshub schedule``'s format); read once, offered to every station."""

    def __init__(self, paths: list[str | Path]):
        self.items = [Incoming(r) for p in paths for r in load_requests(p).requests]
        self._given: set[str] = set()

    def poll(self, site: str) -> list[Incoming]:
        out = [i for i in self.items if (site, i.request.id) not in self._given]
        self._given |= {(site, i.request.id) for i in out}
        return out

    def finished(self, item: Incoming, state: str) -> None:
        return None

    def active(self, item: Incoming) -> bool:
        return True


def _telescope_id(station_id: str, name: str) -> str:
    # The service names telescopes by mount ("main"); the scheduler by "<station>/<mount>".
    return name if "/" in name else f"{station_id}/{name}"


class ServiceQueue:
    """The requests users submitted to the obshub service, read from its database.

    The service stores each request as the scheduler's request document (validated at
    submission by the same schema), so it is rebuilt here as is. Reading the table the service
    writes, with the service's own :class:`~obshub.service.db.ServiceDB`, keeps one definition
    of the queue; the state written back (``done``/``failed``) is what ``GET /queue`` filters on.

    Parameters
    ----------
    db_url
        The service's database (``OBSHUB_SERVICE_DB``).
    station_ids
        Service site id → the scheduler's station id (telescope ids' prefix).
    """

    def __init__(self, db_url: str, station_ids: dict[str, str]):
        self.db_url = db_url
        self.station_ids = station_ids
        self._db = None
        self._seen: set[str] = set()

    @property
    def db(self):
        if self._db is None:
            from obshub.service.db import ServiceDB

            self._db = ServiceDB(self.db_url)
        return self._db

    def poll(self, site: str) -> list[Incoming]:
        try:
            rows = self.db.list_requests(site, state="queued", limit=5000)
        except Exception as exc:  # the service may be creating its tables right now
            log.warning("service queue %s not readable yet: %s", self.db_url, exc)
            self._db = None
            return []
        out = []
        for row in rows:
            if row["id"] in self._seen:
                continue
            self._seen.add(row["id"])
            payload = dict(row["payload"]) if isinstance(row["payload"], dict) else {}
            payload.setdefault("id", row["id"])
            payload.setdefault("owner", row["owner"].split(":", 1)[-1])
            if row.get("project") and "program" not in payload:
                payload["program"] = row["project"]
            sid = self.station_ids.get(site, site)
            payload["telescopes"] = [_telescope_id(sid, t) for t in payload.get("telescopes", [])]
            try:
                req = build_request(RequestSpec.model_validate(payload))
            except (ValueError, TypeError, ObshubError) as exc:
                log.warning("service request %s cannot be planned: %s", row["id"], exc)
                self.db.set_request_state(row["id"], "failed")
                continue
            out.append(Incoming(req, site, row["id"]))
        return out

    def finished(self, item: Incoming, state: str) -> None:
        if item.service_id:
            self.db.set_request_state(item.service_id, state)

    def active(self, item: Incoming) -> bool:
        """Still queued (not cancelled by its owner since it was planned)?"""
        if not item.service_id:
            return True
        try:
            row = self.db.get_request(item.service_id)
        except Exception:  # unreadable now: run it rather than lose the slot
            return True
        return row is None or row["state"] == "queued"

    def submit(self, site: str, owner: str, payload: dict) -> str:
        """Queue a request as ``owner`` would through the API (the demo sky's users)."""
        import uuid

        from obshub.service.requests import validate_request

        req = validate_request(payload, owner, str(uuid.uuid4()))
        project = req.get("program") or req.get("project")
        return self.db.add_request(site, f"user:{owner}", project, req)["id"]
