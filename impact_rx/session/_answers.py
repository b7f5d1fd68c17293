"""Turn whatever an ``AuthApi`` method returned into one Observable answer.

An API may answer with an Observable (its first value is the answer; an
empty one answers ``None``), an awaitable (run as a task on the running
asyncio loop, cancelled when the subscription is disposed), a ``Suspense``,
or a plain value. Every form becomes a cold Observable of at most one value,
so the session handles one shape and a marble test can answer with
``cold("--a|", {"a": user})``.
"""

from __future__ import annotations

import asyncio
import inspect
import math
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar, final

import reactivex
from reactivex import abc
from reactivex import operators as ops
from reactivex.disposable import Disposable as RxDisposable
from reactivex.scheduler import ImmediateScheduler
from reactivex.subject import AsyncSubject

from .._suspense import Fulfilled, Pending, Rejected, State, Suspense
from ._api import AuthProtocolError, AuthSession, Tokens, User

__all__ = ["Call", "answer_of", "checked_tokens", "checked_user"]

T = TypeVar("T")


def answer_of(answer: object, *, what: str) -> reactivex.Observable[Any]:
    """One cold Observable for ``answer``: at most one value, then completion.

    Args:
        answer: What the API method returned.
        what: The call, for error messages, e.g. ``"AuthApi.sign_in()"``.
    """
    if isinstance(answer, Suspense):
        return _from_suspense(answer)
    if isinstance(answer, reactivex.Observable):
        return answer.pipe(ops.take(1), ops.default_if_empty(None))
    if inspect.isawaitable(answer):
        return _from_awaitable(answer, what)
    return reactivex.return_value(answer, scheduler=ImmediateScheduler.singleton())


def checked_tokens(tokens: Tokens, *, what: str) -> Tokens:
    """``tokens``, unless their lifetime is not a number of seconds.

    Raises:
        AuthProtocolError: ``expires_in`` is neither ``None`` nor a number
            (``NaN`` and ``True`` are not).
    """
    expires_in: object = tokens.expires_in
    if expires_in is None:
        return tokens
    if (
        isinstance(expires_in, bool)
        or not isinstance(expires_in, int | float)
        or math.isnan(expires_in)
    ):
        raise AuthProtocolError(
            f"{what} answered tokens whose expires_in is not a number of seconds."
            " Answer a number, or None for tokens that do not expire."
        )
    return tokens


def checked_user(answer: object, *, what: str, allowed: str) -> User:
    """The ``User`` of an answer: a ``User``, or an ``AuthSession`` holding one.

    Args:
        answer: What the API answered.
        what: The call, for the message.
        allowed: What the call may answer, for the message.

    Raises:
        TypeError: Anything else, naming the call, the type it answered (never
            the value: it may hold tokens) and what it must answer.
    """
    user = answer.user if isinstance(answer, AuthSession) else answer
    if isinstance(user, User):
        return user
    got = _kind(user)
    if isinstance(answer, AuthSession):
        got = f"an AuthSession whose user is {got}"
    raise TypeError(
        f"{what} answered {got}; it must answer {allowed}."
        " Build User(id, name) from what the server sent."
    )


def _kind(value: object) -> str:
    name = type(value).__name__
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"


def _from_suspense(suspense: Suspense[Any]) -> reactivex.Observable[Any]:
    def settled(state: State[Any]) -> reactivex.Observable[Any]:
        if isinstance(state, Fulfilled):
            return reactivex.return_value(state.value)
        if isinstance(state, Rejected):
            return reactivex.throw(_as_exception(state.reason))
        return reactivex.empty()

    return suspense.pipe(
        ops.filter(lambda state: not isinstance(state, Pending)),
        ops.take(1),
        ops.flat_map(settled),
    )


