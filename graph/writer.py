"""Writes forwarded to the one process that writes to an embedded store.

An Oxigraph store on disk takes one writing process: a server with several workers opens it read-write in
worker 0 only, and read-only in the others (graph/oxigraph.py). A reader's ``ValueGraph`` hands each write
(``sync``, ``sync_parts``) to worker 0 over a Unix socket that only the server's processes can open (a
private folder, and a key each connection proves it holds), and returns worker 0's report or raises its
error: a write through any worker is planned, checked and committed once, by the writer, with the same
all-or-nothing semantics and the same errors as in one process. The caller's identity travels as the
revision's author; what the caller may write was checked by the worker that took the request (every
worker has the same keys).
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import tempfile
import threading
from multiprocessing.connection import Client, Connection, Listener

from valuegraph.graph.errors import StoreError, StoreUnavailable, ValueGraphError
from valuegraph.graph.model import Document, SyncMode, SyncReport

_log = logging.getLogger("valuegraph.workers")

#: the writes a reader forwards, by name: nothing else can be asked of the writer
_WRITES = frozenset({"sync", "sync_parts"})


class WriteServer:
    """Serves ``graph``'s writes to the server's other workers, a thread per connection."""

    def __init__(self, graph, address: str, authkey: bytes) -> None:
        self.graph = graph
        self.address = address
        # the socket is made in a folder only this user can enter (see ``socket_folder``); one left there by
        # a writer that died is replaced
        with contextlib.suppress(FileNotFoundError):
            os.unlink(address)
        self._listener = Listener(address, family="AF_UNIX", authkey=authkey)
        self._thread = threading.Thread(target=self._accept, name="valuegraph-writes", daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection = self._listener.accept()
            except OSError:  # closed
                return
            except Exception as exc:  # noqa: BLE001 - a peer that failed the key check: refused, keep serving
                _log.warning("a connection to the write socket was refused: %s", exc)
                continue
            threading.Thread(target=self._serve, args=(connection,), name="valuegraph-write", daemon=True).start()

    def _serve(self, connection: Connection) -> None:
        with connection:
            while True:
                try:
                    name, args, kwargs = connection.recv()
                except (EOFError, OSError):
                    return
                if name not in _WRITES:
                    answer = ("error", StoreError(f"{name!r} is not a write another worker may forward"))
                else:
                    try:
                        answer = ("ok", getattr(self.graph, name)(*args, **kwargs))
                    except Exception as exc:  # noqa: BLE001 - every error goes back to the worker that asked
                        answer = ("error", _portable(exc))
                try:
                    connection.send(answer)
                except (OSError, ValueError):
                    return

    def close(self) -> None:
        self._listener.close()


def _portable(exc: Exception) -> Exception:
    """The error as the asking worker can raise it: itself when it crosses processes intact, else a
    StoreError with its message (an error only a bug makes)."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:  # noqa: BLE001
        return StoreError(str(exc)) if isinstance(exc, ValueGraphError) else StoreError(f"the write failed: {exc}")
    return exc


class WriteForwarder:
    """A reader's way to the writer: connections kept for reuse, one per write under way."""

    def __init__(self, address: str, authkey: bytes) -> None:
        self.address = address
        self._authkey = authkey
        self._idle: list[Connection] = []
        self._lock = threading.Lock()

    def _call(self, name: str, *args, **kwargs):
        with self._lock:
            connection = self._idle.pop() if self._idle else None
        try:
            if connection is None:
                connection = Client(self.address, family="AF_UNIX", authkey=self._authkey)
            connection.send((name, args, kwargs))
            outcome, value = connection.recv()
        except (OSError, EOFError) as exc:
            if connection is not None:
                connection.close()
            # the writer is down (or being replaced): nothing was written if it never answered… unless it died
            # after committing, which a later read shows; the caller may try again either way
            raise StoreUnavailable(f"the worker that writes to the store does not answer ({exc}); try again") from exc
        with self._lock:
            self._idle.append(connection)
        if outcome == "error":
            raise value
        return value

    def sync(self, doc: Document, source: str | None, mode: SyncMode, dry_run: bool, author: str) -> SyncReport:
        return self._call("sync", doc, source, mode, dry_run=dry_run, author=author)

    def sync_parts(self, parts: list[Document], source: str | None, mode: SyncMode, dry_run: bool,
                   author: str) -> SyncReport:
        return self._call("sync_parts", parts, source, mode, dry_run=dry_run, author=author)

    def close(self) -> None:
        with self._lock:
            for connection in self._idle:
                connection.close()
            self._idle.clear()


def socket_folder(base: str | None = None) -> str:
    """A new folder that only this user may enter, for the write socket."""
    return tempfile.mkdtemp(prefix="valuegraph-", dir=base or os.environ.get("XDG_RUNTIME_DIR"))
