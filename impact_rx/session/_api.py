"""The contract between a session and the server that authenticates it.

``AuthApi`` is what ``SessionService`` and ``AuthenticatorService`` call. Each
method may return an Observable (its first value is the answer), an
awaitable, a ``Suspense`` or the answer itself, so a test can answer with
cold marble observables on virtual time (or plain values) and
``HttpAuthApi`` can answer with coroutines.

Secrets travel in :class:`Secret`, whose ``repr``, ``str``, format and
pickling never show the wrapped text:

>>> from impact_rx.session import Credentials
>>> Credentials("ada", "correct horse")
Credentials(username='ada', password=Secret('********'))
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from typing import Any, Generic, NoReturn, Protocol, TypeVar, final, runtime_checkable

from .._errors import ImpactRxError

__all__ = [
    "AuthApi",
    "AuthError",
    "AuthProtocolError",
    "AuthRejectedError",
    "AuthSession",
    "AuthUnavailableError",
    "Credentials",
    "Secret",
    "Tokens",
    "User",
]

T = TypeVar("T")

_MASK = "********"


@final
class Secret(Generic[T]):
    """A value that must never be shown: a password, an access token.

    ``reveal()`` is the only way to read it. Two secrets compare equal when
    their contents do, in constant time for strings and bytes.

    Example:
        >>> token = Secret("abc123")
        >>> token
        Secret('********')
        >>> f"{token}"
        '********'
        >>> token.reveal()
        'abc123'
    """

    __slots__ = ("_value",)

    def __init__(self, value: T) -> None:
        self._value = value

    def reveal(self) -> T:
        """The wrapped value. Never log or display it."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret({_MASK!r})"

    def __str__(self) -> str:
        return _MASK

    def __format__(self, spec: str) -> str:
        return _MASK

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        mine, theirs = self._value, other._value
        if isinstance(mine, str | bytes) and isinstance(theirs, str | bytes):
            a = mine.encode() if isinstance(mine, str) else mine
            b = theirs.encode() if isinstance(theirs, str) else theirs
            return hmac.compare_digest(a, b)
        return bool(mine == theirs)

    def __hash__(self) -> int:
        return hash((Secret, self._value))

    def __copy__(self) -> Secret[T]:
        return self  # immutable: a copy is the same secret, never pickled

    def __deepcopy__(self, memo: dict[int, object]) -> Secret[T]:
        return self

    def __reduce__(self) -> NoReturn:
        raise TypeError(
            "Secret refuses to be pickled: its value would be written in clear."
            " Store the revealed value deliberately if you must persist it."
        )

    def __bool__(self) -> bool:
        return bool(self._value)


def _secret(value: Secret[str] | str) -> Secret[str]:
    return value if isinstance(value, Secret) else Secret(value)


@dataclass(frozen=True)
class User:
    """Who is signed in: what the server says about them, never a secret.

    Attributes:
        id: The server's stable identifier.
        name: A display name.
    """

    id: str
    name: str


@dataclass(frozen=True, init=False)
class Credentials:
    """A username and password for ``sign_in``; the password stays hidden.

    Args:
        username: The account name.
        password: The password, as text or already wrapped in :class:`Secret`.

    Raises:
        TypeError: ``username`` is not a ``str``, or ``password`` neither a
            ``str`` nor a ``Secret`` (the message names only the type).
    """

    username: str
    password: Secret[str]

    def __init__(self, username: str, password: Secret[str] | str) -> None:
        if not isinstance(username, str):
            raise TypeError(
                "Credentials() takes the username as a str,"
                f" got {type(username).__name__}."
                " Pass the account name as text: Credentials(username, password)."
            )
        if not isinstance(password, str | Secret):
            raise TypeError(
                "Credentials() takes the password as a str or a Secret,"
                f" got {type(password).__name__}."
                " Pass the password as text: Credentials(username, password)."
            )
        object.__setattr__(self, "username", username)
        object.__setattr__(self, "password", _secret(password))


@dataclass(frozen=True)
class Tokens:
    """What a server issues for a session.

    Attributes:
        access_token: Sent with each request.
        refresh_token: Exchanged for new tokens before the access token
            expires; ``None`` when the server does not rotate.
        expires_in: Seconds from issuance until the access token expires;
            ``None`` when it does not expire.
    """

    access_token: Secret[str]
    refresh_token: Secret[str] | None = None
    expires_in: float | None = None


@dataclass(frozen=True)
class AuthSession:
    """A user together with the tokens that prove the session."""

    user: User
    tokens: Tokens = field(default_factory=lambda: Tokens(Secret("")))


class AuthError(ImpactRxError):
    """The authentication server did not give a usable answer."""


class AuthRejectedError(AuthError):
    """The server definitively refused: bad credentials or a revoked token.

    Retrying the same request cannot succeed.
    """


class AuthUnavailableError(AuthError):
    """The server could not be reached or failed (5xx, timeout): retryable."""


class AuthProtocolError(AuthError):
    """The server answered, but not in the documented contract."""


@runtime_checkable
class AuthApi(Protocol):
    """What a session needs from an authentication server.

    Each method returns its answer in one of these forms:

    - an Observable: its first value is the answer (completing without one
      answers ``None``), an error fails the call;
    - an awaitable (a coroutine, say): run as a task on the running asyncio
      loop; what it returns is the answer, what it raises fails the call;
    - a ``Suspense``: its value is the answer, its reason fails the call;
    - anything else is the answer itself, at once (``None`` in a fake's
      ``sign_out``).

    ``authenticate`` and ``sign_in`` answer an :class:`AuthSession` or, in
    simple fakes, the :class:`User` alone (``authenticate`` may answer
    ``None``: nobody is signed in); any other type is refused with a
    ``TypeError`` naming the method. A failure the server reports is an
    :class:`AuthError`: :class:`AuthRejectedError` for a refusal,
    :class:`AuthUnavailableError` when it cannot be reached. A
    ``TypeError``, ``AttributeError``, ``LookupError`` or the like (a
    missing parameter, a misspelt attribute) is a bug in the API: the
    session still fails the call, says it is a bug rather than the error's
    text, and logs its traceback on ``impact_rx.session``. Other exceptions
    fail the call with their own message. The secrets the session knows
    (its tokens, the refresh token it sent, the password of the sign-in in
    flight) never show: an error text holding one is withheld whole from a
    ``SessionError`` or an event, and masked in place in a log (a secret
    shorter than 4 characters counts only as a quoted token).

    ``refresh`` is optional and not part of this Protocol (so that
    ``isinstance`` holds for an API without it); a session refreshes tokens
    only when its API has it, with this signature::

        def refresh(self, refresh_token: Secret[str]) -> Any: ...

    It answers the new :class:`Tokens` (or an :class:`AuthSession`, whose
    user then updates the session's), or fails with
    :class:`AuthRejectedError` when the refresh token is no longer valid,
    which ends the session; other failures are retried with backoff.
    """

    def authenticate(self) -> Any:
        """Restore the stored session: an ``AuthSession``/user, or ``None``."""
        ...

    def sign_in(self, credentials: Credentials) -> Any:
        """Sign in: an ``AuthSession``/user, or fail with ``AuthRejectedError``."""
        ...

    def sign_out(self) -> Any:
        """End the session on the server."""
        ...