def _from_awaitable(work: Awaitable[Any], what: str) -> reactivex.Observable[Any]:
    def subscribe(
        observer: abc.ObserverBase[Any], scheduler: abc.SchedulerBase | None = None
    ) -> abc.DisposableBase:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            if inspect.iscoroutine(work):
                work.close()  # no "coroutine was never awaited" warning
            observer.on_error(
                RuntimeError(
                    f"{what} answered with an awaitable, but no asyncio loop is"
                    " running in this thread to run it."
                    " Call the session from async code, or make the API answer"
                    " with an Observable."
                )
            )
            return RxDisposable()

        task = asyncio.ensure_future(work, loop=loop)
        live = True

        def done(task: asyncio.Future[Any]) -> None:
            if task.cancelled():
                return
            error = task.exception()  # read even when nobody listens any more
            if not live:
                return
            if error is not None:
                observer.on_error(_as_exception(error))
            else:
                observer.on_next(task.result())
                observer.on_completed()

        def dispose() -> None:
            nonlocal live
            live = False
            task.cancel()

        task.add_done_callback(done)
        return RxDisposable(dispose)

    return reactivex.create(subscribe)


def _as_exception(error: BaseException) -> Exception:
    if isinstance(error, Exception):
        return error
    return RuntimeError(f"the call ended with {type(error).__name__}")


@final
class Call(Generic[T]):
    """One request to the API and the ``Suspense`` the session settles for it.

    The session decides what the answer means (and whether it still
    matters), so the suspense is settled by :meth:`resolve` and
    :meth:`reject`, never by the answer directly. :meth:`cancel` (superseded:
    subscribers see ``Rejected(CancelledError())``) and :meth:`drop` (the
    session is disposed: subscribers see nothing more) also stop the request.

    Example:
        >>> call = Call[int]()
        >>> call.suspense.status
        'pending'
        >>> call.resolve(3)
        >>> call.reject(ValueError("late"))  # settled already: ignored
        >>> call.suspense.value
        3
    """

    __slots__ = ("_subject", "_subscription", "suspense")

    def __init__(self, label: str | None = None) -> None:
        self._subject: AsyncSubject[T] = AsyncSubject()
        self._subscription: abc.DisposableBase | None = None
        self.suspense: Suspense[T] = Suspense.from_(self._subject)
        # Named like a secret (``SessionService.refresh(refresh_token)``), the
        # suspense's repr hides its value and its error's text, which an
        # AuthApi may have filled with the secret it was sent.
        self.suspense._label = label

    def start(
        self,
        invoke: Callable[[], object],
        *,
        what: str,
        on_value: Callable[[Any], None],
        on_error: Callable[[Exception], None],
    ) -> None:
        """Call the API and route its one answer to ``on_value``/``on_error``.

        An exception raised by ``invoke`` itself counts as a failed answer.
        An Observable answer keeps its own scheduling: a plain value or
        ``reactivex.of(...)`` answers during this call.
        """
        try:
            source = answer_of(invoke(), what=what)
        except Exception as error:
            on_error(error)
            return
        subscription = source.subscribe(on_value, on_error)
        if self.settled:
            subscription.dispose()  # answered synchronously
        else:
            self._subscription = subscription

    @property
    def settled(self) -> bool:
        """Whether the suspense has left ``pending``."""
        return self.suspense.status != "pending"

    def resolve(self, value: T) -> None:
        """Fulfil with ``value`` unless already settled."""
        self._stop()
        if not self.settled:
            self._subject.on_next(value)
            self._subject.on_completed()

    def reject(self, error: Exception) -> None:
        """Reject with ``error`` unless already settled."""
        self._stop()
        if not self.settled:
            self._subject.on_error(error)

    def cancel(self) -> None:
        """Stop the request; the suspense rejects with ``CancelledError``."""
        self._stop()
        self.suspense.cancel()

    def drop(self) -> None:
        """Stop the request; the suspense emits nothing more."""
        self._stop()
        self.suspense.dispose()

    def _stop(self) -> None:
        subscription, self._subscription = self._subscription, None
        if subscription is not None:
            subscription.dispose()
