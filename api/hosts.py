"""Which names the server answers to (the Host header): without API keys only loopback names, so that a
page of another site whose name is rebound to 127.0.0.1 (DNS rebinding) reaches nothing; with keys any,
unless VALUEGRAPH_TRUSTED_HOSTS says otherwise. Enforced by Starlette's TrustedHostMiddleware."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware.trustedhost import TrustedHostMiddleware

from valuegraph.api.auth import KeyRing
from valuegraph.api.settings import Settings, host_name

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
#: addresses that mean "every interface" rather than a name a request could be sent to
WILDCARD_ADDRESSES = frozenset({"", "0.0.0.0", "::", "[::]", "*"})


def trusted_hosts(settings: Settings, keys: KeyRing) -> list[str]:
    """The Host names requests may carry: the setting, or by default loopback names and the address the
    server listens on (without keys), or any (with keys)."""
    if settings.trusted_hosts is not None:
        return settings.trusted_hosts
    if not keys.empty:
        return ["*"]
    listening = host_name(settings.host)
    return [*LOOPBACK_NAMES, *([listening] if listening not in WILDCARD_ADDRESSES | set(LOOPBACK_NAMES) else [])]


def install_trusted_hosts(app: FastAPI, settings: Settings, keys: KeyRing) -> None:
    """A request (or WebSocket) naming another host is answered 400 before anything else."""
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=trusted_hosts(settings, keys), www_redirect=False)
