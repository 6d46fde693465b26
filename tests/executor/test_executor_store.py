"""The store on SQLite and on a real PostgreSQL server: migrations, append-only log, state."""

from __future__ import annotations

import pytest

from obshub.errors import ObshubError
from obshub.store import Store, derive_state


def test_store_log_and_derived_state(store_url):
    store = Store(store_url)
    try:
        bid = store.block_id("site", "b1", {"name": "b1"})
        assert store.block_id("site", "b1", {"name": "changed"}) == bid
        store.append(bid, "run_started", pid=1, host="h")
        store.append(bid, "frame_started", key="k1")
        store.append(bid, "frame_saved", key="k1", path="/x", sha256="0" * 64)
        store.append(bid, "frame_started", key="k2")
        st = derive_state(store.events(bid))
        assert st.status == "running" and set(st.saved) == {"k1"} and set(st.open_frames) == {"k2"}
        # The database itself refuses a frame saved twice.
        with pytest.raises(ObshubError, match="already saved"):
            store.append(bid, "frame_saved", key="k1", path="/y", sha256="1" * 64)
        store.append(bid, "interrupted", cause="crash")
        store.append(bid, "run_ended", status="completed")
        st = derive_state(store.events(bid))
        assert st.status == "completed" and st.interruptions == 1 and not st.open_frames
        assert [e.kind for e in store.events(bid, kinds=("frame_saved",))] == ["frame_saved"]
    finally:
        store.close()
    # Reopening runs the migrations again: a no-op on an up-to-date schema.
    again = Store(store_url)
    try:
        assert len(again.events()) == 6
    finally:
        again.close()
