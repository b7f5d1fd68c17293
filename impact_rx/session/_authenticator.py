"""``AuthenticatorService``: restore the stored session once, at start-up.

Impact's session guide's ``AppFeature`` asks the authenticator for a Suspense of the
user and opens the session's provider once it is fulfilled, so no consumer
ever sees a session that is still finding out who is signed in: while the
restore runs there is no ``SIGNED_OUT`` state to see, only a pending
Suspense.

>>> import reactivex
>>> from impact_rx.session import AuthenticatorService, User
>>> class Api:
...     def authenticate(self): return reactivex.of(User("1", "Ada"))
...     def sign_in(self, credentials): ...
...     def sign_out(self): ...
>>> authenticator = AuthenticatorService(Api())
>>> restore = authenticator.authenticate()
>>> restore.value, restore is authenticator.authenticate()
(User(id='1', name='Ada'), True)
>>> authenticator.reauthenticate() is restore
False
"""

from __future__ import annotations

import threading
from typing import final

from .._disposable import Disposable
from .._errors import DisposedError
from .._services import service
from .._suspense import Suspense
from ._answers import Call, checked_tokens, checked_user
from ._api import (
    AuthApi,
    AuthProtocolError,
    AuthRejectedError,
    AuthSession,
    Tokens,
    User,
)

__all__ = ["AuthenticatorService", "take_restored_tokens"]

# The tokens of a restored session wait here, keyed by the identities of the
# API and of the user object, until the SessionService built for that user on
# that API takes them: Impact's pattern hands only the user to the session's
# provider (Value(USER)), and the tokens must follow it without ever being put
# in a named value. An authenticator withdraws what it left when it is
# disposed or re-authenticates.
_Key = tuple[int, int]
_restored_tokens: dict[_Key, tuple[object, object, Tokens]] = {}
_restored_lock = threading.Lock()


def _hand_over(api: object, user: object, tokens: Tokens) -> None:
    with _restored_lock:
        _restored_tokens[id(api), id(user)] = (api, user, tokens)


def _withdraw(api: object, user: object) -> None:
    with _restored_lock:
        entry = _restored_tokens.get((id(api), id(user)))
        if entry is not None and entry[0] is api and entry[1] is user:
            del _restored_tokens[id(api), id(user)]


def take_restored_tokens(api: object, user: object) -> Tokens | None:
    """The tokens restored with ``user`` through ``api``, once: one session."""
    if user is None:
        return None
    with _restored_lock:
        entry = _restored_tokens.get((id(api), id(user)))
        if entry is None or entry[0] is not api or entry[1] is not user:
            return None
        del _restored_tokens[id(api), id(user)]
        return entry[2]


@service
@final
class AuthenticatorService(Disposable):
    """Finds out who is signed in when the application starts.

    Args:
        api: The authentication server; its ``authenticate()`` answers an
            :class:`AuthSession`, a :class:`User`, or ``None`` (anonymous).
    """

    def __init__(self, api: AuthApi) -> None:
        self._lock = threading.RLock()  # several threads may ask at once
        self._api = api
        self._restore: Call[User | None] | None = None
        self._user: object = None
        self.on_dispose(self._close)

    def authenticate(self) -> Suspense[User | None]:
        """The Suspense of the restored user (``None`` when anonymous).

        The first call asks the server; later calls return the same Suspense
        until :meth:`reauthenticate`. A stored session the server rejects
        restores as anonymous (``None``); a server that cannot be reached
        rejects the Suspense with ``AuthUnavailableError``.

        Raises:
            DisposedError: The authenticator was disposed.
        """
        with self._lock:
            if self.is_disposed:
                raise DisposedError(
                    "AuthenticatorService.authenticate() was called after the"
                    " authenticator was disposed."
                    " Open a new provider to authenticate again."
                )
            if self._restore is None:
                restore: Call[User | None] = Call(
                    "AuthenticatorService.restore(tokens)"
                )
                self._restore = restore
                restore.start(
                    self._api.authenticate,
                    what="AuthApi.authenticate()",
                    on_value=lambda answer: self._restored(restore, answer),
                    on_error=lambda error: self._failed(restore, error),
                )
            return self._restore.suspense

    def reauthenticate(self) -> Suspense[User | None]:
        """Ask the server again: a new Suspense, and the previous one cancelled.

        Raises:
            DisposedError: The authenticator was disposed.
        """
        with self._lock:
            previous, self._restore = self._restore, None
            if previous is not None:
                previous.cancel()
            _withdraw(self._api, self._user)
            return self.authenticate()

    def __repr__(self) -> str:
        status = "idle" if self._restore is None else self._restore.suspense.status
        return f"<AuthenticatorService {status}>"

    def _restored(self, restore: Call[User | None], answer: object) -> None:
        with self._lock:
            if restore is not self._restore or self.is_disposed:
                return

            if isinstance(answer, Tokens):
                restore.reject(
                    AuthProtocolError(
                        "AuthApi.authenticate() answered tokens without a user."
                        " Answer an AuthSession, a User, or None."
                    )
                )
                return
            allowed = "an AuthSession, a User (impact_rx.session) or None"
            try:
                user = None
                if answer is not None:
                    user = checked_user(answer, what=self._what, allowed=allowed)
                if isinstance(answer, AuthSession):
                    checked_tokens(answer.tokens, what="AuthApi.authenticate()")
            except (AuthProtocolError, TypeError) as error:
                restore.reject(error)
                return
            self._user = user
            if isinstance(answer, AuthSession):
                _hand_over(self._api, user, answer.tokens)
            restore.resolve(user)

    @property
    def _what(self) -> str:
        return f"AuthApi.authenticate() of {type(self._api).__qualname__}"

    def _failed(self, restore: Call[User | None], error: Exception) -> None:
        with self._lock:
            if restore is not self._restore or self.is_disposed:
                return
            if isinstance(error, AuthRejectedError):
                restore.resolve(None)  # the stored session is over: anonymous
            else:
                restore.reject(error)

    def _close(self) -> None:
        with self._lock:
            restore, self._restore = self._restore, None
            if restore is not None:
                restore.drop()
            _withdraw(self._api, self._user)
