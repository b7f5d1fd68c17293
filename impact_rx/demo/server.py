"""An embedded authentication server for the demo, tests and notebooks.

Standard library only: a ``ThreadingHTTPServer`` on 127.0.0.1 with an
ephemeral port, users in SQLite, passwords hashed with ``hashlib.scrypt`` and
a per-user random salt, tokens from ``secrets``. Tokens are stored only as
SHA-256 digests, so the database never holds one in clear, and the request
log names the method, path and status, never a header or a body.

The REST contract (``impact_rx.session.http.HttpAuthApi`` speaks it). Every
body is JSON; every error body is ``{"error": code, "reason": text}``.

``POST /api/session`` — sign in.
    Body ``{"username": str, "password": str}``. ``200`` with a session
    answer (below); ``401`` ``invalid_credentials`` for an unknown user or a
    wrong password (the same reason for both, so a caller cannot probe for
    accounts).
``GET /api/session`` — the current session.
    Header ``Authorization: Bearer <access_token>``. ``200`` with
    ``{"user": {"id", "name"}, "expires_in": seconds_left}``; ``401``
    ``invalid_token`` when the token is missing, unknown, expired or revoked.
``POST /api/session/refresh`` — exchange a refresh token.
    Body ``{"refresh_token": str}``. ``200`` with a new session answer: both
    tokens rotate and the old refresh token is spent. ``401``
    ``invalid_token`` for an unknown or expired one; ``401``
    ``refresh_token_reused`` when a spent one comes back, which also revokes
    every token of that session (someone else may hold a copy).
``DELETE /api/session`` — sign out.
    Header ``Authorization: Bearer <access_token>``. ``204``, and every
    token of the session is revoked; ``401`` ``invalid_token`` as above.

A session answer is ``{"user": {"id": str, "name": str}, "access_token":
str, "refresh_token": str, "token_type": "Bearer", "expires_in": seconds}``.
A body that is not JSON, not an object, or lacks a field answers ``400``
``malformed_request``; a body without a ``Content-Length`` (chunked)
``411`` ``length_required``; an unknown path ``404``, a wrong method
``405``.

Example:
    >>> import httpx
    >>> with AuthServer() as server:
    ...     _ = server.add_user("ada", "correct horse", name="Ada Lovelace")
    ...     answer = httpx.post(
    ...         f"{server.url}/api/session",
    ...         json={"username": "ada", "password": "correct horse"},
    ...     )
    ...     answer.status_code, answer.json()["user"]["name"]
    (200, 'Ada Lovelace')

For tests, ``fail_next`` answers the next requests with a chosen status and
body, ``stall_next`` holds the next request until ``release()`` or
``close()`` (so a client timeout can be tested without sleeping), and the
``clock`` argument makes expiry a matter of moving a number.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Final, final

__all__ = ["AuthServer", "RequestRecord"]

_log = logging.getLogger("impact_rx.demo.server")

SESSION_PATH: Final = "/api/session"
REFRESH_PATH: Final = "/api/session/refresh"

_MAX_BODY = 64 * 1024
_CLOSE_GRACE = 5.0  # seconds close() waits for requests in flight
_SALT_BYTES = 16
_TOKEN_BYTES = 32
_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY,
    username TEXT UNIQUE NOT NULL,
    name TEXT NOT NULL,
    salt BLOB NOT NULL,
    hash BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS families (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    revoked INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS access_tokens (
    digest BLOB PRIMARY KEY,
    family_id TEXT NOT NULL REFERENCES families(id),
    expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS refresh_tokens (
    digest BLOB PRIMARY KEY,
    family_id TEXT NOT NULL REFERENCES families(id),
    expires_at REAL NOT NULL,
    used INTEGER NOT NULL DEFAULT 0
);
"""


_Answer = tuple[int, dict[str, Any] | None]


