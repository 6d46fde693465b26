"""What ``hub_config/jupyterhub_config.py`` builds its configuration from.

Kept in the package so the hub configuration stays one short file driven by environment
variables, and so tests and ``obshub hub`` use exactly what a deployment uses: the demo users,
the demo authenticator, the roles with their users, and the grants the demo seeds.
"""

from __future__ import annotations

import hmac
import os
from pathlib import Path
from typing import Any

from jupyterhub.auth import Authenticator
from traitlets import Dict, Unicode

from obshub.service import scopes as S
from obshub.service.stations import slug
from obshub.station.load import load_station

# name → (obshub role, groups). Documented in docs/service.md; the password is
# $OBSHUB_DEMO_PASSWORD ("obshub" by default).
DEMO_USERS: dict[str, tuple[str, list[str]]] = {
    "admin": ("obshub-admin", []),
    "olivia": ("obshub-site-owner", []),
    "carl": ("obshub-configurer", []),
    "alice": ("obshub-observer", []),
    "bob": ("obshub-observer", []),
    "vera": ("obshub-club-viewer", ["club"]),
}


class DemoAuthenticator(Authenticator):
    """Fixed demo users sharing one password: for trying obshub out, never for a real site."""

    password = Unicode("obshub", config=True, help="the demo users' password")
    users = Dict(config=True, help="allowed demo user names (keys)")

    async def authenticate(self, handler: Any, data: dict[str, str]) -> str | None:
        name = (data.get("username") or "").strip()
        ok = hmac.compare_digest((data.get("password") or "").encode(), self.password.encode())
        if name in (self.users or DEMO_USERS) and ok:
            return name
        return None


def site_ids(stations: list[str]) -> list[tuple[str, list[str]]]:
    """``(site id, telescopes)`` of each station file, as the service will name them."""
    out = []
    for p in stations:
        cfg = load_station(p)
        out.append((slug(cfg.site.name), [m.name for m in cfg.mounts]))
    return out


def demo_grants(stations: list[str]) -> list[dict[str, Any]]:
    """The demo's grants: olivia owns every site; on the first site carl configures, alice and
    bob control its first telescope and the club group views it. Later sites are "other" sites
    for everyone but olivia (and the admin, who needs no grant)."""
    sites = site_ids(stations)
    out: list[dict[str, Any]] = [
        {"principal": "user:olivia", "site": sid, "right": "own"} for sid, _ in sites
    ]
    if sites:
        first, tels = sites[0]
        out += [
            {"principal": "user:carl", "site": first, "right": "configure"},
            {"principal": "user:carl", "site": first, "right": "observe"},
            {"principal": "group:club", "site": first, "right": "view"},
        ]
        for user in ("alice", "bob"):
            out.append(
                {
                    "principal": f"user:{user}",
                    "site": first,
                    "right": "control",
                    "telescope": tels[0],
                }
            )
    return out


def roles(
    members: dict[str, list[str]], services: dict[str, list[str]] | None = None
) -> list[dict[str, Any]]:
    """``c.JupyterHub.load_roles``: obshub's roles with their users (and services).

    The default ``user`` role is replaced by one without ``self``: a plain (club) member has no
    notebook server and reaches obshub read-only; roles that need a server include ``self``.
    """
    out = [
        {
            "name": "user",
            "description": "every user: read-only access to the obshub service",
            "scopes": [S.ACCESS, "read:users:name!user", "read:users:groups!user", S.READ],
        }
    ]
    services = services or {}
    for name, role in S.ROLES.items():
        out.append(
            {
                "name": name,
                "description": role["description"],
                "scopes": list(role["scopes"]),
                "users": sorted(members.get(name, [])),
                "services": sorted(services.get(name, [])),
            }
        )
    return out


def server_token_scopes() -> list[str]:
    """What a kernel's ``JUPYTERHUB_API_TOKEN`` may carry (intersected with the user's)."""
    return ["users:activity!user", "access:servers!server", S.ACCESS, *S.ALL_CUSTOM]


def venv_bin(name: str) -> str:
    """An executable next to the running interpreter (the hub's services need absolute paths)."""
    import sys

    p = Path(sys.executable).parent / name
    return str(p) if p.exists() else name


def absolute_command(cmd: list[str]) -> list[str]:
    """``["obshub", "observe", …]`` → the venv's ``obshub``: the hub's children lack its PATH."""
    if cmd and not os.path.isabs(cmd[0]):
        return [venv_bin(cmd[0]), *cmd[1:]]
    return cmd


def env_list(name: str) -> list[str]:
    return [x.strip() for x in os.environ.get(name, "").split(",") if x.strip()]
