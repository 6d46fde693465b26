"""``obshub hub``: the session hub is started through it (see conftest), so it is tested for
real: here its banner; its clean stop on SIGTERM is asserted when the session fixture ends."""

from __future__ import annotations

import argparse

import pytest

from obshub.cli.hub import banner, hub_env
from obshub.errors import ObshubError


def test_banner_names_the_url_and_demo_logins(hub):
    text = hub.log.read_text()
    assert f"obshub hub: {hub.url}" in text
    assert f"API docs: {hub.url}services/obshub/api/v1/docs" in text
    for user in ("admin", "olivia", "carl", "alice", "bob", "vera"):
        assert f"    {user}" in text


def test_native_banner_and_missing_station(tmp_path):
    args = argparse.Namespace(
        station=[str(tmp_path / "nope.yaml")], ip=None, port=None, auth="native"
    )
    with pytest.raises(ObshubError, match="station file not found"):
        hub_env(args)
    text = banner({"OBSHUB_AUTH": "native", "OBSHUB_HUB_PORT": "9000"})
    assert "http://127.0.0.1:9000/" in text and "/hub/authorize" in text
