"""Signing in from a browser: a form that takes an API key and answers with a session's cookies
(api/sessions.py), and signing out. A page load cannot send an Authorization header; the cookie can."""

from __future__ import annotations

import html
from typing import Annotated
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from valuegraph.api.auth import KeyRing, Scope, hash_key
from valuegraph.api.bodies import BodyTooLarge, read_body
from valuegraph.api.origins import own_origin
from valuegraph.api.sessions import CSRF_COOKIE, SESSION_COOKIE, Sessions, check_csrf, session_of

router = APIRouter(tags=["sign-in"], include_in_schema=False)

#: the sign-in form is two short fields: anything larger is not from it
MAX_FORM_BYTES = 4096
#: keys are about 50 characters; a longer one is not checked
MAX_KEY_CHARS = 512
#: the page loads nothing and runs nothing; its style is inline; it posts only to this server
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "Cache-Control": "no-store",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · valuegraph</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 0; background: #f4f5f7; color: #1c1e21; }}
main {{ max-width: 24rem; margin: 10vh auto; padding: 2rem; background: #fff; border-radius: 8px;
        box-shadow: 0 1px 3px rgba(0, 0, 0, .2); }}
h1 {{ font-size: 1.4rem; margin-top: 0; }}
label {{ display: block; font-weight: 600; margin-bottom: .3rem; }}
input[type=password] {{ width: 100%; box-sizing: border-box; padding: .5rem; font-size: 1rem;
                        border: 1px solid #6b6f76; border-radius: 4px; }}
input:focus, button:focus {{ outline: 3px solid #0b5fff; outline-offset: 1px; }}
.help {{ font-size: .9rem; color: #4a4d52; }}
.error {{ color: #a40e26; background: #fdecee; padding: .6rem; border-radius: 4px; }}
button {{ margin-top: 1rem; padding: .5rem 1.2rem; font-size: 1rem; background: #0b5fff; color: #fff;
          border: 0; border-radius: 4px; cursor: pointer; }}
</style>
</head>
<body>
<main>
<h1>Sign in to valuegraph</h1>
{error}<form method="post" action="/signin">
<input type="hidden" name="next" value="{next}">
<label for="api-key">API key</label>
<input id="api-key" name="key" type="password" data-testid="api-key" autocomplete="current-password"
       required maxlength="{max_key}" aria-describedby="{described}" autofocus>
<p id="api-key-help" class="help">The key your valuegraph administrator gave you. It is not stored in the
browser: you stay signed in for {hours} hours, or until you sign out.</p>
<button type="submit">Sign in</button>
</form>
</main>
</body>
</html>
"""


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path of this server, else "/" (never another site: no scheme, no
    host, no "//" or "/\\" that a browser would read as one)."""
    if not target or len(target) > 2048 or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    if any(ord(c) < 0x20 or c == "\\" for c in target):
        return "/"
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else "/"


def page(request: Request, target: str, error: str | None = None, status: int = 200,
         headers: dict[str, str] | None = None) -> HTMLResponse:
    sessions: Sessions = request.app.state.sessions
    shown = (f'<p id="signin-error" class="error" role="alert">{html.escape(error)}</p>\n' if error else "")
    body = PAGE.format(error=shown, next=html.escape(target, quote=True), max_key=MAX_KEY_CHARS,
                       described="signin-error api-key-help" if error else "api-key-help",
                       hours=f"{sessions.lifetime_seconds / 3600:g}")
    return HTMLResponse(body, status_code=status, headers={**PAGE_HEADERS, **(headers or {})})


@router.get("/signin")
def signin_page(request: Request, target: Annotated[str | None, Query(alias="next")] = None) -> Response:
    """The sign-in form; without keys configured (development) there is nothing to sign in to."""
    target = safe_next(target)
    keys: KeyRing = request.app.state.keys
    if keys.empty:
        return RedirectResponse(target, status_code=303)
    return page(request, target)


class FormRejected(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


async def read_form(request: Request) -> dict[str, str]:
    """The fields of a small url-encoded form (each one's first value), read with a limit on its size."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/x-www-form-urlencoded":
        raise FormRejected(415, "Send the sign-in form as application/x-www-form-urlencoded.")
    try:
        body = await read_body(request, MAX_FORM_BYTES)
    except BodyTooLarge:
        raise FormRejected(413, f"The form is larger than the {MAX_FORM_BYTES} bytes a sign-in takes.") from None
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=8, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise FormRejected(400, "The form is not url-encoded UTF-8 with at most 8 fields.") from None
    return {name: values[0] for name, values in fields.items()}


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post("/signin")
async def signin(request: Request) -> Response:
    """Check the key and start a session: its cookies, and a 303 to ``next``."""
    keys: KeyRing = request.app.state.keys
    limiter = request.app.state.signin_limiter
    client = client_of(request)
    wait = limiter.retry_after(client) if not keys.empty else None
    if wait is not None:
        return page(request, "/", f"Too many failed sign-ins from your address: try again in {wait} s.",
                    status=429, headers={"Retry-After": str(wait)})
    origin = request.headers.get("origin")
    if origin is not None and origin.lower() != own_origin(request) and not keys.empty:
        # a browser names the page a form comes from: another site must not sign its visitor in with a key
        # of its choosing (their later writes would be the attacker's)
        return page(request, "/", "Sign in from this server's own sign-in page.", status=403)
    try:
        form = await read_form(request)
    except FormRejected as rejected:
        if not keys.empty:
            limiter.failed(client)
        return page(request, "/", str(rejected), status=rejected.status)
    target = safe_next(form.get("next"))
    if keys.empty:
        return RedirectResponse(target, status_code=303)
    key = form.get("key", "").strip()
    principal = keys.authenticate(key) if 0 < len(key) <= MAX_KEY_CHARS else None
    if principal is None:
        limiter.failed(client)
        return page(request, target, "This API key is not known. Check it and try again.", status=401)
    if not principal.has(Scope.READ):
        return page(request, target, f"The key '{principal.name}' may not read the graph, so it cannot sign in "
                                     f"to its pages.", status=403)
    sessions: Sessions = request.app.state.sessions
    token, csrf = sessions.start(hash_key(key))
    response = RedirectResponse(target, status_code=303, headers={"Cache-Control": "no-store"})
    secure = request.url.scheme == "https"
    lifetime = max(1, int(sessions.lifetime_seconds))
    response.set_cookie(SESSION_COOKIE, token, max_age=lifetime, path="/", secure=secure, httponly=True,
                        samesite="strict")
    response.set_cookie(CSRF_COOKIE, csrf, max_age=lifetime, path="/", secure=secure, httponly=False,
                        samesite="strict")
    return response


@router.post("/signout", status_code=204)
def signout(request: Request) -> Response:
    """End the session of the cookie (a write like any other: it needs the CSRF header) and clear both
    cookies."""
    session = session_of(request) if not request.app.state.keys.empty else None
    if session is not None:
        check_csrf(request, session)
        request.app.state.sessions.end(session)
    response = Response(status_code=204, headers={"Cache-Control": "no-store"})
    secure = request.url.scheme == "https"
    response.delete_cookie(SESSION_COOKIE, path="/", secure=secure, httponly=True, samesite="strict")
    response.delete_cookie(CSRF_COOKIE, path="/", secure=secure, httponly=False, samesite="strict")
    return response
