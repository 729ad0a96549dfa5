"""Signing in from a browser, checked over real HTTP (httpx against a served app): the form, the session
and CSRF cookies, their abuse (wrong, oversized or guessed keys, foreign redirects, forged, expired or
revoked sessions, missing CSRF tokens), CORS and the Origin check of WebSockets. The browser itself
(Chromium) is in test_signin_browser.py."""

from __future__ import annotations

import json
import re
import time
from contextlib import contextmanager
from http.cookies import SimpleCookie

import httpx
import pytest
import yaml
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.utils.server import serve_in_thread
from tests.utils.signin import ENTITIES, KEYS, answer, bearer, keys, revisions, session_cookies, sign_in, \
    strategy_graph
from valuegraph.api.auth import hash_key
from valuegraph.api.settings import Settings

DASHBOARD = "http://dashboard.example:3000"
SYNC_DOC = {"entities": [{"id": "PRJ-SIGNIN", "kind": "Project", "name": "Written through a session"}]}
MUTATION = ('mutation { sync(source: "x", document: {entities: [{id: "PRJ-MUT", kind: "Project", '
            'name: "Mutated"}]}) { created } }')


@pytest.fixture(scope="module")
def served():
    graph = strategy_graph()
    # failed sign-ins of this module's tests are many: the limit has its own test and server
    with serve_in_thread(graph, api_keys=keys(), cors_origins=[DASHBOARD], signin_max_failures=1000,
                         subscription_poll_seconds=0.05) as url:
        yield graph, url
    graph.close()


def set_cookies(response: httpx.Response) -> dict[str, SimpleCookie]:
    """Each Set-Cookie header of the response, by cookie name, with its attributes."""
    found = {}
    for header in response.headers.get_list("set-cookie"):
        cookie = SimpleCookie()
        cookie.load(header)
        (name,) = cookie.keys()
        found[name] = cookie[name]
    return found


def cookie_header(cookies: dict[str, str]) -> dict:
    return {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}


def with_session(cookies: dict[str, str], csrf: str | None = None) -> dict:
    headers = cookie_header(cookies)
    if csrf is not None:
        headers["X-CSRF-Token"] = csrf
    return headers


