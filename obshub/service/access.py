"""Who may do what where: role scopes (from the hub or the token file) and per-site grants.

Each check needs both halves: the role scope for the kind of action (``custom:obshub:observe``
to submit or control, …) and a grant on the site or telescope with a right that implies it. An
administrator needs neither grant. Checks read the grants table on every request, so a grant
withdrawn takes effect at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from obshub.service import scopes as S
from obshub.service.auth import Principal
from obshub.service.db import ServiceDB
from obshub.service.errors import ApiError
from obshub.service.scopes import Right
from obshub.service.stations import Registry, Site


@dataclass
class Access:
    db: ServiceDB
    registry: Registry

    def site(self, site_id: str) -> Site:
        site = self.registry.sites.get(site_id)
        if site is None:
            known = ", ".join(sorted(self.registry.sites))
            raise ApiError(404, f"no site {site_id!r} (known: {known})", "site", "not_found")
        return site

    def telescope(self, site: Site, telescope: str) -> str:
        if telescope not in site.telescopes:
            known = ", ".join(site.telescopes)
            raise ApiError(
                404,
                f"{site.id}: no telescope {telescope!r} (known: {known})",
                "telescope",
                "not_found",
            )
        return telescope

    def grants(self, p: Principal, site: str) -> list[dict[str, Any]]:
        return [g for g in self.db.grants_for(p.grant_keys) if g["site"] == site]

    def rights(self, p: Principal, site: str, telescope: str | None) -> set[Right]:
        """Rights at a telescope (site-wide grants included); ``None``: at the site as a whole."""
        out: set[Right] = set()
        for g in self.grants(p, site):
            if g["telescope"] is None or g["telescope"] == telescope:
                out |= S.IMPLIES[Right(g["right"])]
        return out

    def any_rights(self, p: Principal, site: str) -> set[Right]:
        """Rights anywhere at the site (a telescope grant lets one see the site)."""
        out: set[Right] = set()
        for g in self.grants(p, site):
            out |= S.IMPLIES[Right(g["right"])]
        return out

    def require(
        self,
        p: Principal,
        site: Site,
        right: Right,
        telescope: str | None = None,
        *,
        anywhere: bool = False,
    ) -> None:
        """Raise 403 unless ``p`` may use ``right`` at ``site`` (and ``telescope``).

        Parameters
        ----------
        anywhere
            A grant on any telescope of the site is enough (viewing the site, say).
        """
        if p.is_admin:
            return
        if right is Right.view and p.has(S.READ_ALL):
            return
        if right in (Right.view, Right.control) and p.has(S.SCHEDULER):
            # The executor/scheduler service drives every site it schedules (with the lease).
            return
        scope = S.NEEDS_SCOPE[right]
        if not p.has(scope):
            raise ApiError(
                403,
                f"{p.name} lacks the role scope {scope} needed to {right.value}",
                None,
                "forbidden",
            )
        held = self.any_rights(p, site.id) if anywhere else self.rights(p, site.id, telescope)
        if right not in held:
            where = f"{site.id}/{telescope}" if telescope and not anywhere else site.id
            raise ApiError(
                403, f"{p.name} has no {right.value} grant on {where}", None, "forbidden"
            )

    def allowed(
        self,
        p: Principal,
        site: Site,
        right: Right,
        telescope: str | None = None,
        *,
        anywhere: bool = False,
    ) -> bool:
        try:
            self.require(p, site, right, telescope, anywhere=anywhere)
        except ApiError:
            return False
        return True

    def owns(self, p: Principal, site: Site) -> bool:
        return self.allowed(p, site, Right.own)
