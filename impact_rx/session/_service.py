"""``SessionService``: who is signed in, and every way that changes.

Every operation belongs to a *generation* of the session. Signing in and
signing out (and a session that expires) start a new generation, and an
answer that arrives for an older one is dropped, whether it is a success or
a failure. That one rule is what makes the races harmless:

- a sign-out while a sign-in is pending wins: the late answer is dropped and
  the sign-in's Suspense is cancelled;
- a refresh that answers after the user signed out (or somebody else signed
  in) changes nothing and emits nothing;
- a second ``sign_in`` while one is pending joins it: same Suspense;
- ten callers of ``refresh()``, or of ``access_token()`` once the token has
  expired, share one request and its one result.

After ``dispose()`` nothing more is emitted, and disposing twice is harmless.

A sign-out at frame 20 beats a sign-in the server answers at frame 50:

>>> from impact_rx import signal_of
>>> from impact_rx.testing import marbles
>>> from impact_rx.session import USER, AuthApi, Credentials, User
>>> class Api:
...     def __init__(self, m): self.m = m
...     def authenticate(self): return None
...     def sign_in(self, credentials):
...         return self.m.cold("50ms (a|)", {"a": User("1", "Ada")})
...     def sign_out(self): return None
>>> with marbles() as m:
...     app = m.provider([SessionService], {USER: None, AuthApi: Api(m)})
...     session = app.get(SessionService)
...     states = signal_of(session, "state")
...     _ = states.subscribe(lambda s: print(m.scheduler.frame, s))
...     attempt = session.sign_in(Credentials("ada", "correct horse"))
...     m.advance(20)
...     _ = session.sign_out()
...     m.advance(100)
...     print(attempt.status, session.user)
0 Authenticated()
0 SigningIn()
20 SignedOut()
rejected None

``state`` only emits when it changes. A different user never appears while
the state stays ``Authenticated``: every change of who is signed in passes
through ``SigningIn`` or ``SignedOut``, so the stream is distinct on both
status and user identity. A change of the same user's details
(``update_user``, or a refresh that answers them) changes ``user`` and emits
``USER_UPDATED`` without touching ``state``.

A session may be called from several threads: each operation, and each
answer, runs under the session's lock, so two threads that sign in at once
share one request, and a sign-out racing a sign-in leaves one consistent
ending. Holding that lock never waits for another thread's delivery of
signal changes (a thread that is delivering has its writes queued behind
it), so a subscriber may call the session while another thread does; only
do not make a subscriber *wait* for another thread that calls it. Timers
run on the provider's scheduler; the asyncio loop's is not thread-safe, so
give a provider used from several threads a scheduler that is.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
import traceback
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from random import Random
from typing import Annotated, Concatenate, Final, ParamSpec, TypeVar, final

from reactivex.abc import DisposableBase, SchedulerBase
from reactivex.scheduler import TimeoutScheduler
from reactivex.scheduler.eventloop import AsyncIOThreadSafeScheduler

from .. import _graph
from .._disposable import Disposable, owning
from .._emitter import Emitter
from .._errors import DisposedError
from .._graph import batch
from .._services import Value, service
from .._signal import signal
from .._suspense import Suspense
from ._answers import Call, checked_tokens, checked_user
from ._api import (
    AuthApi,
    AuthError,
    AuthProtocolError,
    AuthRejectedError,
    AuthSession,
    Credentials,
    Secret,
    Tokens,
    User,
)
from ._authenticator import take_restored_tokens
from ._events import SessionEvent, SignOutReason
from ._refresh import RefreshPolicy
from ._scrub import holds_secret, scrub
from ._states import Authenticated, SessionError, SessionState, SignedOut, SigningIn

__all__ = ["USER", "SessionService"]

USER: Final = "USER"
"""The value token of the signed-in user: ``Annotated[User | None, Value(USER)]``."""

log = logging.getLogger("impact_rx.session")

P = ParamSpec("P")
R = TypeVar("R")

_NEVER: Final = 1e9
"""Seconds (about 31 years) beyond which tokens count as never expiring: a
date that far out may not even be representable."""


def _locked(
    method: Callable[Concatenate[SessionService, P], R],
) -> Callable[Concatenate[SessionService, P], R]:
    """Run ``method`` under the session's lock (re-entrant: answers may nest)."""

    def run(self: SessionService, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with self._lock:
            return method(self, *args, **kwargs)

    functools.update_wrapper(run, method)
    return run


@final
class _Generation:
    """One generation of a session: its tokens and what is scheduled for them."""

    __slots__ = (
        "attempt",
        "expires_at",
        "number",
        "password",
        "refresh",
        "replaced",
        "timer",
        "tokens",
        "waiting",
    )

    def __init__(self, number: int, replaced: Tokens | None = None) -> None:
        self.number = number
        self.tokens: Tokens | None = None
        # Only to mask them in an error's text (see ``secrets``): the tokens
        # the current ones replaced, and the password of a sign-in in flight.
        self.replaced = replaced
        self.password: Secret[str] | None = None
        self.expires_at: datetime | None = None
        self.refresh: Call[Secret[str] | None] | None = None
        self.waiting = False  # ``refresh`` waits for its retry time, unsent
        self.timer: DisposableBase | None = None
        self.attempt = 0

    def secrets(self) -> list[Secret[str] | None]:
        """What an ``AuthApi`` error might echo, to mask it (see ``scrub``)."""
        found: list[Secret[str] | None] = [self.password]
        for tokens in (self.tokens, self.replaced):
            if tokens is not None:
                found += [tokens.access_token, tokens.refresh_token]
        return found

    def stop_timer(self) -> None:
        timer, self.timer = self.timer, None
        if timer is not None:
            timer.dispose()

    def close(self, *, silently: bool = False) -> None:
        """Stop everything scheduled or running for this generation."""
        self.stop_timer()
        refresh, self.refresh = self.refresh, None
        self.waiting = False
        if refresh is not None:
            if silently:
                refresh.drop()
            else:
                refresh.cancel()


@service
@final
class SessionService(Disposable):
    """The session of Impact's session guide, finished: state, user, and events.

    Args:
        user: The user the session starts with (``Value(USER)``); ``None``
            starts an anonymous session. Both start ``Authenticated``.
        api: The authentication server.
        scheduler: The provider's scheduler; token refresh and retries run
            on it, so virtual time controls them in tests. Built without a
            provider, the running asyncio loop's, else a timer thread's.
        policy: When to refresh tokens and how to retry; a provider may
            give one by class (``values={RefreshPolicy: ...}``).
        random: The source of retry jitter; give a seeded ``Random`` (by
            class, ``values={Random: Random(1)}``) for repeatable tests.

    Attributes:
        state: The current :data:`SessionState` (a signal: replayed to each
            new subscriber of ``signal_of(session, "state")``).
        user: The signed-in user, or ``None`` (a signal).
        events: What just happened, as :class:`SessionEvent` (no replay).
    """

    state = signal[SessionState](Authenticated())
    user = signal[User | None](None)

    def __init__(
        self,
        user: Annotated[User | None, Value(USER)],
        api: AuthApi,
        scheduler: SchedulerBase | None = None,
        *,
        policy: RefreshPolicy | None = None,
        random: Random | None = None,
    ) -> None:
        self._lock = threading.RLock()
        self._api = api
        self._scheduler = scheduler if scheduler is not None else _own_scheduler()
        self._policy = policy if policy is not None else RefreshPolicy()
        self._random = random if random is not None else Random()
        self._generation = _Generation(0)
        self._sign_in: Call[User | None] | None = None
        self._sign_outs: set[Call[None]] = set()

        with owning(self):
            self.events = Emitter[SessionEvent](name="SessionService.events")
            self.user = user
            self.state = Authenticated()
        # What the session last published: the signals may lag behind it while
        # another thread delivers, and the session decides by what it did.
        self._published: tuple[SessionState, User | None] = (Authenticated(), user)
        self.on_dispose(self._close)

        tokens = take_restored_tokens(api, user)
        if tokens is not None:
            self._keep(self._generation, tokens)

    # ------------------------------------------------------------ reading

    @property
    def is_anonymous(self) -> bool:
        """Whether nobody is signed in (tracked like ``user``)."""
        return self.user is None

    @property
    def generation(self) -> int:
        """The number of the current generation; each sign-in or sign-out adds one."""
        return self._generation.number

    def __repr__(self) -> str:
        state = self._peek_state()
        user = self._peek_user()
        name = getattr(user, "name", None) if user is not None else None
        who = "anonymous" if user is None else repr(name if name else user)
        disposed = " disposed" if self.is_disposed else ""
        status = getattr(state, "status", "?")
        return f"<SessionService {status} {who}{disposed}>"

    # ------------------------------------------------------------ sign in and out

    @_locked
    def sign_in(self, credentials: Credentials) -> Suspense[User | None]:
        """Sign in; the Suspense fulfils with the user or rejects with the error.

        The state moves to ``SigningIn``, then to ``Authenticated`` (``user``
        and ``state`` change in one batch, then ``SIGNED_IN`` is emitted) or
        to ``SessionError(message)`` (then ``SIGN_IN_FAILED``). While a
        sign-in is pending, another call joins it and returns the same
        Suspense, whatever its credentials. A sign-out while it is pending
        wins: its Suspense is cancelled and its late answer dropped.

        Signing in while somebody is signed in starts the new session at
        once: the previous tokens are no longer refreshed, and ``user``
        changes when the answer arrives. If that sign-in fails, nobody is
        signed in: ``user`` becomes ``None`` and ``SIGNED_OUT`` (reason
        ``"user"``) comes before ``SIGN_IN_FAILED``.

        Raises:
            TypeError: ``credentials`` is not a :class:`Credentials` (a
                ``(username, password)`` pair, say): a mistake in the calling
                code, raised at once, before the state or the server is
                touched, and never mistaken for a refused sign-in.
            DisposedError: The session was disposed.
        """
        checked = _checked(credentials)
        self._check_alive("sign_in")
        if self._sign_in is not None:
            return self._sign_in.suspense

        generation = self._next_generation()
        generation.password = checked.password
        call: Call[User | None] = Call("SessionService.sign_in(credentials)")
        self._sign_in = call
        self._publish(SigningIn(), self._peek_user())
        call.start(
            lambda: self._api.sign_in(checked),
            what="AuthApi.sign_in()",
            on_value=lambda answer: self._signed_in(generation, call, answer),
            on_error=lambda error: self._sign_in_failed(generation, call, error),
        )
        return call.suspense

    @_locked
    def sign_out(self, *, reason: SignOutReason = "user") -> Suspense[None]:
        """Sign out now, and tell the server; the Suspense is the server's answer.

        The session ends at once, whatever the server answers: ``user``
        becomes ``None`` and ``state`` ``SignedOut`` in one batch, then
        ``SIGNED_OUT`` with ``reason`` is emitted (unless the session was
        signed out already). A pending sign-in or refresh is cancelled.

        Args:
            reason: ``"user"`` when the person asked, ``"revoked"`` when the
                application learned that the server ended the session.

        Raises:
            DisposedError: The session was disposed.
        """
        self._check_alive("sign_out")
        secrets = self._generation.secrets()  # the server's error may echo them
        self._end(reason)

        call: Call[None] = Call("SessionService.sign_out(tokens)")
        self._sign_outs.add(call)
        call.start(
            self._api.sign_out,
            what="AuthApi.sign_out()",
            on_value=lambda _: self._told_server(call, None),
            on_error=lambda error: self._told_server(call, error, secrets),
        )
        return call.suspense

    @_locked
    def update_user(self, user: User) -> None:
        """Replace the user's details (same ``id``); emits ``USER_UPDATED``.

        Raises:
            DisposedError: The session was disposed.
            ValueError: Nobody is signed in, or ``user`` is somebody else.
        """
        self._check_alive("update_user")
        current = self._peek_user()
        if current is None or _identity(current) != _identity(user):
            raise ValueError(
                "SessionService.update_user() updates the signed-in user's details,"
                " but the new user has a different id (or nobody is signed in)."
                " Sign in as that user instead."
            )
        if current != user:
            self._publish(self._peek_state(), user)
            self._emit(SessionEvent("USER_UPDATED", user=user))

    # ------------------------------------------------------------ tokens

    @_locked
    def access_token(self) -> Suspense[Secret[str] | None]:
        """A Suspense of a fresh access token; ``None`` without a session.

        A token that has not expired is answered at once. An expired one is
        refreshed first: the caller joins the refresh that is running, or,
        while the server is unreachable, the retry that is scheduled, so
        callers never hurry the backoff. The token is never part of
        ``state``, ``user`` or ``events``.

        Raises:
            DisposedError: The session was disposed.
        """
        self._check_alive("access_token")
        generation = self._generation
        tokens = generation.tokens
        if tokens is None or not tokens.access_token:
            return Suspense.resolve(None)
        if not self._expired(generation):
            return Suspense.resolve(tokens.access_token)

        if generation.refresh is not None:
            return generation.refresh.suspense
        if self._can_refresh(generation):
            return self.refresh()
        return Suspense.resolve(tokens.access_token)

    @_locked
    def refresh(self) -> Suspense[Secret[str] | None]:
        """Renew the tokens now; every caller until it answers shares one request.

        On success the new tokens are kept, the next refresh is scheduled and
        ``TOKEN_REFRESHED`` is emitted. When the server cannot be reached the
        session stays and a retry is scheduled with capped exponential
        backoff and jitter; the Suspense rejects with that error. When the
        server refuses the refresh token, the session ends with
        ``SIGNED_OUT`` (reason ``"expired"``). A session without a refresh
        token (or an API without ``refresh``) answers its current token.
        Called while a retry waits, it sends that retry now.

        Raises:
            DisposedError: The session was disposed.
        """
        self._check_alive("refresh")
        generation = self._generation
        waiting = generation.refresh
        if waiting is not None and not generation.waiting:
            return waiting.suspense  # in flight: join it
        if not self._can_refresh(generation):
            tokens = generation.tokens
            return Suspense.resolve(tokens.access_token if tokens else None)

        call: Call[Secret[str] | None] = Call(_REFRESH) if waiting is None else waiting
        self._send_refresh(generation, call)
        return call.suspense

    def _send_refresh(
        self, generation: _Generation, call: Call[Secret[str] | None]
    ) -> None:
        refresh_token = _refresh_token(generation)
        generation.refresh = call
        generation.waiting = False
        generation.stop_timer()
        call.start(
            lambda: self._api.refresh(refresh_token),  # type: ignore[attr-defined]
            what="AuthApi.refresh()",
            on_value=lambda answer: self._refreshed(
                generation, call, answer, refresh_token
            ),
            on_error=lambda error: self._refresh_failed(
                generation, call, error, refresh_token
            ),
        )

    # ------------------------------------------------------------ answers

    @_locked
    def _signed_in(
        self, generation: _Generation, call: Call[User | None], answer: object
    ) -> None:
        if not self._current(generation) or self._sign_in is not call:
            return
        try:
            user, tokens = _session_parts(answer, _call_of(self._api, "sign_in"))
        except (AuthProtocolError, TypeError) as error:
            self._sign_in_failed(generation, call, error)
            return

        self._sign_in = None
        generation.password = None
        if tokens is not None:
            self._keep(generation, tokens)
        self._publish(Authenticated(), user)
        if self._current(generation):  # a state subscriber may have signed out
            self._emit(SessionEvent("SIGNED_IN", user=user))
        call.resolve(user)

    @_locked
    def _sign_in_failed(
        self, generation: _Generation, call: Call[User | None], error: Exception
    ) -> None:
        if not self._current(generation) or self._sign_in is not call:
            return

        self._sign_in = None
        secrets = generation.secrets()
        generation.password = None
        what = _call_of(self._api, "sign_in")
        if _is_bug(error):
            message = _report_bug(what, error, secrets)
        else:
            message = _withheld(readable(error), secrets, what, error)
        # Its tokens were dropped when this sign-in began: nobody is left.
        previous_user = self._peek_user()
        self._publish(SessionError(message), None)
        if previous_user is not None:
            self._emit(SessionEvent("SIGNED_OUT", user=previous_user, reason="user"))
        if self._current(generation):  # a listener may have signed in again
            self._emit(SessionEvent("SIGN_IN_FAILED", error=message))
        call.reject(error)

    @_locked
    def _refreshed(
        self,
        generation: _Generation,
        call: Call[Secret[str] | None],
        answer: object,
        sent: Secret[str] | None,
    ) -> None:
        if not self._current(generation) or generation.refresh is not call:
            return
        try:
            renewed, tokens = _refresh_parts(answer, _call_of(self._api, "refresh"))
        except (AuthProtocolError, TypeError) as error:
            self._refresh_failed(generation, call, error, sent)
            return

        generation.refresh = None
        user = self._peek_user()
        if renewed is not None and _identity(renewed) != _identity(user):
            self._finish(generation, "revoked")
            call.reject(
                AuthRejectedError(
                    "AuthApi.refresh() answered a session of another user,"
                    " so this session was ended as revoked. Sign in again."
                )
            )
            return

        if tokens.refresh_token is None and generation.tokens is not None:
            tokens = Tokens(
                tokens.access_token, generation.tokens.refresh_token, tokens.expires_in
            )
        generation.attempt = 0
        self._keep(generation, tokens)
        self._emit(SessionEvent("TOKEN_REFRESHED", user=user))
        if renewed is not None and renewed != user:
            self._publish(self._peek_state(), renewed)
            self._emit(SessionEvent("USER_UPDATED", user=renewed))
        call.resolve(tokens.access_token)

    @_locked
    def _refresh_failed(
        self,
        generation: _Generation,
        call: Call[Secret[str] | None],
        error: Exception,
        sent: Secret[str] | None,
    ) -> None:
        if not self._current(generation) or generation.refresh is not call:
            return
        generation.refresh = None
        secrets = [*generation.secrets(), sent]

        if isinstance(error, AuthRejectedError):
            self._finish(generation, "expired")
            call.reject(error)
            return

        delay = self._policy.retry_delay(generation.attempt, self._random)
        generation.attempt += 1
        if not _is_bug(error):
            log.info(
                "Token refresh failed (%s: %s); the session stays and retries"
                " in %.1f s.",
                type(error).__name__,
                scrub(readable(error), secrets),
                delay,
            )
        else:
            _report_bug(_call_of(self._api, "refresh"), error, secrets)
        generation.refresh = Call(_REFRESH)
        generation.waiting = True
        generation.timer = self._scheduler.schedule_relative(
            delay, lambda _scheduler, _state: self._refresh_due(generation)
        )
        call.reject(error)

    @_locked
    def _refresh_due(self, generation: _Generation) -> None:
        generation.timer = None
        if self._current(generation):
            self.refresh()

    @_locked
    def _told_server(
        self,
        call: Call[None],
        error: Exception | None,
        secrets: Iterable[Secret[str] | None] = (),
    ) -> None:
        self._sign_outs.discard(call)
        if error is None:
            call.resolve(None)
            return
        if _is_bug(error):
            _report_bug(_call_of(self._api, "sign_out"), error, secrets)
        call.reject(error)

    # ------------------------------------------------------------ generations

    def _current(self, generation: _Generation) -> bool:
        return generation is self._generation and not self.is_disposed

    def _next_generation(self) -> _Generation:
        """Start a new generation: whatever the previous one awaited is void."""
        previous = self._generation
        replaced = previous.tokens or previous.replaced
        self._generation = _Generation(previous.number + 1, replaced)
        previous.close()
        return self._generation

    def _keep(self, generation: _Generation, tokens: Tokens) -> None:
        """Hold ``tokens`` and schedule their refresh when they expire."""
        if generation.tokens is not None:
            generation.replaced = generation.tokens
        generation.tokens = tokens
        generation.stop_timer()
        if tokens.expires_in is None or tokens.expires_in > _NEVER:
            generation.expires_at = None
            return

        lifetime = max(float(tokens.expires_in), 0.0)  # negative: expired already
        generation.expires_at = self._scheduler.now + timedelta(seconds=lifetime)
        if self._can_refresh(generation):
            generation.timer = self._scheduler.schedule_relative(
                self._policy.refresh_delay(lifetime),
                lambda _scheduler, _state: self._refresh_due(generation),
            )

    def _can_refresh(self, generation: _Generation) -> bool:
        has_refresh = callable(getattr(self._api, "refresh", None))
        return has_refresh and _refresh_token(generation) is not None

    def _expired(self, generation: _Generation) -> bool:
        expires_at = generation.expires_at
        return expires_at is not None and self._scheduler.now >= expires_at

    def _end(self, reason: SignOutReason) -> None:
        """End the session locally: a new generation, no user, ``SignedOut``."""
        was_signed_out = isinstance(self._peek_state(), SignedOut)
        previous_user = self._peek_user()
        self._next_generation()
        sign_in, self._sign_in = self._sign_in, None

        self._publish(SignedOut(), None)
        if not was_signed_out:
            self._emit(SessionEvent("SIGNED_OUT", user=previous_user, reason=reason))
        if sign_in is not None:
            sign_in.cancel()

    def _finish(self, generation: _Generation, reason: SignOutReason) -> None:
        if self._current(generation):
            self._end(reason)

    # ------------------------------------------------------------ lifetime

    def _peek_state(self) -> SessionState:
        return self._published[0]

    def _peek_user(self) -> User | None:
        return self._published[1]

    def _publish(self, state: SessionState, user: User | None) -> None:
        """Set ``user`` and ``state`` together, never waiting for another thread.

        When another thread is delivering signal changes, the writes are
        queued behind it whole (one batch, in order with this session's
        other writes and events) instead of waiting for it: this thread
        holds the session's lock, and that thread's subscribers may need it.
        """
        self._published = (state, user)

        def write(_: object = None) -> None:
            with batch():
                self.user = user
                self.state = state

        _graph.run_or_queue(write, None)

    def _emit(self, event: SessionEvent) -> None:
        if not self.is_disposed:
            self.events.emit(event)

    def _check_alive(self, method: str) -> None:
        if self.is_disposed:
            raise DisposedError(
                f"SessionService.{method}() was called after the session was"
                " disposed. Resolve the SessionService of a provider that is"
                " still open."
            )

    @_locked
    def _close(self) -> None:
        self._generation.close(silently=True)
        sign_in, self._sign_in = self._sign_in, None
        if sign_in is not None:
            sign_in.drop()
        sign_outs, self._sign_outs = self._sign_outs, set()
        for call in sign_outs:
            call.drop()


def readable(error: BaseException) -> str:
    """A message for people: the error's own text, else what kind it is.

    Never raises: an error whose ``__str__`` raises is described by its kind
    (raised here, it would leave the session stuck in ``SigningIn``).
    """
    kind = type(error).__name__
    try:
        text = str(error).strip()
    except Exception as unreadable:
        text = ""
        kind += (
            "; its message could not be read: its __str__ raised"
            f" {type(unreadable).__name__}"
        )
    if text:
        return text
    if isinstance(error, AuthError):
        return f"The server did not accept the request ({kind})."
    return f"The request failed ({kind})."


def _own_scheduler() -> SchedulerBase:
    """For a session built without a provider: as a provider would choose."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return TimeoutScheduler.singleton()
    return AsyncIOThreadSafeScheduler(loop)


def _checked(credentials: object) -> Credentials:
    """``credentials``, or a ``TypeError`` that never shows what was passed."""
    if isinstance(credentials, Credentials):
        return credentials
    raise TypeError(
        "SessionService.sign_in() needs Credentials(username, password),"
        f" got {type(credentials).__name__}."
        " Wrap them: sign_in(Credentials(username, password))."
    )


def _refresh_token(generation: _Generation) -> Secret[str] | None:
    tokens = generation.tokens
    if tokens is None or not tokens.refresh_token:
        return None
    return tokens.refresh_token


def _identity(user: object) -> object:
    return getattr(user, "id", user)


_SIGN_IN_ANSWERS: Final = "an AuthSession or a User (impact_rx.session)"
_REFRESH_ANSWERS: Final = "Tokens or an AuthSession with a User (impact_rx.session)"

_REFRESH: Final = "SessionService.refresh(refresh_token)"
"""The label of a refresh's suspense: secret-looking, so its repr hides it."""

_BUGS: Final = (
    TypeError,
    AttributeError,
    NameError,
    LookupError,
    AssertionError,
    NotImplementedError,
    ImportError,
)
"""What an ``AuthApi`` raises by mistake, never to tell a failed sign-in: a
call with the wrong arguments, a misspelt attribute, an answer of the wrong
type. Other exceptions (``AuthError``, ``OSError``, ...) are failures the
session shows as they are."""


def _is_bug(error: BaseException) -> bool:
    """Whether ``error`` is an ``AuthApi`` bug (see ``_BUGS``).

    An ``AuthError`` never is, even one that is also a ``LookupError``
    (``class UnknownUser(AuthRejectedError, KeyError)``): the API raised it
    on purpose, as a refusal.
    """
    return isinstance(error, _BUGS) and not isinstance(error, AuthError)


def _session_parts(answer: object, what: str) -> tuple[User | None, Tokens | None]:
    """The user and tokens of a sign-in answer.

    Args:
        answer: What ``sign_in`` answered.
        what: The call and the API's class, for a ``TypeError``.

    Raises:
        AuthProtocolError: The answer holds no user (``None``, ``Tokens``).
        TypeError: The answer is no ``AuthSession`` or ``User`` (a bug of the
            ``AuthApi``; the message names only the type, never the value).
    """
    if isinstance(answer, AuthSession) and answer.user is not None:
        checked_user(answer, what=what, allowed=_SIGN_IN_ANSWERS)
        return answer.user, checked_tokens(answer.tokens, what="AuthApi.sign_in()")
    if answer is None or isinstance(answer, Tokens | AuthSession):
        raise AuthProtocolError(
            "AuthApi.sign_in() answered without a user."
            " Answer an AuthSession or a User."
        )
    return checked_user(answer, what=what, allowed=_SIGN_IN_ANSWERS), None


def _call_of(api: object, method: str) -> str:
    """The call, for messages: ``AuthApi.sign_in() of HttpAuthApi``."""
    return f"AuthApi.{method}() of {type(api).__qualname__}"


def _withheld(
    text: str, secrets: Iterable[Secret[str] | None], what: str, error: Exception
) -> str:
    """``text`` for users; if it holds a secret, a notice in its stead.

    Not masked: in a message anyone can know, ``********`` in the place of a
    word shows which word the secret was (see ``holds_secret``).
    """
    if not holds_secret(text, secrets):
        return text
    return (
        f"{what} raised {type(error).__name__}; its message is not shown"
        " because it contained a secret."
    )


def _report_bug(
    what: str, error: BaseException, secrets: Iterable[Secret[str] | None]
) -> str:
    """Log a bug an ``AuthApi`` raised (see ``_BUGS``); the text for people.

    Such an error is never a refusal: it is logged with its traceback, and
    the session's state says so without the error's own text. The traceback
    is formatted here, with ``secrets`` masked, and logged as part of the
    message: given as ``exc_info``, a handler would format the raw exception,
    whose text may hold a token the API put there.
    """
    message = (
        f"{what} raised {type(error).__name__}, which is not an AuthError:"
        " a bug in the AuthApi, not a refusal by the server."
        " Its traceback is logged on impact_rx.session."
    )
    trace = scrub("".join(traceback.format_exception(error)), secrets)
    log.error("%s\n%s", message, trace.rstrip("\n"))
    return message


def _refresh_parts(answer: object, what: str) -> tuple[User | None, Tokens]:
    """The user (if it answered one) and tokens of a refresh answer.

    Raises:
        AuthProtocolError: The answer is no ``Tokens`` or ``AuthSession``, or
            its tokens are malformed or expired.
        TypeError: An ``AuthSession`` whose user is no ``User`` (a bug of the
            ``AuthApi``, as for ``sign_in``: not a session of another user).
    """
    if isinstance(answer, Tokens):
        user, tokens = None, answer
    elif isinstance(answer, AuthSession):
        user = answer.user
        if user is not None:  # None, as before: the same user, new tokens
            user = checked_user(answer, what=what, allowed=_REFRESH_ANSWERS)
        tokens = answer.tokens
    else:
        raise AuthProtocolError(
            "AuthApi.refresh() answered neither Tokens nor an AuthSession."
            " Answer the new tokens."
        )

    checked_tokens(tokens, what="AuthApi.refresh()")
    if tokens.expires_in is not None and tokens.expires_in <= 0:
        # Keeping them would refresh again at once, and again: a loop.
        raise AuthProtocolError(
            "AuthApi.refresh() answered tokens that have already expired."
            " Check the server's clock and its token lifetime."
        )
    return user, tokens
