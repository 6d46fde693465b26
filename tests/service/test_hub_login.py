"""Logging in to the hub, getting tokens, and reaching the service with them (and via OAuth)."""

from __future__ import annotations

from contextlib import closing

import httpx

from tests.service.conftest import PASSWORD, SITE_A, SITE_B


def _login(hub, user: str, password: str = PASSWORD) -> httpx.Client:
    c = httpx.Client(base_url=hub.url, timeout=30, follow_redirects=False)
    r = c.get("hub/login")
    assert r.status_code == 200
    xsrf = c.cookies.get("_xsrf")
    r = c.post("hub/login", data={"username": user, "password": password, "_xsrf": xsrf})
    if r.status_code != 302:
        c.close()
        raise AssertionError(f"login of {user}: {r.status_code}")
    return c


def test_login_with_demo_password_and_refusal(hub):
    with closing(_login(hub, "alice")) as c:
        assert c.cookies.get("jupyterhub-session-id")
    try:
        _login(hub, "alice", "wrong")
    except AssertionError as exc:
        assert "200" in str(exc) or "403" in str(exc)
    else:
        raise AssertionError("a wrong password logged in")


def test_token_from_session_reaches_service(hub):
    with closing(_login(hub, "alice")) as c:
        xsrf = c.cookies.get("_xsrf")  # rotated by the login
        r = c.post("hub/api/users/alice/tokens", json={"note": "t"}, headers={"X-XSRFToken": xsrf})
        assert r.status_code == 201, r.text
        token = r.json()["token"]
        # Asking for a scope alice lacks is refused by the hub.
        r = c.post(
            "hub/api/users/alice/tokens",
            json={"scopes": ["custom:obshub:admin"]},
            headers={"X-XSRFToken": xsrf},
        )
        assert r.status_code == 400
    me = httpx.get(hub.api + "/me", headers={"Authorization": f"token {token}"}).json()
    assert me["name"] == "alice"
    assert "custom:obshub:observe" in me["scopes"]
    assert any(g["site"] == SITE_A and g["right"] == "control" for g in me["grants"])


def test_browser_oauth_login_gives_cookie_for_reads_only(hub):
    with closing(_login(hub, "vera")) as c:
        r = c.get("services/obshub/")
        # Not yet logged in to the service: to its login, then the hub's authorize page.
        for _ in range(8):
            if r.status_code not in (301, 302, 303):
                break
            r = c.get(r.headers["location"])
        assert r.status_code == 200, r.text
        assert "vera" in r.text
        assert c.get(f"services/obshub/api/v1/sites/{SITE_A}").status_code == 200
        assert c.get(f"services/obshub/api/v1/sites/{SITE_B}").status_code == 403
        # The cookie never authorises a state change (no CSRF through it).
        r = c.put(f"services/obshub/api/v1/sites/{SITE_A}/telescopes/main/lease", json={})
        assert r.status_code == 401


def test_unauthenticated_and_no_access(hub):
    r = httpx.get(hub.api + "/me")
    assert r.status_code == 401
    assert r.json()["type"] == "unauthenticated"
    # alice's token without access to the obshub service
    with hub.client("alice", scopes=["read:users:name!user"]) as c:
        r = c.get("/me")
        assert r.status_code == 403
        assert "access" in r.json()["message"]
    with httpx.Client(headers={"Authorization": "token not-a-token"}) as c:
        assert c.get(hub.api + "/me").status_code == 401


def test_hub_and_service_databases_are_postgresql(hub):
    import pytest

    url = hub.env.get("OBSHUB_HUB_DB_URL")
    if not url:
        pytest.skip("PostgreSQL is not installed: the hub runs on SQLite")
    import sqlalchemy as sa

    for db_url, query in (
        (url, "SELECT name FROM users"),
        (hub.env["OBSHUB_SERVICE_DB"], "SELECT principal FROM obshub_grants"),
    ):
        engine = sa.create_engine(db_url)
        with engine.connect() as conn:
            names = {r[0] for r in conn.execute(sa.text(query))}
        engine.dispose()
        assert {"alice", "user:alice"} & names, names


def test_api_docs_are_served_offline(hub):
    page = httpx.get(hub.api + "/docs", timeout=30)
    assert page.status_code == 200
    assert "cdn.jsdelivr" not in page.text and "/docs-assets/swagger-ui-bundle.js" in page.text
    js = httpx.get(hub.api + "/docs-assets/swagger-ui-bundle.js", timeout=30)
    assert js.status_code == 200 and len(js.content) > 100_000
    schema = httpx.get(hub.api + "/openapi.json", timeout=30).json()
    assert schema["info"]["title"] == "obshub"
    assert "/services/obshub/api/v1/sites/{site_id}/requests" in schema["paths"]


def test_club_viewer_has_no_notebook_server(hub):
    vera = {"Authorization": f"token {hub.user_token('vera')}"}
    r = httpx.post(f"{hub.url}hub/api/users/vera/server", headers=vera, timeout=30)
    assert r.status_code == 403
    # …while observers' roles include their own server (`self`)
    me = httpx.get(
        f"{hub.url}hub/api/user", headers={"Authorization": f"token {hub.user_token('alice')}"}
    ).json()
    assert any(s.startswith("servers!user") or s == "servers" for s in me["scopes"]), me
