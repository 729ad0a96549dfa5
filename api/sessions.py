"""Browser sessions: a sign-in with an API key (routers/signin.py) becomes two cookies.

``vg_session`` (HttpOnly) is a token signed with the server's secret (itsdangerous) that carries a session id,
a fingerprint of the key (an HMAC of the key's hash under the secret: the cookie tells nothing of the key) and
the session's CSRF token, with the time it was made. The server keeps nothing of a session but the ids of
those signed out before they expire; the key is looked up again at every request, so a key removed from the
configuration ends its sessions, and a session lasts ``session_hours`` at most.

``vg_csrf`` (readable by the page's own scripts, which a page of another site cannot read) is the CSRF token:
a request authenticated by the session cookie whose method may write (anything but GET, HEAD and OPTIONS) must
repeat it in ``X-CSRF-Token``, so a form another page submits with the cookie writes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import HTTPConnection

from valuegraph.api.auth import KeyRing, Principal
from valuegraph.api.errors import ApiError

SESSION_COOKIE = "vg_session"
CSRF_COOKIE = "vg_csrf"
CSRF_HEADER = "X-CSRF-Token"
#: methods that only read: a session cookie alone authenticates them
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: a session token is about 150 characters; anything much longer is not one (and is not verified)
MAX_TOKEN_CHARS = 512


@dataclass(frozen=True)
class Session:
    id: str
    principal: Principal
    csrf: str


class Sessions:
    """Starts, reads and ends the browser sessions of one server's keys."""

    def __init__(self, keys: KeyRing, secret: bytes, lifetime_seconds: float) -> None:
        self._keys = keys
        self._secret = secret
        self._tokens = URLSafeTimedSerializer(secret, salt="valuegraph.session")
        self.lifetime_seconds = lifetime_seconds
        self._key_of = {self._fingerprint(digest): digest for digest in keys.hashes}
        self._ended: dict[str, float] = {}  # session id -> when its token expires anyway
        self._lock = threading.Lock()

    def _fingerprint(self, key_hash: str) -> str:
        return hmac.new(self._secret, key_hash.encode(), hashlib.sha256).hexdigest()

    def start(self, key_hash: str) -> tuple[str, str]:
        """A new session of the key with this hash: (the session cookie's value, its CSRF token)."""
        session_id, csrf = secrets.token_urlsafe(16), secrets.token_urlsafe(32)
        return self._tokens.dumps([session_id, self._fingerprint(key_hash), csrf]), csrf

    def read(self, token: str) -> Session | None:
        """The live session of a cookie's value; None if it is forged, expired, ended or its key is gone."""
        if len(token) > MAX_TOKEN_CHARS:
            return None
        try:
            session_id, fingerprint, csrf = self._tokens.loads(token, max_age=self.lifetime_seconds)
        except (BadSignature, ValueError, TypeError):  # forged, expired, or not the three strings signed above
            return None
        if not all(isinstance(part, str) for part in (session_id, fingerprint, csrf)):
            return None
        with self._lock:
            if session_id in self._ended:
                return None
        key_hash = self._key_of.get(fingerprint)
        principal = self._keys.principal_of(key_hash) if key_hash is not None else None
        return Session(session_id, principal, csrf) if principal is not None else None

    def end(self, session: Session) -> None:
        """Sign out: the session's token is refused from now on (remembered until it would expire anyway)."""
        now = time.time()
        with self._lock:
            self._ended = {sid: until for sid, until in self._ended.items() if until > now}
            self._ended[session.id] = now + self.lifetime_seconds


def session_of(connection: HTTPConnection) -> Session | None:
    """The live session of the request's cookie, if it sends one."""
    token = connection.cookies.get(SESSION_COOKIE)
    return connection.app.state.sessions.read(token) if token else None


def check_csrf(connection: HTTPConnection, session: Session) -> None:
    """A request the session cookie authenticates may write only if it repeats the session's CSRF token."""
    if connection.scope["type"] != "http" or connection.scope["method"] in SAFE_METHODS:
        return
    sent = connection.headers.get(CSRF_HEADER)
    if not sent:
        raise ApiError(403, "CSRF_TOKEN_MISSING",
                       f"a request signed in by cookie that may write must send the {CSRF_COOKIE} cookie's value "
                       f"in the {CSRF_HEADER} header")
    if not hmac.compare_digest(sent.encode(), session.csrf.encode()):
        raise ApiError(403, "CSRF_TOKEN_INVALID",
                       f"the {CSRF_HEADER} header is not this session's token (the {CSRF_COOKIE} cookie's value)")
