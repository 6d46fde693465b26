"""The executor's store: blocks and the append-only event log of each night.

SQLite file by default (nothing to start), PostgreSQL by URL (``postgresql+psycopg://…``).
The schema is created and upgraded by the Alembic migrations shipped in this package.
"""

from obshub.store.db import Store, default_url
from obshub.store.derive import BlockState, derive_state
from obshub.store.models import BlockRow, EventRow

__all__ = ["BlockRow", "BlockState", "EventRow", "Store", "default_url", "derive_state"]
