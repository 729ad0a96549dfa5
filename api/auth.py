"""API keys: who may read, sync (for which sources), analyse or administer.

Keys are configured as SHA-256 hashes (``valuegraph keys new`` makes one),
from a YAML/JSON file or the ``VALUEGRAPH_API_KEYS`` environment variable; a
key itself is never stored or logged. With no keys configured every request
has every scope (development), and ``valuegraph serve`` refuses to listen on
anything but loopback.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import ipaddress
import secrets
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Scope(str, enum.Enum):
    READ = "read"
    SYNC = "sync"
    ANALYST = "analyst"
    ADMIN = "admin"


class ApiKeyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    hash: str = Field(description="sha256:<hex digest of the key>")
    scopes: list[Scope]
    sources: list[str] | None = Field(None, description="sources a sync key may write; all when absent")

    @field_validator("hash")
    @classmethod
    def _hash_form(cls, value: str) -> str:
        algo, _, digest = value.partition(":")
        if algo != "sha256" or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise ValueError("must be 'sha256:' followed by 64 lower-case hex digits")
        return value


def hash_key(key: str) -> str:
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    return "vg_" + secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Principal:
    name: str
    scopes: frozenset[Scope]
    sources: frozenset[str] | None = None  # None: any source

    def has(self, scope: Scope) -> bool:
        return Scope.ADMIN in self.scopes or scope in self.scopes

    def may_sync(self, source: str) -> bool:
        return self.has(Scope.SYNC) and (Scope.ADMIN in self.scopes or self.sources is None or source in self.sources)


DEVELOPMENT = Principal("development (no API keys configured)", frozenset(Scope))


class KeyRing:
    def __init__(self, keys: list[ApiKeyConfig]) -> None:
        self._by_hash = {k.hash: k for k in keys}

    @property
    def empty(self) -> bool:
        return not self._by_hash

    def __len__(self) -> int:
        return len(self._by_hash)

    @property
    def hashes(self) -> list[str]:
        """The configured keys' hashes (a browser session names its key by one)."""
        return list(self._by_hash)

    def authenticate(self, key: str) -> Principal | None:
        return self.principal_of(hash_key(key))

    def principal_of(self, digest: str) -> Principal | None:
        """The key whose hash is ``digest``, if it is (still) configured."""
        for known, config in self._by_hash.items():
            if hmac.compare_digest(known, digest):
                return Principal(config.name, frozenset(config.scopes),
                                 frozenset(config.sources) if config.sources is not None else None)
        return None

    @classmethod
    def load(cls, file: Path | None, inline: list[ApiKeyConfig]) -> KeyRing:
        keys = list(inline)
        if file is not None:
            import yaml  # only with a keys file: serve's start does without PyYAML otherwise

            try:
                data = yaml.safe_load(file.read_text(encoding="utf-8")) or []
            except (OSError, yaml.YAMLError) as exc:
                raise ValueError(f"cannot read API keys from {file}: {exc}") from exc
            entries = data.get("keys", []) if isinstance(data, dict) else data
            if not isinstance(entries, list):
                raise ValueError(f"{file}: expected a list of keys")
            keys += [ApiKeyConfig.model_validate(entry) for entry in entries]
        return cls(keys)


def is_loopback(host: str) -> bool:
    """Whether a server listening on ``host`` answers this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class OpenServer(ValueError):
    """A server without API keys set to listen beyond loopback, where every request would have every scope."""


def refuse_open_server(host: str, keys: KeyRing) -> None:
    """The rule for a server without keys (development mode): it listens on loopback only. ``host`` is where the
    server listens (settings.host, which `valuegraph serve` passes to uvicorn)."""
    if keys.empty and not is_loopback(host):
        raise OpenServer(
            f"refusing to listen on {host}: no API keys are configured, so every request would have every scope. "
            "Configure keys (VALUEGRAPH_API_KEYS or VALUEGRAPH_API_KEYS_FILE; `valuegraph keys new` makes one) "
            "or listen on 127.0.0.1.")
