"""Data access and views for obshub's Voila dashboards (station status, queue, night report).

The dashboards read from a :class:`~obshub.dashboards.sources.Source`: the service's read-only
endpoints with a read-only token, or local station files and plan/report files for standalone
use (:func:`~obshub.dashboards.sources.source_from_env` picks one from the environment).
"""

from obshub.dashboards.sources import LocalSource, ServiceSource, Source, source_from_env

__all__ = ["LocalSource", "ServiceSource", "Source", "source_from_env"]