def test_the_page_is_a_self_contained_accessible_form(served):
    _, url = served
    page = httpx.get(url + "/signin", params={"next": "/graphql?x=1&y=<2>"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    text = page.text
    assert '<html lang="en">' in text and re.search(r"<title>[^<]*Sign in[^<]*</title>", text)
    assert re.search(r'<form method="post" action="/signin">', text)
    key_input = re.search(r"<input id=\"api-key\"[^>]*>", text, re.S).group(0)
    for attribute in ('name="key"', 'type="password"', 'data-testid="api-key"'):
        assert attribute in key_input
    assert '<label for="api-key">' in text
    # next is kept, escaped
    assert '<input type="hidden" name="next" value="/graphql?x=1&amp;y=&lt;2&gt;">' in text
    # nothing loaded from elsewhere, nothing run; the policy says so to the browser too
    assert "<script" not in text and not re.search(r"(src|href)=", text)
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy and "form-action 'self'" in policy


def test_a_read_key_signs_in_with_two_cookies_that_never_hold_the_key(served):
    _, url = served
    response = sign_in(url, KEYS["reader"], "/healthz?from=signin")
    assert response.status_code == 303 and response.headers["location"] == "/healthz?from=signin"
    cookies = set_cookies(response)
    assert set(cookies) == {"vg_session", "vg_csrf"}
    session, csrf = cookies["vg_session"], cookies["vg_csrf"]
    assert session["httponly"] and session["samesite"].lower() == "strict" and session["path"] == "/"
    assert not csrf["httponly"] and csrf["samesite"].lower() == "strict" and csrf["path"] == "/"
    assert not session["secure"] and not csrf["secure"]  # the request came over http
    for value in (session.value, csrf.value):
        assert KEYS["reader"] not in value and hash_key(KEYS["reader"]).split(":")[1] not in value
    assert len(csrf.value) >= 32
    # the cookie opens what a Bearer key opens: a page, and GraphQL (a POST, so with the CSRF token)
    signed_in = session_cookies(response)
    assert httpx.get(url + "/healthz?from=signin", headers=cookie_header(signed_in)).json() == {"status": "ok"}
    got = httpx.post(url + "/graphql", json={"query": ENTITIES}, headers=with_session(signed_in, csrf.value))
    assert got.status_code == 200 and got.json() == answer(url, "reader")
    assert got.json()["data"]["entities"]["totalCount"] > 0
    # and so does GraphQL over GET, which only reads: no CSRF token needed
    got = httpx.get(url + "/graphql", params={"query": ENTITIES}, headers=cookie_header(signed_in))
    assert got.status_code == 200 and got.json() == answer(url, "reader")


def test_each_sign_in_is_a_new_session_with_its_own_token(served):
    _, url = served
    first, second = (session_cookies(sign_in(url, KEYS["reader"])) for _ in range(2))
    assert first["vg_session"] != second["vg_session"] and first["vg_csrf"] != second["vg_csrf"]
    # one session's CSRF token does not serve another
    crossed = httpx.post(url + "/graphql", json={"query": ENTITIES}, headers=with_session(first, second["vg_csrf"]))
    assert crossed.status_code == 403 and crossed.json()["code"] == "CSRF_TOKEN_INVALID"


def test_over_https_the_cookies_are_secure(served):
    _, url = served
    # the server trusts its local proxy's X-Forwarded-Proto (uvicorn's proxy headers)
    cookies = set_cookies(sign_in(url, KEYS["reader"], **{"X-Forwarded-Proto": "https"}))
    assert cookies["vg_session"]["secure"] and cookies["vg_csrf"]["secure"]


@pytest.mark.parametrize("key", ["", "not-a-key", KEYS["reader"] + "x", KEYS["reader"].upper(), "x" * 3000])
def test_a_wrong_key_is_the_page_again_with_an_error_and_no_cookie(served, key):
    _, url = served
    response = sign_in(url, key, "/healthz")
    assert response.status_code == 401 and "set-cookie" not in response.headers
    assert 'role="alert"' in response.text and "not known" in response.text
    assert '<input type="hidden" name="next" value="/healthz">' in response.text  # kept for the next try


def test_a_sign_in_form_posted_from_another_origin_is_refused(served):
    _, url = served
    for origin in ("http://evil.example", "null", url.replace("127.0.0.1", "localhost")):
        response = sign_in(url, KEYS["reader"], "/", Origin=origin)
        assert response.status_code == 403 and "set-cookie" not in response.headers
    assert sign_in(url, KEYS["reader"], "/", Origin=url).status_code == 303  # from its own page


def test_a_key_without_the_read_scope_cannot_sign_in(served):
    _, url = served
    response = sign_in(url, KEYS["bot"])
    assert response.status_code == 403 and "set-cookie" not in response.headers
    assert "may not read" in response.text


@pytest.mark.parametrize(("body", "content_type", "status"), [
    (b"key=" + b"k" * 5000, "application/x-www-form-urlencoded", 413),
    (json.dumps({"key": KEYS["reader"]}).encode(), "application/json", 415),
    (b"key=%ff%fe", "application/x-www-form-urlencoded", 400),
    ("&".join(f"f{i}=1" for i in range(20)).encode(), "application/x-www-form-urlencoded", 400),
])
def test_a_form_too_large_or_not_a_form_is_refused(served, body, content_type, status):
    _, url = served
    response = httpx.post(url + "/signin", content=body, headers={"Content-Type": content_type})
    assert response.status_code == status and "set-cookie" not in response.headers
    assert 'role="alert"' in response.text


def test_a_streamed_body_is_cut_at_the_limit(served):
    _, url = served

    def chunks():  # no Content-Length: the limit is counted while reading
        yield b"key="
        for _ in range(100):
            yield b"k" * 1000

    response = httpx.post(url + "/signin", content=chunks(),
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413


@pytest.mark.parametrize(("given", "goes_to"), [
    ("//evil.example", "/"), ("https://evil.example", "/"), ("https://evil.example/path", "/"),
    ("/\\evil.example", "/"), ("javascript:alert(1)", "/"), ("evil.example", "/"), ("", "/"), (None, "/"),
    ("/\t/evil.example", "/"), ("///evil.example", "/"),
    ("/graphql?query=%7B%7D", "/graphql?query=%7B%7D"), ("/pages/x#top", "/pages/x#top"),
])
def test_next_is_a_path_of_this_server_or_the_root(served, given, goes_to):
    _, url = served
    response = sign_in(url, KEYS["reader"], given)
    assert response.status_code == 303 and response.headers["location"] == goes_to
    page = httpx.get(url + "/signin", params={} if given is None else {"next": given})
    assert re.search(r'name="next" value="([^"]*)"', page.text).group(1).replace("&amp;", "&") == goes_to


def test_a_cookie_write_needs_the_csrf_token(served):
    graph, url = served
    writer = session_cookies(sign_in(url, KEYS["writer"]))
    before, entities = revisions(graph), answer(url, "writer")
    for csrf, code in ((None, "CSRF_TOKEN_MISSING"), ("", "CSRF_TOKEN_MISSING"), ("forged", "CSRF_TOKEN_INVALID")):
        for response in (
                httpx.post(url + "/api/v1/sync/x", json=SYNC_DOC, headers=with_session(writer, csrf)),
                httpx.post(url + "/graphql", json={"query": MUTATION}, headers=with_session(writer, csrf)),
                httpx.post(url + "/graphql", json={"query": ENTITIES}, headers=with_session(writer, csrf))):
            assert response.status_code == 403, response.text
            body = response.json()
            assert body["code"] == code and "X-CSRF-Token" in body["detail"] and body["requestId"]
    # a mutation over GET is refused whoever asks (GET only reads, so it needs no token)
    response = httpx.get(url + "/graphql", params={"query": MUTATION}, headers=cookie_header(writer))
    assert response.status_code == 400 and "mutations are not allowed" in response.text
    assert revisions(graph) == before and answer(url, "writer") == entities
    # with the token the same session writes
    response = httpx.post(url + "/api/v1/sync/x", json=SYNC_DOC, headers=with_session(writer, writer["vg_csrf"]))
    assert response.status_code == 200 and response.json()["created"] == 1
    assert revisions(graph) == before + 1
    assert graph.store.sources() and "PRJ-SIGNIN" in json.dumps(answer(url, "writer"))


def test_a_bearer_key_is_as_before_whatever_cookie_comes_with_it(served):
    _, url = served
    headers = {**bearer("reader"), "Cookie": "vg_session=garbage; vg_csrf=garbage"}
    response = httpx.post(url + "/graphql", json={"query": ENTITIES}, headers=headers)
    assert response.status_code == 200 and response.json() == answer(url, "reader")
    response = httpx.post(url + "/graphql", json={"query": ENTITIES},
                          headers={"Authorization": "Bearer wrong", "Cookie": "vg_session=garbage"})
    assert response.status_code == 401 and response.json()["detail"] == "this API key is not known"


def test_without_a_key_or_session_nothing_is_answered(served):
    _, url = served
    for response in (httpx.post(url + "/graphql", json={"query": ENTITIES}), httpx.get(url + "/healthz")):
        assert response.status_code == 401 and "data" not in response.json()
        assert "/signin" in response.json()["detail"]


@pytest.mark.parametrize("tamper", [
    lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),  # the signature
    lambda token: "x" + token,  # the payload
    lambda token: token.split(".")[0],  # no signature
    lambda token: "a" * 2000,
    lambda token: "",
])
def test_a_forged_session_is_refused(served, tamper):
    _, url = served
    signed_in = session_cookies(sign_in(url, KEYS["reader"]))
    forged = {**signed_in, "vg_session": tamper(signed_in["vg_session"])}
    response = httpx.get(url + "/healthz", headers=cookie_header(forged))
    assert response.status_code == 401 and "sign in again" in response.json()["detail"]


def test_signing_out_clears_the_cookies_and_ends_the_session(served):
    _, url = served
    signed_in = session_cookies(sign_in(url, KEYS["reader"]))
    refused = httpx.post(url + "/signout", headers=cookie_header(signed_in))
    assert refused.status_code == 403 and refused.json()["code"] == "CSRF_TOKEN_MISSING"
    assert httpx.get(url + "/healthz", headers=cookie_header(signed_in)).status_code == 200  # still signed in
    response = httpx.post(url + "/signout", headers=with_session(signed_in, signed_in["vg_csrf"]))
    assert response.status_code == 204
    cleared = set_cookies(response)
    assert set(cleared) == {"vg_session", "vg_csrf"}
    assert all(c.value == "" and c["max-age"] == "0" for c in cleared.values())
    # a copy of the cookie kept elsewhere no longer opens anything
    assert httpx.get(url + "/healthz", headers=cookie_header(signed_in)).status_code == 401
    # signing out without a session just clears the cookies
    assert httpx.post(url + "/signout").status_code == 204


def test_a_session_expires():
    graph = strategy_graph()
    with serve_in_thread(graph, api_keys=keys(), session_hours=1 / 3600) as url:  # one second
        signed_in = session_cookies(sign_in(url, KEYS["reader"]))
        assert httpx.get(url + "/healthz", headers=cookie_header(signed_in)).status_code == 200
        time.sleep(2.5)
        response = httpx.get(url + "/healthz", headers=cookie_header(signed_in))
        assert response.status_code == 401 and "expired" in response.json()["detail"]
    graph.close()


@contextmanager
def serve_with_keys_file(graph, path, names: list[str], **settings):
    path.write_text(yaml.safe_dump([k.model_dump(mode="json") for k in keys(*names)]))
    with serve_in_thread(graph, api_keys_file=path, session_secret="one secret for every worker", **settings) as url:
        yield url


def test_revoking_the_key_ends_its_sessions(tmp_path):
    graph = strategy_graph()
    keys_file = tmp_path / "keys.yaml"
    with serve_with_keys_file(graph, keys_file, ["reader", "writer"]) as url:
        reader = session_cookies(sign_in(url, KEYS["reader"]))
        writer = session_cookies(sign_in(url, KEYS["writer"]))
    # the same secret and keys: the sessions outlive a restart (or serve on another worker)
    with serve_with_keys_file(graph, keys_file, ["reader", "writer"]) as url:
        assert httpx.get(url + "/healthz", headers=cookie_header(reader)).status_code == 200
    # the reader's key is removed from the configuration: its session ends, the writer's goes on
    with serve_with_keys_file(graph, keys_file, ["writer"]) as url:
        response = httpx.get(url + "/healthz", headers=cookie_header(reader))
        assert response.status_code == 401 and "revoked" in response.json()["detail"]
        assert httpx.get(url + "/healthz", headers=cookie_header(writer)).status_code == 200
    # another secret: no session of the old one is valid
    with serve_in_thread(graph, api_keys=keys(), session_secret="another secret") as url:
        assert httpx.get(url + "/healthz", headers=cookie_header(writer)).status_code == 401
    graph.close()


def test_failed_sign_ins_are_limited_per_client_address():
    graph = strategy_graph()
    with serve_in_thread(graph, api_keys=keys(), signin_max_failures=3, signin_failure_window_seconds=2) as url:
        assert [sign_in(url, "guess-%d" % i).status_code for i in range(3)] == [401, 401, 401]
        limited = sign_in(url, "guess-3")
        assert limited.status_code == 429 and 1 <= int(limited.headers["retry-after"]) <= 2
        assert "Too many" in limited.text
        # while limited even the right key is not checked (a guess that hits must not show)
        right = sign_in(url, KEYS["reader"])
        assert right.status_code == 429 and "set-cookie" not in right.headers
        # another address (as the local proxy reports it) is not limited
        assert sign_in(url, KEYS["reader"], **{"X-Forwarded-For": "198.51.100.7"}).status_code == 303
        time.sleep(2.2)
        assert sign_in(url, KEYS["reader"]).status_code == 303
    graph.close()


def test_without_keys_there_is_nothing_to_sign_in_to_and_cookies_mean_nothing():
    graph = strategy_graph()
    with serve_in_thread(graph) as url:
        page = httpx.get(url + "/signin", params={"next": "/healthz"}, follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"] == "/healthz"
        response = sign_in(url, "anything", "https://evil.example")
        assert response.status_code == 303 and response.headers["location"] == "/"
        assert "set-cookie" not in response.headers
        # a cookie changes nothing: no CSRF token is asked for, as no session is needed
        response = httpx.post(url + "/graphql", json={"query": ENTITIES}, headers={"Cookie": "vg_session=garbage"})
        assert response.status_code == 200 and response.json()["data"]["entities"]["totalCount"] > 0
    graph.close()


def test_cors_lets_the_configured_origins_call_with_a_bearer_key(served):
    _, url = served
    preflight = {"Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "authorization,content-type"}
    allowed = httpx.options(url + "/graphql", headers={"Origin": DASHBOARD, **preflight})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == DASHBOARD
    assert {m.strip() for m in allowed.headers["access-control-allow-methods"].split(",")} == {"GET", "POST",
                                                                                                "OPTIONS"}
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-credentials" not in allowed.headers  # cookies are not for other origins
    for origin in ("http://evil.example", "http://dashboard.example:3001", "https://dashboard.example:3000"):
        denied = httpx.options(url + "/graphql", headers={"Origin": origin, **preflight})
        assert "access-control-allow-origin" not in denied.headers
    # the call itself
    response = httpx.post(url + "/graphql", json={"query": ENTITIES}, headers={"Origin": DASHBOARD, **bearer("reader")})
    assert response.headers["access-control-allow-origin"] == DASHBOARD
    assert response.json() == answer(url, "reader")
    response = httpx.post(url + "/graphql", json={"query": ENTITIES},
                          headers={"Origin": "http://evil.example", **bearer("reader")})
    assert "access-control-allow-origin" not in response.headers


def test_without_cors_origins_there_is_no_cors():
    graph = strategy_graph()
    with serve_in_thread(graph, api_keys=keys()) as url:
        response = httpx.options(url + "/graphql",
                                 headers={"Origin": DASHBOARD, "Access-Control-Request-Method": "POST"})
        assert response.status_code == 405 and "access-control-allow-origin" not in response.headers
    graph.close()


@pytest.mark.parametrize(("value", "message"), [
    ("*", "is not an origin"), ("http://a.example/", "is not an origin"), ("ftp://a.example", "is not an origin"),
    ("http://a.example/path", "is not an origin"),
])
def test_a_cors_origin_must_be_an_origin(value, message, monkeypatch):
    monkeypatch.setenv("VALUEGRAPH_CORS_ORIGINS", f"http://ok.example, {value}")
    with pytest.raises(ValueError, match=message):
        Settings()


def test_cors_origins_are_read_comma_separated(monkeypatch):
    monkeypatch.setenv("VALUEGRAPH_CORS_ORIGINS", " https://A.example ,http://b.example:8080,")
    assert Settings().cors_origins == ["https://a.example", "http://b.example:8080"]


SUBSCRIBE = "subscription { revisionCommitted(afterRevision: 0) { number source } }"


def first_revision(url: str, headers: dict, origin: str | None = None) -> dict:
    with connect(url.replace("http://", "ws://") + "/graphql", subprotocols=["graphql-transport-ws"],
                 additional_headers=headers, origin=origin, open_timeout=10) as ws:
        ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(ws.recv(timeout=10)) == {"type": "connection_ack"}
        ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE}}))
        return json.loads(ws.recv(timeout=10))["payload"]["data"]["revisionCommitted"]


def test_a_websocket_takes_the_session_cookie_from_this_servers_pages_only(served):
    _, url = served
    signed_in = session_cookies(sign_in(url, KEYS["reader"]))
    assert first_revision(url, cookie_header(signed_in), origin=url)["number"] == 1
    assert first_revision(url, cookie_header(signed_in))["number"] == 1  # not a browser: no Origin
    assert first_revision(url, bearer("reader"), origin=DASHBOARD)["number"] == 1  # a configured origin
    for origin, headers in (("http://evil.example", cookie_header(signed_in)),
                            (url.replace("127.0.0.1", "localhost"), cookie_header(signed_in)),
                            ("null", cookie_header(signed_in)),
                            ("http://evil.example", bearer("reader"))):
        with pytest.raises(InvalidStatus) as refused:
            first_revision(url, headers, origin=origin)
        assert refused.value.response.status_code == 403
    with pytest.raises(InvalidStatus) as refused:  # an ended session
        first_revision(url, {"Cookie": "vg_session=garbage"}, origin=url)
    assert refused.value.response.status_code == 401
