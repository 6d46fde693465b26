"""Voila behind JupyterHub's login: the hub's identity provider, with its routes under Voila's prefix.

``jupyterhub.singleuser.extension.JupyterHubIdentityProvider`` registers ``/oauth_callback`` and
``/logout`` at the server root, but Voila serves everything under its ``base_url``
(``/services/club-dashboards/``), where the hub sends the OAuth callback: the routes are
prefixed here. The provider admits only users with ``access:services!service=<name>``;
anonymous visitors go to the hub's login page, others get 403.

Used with ``--Voila.identity_provider_class=obshub.dashboards.hubauth.HubIdentityProvider``.
"""

from __future__ import annotations

import os
from typing import Any

from jupyter_server.utils import url_path_join
from jupyterhub.singleuser.extension import JupyterHubIdentityProvider


class HubIdentityProvider(JupyterHubIdentityProvider):
    """JupyterHub OAuth for a Voila service, routes under ``JUPYTERHUB_SERVICE_PREFIX``."""

    def __init__(self, token: str | None = None, **kwargs: Any):
        # Voila passes a token argument; the hub's provider takes its token from the hub.
        super().__init__(**kwargs)

    def get_handlers(self) -> list[tuple[Any, ...]]:
        prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/")
        return [(url_path_join(prefix, path), *rest) for path, *rest in super().get_handlers()]
