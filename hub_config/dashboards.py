"""obshub's Voila dashboards as JupyterHub-managed services (imported by jupyterhub_config.py).

- ``/services/dashboards/``: public, anonymous; for a club's public page or a screen at the
  observatory.
- ``/services/club-dashboards/``: the same dashboards behind the hub's login; only users with
  access to this service (the club group and every obshub role) get in.

Both hold only the hub's read-only dashboard role (``obshub-dashboard``: read status, plan and
queue of every site) as their token; their kernels never see a user's token. Kernels are culled
when idle and shut down when their page closes.

Environment: ``OBSHUB_DASHBOARDS_PORT`` [8766], ``OBSHUB_CLUB_DASHBOARDS_PORT`` [8767],
``OBSHUB_DASHBOARDS`` (``0`` turns both off), ``OBSHUB_NIGHT_REPORT`` (a report JSON file).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from obshub.dashboards.serve import voila_command

PUBLIC = "dashboards"
CLUB = "club-dashboards"
NAMES = [PUBLIC, CLUB]
CLUB_ACCESS_ROLE = "obshub-club-dashboards"
IDENTITY = "--Voila.identity_provider_class=obshub.dashboards.hubauth.HubIdentityProvider"


def enabled() -> bool:
    return os.environ.get("OBSHUB_DASHBOARDS", "1") not in ("0", "false", "no")


def services(service_url: str, home: str | Path) -> list[dict[str, Any]]:
    """The two Voila services, commands absolute (the hub's children have no venv on PATH).

    Parameters
    ----------
    service_url
        The obshub service's own URL (``http://127.0.0.1:8765/services/obshub/``).
    home
        ``OBSHUB_HOME``.
    """
    if not enabled():
        return []
    env = {
        "OBSHUB_HOME": str(home),
        "OBSHUB_SERVICE_URL": service_url,
        # Voila kernels inherit this: dashboards read through the service, never the devices.
        "OBSHUB_STATION": "",
    }
    if os.environ.get("OBSHUB_NIGHT_REPORT"):
        env["OBSHUB_NIGHT_REPORT"] = os.environ["OBSHUB_NIGHT_REPORT"]
    out = []
    for name, var, default, extra in (
        (PUBLIC, "OBSHUB_DASHBOARDS_PORT", 8766, []),
        (CLUB, "OBSHUB_CLUB_DASHBOARDS_PORT", 8767, [IDENTITY]),
    ):
        port = int(os.environ.get(var, default))
        out.append(
            {
                "name": name,
                "display": True,
                "url": f"http://127.0.0.1:{port}",
                "command": voila_command(port, base_url=f"/services/{name}/", extra=extra),
                "environment": env,
                "oauth_no_confirm": True,
            }
        )
    return out


def roles(members: dict[str, list[str]], groups: list[str]) -> list[dict[str, Any]]:
    """Who may open the club dashboards: the given groups and every user with an obshub role."""
    if not enabled():
        return []
    users = sorted({u for names in members.values() for u in names})
    return [
        {
            "name": CLUB_ACCESS_ROLE,
            "description": "Open the club dashboards (read-only Voila pages)",
            "scopes": [f"access:services!service={CLUB}"],
            "users": users,
            "groups": groups,
        }
    ]
