"""Holding a telescope's scheduler lease in the obshub service while a block runs.

When the night loop runs as the hub's managed executor, it has the service's URL and a token
with the ``obshub-scheduler`` role. Before each block it takes the telescope's lease with
``{"scheduler": true}`` (a manual holder is pre-empted or makes us wait, as the site's policy
says), so notebooks and the control panel see who has the telescope and cannot move it under
a running block; the lease is released when the block ends.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

import httpx

from obshub.client.http import LeaseError, ServiceClient
from obshub.errors import ObshubError

log = logging.getLogger(__name__)


class ServiceLease:
    """Scheduler leases on one site of the service (``url``/``token`` as :class:`ServiceClient`)."""

    def __init__(self, site: str, url: str | None = None, token: str | None = None):
        self.site = site
        self.url = url
        self.token = token
        self._client: ServiceClient | None = None
        self.warned = False

    @contextlib.asynccontextmanager
    async def hold(self, telescope: str, seconds: float) -> AsyncIterator[bool]:
        """Hold the lease of ``telescope`` (the mount's name) for the block.

        Yields True when held. A telescope a manual user keeps (site policy ``wait``) raises
        :class:`LeaseError`; when the service cannot be reached the block runs without the
        lease (yields False) and that is logged once.
        """
        path = f"sites/{self.site}/telescopes/{telescope}/lease"
        held = False
        try:
            if self._client is None:
                self._client = ServiceClient(self.url, self.token)
            await self._client.put(path, {"duration_s": max(60.0, seconds), "scheduler": True})
            held = True
        except LeaseError:
            raise
        except (ObshubError, OSError, httpx.HTTPError) as exc:
            if not self.warned:
                log.warning(
                    "%s/%s: running without the service's lease: %s", self.site, telescope, exc
                )
                self.warned = True
        try:
            yield held
        finally:
            if held and self._client is not None:
                with contextlib.suppress(ObshubError, OSError, httpx.HTTPError):
                    await self._client.delete(path)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
