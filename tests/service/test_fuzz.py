"""Fuzzing the OpenAPI schema through the hub's proxy: never a 5xx, never an unauthorised success.

Bounded: a few examples per operation, as a read-only club member (vera) and anonymously.
"""

from __future__ import annotations

import re

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.openapi import from_dict

from obshub.service.codec import METHODS
from tests.service.conftest import SITE_A

PUBLIC = re.compile(r"/api/v1/(health|methods)$")
READ_METHODS = {m for kind in METHODS.values() for m, spec in kind.items() if not spec.write}


def _operations(hub):
    doc = httpx.get(hub.api + "/openapi.json", timeout=30).json()
    schema = from_dict(doc)
    ops = []
    for result in schema.get_all_operations():
        ops.append(result.ok())
    assert len(ops) >= 20
    return ops


def _fuzz(hub, op, headers: dict[str, str], verdict, seen: list[int]) -> None:
    base = hub.url.rstrip("/")

    @settings(
        max_examples=6,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(case=op.as_strategy())
    def run(case):
        resp = case.call(base_url=base, headers=headers, timeout=60)
        seen.append(resp.status_code)
        assert resp.status_code < 500, (
            f"{case.method} {case.formatted_path}: {resp.status_code} {resp.text}"
        )
        verdict(case, resp)

    run()


@pytest.mark.slow
def test_fuzz_as_read_only_member_and_anonymous(hub):
    vera = {"Authorization": f"token {hub.user_token('vera')}"}
    ops = _operations(hub)

    def read_only(case, resp):
        if not 200 <= resp.status_code < 300:
            return
        path = case.formatted_path
        site = case.path_parameters.get("site_id") if case.path_parameters else None
        assert site in (None, SITE_A), f"unauthorised read of {path}"
        if case.method != "GET":
            # a club viewer may only *read* a device, never change it
            assert path.endswith("/call"), f"unauthorised {case.method} {path}"
            assert case.body["method"] in READ_METHODS, f"unauthorised call {case.body}"

    def anonymous(case, resp):
        path = case.formatted_path
        if PUBLIC.search(path):
            return
        assert resp.status_code in (401, 404, 422), f"{case.method} {path}: {resp.status_code}"
        assert not 200 <= resp.status_code < 300

    as_vera: list[int] = []
    as_anonymous: list[int] = []
    for op in ops:
        _fuzz(hub, op, vera, read_only, as_vera)
        _fuzz(hub, op, {}, anonymous, as_anonymous)
    # The run reached the service: successes, refusals and validation errors all occurred.
    assert {200, 403, 422} <= set(as_vera), sorted(set(as_vera))
    assert 401 in as_anonymous and len(as_vera) > 3 * len(ops)
