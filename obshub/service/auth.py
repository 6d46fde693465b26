"""Who is calling: JupyterHub tokens and OAuth cookies, or a standalone token file.

Inside a hub, every request's token is checked with the hub (``HubOAuth.user_for_token``,
cached for a few minutes by the hub client); the caller must have
``access:services!service=obshub`` — ``user_for_token`` does not check it, so we do. Browsers
log in with OAuth (PKCE) and get a cookie that only authenticates safe (GET) requests: anything
that changes state needs a token header, so a cross-site form cannot act for a logged-in user.

Without a hub, a YAML file lists API tokens with their names, roles or scopes and groups.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import yaml

from obshub.errors import ConfigError
from obshub.service import scopes as S

COOKIE = "obshub-session"


class AuthError(Exception):
    """401 (no or bad credentials) or 403 (known caller, no access)."""

    def __init__(self, status: int, message: str):
        self.status = status
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class Principal:
    """An authenticated caller.

    Attributes
    ----------
    name
        User or service name.
    kind
        ``"user"`` or ``"service"``.
    scopes
        obshub scopes held (expanded with their subscopes).
    groups
        The user's groups (grants can be made to a group).
    """

    name: str
    kind: str = "user"
    scopes: frozenset[str] = field(default_factory=frozenset)
    groups: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.name}"

    @property
    def grant_keys(self) -> list[str]:
        return [self.key, *(f"group:{g}" for g in self.groups)]

    def has(self, scope: str) -> bool:
        return scope in self.scopes

    @property
    def is_admin(self) -> bool:
        return S.ADMIN in self.scopes


def bearer(header: str | None) -> str | None:
    """The token of an ``Authorization: token X`` or ``Bearer X`` header."""
    if not header:
        return None
    parts = header.split(None, 1)
    if len(parts) == 2 and parts[0].lower() in ("token", "bearer") and parts[1].strip():
        return parts[1].strip()
    return None


class Authenticator(Protocol):
    async def principal(self, token: str) -> Principal: ...


class TokenFileAuthenticator:
    """Standalone: tokens listed in a YAML file.

    The file::

        tokens:
          - name: alice
            token: "a-long-random-string"      # or sha256: "<hex digest of the token>"
            roles: [observer]                  # admin, site-owner, configurer, observer,
            groups: [club]                     # club-viewer, dashboard, scheduler
          - name: night-executor
            kind: service
            sha256: "..."
            scopes: [custom:obshub:scheduler]
    """

    def __init__(self, path: Path):
        self.path = path
        self.by_digest: dict[str, Principal] = {}
        try:
            doc = yaml.safe_load(path.read_text()) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(str(path), [("", str(exc))]) from exc
        problems: list[tuple[str, str]] = []
        entries = doc.get("tokens") if isinstance(doc, dict) else None
        if not isinstance(entries, list):
            raise ConfigError(str(path), [("tokens", "expected a list of tokens")])
        for i, e in enumerate(entries):
            where = f"tokens[{i}]"
            if not isinstance(e, dict) or not e.get("name"):
                problems.append((where, "each token needs a name"))
                continue
            digest = e.get("sha256")
            if e.get("token"):
                digest = hashlib.sha256(str(e["token"]).encode()).hexdigest()
            if not digest:
                problems.append((f"{where}.token", "give token or sha256"))
                continue
            scopes: set[str] = set(e.get("scopes") or [])
            for r in e.get("roles") or []:
                if r not in S.ROLE_SCOPES:
                    problems.append((f"{where}.roles", f"unknown role {r!r}"))
                    continue
                scopes.update(S.ROLE_SCOPES[r])
            unknown = [s for s in scopes if s not in S.CUSTOM_SCOPES]
            if unknown:
                problems.append((f"{where}.scopes", f"unknown scopes {unknown}"))
            self.by_digest[str(digest).lower()] = Principal(
                name=str(e["name"]),
                kind=str(e.get("kind", "user")),
                scopes=frozenset(S.expand(scopes)),
                groups=tuple(e.get("groups") or ()),
            )
        if problems:
            raise ConfigError(str(path), problems)

    async def principal(self, token: str) -> Principal:
        digest = hashlib.sha256(token.encode("utf8", "replace")).hexdigest()
        for known, p in self.by_digest.items():
            if hmac.compare_digest(known, digest):
                return p
        raise AuthError(401, "invalid API token")


class HubAuthenticator:
    """Inside a hub: ask JupyterHub who holds a token (HubOAuth, with its cache)."""

    def __init__(self) -> None:
        from jupyterhub.services.auth import HubOAuth

        self.hub = HubOAuth(cache_max_age=60)

    async def principal(self, token: str) -> Principal:
        try:
            model: dict[str, Any] | None = await self.hub.user_for_token(token, sync=False)
        except Exception as exc:  # the hub's client raises tornado errors of its own
            raise AuthError(503, f"cannot reach JupyterHub to check the token: {exc}") from exc
        if not model:
            raise AuthError(401, "invalid or expired token")
        held = set(model.get("scopes") or [])
        if not self.hub.check_scopes(self.hub.access_scopes or {S.ACCESS}, model):
            raise AuthError(
                403, f"{model.get('name')} has no access to the {S.SERVICE_NAME} service"
            )
        return Principal(
            name=str(model.get("name")),
            kind=str(model.get("kind") or "user"),
            scopes=frozenset(S.expand({s for s in held if s in S.CUSTOM_SCOPES})),
            groups=tuple(model.get("groups") or ()),
        )
