"""The service's settings, read from the environment (the hub passes them to its services).

=============================  ===============================================================
``OBSHUB_STATIONS``            station files, separated by ``:`` (one site per file)
``OBSHUB_SERVICE_DB``          SQLAlchemy URL; ``sqlite:///$OBSHUB_HOME/service.sqlite`` default
``OBSHUB_FRAMES_DIR``          where FITS frames are (``<site>/<night>/*.fits``)
``OBSHUB_PLANS_DIR``           the scheduler's plans, ``<site>.json``
``OBSHUB_SERVICE_TOKENS``      standalone mode: a YAML file of API tokens (see docs/service.md)
``OBSHUB_SEED_GRANTS``         JSON list of grants made at start-up if missing
``OBSHUB_SCHEDULER_POLICY``    ``preempt`` or ``wait``: the scheduler vs a manual lease
``OBSHUB_LEASE_DEFAULT_S``     a lease's default length (600 s)
``OBSHUB_LEASE_MAX_S``         the longest lease (3600 s)
``OBSHUB_STATUS_CACHE_S``      how long one station status read is shared (1 s)
``JUPYTERHUB_SERVICE_PREFIX``  the URL prefix (set by the hub; ``/`` standalone)
=============================  ===============================================================
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from obshub.errors import ConfigError
from obshub.sim.paths import state_dir


@dataclass
class Settings:
    """Everything the service needs to start."""

    stations: list[Path] = field(default_factory=list)
    db_url: str = ""
    frames_dir: Path = Path()
    plans_dir: Path = Path()
    prefix: str = "/"
    tokens_file: Path | None = None
    seed_grants: list[dict[str, Any]] = field(default_factory=list)
    scheduler_policy: str = "preempt"
    lease_default_s: float = 600.0
    lease_max_s: float = 3600.0
    status_cache_s: float = 1.0
    hub: bool = False

    @property
    def api_prefix(self) -> str:
        return self.prefix.rstrip("/") + "/api/v1"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        e = dict(os.environ if env is None else env)
        home = state_dir()
        problems: list[tuple[str, str]] = []
        try:
            seed = json.loads(e.get("OBSHUB_SEED_GRANTS") or "[]")
            if not isinstance(seed, list):
                raise ValueError("expected a JSON list")
        except ValueError as exc:
            problems.append(("OBSHUB_SEED_GRANTS", str(exc)))
            seed = []
        policy = e.get("OBSHUB_SCHEDULER_POLICY", "preempt")
        if policy not in ("preempt", "wait"):
            problems.append(("OBSHUB_SCHEDULER_POLICY", f"preempt or wait, not {policy!r}"))

        def number(key: str, default: float) -> float:
            try:
                v = float(e.get(key) or default)
                if v <= 0:
                    raise ValueError
                return v
            except ValueError:
                problems.append((key, "expected a positive number of seconds"))
                return default

        s = cls(
            stations=[Path(p) for p in (e.get("OBSHUB_STATIONS") or "").split(os.pathsep) if p],
            db_url=e.get("OBSHUB_SERVICE_DB") or f"sqlite:///{home / 'service.sqlite'}",
            frames_dir=Path(e.get("OBSHUB_FRAMES_DIR") or home / "frames"),
            plans_dir=Path(e.get("OBSHUB_PLANS_DIR") or home / "plans"),
            prefix=e.get("JUPYTERHUB_SERVICE_PREFIX") or e.get("OBSHUB_SERVICE_PREFIX") or "/",
            tokens_file=Path(e["OBSHUB_SERVICE_TOKENS"])
            if e.get("OBSHUB_SERVICE_TOKENS")
            else None,
            seed_grants=seed,
            scheduler_policy=policy,
            lease_default_s=number("OBSHUB_LEASE_DEFAULT_S", 600.0),
            lease_max_s=number("OBSHUB_LEASE_MAX_S", 3600.0),
            status_cache_s=number("OBSHUB_STATUS_CACHE_S", 1.0),
            hub=bool(e.get("JUPYTERHUB_API_TOKEN") and e.get("JUPYTERHUB_API_URL")),
        )
        if not s.prefix.startswith("/"):
            problems.append(("JUPYTERHUB_SERVICE_PREFIX", "must start with /"))
        if not s.hub and s.tokens_file is None:
            problems.append(
                ("OBSHUB_SERVICE_TOKENS", "standalone (no hub) needs a token file to authenticate")
            )
        if problems:
            raise ConfigError("obshub service environment", problems)
        return s
