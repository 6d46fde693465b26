"""obshub's roles: custom JupyterHub scopes, the roles made of them, and per-site grant rights.

A JupyterHub role says *what kind* of user someone is (observer, site owner, …); the service's
own database says *where* they may act (a grant per site or per telescope). Both are checked on
every request: a role without a grant reaches nothing, a grant without the role does nothing.
JupyterHub scope filters cannot name a site, and one scope per site would have to be declared in
the hub's configuration whenever a site is added, so the per-site half lives in the service.
"""

from __future__ import annotations

import enum
from typing import Any

SERVICE_NAME = "obshub"
ACCESS = f"access:services!service={SERVICE_NAME}"

ADMIN = "custom:obshub:admin"
OWN = "custom:obshub:sites:own"
CONFIGURE = "custom:obshub:instruments:configure"
OBSERVE = "custom:obshub:observe"
READ = "custom:obshub:read"
READ_ALL = "custom:obshub:read:all"
SCHEDULER = "custom:obshub:scheduler"

CUSTOM_SCOPES: dict[str, dict[str, Any]] = {
    ADMIN: {
        "description": "Administer obshub: every site, every grant, every frame.",
        "subscopes": [OWN, CONFIGURE, OBSERVE, READ, READ_ALL, SCHEDULER],
    },
    OWN: {
        "description": "Own sites (those an administrator granted): grant users access to them.",
        "subscopes": [CONFIGURE, OBSERVE, READ],
    },
    CONFIGURE: {
        "description": "Edit the instrument configuration and scripts of granted ports.",
        "subscopes": [READ],
    },
    OBSERVE: {
        "description": "Submit observing requests and, with a lease, control granted telescopes.",
        "subscopes": [READ],
    },
    READ: {"description": "Read status, plans and own frames of granted sites."},
    READ_ALL: {
        "description": "Read status and plans of every site (dashboards, club displays).",
        "subscopes": [READ],
    },
    SCHEDULER: {"description": "Act as a site's scheduler/executor: pre-empting leases."},
}

ALL_CUSTOM = list(CUSTOM_SCOPES)


class Right(enum.StrEnum):
    """What a grant allows on a site or one of its telescopes."""

    view = "view"
    observe = "observe"
    control = "control"
    configure = "configure"
    own = "own"


# A grant of the key right also gives these.
IMPLIES: dict[Right, set[Right]] = {
    Right.view: {Right.view},
    Right.observe: {Right.view, Right.observe},
    Right.control: {Right.view, Right.observe, Right.control},
    Right.configure: {Right.view, Right.configure},
    Right.own: set(Right),
}

# The role scope each right also needs from JupyterHub (or the standalone token file).
NEEDS_SCOPE: dict[Right, str] = {
    Right.view: READ,
    Right.observe: OBSERVE,
    Right.control: OBSERVE,
    Right.configure: CONFIGURE,
    Right.own: OWN,
}

_BASE_USER = [ACCESS, "read:users:groups!user", "read:users:name!user"]

# JupyterHub roles (``c.JupyterHub.load_roles``); users are filled in by the hub config.
ROLES: dict[str, dict[str, Any]] = {
    "obshub-admin": {
        "description": "obshub system administrator",
        "scopes": [*_BASE_USER, ADMIN, "self"],
    },
    "obshub-site-owner": {
        "description": "Owns sites and grants access to them",
        "scopes": [*_BASE_USER, OWN, "self"],
    },
    "obshub-configurer": {
        "description": "Edits instrument configurations of granted ports",
        "scopes": [*_BASE_USER, CONFIGURE, OBSERVE, "self"],
    },
    "obshub-observer": {
        "description": "Submits requests; controls granted telescopes with a lease",
        "scopes": [*_BASE_USER, OBSERVE, "self"],
    },
    "obshub-club-viewer": {
        "description": "Read-only club member: dashboards, no notebook server",
        "scopes": [*_BASE_USER, READ],
    },
    "obshub-dashboard": {
        "description": "Read-only status, plan, queue of every site (Voila dashboards' token)",
        "scopes": [ACCESS, READ_ALL],
    },
    "obshub-scheduler": {
        "description": "The night executor and scheduler services: scheduler leases",
        "scopes": [ACCESS, SCHEDULER, READ_ALL],
    },
}

# What standalone tokens (no hub) may name instead of a scope list.
ROLE_SCOPES: dict[str, list[str]] = {
    "admin": [ADMIN],
    "site-owner": [OWN],
    "configurer": [CONFIGURE, OBSERVE],
    "observer": [OBSERVE],
    "club-viewer": [READ],
    "dashboard": [READ_ALL],
    "scheduler": [SCHEDULER, READ_ALL],
}


def expand(scopes: set[str] | list[str]) -> set[str]:
    """Scopes plus every subscope they imply."""
    out: set[str] = set()
    todo = list(scopes)
    while todo:
        s = todo.pop()
        if s in out:
            continue
        out.add(s)
        todo.extend(CUSTOM_SCOPES.get(s, {}).get("subscopes", []))
    return out
