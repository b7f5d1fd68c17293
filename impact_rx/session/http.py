"""``HttpAuthApi``: the session's :class:`AuthApi` over HTTP, on ``httpx``.

It speaks a small REST contract, which the demo's embedded server
(:mod:`impact_rx.demo.server`) implements on loopback. Every body is JSON;
every error body is ``{"error": code, "reason": text}``.

* ``POST /api/session`` with ``{"username", "password"}``: 200 with a
  session, 401 for an unknown user or a wrong password.
* ``GET /api/session`` with ``Authorization: Bearer <access token>``: 200
  with the user, 401 for a missing, unknown, expired or revoked token.
* ``POST /api/session/refresh`` with ``{"refresh_token"}``: 200 with a new
  session, 401 for an unknown, expired or reused refresh token.
* ``DELETE /api/session`` with the bearer header: 204, 401 as for ``GET``.
* A malformed request (not JSON, a missing field): 400.

A *session* answer is ``{"user": {"id", "name"}, "access_token",
"refresh_token", "token_type": "Bearer", "expires_in": seconds}``; ``GET``
answers ``{"user": {...}, "expires_in": seconds_left}``. An access token is
visible ASCII (it travels in a header); ``expires_in`` is a finite number
of seconds, at least 0. Refresh tokens
rotate: each works once, and a spent one that comes back is refused and
revokes its whole session.

How answers become errors, so a session knows what to do next:

* 401 or 403 raise :class:`AuthRejectedError`: definitive, do not retry.
* 5xx, 408, 429, a refused connection or a timeout raise
  :class:`AuthUnavailableError`: retryable.
* Any other status, a body that cannot be decoded or is not JSON, or JSON
  of the wrong shape raise :class:`AuthProtocolError`.

Each message names the method, the path and the status, and never a token
or a password. Tokens live in a :class:`TokenStore` (in memory by default),
so ``authenticate()`` can restore the session later.

Example:
    >>> import asyncio
    >>> from impact_rx.demo.server import AuthServer
    >>> from impact_rx.session import Credentials
    >>> async def main(url: str) -> None:
    ...     async with HttpAuthApi(url) as api:
    ...         print(await api.authenticate())
    ...         session = await api.sign_in(Credentials("ada", "correct horse"))
    ...         print(session.user.name, session.tokens.access_token)
    ...         print(api)
    ...         await api.sign_out()
    >>> with AuthServer() as server:  # doctest: +ELLIPSIS
    ...     _ = server.add_user("ada", "correct horse", name="Ada Lovelace")
    ...     asyncio.run(main(server.url))
    None
    Ada Lovelace ********
    <HttpAuthApi http://127.0.0.1:... signed in>
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import math
import re
from http import HTTPStatus
from types import TracebackType
from typing import Any, Final, Protocol, final, runtime_checkable
from urllib.parse import urlsplit

from .._extras import missing_extra

try:
    import httpx
except ModuleNotFoundError as exc:  # the [http] extra is not installed
    raise missing_extra(exc, needed_by="impact_rx.session.http", extra="http") from exc

from ._api import (
    AuthError,
    AuthProtocolError,
    AuthRejectedError,
    AuthSession,
    AuthUnavailableError,
    Credentials,
    Secret,
    Tokens,
    User,
)
from ._scrub import holds_secret

__all__ = ["HttpAuthApi", "MemoryTokenStore", "TokenStore"]

SESSION_PATH: Final = "/api/session"
REFRESH_PATH: Final = "/api/session/refresh"

_REASON_LIMIT = 200
_RETRYABLE = frozenset({408, 429})
_HEADER_SAFE = re.compile(r"[!-~]+")  # visible ASCII: a token an HTTP header can carry


@runtime_checkable
class TokenStore(Protocol):
    """Where ``HttpAuthApi`` keeps the tokens between calls.

    Implement it to persist a session (a keyring, an encrypted file); keep
    the tokens out of logs and reprs.
    """

    def load(self) -> Tokens | None:
        """The stored tokens, or ``None`` when signed out."""
        ...

    def save(self, tokens: Tokens) -> None:
        """Replace the stored tokens."""
        ...

    def clear(self) -> None:
        """Forget the stored tokens."""
        ...


@final
class MemoryTokenStore:
    """A :class:`TokenStore` that lives as long as the process.

    Example:
        >>> store = MemoryTokenStore()
        >>> store.save(Tokens(Secret("abc")))
        >>> store
        MemoryTokenStore(holding tokens)
        >>> store.clear()
        >>> store.load() is None
        True
    """

    def __init__(self, tokens: Tokens | None = None) -> None:
        self._tokens = tokens

    def load(self) -> Tokens | None:
        return self._tokens

    def save(self, tokens: Tokens) -> None:
        self._tokens = tokens

    def clear(self) -> None:
        self._tokens = None

    def __repr__(self) -> str:
        held = "empty" if self._tokens is None else "holding tokens"
        return f"MemoryTokenStore({held})"


@final
class HttpAuthApi:
    """An :class:`~impact_rx.session.AuthApi` for a server that speaks the contract.

    Use it as an async context manager, or call :meth:`aclose` when done.
    Each request opens its own connection: auth calls are rare, a kept-alive
    connection would go stale between token refreshes, and without one the
    API works from any event loop in turn (``asyncio.run`` in a notebook
    cell, then another).

    Args:
        base_url: Where the server listens, e.g. ``http://127.0.0.1:8000``.
        timeout: Seconds (or an ``httpx.Timeout``) before a request counts
            as unavailable.
        store: Where tokens are kept; a fresh :class:`MemoryTokenStore` by
            default.
        transport: An ``httpx`` transport, to test without a server.

    Raises:
        ValueError: ``base_url`` is not an ``http``/``https`` URL with a host
            and a valid port, or carries a user or password.
    """

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float | httpx.Timeout = 10.0,
        store: TokenStore | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = _checked_url(base_url).rstrip("/")
        self.store: TokenStore = MemoryTokenStore() if store is None else store
        # Keyed by a digest of the refresh token, never the token itself.
        self._exchanging: dict[bytes, asyncio.Future[AuthSession]] = {}
        self._sign_outs = 0  # a sign-in answered after a sign-out is void
        self._exchanged: tuple[bytes, AuthSession] | None = None
        self._client = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=timeout,
            transport=transport,
            headers={"Accept": "application/json"},
            limits=httpx.Limits(max_keepalive_connections=0),
        )

    # -- AuthApi -----------------------------------------------------------

    async def authenticate(self) -> AuthSession | None:
        """Restore the stored session, or ``None`` (anonymous).

        A stored access token the server refuses is exchanged with the
        stored refresh token, to learn whose session it is; the new tokens
        are stored, but the answer carries the stored ones marked expired
        (``expires_in=0``). The session that restores it then refreshes, and
        :meth:`refresh` answers that exchange without asking the server
        again, so the restore reports one ``TOKEN_REFRESHED`` and the spent
        refresh token is never sent twice. A session the server no longer
        accepts is forgotten.

        Raises:
            AuthUnavailableError: The server could not be reached; the stored
                tokens are kept, so a retry can still restore them.
            AuthProtocolError: The server answered outside the contract.
        """
        tokens = self.store.load()
        if tokens is None:
            return None

        try:
            answer = await self._call("GET", SESSION_PATH, token=tokens.access_token)
        except AuthRejectedError:
            return await self._restore_by_refresh(tokens)

        user = _user(_object(answer, "GET", SESSION_PATH), "GET", SESSION_PATH)
        expires_in = _expiry(answer, "GET", SESSION_PATH)
        fresh = Tokens(tokens.access_token, tokens.refresh_token, expires_in)
        self.store.save(fresh)
        return AuthSession(user, fresh)

    async def sign_in(self, credentials: Credentials) -> AuthSession:
        """Sign in and keep the tokens.

        Raises:
            AuthRejectedError: Unknown user or wrong password; or
                :meth:`sign_out` was called while it was on its way (the new
                session is ended on the server, never stored).
            AuthUnavailableError: The server could not be reached or failed.
            AuthProtocolError: The server answered outside the contract.
        """
        body = {
            "username": credentials.username,
            "password": credentials.password.reveal(),
        }
        sign_outs = self._sign_outs
        answer = await self._call("POST", SESSION_PATH, body=body)

        session = _session(answer, "POST", SESSION_PATH)
        if self._sign_outs != sign_outs:
            await self._revoke(session.tokens)
            raise AuthRejectedError(
                "POST /api/session was answered after sign_out() was called,"
                " so the new session was ended at once. Sign in again."
            )
        self.store.save(session.tokens)
        return session

    async def refresh(self, refresh_token: Secret[str]) -> Tokens:
        """Exchange ``refresh_token`` for new tokens; both rotate.

        Callers that present the same refresh token while it is being
        exchanged share one request, and a token this API has just exchanged
        answers the tokens it was exchanged for (while they are still the
        stored ones): the server would take a second use as theft and revoke
        the session.

        Raises:
            AuthRejectedError: The refresh token is unknown, expired or was
                already used (which revokes the session); or its session ended
                here while the exchange was on its way (a sign-out or another
                sign-in), so the renewed session is ended, never stored.
            AuthUnavailableError: The server could not be reached or failed.
            AuthProtocolError: The server answered outside the contract.
        """
        return (await self._exchange(refresh_token)).tokens

    async def sign_out(self) -> None:
        """End the session on the server; the stored tokens are forgotten.

        A session the server had already ended counts as signed out.

        Raises:
            AuthUnavailableError: The server could not be told; the local
                tokens are forgotten all the same.
            AuthProtocolError: The server answered outside the contract.
        """
        tokens = self.store.load()
        self.store.clear()
        self._sign_outs += 1
        if tokens is None:
            return

        try:
            await self._call("DELETE", SESSION_PATH, token=tokens.access_token)
        except AuthRejectedError:
            return

    async def current_user(self) -> User | None:
        """Who the stored access token belongs to, or ``None``.

        Raises:
            AuthUnavailableError: The server could not be reached or failed.
            AuthProtocolError: The server answered outside the contract.
        """
        tokens = self.store.load()
        if tokens is None:
            return None

        try:
            answer = await self._call("GET", SESSION_PATH, token=tokens.access_token)
        except AuthRejectedError:
            return None
        return _user(_object(answer, "GET", SESSION_PATH), "GET", SESSION_PATH)

    # -- lifecycle ---------------------------------------------------------

    async def aclose(self) -> None:
        """Close the connection pool; the stored tokens stay."""
        await self._client.aclose()

    async def __aenter__(self) -> HttpAuthApi:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        state = "signed out" if self.store.load() is None else "signed in"
        return f"<HttpAuthApi {self.base_url} {state}>"

    # -- helpers -----------------------------------------------------------

    async def _restore_by_refresh(self, tokens: Tokens) -> AuthSession | None:
        if tokens.refresh_token is None:
            self.store.clear()
            return None
        try:
            session = await self._exchange(tokens.refresh_token)
        except AuthRejectedError:
            self.store.clear()
            return None
        expired = Tokens(tokens.access_token, tokens.refresh_token, expires_in=0.0)
        return AuthSession(session.user, expired)

    async def _exchange(self, refresh_token: Secret[str]) -> AuthSession:
        """``_refresh``, once per refresh token however many callers ask."""
        key = hashlib.sha256(refresh_token.reveal().encode()).digest()
        if self._exchanged is not None and self._exchanged[0] == key:
            session, stored = self._exchanged[1], self.store.load()
            if (
                stored is not None
                and stored.refresh_token == session.tokens.refresh_token
            ):
                return AuthSession(session.user, stored)

        pending = self._exchanging.get(key)
        if pending is None:
            pending = asyncio.ensure_future(self._refresh(refresh_token))
            self._exchanging[key] = pending
            pending.add_done_callback(lambda done: self._exchange_done(key, done))
        return await asyncio.shield(pending)

    def _exchange_done(self, key: bytes, done: asyncio.Future[AuthSession]) -> None:
        del self._exchanging[key]
        if done.cancelled() or done.exception() is not None:
            return  # reading the exception marks it retrieved
        self._exchanged = (key, done.result())

    async def _refresh(self, refresh_token: Secret[str]) -> AuthSession:
        body = {"refresh_token": refresh_token.reveal()}
        answer = await self._call("POST", REFRESH_PATH, body=body)

        session = _session(answer, "POST", REFRESH_PATH)
        stored = self.store.load()
        if stored is None or stored.refresh_token != refresh_token:
            # Signed out, or somebody else signed in, while this was on its
            # way: storing it would bring the previous session back.
            await self._revoke(session.tokens)
            raise AuthRejectedError(
                "POST /api/session/refresh was answered after its session ended"
                " here (signed out, or replaced by another sign-in),"
                " so the renewed session was ended too."
            )
        self.store.save(session.tokens)
        return session

    async def _revoke(self, tokens: Tokens) -> None:
        """End a session nobody here holds any more; best effort."""
        with contextlib.suppress(AuthError):  # failing, it expires on its own
            await self._call("DELETE", SESSION_PATH, token=tokens.access_token)

    async def _call(
        self,
        method: str,
        path: str,
        *,
        body: dict[str, Any] | None = None,
        token: Secret[str] | None = None,
    ) -> Any:
        """Send one request; the decoded JSON answer, or ``None`` for 204."""
        if token is not None and not _HEADER_SAFE.fullmatch(token.reveal()):
            raise AuthProtocolError(
                f"The stored access token cannot be sent in an HTTP header for"
                f" {method} {path}: it is not visible ASCII."
                " Sign out and sign in again to replace it."
            )
        headers = {} if token is None else {"Authorization": f"Bearer {token.reveal()}"}
        try:
            response = await self._client.request(
                method, path, json=body, headers=headers
            )
        except httpx.TimeoutException as exc:
            raise AuthUnavailableError(
                f"{method} {path} timed out waiting for {self.base_url}."
                " The server is slow or stuck; retry later or raise the timeout."
            ) from exc
        except httpx.TransportError as exc:
            raise AuthUnavailableError(
                f"{method} {path} could not reach {self.base_url}"
                f" ({type(exc).__name__})."
                " Check that the server is running and the URL is right."
            ) from exc
        except httpx.HTTPError as exc:  # e.g. a body its encoding cannot decode
            raise AuthProtocolError(
                f"{method} {path} answered a body that could not be decoded"
                f" ({type(exc).__name__})."
                f" Check that {self.base_url} speaks the impact_rx auth contract."
            ) from exc

        if not 200 <= response.status_code < 300:
            hidden = [token.reveal()] if token is not None else []
            hidden += [v for k, v in (body or {}).items() if k != "username"]
            stored = self.store.load()
            if stored is not None:
                hidden.append(stored.access_token.reveal())
                if stored.refresh_token is not None:
                    hidden.append(stored.refresh_token.reveal())
            _raise_for_status(response, method, path, self.base_url, hidden)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return json.loads(response.content)
        except ValueError:
            raise AuthProtocolError(
                f"{method} {path} answered {response.status_code} with a body"
                " that is not JSON."
                f" Check that {self.base_url} speaks the impact_rx auth contract."
            ) from None


def _checked_url(base_url: str) -> str:
    """``base_url``, unless no server could ever be reached at it."""
    try:
        parts = urlsplit(base_url)
        port = parts.port  # raises for a port out of range
    except ValueError:
        parts, port = None, None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or port == 0
    ):
        raise ValueError(
            "HttpAuthApi needs an http:// or https:// URL with a host and a valid"
            " port, such as http://127.0.0.1:8000."
            " Check the URL of the auth server."
        )
    if parts.username is not None or parts.password is not None:
        raise ValueError(
            "HttpAuthApi takes no user or password in the URL: it would be sent"
            " to the server and shown in reprs. Pass credentials to sign_in()."
        )
    return base_url


def _raise_for_status(
    response: httpx.Response,
    method: str,
    path: str,
    base_url: str,
    hidden: list[Any],
) -> None:
    status = response.status_code
    where = f"{method} {path}"
    reason = _reason(response, hidden)
    if status in (401, 403):
        raise AuthRejectedError(f"{where} was refused ({status}): {reason}")
    if status >= 500 or status in _RETRYABLE:
        raise AuthUnavailableError(
            f"{where} failed with {status} {_phrase(status)}: {reason}"
            " The server may be down or overloaded; retry later."
        )
    raise AuthProtocolError(
        f"{where} answered {status} {_phrase(status)}: {reason}"
        f" Check that {base_url} speaks the impact_rx auth contract."
    )


def _reason(response: httpx.Response, hidden: list[Any]) -> str:
    """The server's ``reason`` text, shortened; else the status phrase.

    A reason that echoes a secret of the request (``hidden``) is withheld
    (see ``holds_secret``): the reason ends up in exceptions, states and logs.
    """
    try:
        reason = json.loads(response.content).get("reason")
    except (ValueError, AttributeError):
        reason = None
    if not isinstance(reason, str) or not reason.strip():
        return f"{_phrase(response.status_code)}."
    shown = " ".join(reason.split())
    # Both as sent and as shown: collapsing the whitespace can make the text
    # read as a passphrase it did not hold ("correct\nhorse" shows as
    # "correct horse"), and a secret holding a newline is only in the former.
    if holds_secret(reason, hidden) or holds_secret(shown, hidden):
        # Withheld whole, not masked: in a message anyone may know, a mask in
        # the place of a word shows which word the secret was.
        return "(its reason is not shown because it contained a secret)."
    reason = shown
    if len(reason) > _REASON_LIMIT:
        reason = reason[: _REASON_LIMIT - 3] + "..."
    return reason


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "(unknown status)"


def _shape_error(method: str, path: str, what: str) -> AuthProtocolError:
    return AuthProtocolError(
        f"{method} {path} answered without {what}."
        " Check that the server speaks the impact_rx auth contract."
    )


def _object(answer: Any, method: str, path: str) -> dict[str, Any]:
    if not isinstance(answer, dict):
        raise _shape_error(method, path, "a JSON object")
    return answer


def _user(answer: dict[str, Any], method: str, path: str) -> User:
    user = answer.get("user")
    if not isinstance(user, dict):
        raise _shape_error(method, path, "a 'user' object")
    ident, name = user.get("id"), user.get("name")
    if not isinstance(ident, str) or not isinstance(name, str):
        raise _shape_error(method, path, "a user 'id' and 'name' as strings")
    return User(id=ident, name=name)


def _expiry(answer: dict[str, Any], method: str, path: str) -> float | None:
    expires_in = answer.get("expires_in")
    if expires_in is None:
        return None
    if (
        isinstance(expires_in, bool)
        or not isinstance(expires_in, int | float)
        or not math.isfinite(expires_in)  # JSON as Python reads it has NaN
        or expires_in < 0
    ):
        raise _shape_error(method, path, "'expires_in' as a number of seconds")
    return float(expires_in)


def _session(answer: Any, method: str, path: str) -> AuthSession:
    answer = _object(answer, method, path)
    user = _user(answer, method, path)

    access, refresh = answer.get("access_token"), answer.get("refresh_token")
    if not isinstance(access, str) or not _HEADER_SAFE.fullmatch(access):
        raise _shape_error(method, path, "an 'access_token' string")
    if refresh is not None and not isinstance(refresh, str):
        raise _shape_error(method, path, "a 'refresh_token' string")
    tokens = Tokens(
        access_token=Secret(access),
        refresh_token=None if refresh is None else Secret(refresh),
        expires_in=_expiry(answer, method, path),
    )
    return AuthSession(user, tokens)