class _Refusal(Exception):
    """An answer other than success, raised inside a request handler."""

    def __init__(self, status: int, error: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.error = error
        self.reason = reason


@dataclass(frozen=True)
class RequestRecord:
    """One request the server answered; never a header or a body.

    Attributes:
        method: The HTTP method.
        path: The path, without a query string.
        status: The status code answered.
    """

    method: str
    path: str
    status: int


@dataclass(frozen=True)
class _Fault:
    status: int
    body: bytes
    method: str | None

    def matches(self, method: str) -> bool:
        return self.method is None or self.method == method


@final
class AuthServer:
    """A real authentication server on loopback, in a background thread.

    Use it as a context manager (or call ``start()`` and ``close()``); inside,
    ``url`` is where it listens.

    Args:
        access_token_lifetime: Seconds an access token is valid.
        refresh_token_lifetime: Seconds a refresh token is valid.
        clock: Returns the current time in seconds (wall-clock by default,
            so expiry stays meaningful in a database file); pass a fake one
            to expire tokens in a test without waiting.
        database: An SQLite path, reused across runs (users and sessions
            persist); the default keeps everything in memory.
        scrypt_n: The scrypt cost parameter (a power of two). Lower it only
            in tests, where speed matters more than resistance to cracking.
    """

    def __init__(
        self,
        *,
        access_token_lifetime: float = 900.0,
        refresh_token_lifetime: float = 14 * 24 * 3600.0,
        clock: Callable[[], float] = time.time,
        database: str = ":memory:",
        scrypt_n: int = 2**14,
    ) -> None:
        if access_token_lifetime <= 0 or refresh_token_lifetime <= 0:
            raise ValueError(
                "AuthServer token lifetimes must be positive seconds."
                " Pass a small positive number for tokens that expire quickly."
            )
        self.access_token_lifetime = access_token_lifetime
        self.refresh_token_lifetime = refresh_token_lifetime
        self._clock = clock
        self._scrypt_n = scrypt_n
        self._lock = threading.Lock()
        self._db = sqlite3.connect(database, check_same_thread=False)
        self._db.executescript(_SCHEMA)
        self._dummy_salt = secrets.token_bytes(_SALT_BYTES)
        self._dummy_hash = self._hash("", self._dummy_salt)
        self._faults: list[_Fault] = []
        self._stalls: list[threading.Event] = []
        self._released = threading.Event()
        self._idle = threading.Condition()
        self._inflight = 0
        self._closed = False
        self._records: list[RequestRecord] = []
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> AuthServer:
        """Bind 127.0.0.1 on a free port and serve in a daemon thread."""
        if self._httpd is not None:
            raise RuntimeError(f"{self!r} is already started; use it as it is.")
        if self._closed:
            raise RuntimeError(
                "AuthServer cannot start again after close(): its database is gone."
                " Create a new AuthServer."
            )

        httpd = _QuietServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd = httpd
        self._released.clear()
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="impact_rx-auth-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving, let requests in flight finish, close the database.

        Stalled requests are released; a request that arrives afterwards on a
        kept-alive connection is answered 503.
        """
        httpd, self._httpd = self._httpd, None
        with self._idle:
            self._closed = True
        self._released.set()
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

        with self._idle:
            self._idle.wait_for(lambda: self._inflight == 0, timeout=_CLOSE_GRACE)
        with self._lock:
            self._db.close()

    def __enter__(self) -> AuthServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:50123``."""
        if self._httpd is None:
            raise RuntimeError(
                "AuthServer has no URL until it is started."
                " Use it as a context manager or call start() first."
            )
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def __repr__(self) -> str:
        where = self.url if self._httpd is not None else "not started"
        return f"<AuthServer {where}>"

    # -- users -------------------------------------------------------------

    def add_user(self, username: str, password: str, *, name: str = "") -> str:
        """Create a user and return their id.

        Args:
            username: The account name to sign in with; unique.
            password: Hashed with scrypt and a fresh salt; never stored.
            name: The display name the session shows; defaults to username.

        Raises:
            ValueError: The username is empty or already taken.
        """
        if not username:
            raise ValueError("AuthServer.add_user needs a non-empty username.")

        salt = secrets.token_bytes(_SALT_BYTES)
        digest = self._hash(password, salt)
        user_id = secrets.token_hex(8)
        try:
            with self._lock, self._db:
                self._db.execute(
                    "INSERT INTO users VALUES (?, ?, ?, ?, ?)",
                    (user_id, username, name or username, salt, digest),
                )
        except sqlite3.IntegrityError:
            raise ValueError(
                f"AuthServer already has a user named {username!r}."
                " Pick another username."
            ) from None
        return user_id

    # -- fault injection and inspection ------------------------------------

    def fail_next(
        self,
        status: int = 503,
        *,
        body: bytes | dict[str, Any] | None = None,
        method: str | None = None,
    ) -> None:
        """Answer the next request with ``status`` and ``body`` instead.

        Call it several times to queue several answers, used in order.

        Args:
            status: The HTTP status to answer.
            body: A JSON object, or bytes for a malformed answer; by default
                the contract's error object.
            method: Only a request with this method (e.g. ``"DELETE"``)
                takes the fault; others are answered normally meanwhile.
        """
        if body is None:
            phrase = HTTPStatus(status).phrase if status in _STATUSES else "Fault"
            body = {"error": "injected_fault", "reason": f"{phrase} (injected)."}
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        with self._lock:
            self._faults.append(_Fault(status, raw, method))

    def stall_next(self) -> threading.Event:
        """Hold the next request unanswered until ``release()`` or ``close()``.

        Returns:
            An event set once that request has arrived and is held.
        """
        arrived = threading.Event()
        with self._lock:
            self._stalls.append(arrived)
            self._released.clear()
        return arrived

    def release(self) -> None:
        """Let every stalled request continue."""
        self._released.set()

    @property
    def requests(self) -> tuple[RequestRecord, ...]:
        """Every request answered so far, oldest first."""
        with self._lock:
            return tuple(self._records)

    # -- the contract ------------------------------------------------------

    def _sign_in(self, body: dict[str, Any]) -> dict[str, Any]:
        username = _text_field(body, "username")
        password = _text_field(body, "password")

        with self._lock:
            row = self._db.execute(
                "SELECT id, salt, hash FROM users WHERE username = ?", (username,)
            ).fetchone()
        if row is None:
            # Hash anyway, so an unknown user costs as much as a wrong password.
            self._hash(password, self._dummy_salt)
            matches = False
        else:
            matches = hmac.compare_digest(self._hash(password, row[1]), row[2])
        if not matches:
            raise _Refusal(401, "invalid_credentials", "Wrong username or password.")

        with self._lock, self._db:
            family = secrets.token_hex(8)
            self._db.execute(
                "INSERT INTO families (id, user_id) VALUES (?, ?)", (family, row[0])
            )
            return self._issue(family)

    def _current(self, token: str) -> dict[str, Any]:
        with self._lock:
            row = self._db.execute(
                "SELECT a.expires_at, u.id, u.name FROM access_tokens a"
                " JOIN families f ON f.id = a.family_id"
                " JOIN users u ON u.id = f.user_id"
                " WHERE a.digest = ? AND f.revoked = 0",
                (_digest(token),),
            ).fetchone()
        now = self._clock()
        if row is None or row[0] <= now:
            raise _invalid_token()
        return {"user": {"id": row[1], "name": row[2]}, "expires_in": row[0] - now}

    def _refresh(self, body: dict[str, Any]) -> dict[str, Any]:
        digest = _digest(_text_field(body, "refresh_token"))

        with self._lock, self._db:
            row = self._db.execute(
                "SELECT r.family_id, r.expires_at, r.used, f.revoked"
                " FROM refresh_tokens r JOIN families f ON f.id = r.family_id"
                " WHERE r.digest = ?",
                (digest,),
            ).fetchone()
            if row is None or row[3] or row[1] <= self._clock():
                raise _invalid_token()
            family, _, used, _ = row
            if not used:
                self._db.execute(
                    "UPDATE refresh_tokens SET used = 1 WHERE digest = ?", (digest,)
                )
                self._db.execute(
                    "DELETE FROM access_tokens WHERE family_id = ?", (family,)
                )
                return self._issue(family)
            # Committed before refusing: someone else may hold a copy.
            self._db.execute("UPDATE families SET revoked = 1 WHERE id = ?", (family,))

        _log.info("A spent refresh token came back; its session is revoked.")
        raise _Refusal(
            401,
            "refresh_token_reused",
            "This refresh token was already used; the session is revoked."
            " Sign in again.",
        )

    def _sign_out(self, token: str) -> None:
        with self._lock, self._db:
            row = self._db.execute(
                "SELECT a.family_id, a.expires_at FROM access_tokens a"
                " JOIN families f ON f.id = a.family_id"
                " WHERE a.digest = ? AND f.revoked = 0",
                (_digest(token),),
            ).fetchone()
            if row is None or row[1] <= self._clock():
                raise _invalid_token()
            self._db.execute("UPDATE families SET revoked = 1 WHERE id = ?", (row[0],))

    def _issue(self, family: str) -> dict[str, Any]:
        """New tokens for ``family``; the caller holds the lock and a transaction."""
        access = secrets.token_urlsafe(_TOKEN_BYTES)
        refresh = secrets.token_urlsafe(_TOKEN_BYTES)
        now = self._clock()
        self._db.execute(
            "INSERT INTO access_tokens VALUES (?, ?, ?)",
            (_digest(access), family, now + self.access_token_lifetime),
        )
        self._db.execute(
            "INSERT INTO refresh_tokens (digest, family_id, expires_at)"
            " VALUES (?, ?, ?)",
            (_digest(refresh), family, now + self.refresh_token_lifetime),
        )
        user_id, name = self._db.execute(
            "SELECT u.id, u.name FROM families f JOIN users u ON u.id = f.user_id"
            " WHERE f.id = ?",
            (family,),
        ).fetchone()
        return {
            "user": {"id": user_id, "name": name},
            "access_token": access,
            "refresh_token": refresh,
            "token_type": "Bearer",
            "expires_in": self.access_token_lifetime,
        }

    def _hash(self, password: str, salt: bytes) -> bytes:
        return hashlib.scrypt(
            password.encode(), salt=salt, n=self._scrypt_n, r=8, p=1, dklen=32
        )

    # -- called by the handler ---------------------------------------------

    def _enter(self) -> bool:
        """Count a request in; ``False`` once the server is closing."""
        with self._idle:
            if self._closed:
                return False
            self._inflight += 1
            return True

    def _leave(self) -> None:
        with self._idle:
            self._inflight -= 1
            self._idle.notify_all()

    def _take_fault(self, method: str) -> tuple[_Fault | None, threading.Event | None]:
        with self._lock:
            fault = next((f for f in self._faults if f.matches(method)), None)
            if fault is not None:
                self._faults.remove(fault)
            stall = self._stalls.pop(0) if self._stalls else None
            return fault, stall

    def _record(self, record: RequestRecord) -> None:
        with self._lock:
            self._records.append(record)
        _log.debug("%s %s -> %s", record.method, record.path, record.status)


_STATUSES = {int(s) for s in HTTPStatus}
_CLOSING = json.dumps(
    {"error": "shutting_down", "reason": "The server is shutting down."}
).encode()


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def _invalid_token() -> _Refusal:
    return _Refusal(
        401,
        "invalid_token",
        "The token is missing, unknown, expired or revoked. Sign in again.",
    )


def _text_field(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str):
        raise _Refusal(
            400,
            "malformed_request",
            f"The JSON body needs a string field {key!r}.",
        )
    try:
        value.encode()
    except UnicodeEncodeError:  # a lone surrogate, as JSON's "\\ud800" allows
        raise _Refusal(
            400,
            "malformed_request",
            f"The JSON field {key!r} is not valid Unicode text.",
        ) from None
    return value


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A dropped connection is the client's business: log it, quietly."""
        _log.debug("A connection from %s failed.", client_address[0], exc_info=True)


def _handler_for(server: AuthServer) -> type[BaseHTTPRequestHandler]:
    class Handler(_Handler):
        auth = server

    return Handler


class _Handler(BaseHTTPRequestHandler):
    auth: AuthServer
    _body: bytes | None = None
    protocol_version = "HTTP/1.1"
    server_version = "impact_rx-demo"
    sys_version = ""

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced: the request line may be untrusted; ``_record`` logs instead."""

    def _dispatch(self) -> None:
        self._body = None  # one handler serves every request of a connection
        if not self.auth._enter():
            self.close_connection = True
            self._send(503, _CLOSING)
            return
        try:
            self._serve()
        finally:
            self.auth._leave()

    def _serve(self) -> None:
        path = self.path.split("?", 1)[0]
        fault, stall = self.auth._take_fault(self.command)
        if stall is not None:
            stall.set()
            self.auth._released.wait()

        if fault is not None:
            status, body = fault.status, fault.body
        else:
            status, answer = self._answer(path)
            body = b"" if answer is None else json.dumps(answer).encode()
        # Recorded before answering: a client that has its answer sees it.
        self.auth._record(RequestRecord(self.command, path, status))
        self._send(status, body)

    def _answer(self, path: str) -> _Answer:
        try:
            return self._route(path)
        except _Refusal as refusal:
            return refusal.status, {"error": refusal.error, "reason": refusal.reason}
        except Exception:
            _log.exception("The auth server failed on %s %s.", self.command, path)
            return 500, {
                "error": "internal_error",
                "reason": "The server failed; see its log.",
            }

    def _route(self, path: str) -> _Answer:
        routes: dict[str, dict[str, Callable[[], _Answer]]] = {
            SESSION_PATH: {
                "POST": lambda: (200, self.auth._sign_in(self._json())),
                "GET": lambda: (200, self.auth._current(self._bearer())),
                "DELETE": self._delete_session,
            },
            REFRESH_PATH: {
                "POST": lambda: (200, self.auth._refresh(self._json())),
            },
        }
        if path not in routes:
            self._drain()
            raise _Refusal(404, "not_found", f"There is no resource at {path}.")
        methods = routes[path]
        if self.command not in methods:
            self._drain()
            allowed = ", ".join(sorted(methods))
            raise _Refusal(
                405,
                "method_not_allowed",
                f"{path} accepts {allowed}, not {self.command}.",
            )
        return methods[self.command]()

    def _delete_session(self) -> _Answer:
        self.auth._sign_out(self._bearer())
        return 204, None

    def _json(self) -> dict[str, Any]:
        raw = self._drain()
        try:
            body = json.loads(raw)
        except ValueError:
            raise _Refusal(
                400, "malformed_request", "The request body is not valid JSON."
            ) from None
        if not isinstance(body, dict):
            raise _Refusal(
                400, "malformed_request", "The request body must be a JSON object."
            )
        return body

    def _bearer(self) -> str:
        self._drain()
        scheme, _, token = self.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _invalid_token()
        return token.strip()

    def _drain(self) -> bytes:
        """Read the request body (once), so the connection stays usable."""
        if self._body is not None:
            return self._body
        if self.headers.get("Transfer-Encoding"):
            # Unread chunks would be taken for the next request: close instead.
            self.close_connection = True
            self._body = b""
            raise _Refusal(
                411,
                "length_required",
                "Send the body with a Content-Length; chunked bodies are not read.",
            )
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= _MAX_BODY:
            self.close_connection = True
            self._body = b""
            raise _Refusal(
                400,
                "malformed_request",
                f"Content-Length must be between 0 and {_MAX_BODY} bytes.",
            )
        body = self._body = self.rfile.read(length)
        return body

    def _send(self, status: int, body: bytes) -> None:
        with contextlib.suppress(_Refusal):
            self._drain()
        self.send_response(status)
        if body:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if body:
            self.wfile.write(body)
