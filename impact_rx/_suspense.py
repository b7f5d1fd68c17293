"""Suspense: async work read synchronously, and observed as states.

A ``Suspense[T]`` is Impact's ``SuspensePromise`` as a ``reactivex``
Observable of three frozen states: ``Pending()``, ``Fulfilled(value)`` and
``Rejected(reason)``. The work starts once, when the suspense is created,
however many subscribers come and go.

Every transition::

    Pending ──result──────────▶ Fulfilled(value)     final
    Pending ──exception───────▶ Rejected(reason)     final
    Pending ──cancel()────────▶ Rejected(CancelledError())   final, emitted
    Pending ──owner disposed──▶ Rejected(CancelledError())   final, silent
    Fulfilled / Rejected ──anything──▶ unchanged

- A settled state never changes again: a result that arrives after
  ``cancel()`` is dropped, and ``cancel()`` on a settled suspense does
  nothing and returns ``False``. Nothing follows a rejection; retrying means
  making a new suspense (``query`` and ``mutation`` do that for you).
- Subscribing emits the current state at once; while pending, the settled
  state follows when it arrives, then the stream completes. Subscribing to a
  settled suspense emits its state and completes.
- ``cancel()`` cancels the work (the task, the future, or the subscription
  to the source Observable) and emits ``Rejected(CancelledError())`` to
  current subscribers.
- ``dispose()``, which the owner calls when a suspense was created inside a
  service's constructor, cancels the work the same way but emits *nothing*:
  current subscribers are dropped without a further state, later
  subscribers only see completion, and ``await`` raises ``CancelledError``.
  That error's note says which service (and provider) was disposed; a note
  rather than a message, so it still equals ``CancelledError()`` in a
  ``Rejected``.
- A rejection nobody observed is never logged as "exception was never
  retrieved": the suspense reads the task's exception as soon as it ends.
- Reads (``state``, ``status``, ``value``, ``reason``, ``use()``) are
  tracked: a computed or effect that read a pending suspense runs again
  when it settles.
- A future may finish on another thread: the suspense settles once, under
  a lock, and calls its subscribers outside it, on the thread that settled
  it. ``await`` always resumes on the awaiting loop, and ``cancel()`` or
  ``dispose()`` from another thread cancels a task on its own loop.

>>> from impact_rx import Suspense, Pending, Fulfilled, Rejected
>>> import reactivex
>>> s = Suspense.from_(reactivex.of(42))
>>> s.status, s.value, s.use()
('fulfilled', 42, 42)
>>> _ = s.subscribe(print)
Fulfilled(42)
>>> subject = reactivex.subject.Subject()
>>> p = Suspense.from_(subject)
>>> p
Suspense<pending>
>>> _ = p.subscribe(print, on_completed=lambda: print("done"))
Pending()
>>> subject.on_error(ValueError("no user"))
Rejected(ValueError('no user'))
done
>>> p.status, p.reason
('rejected', ValueError('no user'))
>>> p.cancel()  # settled already: nothing changes
False
>>> Suspense.resolve(1).cancel(), Suspense.from_(reactivex.never()).cancel()
(False, True)
>>> Rejected(ValueError("x")) == Rejected(ValueError("x"))
True
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import logging
import threading
import weakref
from collections.abc import Awaitable, Callable, Coroutine, Generator
from contextlib import nullcontext
from dataclasses import dataclass
from typing import (
    Any,
    ClassVar,
    Generic,
    Literal,
    TypeAlias,
    TypeVar,
    cast,
    final,
    overload,
)

import reactivex
from reactivex import abc
from reactivex.disposable import Disposable as RxDisposable
from reactivex.internal.exceptions import SequenceContainsNoElementsError

from . import _graph, _resolution
from ._disposable import adopt, current_owner, owning
from ._errors import (
    SubscriberError,
    SuspendedError,
    SuspenseCreatedInRunError,
    _short,
)
from ._redact import REDACTED, anonymous, looks_secret
from ._signal import Signal

__all__ = [
    "Fulfilled",
    "Pending",
    "Rejected",
    "Source",
    "State",
    "Status",
    "Suspense",
]

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)

Status: TypeAlias = Literal["pending", "fulfilled", "rejected"]


@final
@dataclass(frozen=True, slots=True)
class Pending:
    """The work has not settled yet.

    Example:
        >>> Pending() == Pending(), Pending().status
        (True, 'pending')
    """

    status: ClassVar[Literal["pending"]] = "pending"

    def __repr__(self) -> str:
        return "Pending()"


@final
@dataclass(frozen=True, slots=True)
class Fulfilled(Generic[T_co]):
    """The work succeeded with ``value``.

    Example:
        >>> Fulfilled("a") == Fulfilled("a"), Fulfilled("a").status
        (True, 'fulfilled')
    """

    value: T_co
    status: ClassVar[Literal["fulfilled"]] = "fulfilled"

    def __repr__(self) -> str:
        return f"Fulfilled({_short(self.value, 60)})"


@final
@dataclass(frozen=True, slots=True, eq=False)
class Rejected:
    """The work failed (or was cancelled) with ``reason``.

    Two ``Rejected`` are equal when their exceptions have the same type and
    the same ``args``, so expected states can be written in tests.

    Example:
        >>> Rejected(KeyError("k")) == Rejected(KeyError("k"))
        True
        >>> Rejected(KeyError("k")) == Rejected(LookupError("k"))
        False
    """

    reason: BaseException
    status: ClassVar[Literal["rejected"]] = "rejected"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Rejected):
            return NotImplemented
        mine, theirs = self.reason, other.reason
        return type(mine) is type(theirs) and mine.args == theirs.args

    def __hash__(self) -> int:
        try:
            return hash((type(self.reason), self.reason.args))
        except TypeError:  # unhashable args still compare by value
            return hash(type(self.reason))

    def __repr__(self) -> str:
        return f"Rejected({_short(self.reason, 60)})"


State: TypeAlias = Pending | Fulfilled[T] | Rejected

Source: TypeAlias = (
    Awaitable[T] | reactivex.Observable[T] | concurrent.futures.Future[T]
)
"""What :meth:`Suspense.from_` accepts."""
# A type alias has no docstring of its own: give it one for help(Source),
# and the package as its module, as for every public name.
Source.__doc__ = (
    "Work giving a T, as Suspense.from_, query and mutation accept it:"
    " a coroutine or other awaitable, an asyncio Task or Future, a"
    " concurrent.futures.Future, or an Observable (its first value)."
)
Source.__module__ = "impact_rx"

_PENDING = Pending()

_log = logging.getLogger("impact_rx.suspense")

# The tracked signals (what a run's sources hold) of suspenses that a run
# created and then suspended on: when one that has settled is among the
# sources of a run that suspends on a suspense it created, again, the run
# makes new work each time (see ``Suspense._suspended``). Weak: a signal
# nobody reads any more leaves by itself.
_made_in_run: weakref.WeakSet[Signal[Any]] = weakref.WeakSet()

# Tasks the suspenses started: asyncio keeps only weak references to tasks,
# so one nobody else holds could be collected while it runs.
_running_tasks: set[asyncio.Future[Any]] = set()


class _Sink:
    """One subscriber, and whether it has received its initial state yet.

    The settled state can arrive on another thread while a new subscriber is
    still being given ``Pending``; the subscribing thread then delivers the
    settled state itself, so every subscriber sees states in order.
    """

    __slots__ = ("deferred", "observer", "ready")

    def __init__(self, observer: abc.ObserverBase[Any]) -> None:
        self.observer = observer
        self.ready = False
        self.deferred = False


@final
class Suspense(reactivex.Observable[State[T]]):
    """Async work as an Observable of ``Pending``, ``Fulfilled`` and ``Rejected``.

    Build one with :meth:`from_`, :meth:`resolve` or :meth:`reject`. A
    pending suspense created while a service's constructor runs is owned by
    the service and disposed with it. The module docstring lists every
    transition.

    Example:
        >>> s = Suspense.resolve("ada")
        >>> s
        Suspense<fulfilled: 'ada'>
        >>> s.status, s.state
        ('fulfilled', Fulfilled('ada'))
    """

    def __init__(self) -> None:
        """A pending suspense settled by the library; prefer :meth:`from_`."""
        super().__init__()
        self._lock = threading.Lock()
        self._state: State[T] = _PENDING
        self._sinks: list[_Sink] = []
        self._waiters: list[Callable[[State[T]], None]] = []
        self._disposed = False
        self._cancel_work: Callable[[], object] | None = None
        # Deliver the settled state to every subscriber in one batch (set by
        # Mutation: its reset and the caller's writes are one change).
        self._one_change = False
        # What made it, for logs: "query load_user" (set by query, mutation).
        self._label: str | None = None
        # Mirrors the state for computeds and effects: reading a pending
        # suspense in a tracking scope subscribes it to the settled state.
        with owning(None):
            self._tracked: Signal[State[T]] = Signal(_PENDING, name="suspense")
        self._unown: Callable[[], None] | None = adopt(self.dispose)
        self._owner = _owner_text() if self._unown is not None else None
        # What the computed, effect or observe block running now records its
        # reads in, when one is: a run that suspends on this suspense while
        # recording there created what it waits for (see ``_unwrap``).
        born_in = _running_tracker()
        if born_in is not None and _resolution.building_during(born_in):
            born_in = None  # a service built on first use in the run made it
        self._born_in = born_in

    # -- construction -----------------------------------------------------

    @overload
    @classmethod
    def from_(
        cls, source: Suspense[T], *, scheduler: abc.SchedulerBase | None = None
    ) -> Suspense[T]: ...

    @overload
    @classmethod
    def from_(
        cls, source: Source[T], *, scheduler: abc.SchedulerBase | None = None
    ) -> Suspense[T]: ...

    @classmethod
    def from_(
        cls,
        source: Suspense[T] | Source[T],
        *,
        scheduler: abc.SchedulerBase | None = None,
    ) -> Suspense[T]:
        """Start (or follow) ``source`` once and expose its outcome as states.

        Args:
            source: A suspense (returned as it is), a coroutine or other
                awaitable (run as a task on the running loop), an asyncio
                Task or Future, a ``concurrent.futures.Future``, or an
                Observable (subscribed at once; its first value fulfils, an
                error rejects, completing without a value rejects).
            scheduler: Passed to ``subscribe`` of an Observable source, so a
                ``TestScheduler`` controls when it settles.

        Returns:
            The suspense, pending unless the source had already settled.

        Raises:
            RuntimeError: ``source`` is a coroutine or awaitable and no
                asyncio loop is running in this thread.
            TypeError: ``source`` is none of the accepted kinds (a coroutine
                function is refused with the advice to call it).
        """
        if isinstance(source, Suspense):
            return source
        if inspect.iscoroutinefunction(source):
            name = getattr(source, "__name__", repr(source))
            raise TypeError(
                "Suspense.from_() takes the work itself, got the coroutine"
                f" function {name}. Call it: Suspense.from_({name}())."
            )

        suspense: Suspense[T] = cls()
        if isinstance(source, reactivex.Observable):
            suspense._follow_observable(
                cast(reactivex.Observable[T], source), scheduler
            )
        elif isinstance(source, concurrent.futures.Future):
            suspense._follow_concurrent(source)
        elif isinstance(source, asyncio.Future):
            suspense._follow_asyncio(source)
        elif inspect.isawaitable(source):
            suspense._follow_asyncio(_start_task(suspense, source))
        else:
            suspense.dispose()
            raise TypeError(
                "Suspense.from_() accepts a coroutine, an awaitable, an asyncio"
                " Task or Future, a concurrent.futures.Future or an Observable,"
                f" got {type(source).__name__}."
                " Wrap a plain value with Suspense.resolve(value)."
            )
        return suspense

    @classmethod
    def resolve(cls, value: T) -> Suspense[T]:
        """A suspense already fulfilled with ``value``.

        Example:
            >>> Suspense.resolve(3).use()
            3
        """
        suspense: Suspense[T] = cls()
        suspense._settle(Fulfilled(value))
        return suspense

    @classmethod
    def reject(cls, reason: BaseException) -> Suspense[Any]:
        """A suspense already rejected with ``reason``.

        Raises:
            TypeError: ``reason`` is not an exception instance.

        Example:
            >>> Suspense.reject(ValueError("nope")).reason
            ValueError('nope')
        """
        if not isinstance(reason, BaseException):
            got = (
                f"the class {reason.__name__}"
                if isinstance(reason, type)
                else type(reason).__name__
            )
            raise TypeError(
                f"Suspense.reject() takes an exception instance, got {got}."
                " Pass an exception object,"
                f" e.g. Suspense.reject({_exception_name(reason)}(...))."
            )
        suspense: Suspense[Any] = cls()
        suspense._settle(Rejected(reason))
        return suspense

    def _follow_observable(
        self, source: reactivex.Observable[T], scheduler: abc.SchedulerBase | None
    ) -> None:
        subscription: abc.DisposableBase | None = None

        def settle(state: State[T]) -> None:
            try:
                self._settle(state)
            finally:
                if subscription is not None:
                    subscription.dispose()

        def on_completed() -> None:
            settle(
                Rejected(
                    SequenceContainsNoElementsError(
                        f"{_short(source, 60)} completed without a value,"
                        " so the suspense following it was rejected."
                        " Give the source a value to emit, or use"
                        " default_if_empty() on it."
                    )
                )
            )

        def unsubscribe() -> None:
            if subscription is not None:
                subscription.dispose()

        self._cancel_work = unsubscribe
        subscription = source.subscribe(
            lambda value: settle(Fulfilled(value)),
            lambda error: settle(Rejected(error)),
            on_completed,
            scheduler=scheduler,
        )
        if self._state is not _PENDING:  # settled while subscribing
            subscription.dispose()

    def _follow_concurrent(self, future: concurrent.futures.Future[T]) -> None:
        self._cancel_work = future.cancel
        future.add_done_callback(self._settle_from)  # at once when already done

    def _follow_asyncio(self, future: asyncio.Future[T]) -> None:
        self._cancel_work = lambda: _cancel_on_its_loop(future)
        if future.done():
            self._settle_from(future)
        else:
            future.add_done_callback(self._settle_from)

    def _settle_from(
        self, future: asyncio.Future[T] | concurrent.futures.Future[T]
    ) -> None:
        """Settle from a finished future; a done callback, so it never raises.

        Reading the exception marks it retrieved, so asyncio never logs it,
        even when the suspense was cancelled or disposed first.
        """
        if future.cancelled():
            state: State[T] = Rejected(asyncio.CancelledError())
        elif (error := future.exception()) is not None:
            state = Rejected(error)
        else:
            state = Fulfilled(future.result())

        try:
            self._settle(state)
        except SubscriberError as exc:
            # Nobody called us who could handle it: the loop or a worker
            # thread runs this callback.
            _log.error(
                "Subscribers of %s raised when it became %s;"
                " the others were still notified.",
                self._describe(),
                state.status,
                exc_info=exc,
            )

    def _describe(self) -> str:
        """Which suspense this is, for logs: what made it and who owns it."""
        what = f"the suspense of {self._label}" if self._label else "a suspense"
        return f"{what} made by {self._owner}" if self._owner else what

    # -- synchronous reads ------------------------------------------------

    def _read(self) -> State[T]:
        """The state; in a computed or effect, also a dependency on it."""
        _ = self._tracked.value
        if self._tracked in _made_in_run:
            run = _running_tracker()
            if run is not None and run is not self._born_in:
                # A later run reuses it: it was kept. (A read outside any run,
                # of what a SuspendedError names, says nothing of that.)
                _made_in_run.discard(self._tracked)
        return self._state

    def _suspended(self, run: Any, error: SuspendedError) -> Exception:
        """Check a run of ``run`` that suspended on this suspense, created in it.

        The first such run waits, as any other. When ``run``'s previous run
        did the same with a suspense that has settled since, and did not
        read it again, each run makes new work to wait for: this one is
        refused, and its suspense cancelled. Not when another of its
        sources moved since that run: new input (a new key) may well need
        new work, and a run that loops is caught when it runs again.

        Returns:
            ``error`` when the run may wait, else the error that replaces it.
        """
        previous = [
            source
            for source in run._sources
            if source in _made_in_run and not isinstance(source.peek(), Pending)
        ]
        if not previous or _inputs_moved(run):
            _made_in_run.add(self._tracked)
            return error

        self._quiet_dispose()
        kind, label = _run_label(run)
        return SuspenseCreatedInRunError(
            f"{kind} {label} created Suspense<pending> during its own run and"
            " suspended on it, as its previous run did. Each run starts new"
            " work and waits for it, and that work settling runs it again, so"
            " it never completes. Create the Suspense outside the run (in the"
            " service constructor, or with query()) and only read it (.use())"
            " in the run. The new suspense was cancelled.",
            suspense=self,
            run=run,
        )

    def _quiet_dispose(self) -> None:
        try:
            self.dispose()
        except Exception as exc:  # stopping its work failed: say so, go on
            _log.error("Cancelling a suspense created in a run raised.", exc_info=exc)

    @property
    def state(self) -> State[T]:
        """The current state object (tracked in computeds and effects)."""
        return self._read()

    @property
    def status(self) -> Status:
        """``"pending"``, ``"fulfilled"`` or ``"rejected"`` (tracked)."""
        return self._read().status

    @property
    def value(self) -> T | None:
        """The value when fulfilled, else ``None`` (tracked); see :meth:`use`."""
        state = self._read()
        return state.value if isinstance(state, Fulfilled) else None

    @property
    def reason(self) -> BaseException | None:
        """The exception when rejected, else ``None`` (tracked)."""
        state = self._read()
        return state.reason if isinstance(state, Rejected) else None

    @property
    def is_disposed(self) -> bool:
        """Whether :meth:`dispose` was called."""
        return self._disposed

    def use(self) -> T:
        """The value, read synchronously.

        Returns:
            The value when fulfilled.

        Raises:
            SuspendedError: still pending; ``.suspense`` is this object.
            BaseException: the reason, when rejected.

        Example:
            >>> Suspense.from_(reactivex.never()).use()  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            ...
            impact_rx.SuspendedError: Suspense<pending> is still pending. Await it...
        """
        return _unwrap(self, self._read())

    def __await__(self) -> Generator[Any, None, T]:  # type: ignore[override]
        state = self._state
        if isinstance(state, Pending):
            loop = asyncio.get_running_loop()
            waiter: asyncio.Future[State[T]] = loop.create_future()
            self._add_waiter(loop, waiter)
            state = yield from waiter.__await__()
        return _unwrap(self, state)

    def _add_waiter(
        self, loop: asyncio.AbstractEventLoop, waiter: asyncio.Future[State[T]]
    ) -> None:
        def wake(state: State[T]) -> None:
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if running is loop:
                _set_state(waiter, state)
            elif not loop.is_closed():
                loop.call_soon_threadsafe(_set_state, waiter, state)

        with self._lock:
            settled = self._state if not isinstance(self._state, Pending) else None
            if settled is None:
                self._waiters.append(wake)

        if settled is not None:
            wake(settled)
        else:
            waiter.add_done_callback(lambda _: self._remove_waiter(wake))

    def _remove_waiter(self, wake: Callable[[State[T]], None]) -> None:
        with self._lock:
            if wake in self._waiters:
                self._waiters.remove(wake)

    # -- ending -----------------------------------------------------------

    def cancel(self) -> bool:
        """Cancel pending work and settle as ``Rejected(CancelledError())``.

        Current subscribers receive the rejection, then completion.

        Returns:
            ``True`` when this call settled the suspense, ``False`` when it
            had settled already.

        Raises:
            Exception: stopping the work raised (an Observable source's
                disposal, say); the suspense was still rejected and every
                subscriber and awaiter told first.
        """
        return self._settle(Rejected(asyncio.CancelledError()), cancel=True)

    def dispose(self) -> None:
        """Cancel pending work without emitting anything further.

        Subscribers are dropped, later subscribers only receive completion,
        and awaiting a suspense disposed while pending raises
        ``CancelledError``. Idempotent. The owner of a suspense created in a
        service's constructor calls this when it is disposed.

        Raises:
            Exception: stopping the work raised; awaiters were still woken.
        """
        with self._lock:
            if self._disposed:
                return
            self._disposed = True
            self._born_in = None
            pending = isinstance(self._state, Pending)
            if pending:
                self._state = Rejected(_disposed_while_pending(self._owner))
            state = self._state
            waiters, self._waiters = self._waiters, []
            for sink in self._sinks:
                sink.deferred = False  # dropped: nothing more for anyone
            self._sinks = []
            cancel_work, self._cancel_work = self._cancel_work, None
            unown, self._unown = self._unown, None

        stop_error = _stop(cancel_work) if pending else None
        for wake in waiters:
            wake(state)
        if unown is not None:
            unown()
        if stop_error is not None:
            raise stop_error

    def _mirror(self, state: State[T]) -> None:
        """Settle as ``state``, the outcome of other work (query follow-ups)."""
        self._settle(state)

    def _settle(self, state: State[T], *, cancel: bool = False) -> bool:
        """Move from pending to ``state`` once; deliver outside the lock."""
        with self._lock:
            if not isinstance(self._state, Pending) or self._disposed:
                return False
            self._state = state
            self._born_in = None
            sinks, self._sinks = self._sinks, []
            waiters, self._waiters = self._waiters, []
            cancel_work, self._cancel_work = self._cancel_work, None
            unown, self._unown = self._unown, None
            ready = []
            for sink in sinks:
                if sink.ready:
                    ready.append(sink)
                else:
                    sink.deferred = True  # its subscribing thread delivers

        # Stopping the work may raise; everyone is still told, then it raises.
        stop_error = _stop(cancel_work) if cancel else None
        if unown is not None:
            unown()  # settled: the owner has nothing left to cancel

        # A mutation's run settles as one change: its reset and what the
        # caller's subscribers write with the result reach computeds and
        # effects together, after all of them ran, so nothing sees half.
        # What reads it (an effect) raising stops nobody: outside a batch
        # the write delivers at once and raises here, inside one as it ends.
        errors: list[Exception] = []
        delivered: list[Exception] = []
        try:
            with _graph.batch() if self._one_change else nullcontext():
                try:
                    self._tracked.value = state
                except SubscriberError as exc:
                    delivered.append(exc)
                for sink in ready:
                    try:
                        sink.observer.on_next(state)
                        sink.observer.on_completed()
                    except Exception as exc:
                        errors.append(exc)
        except SubscriberError as exc:
            delivered.append(exc)
        errors = delivered + errors

        # Awaiters resume last, so a query or service subscribed to this
        # suspense has already taken the new state when ``await`` returns.
        for wake in waiters:
            wake(state)
        if errors:
            failure = SubscriberError(self, errors)
            failure.__context__ = stop_error
            raise failure
        if stop_error is not None:
            raise stop_error
        return True

    # -- Observable -------------------------------------------------------

    def _subscribe_core(
        self,
        observer: abc.ObserverBase[State[T]],
        scheduler: abc.SchedulerBase | None = None,
    ) -> abc.DisposableBase:
        # The first value reaches the subscriber outside any tracking scope:
        # what it reads then is no dependency of the computed, effect or
        # observe block that subscribed, as what it reads later is not.
        if _graph.state.tracker is not None or _graph.state.detached:
            return _graph.untracked(lambda: self._subscribe_now(observer))
        return self._subscribe_now(observer)

    def _subscribe_now(
        self, observer: abc.ObserverBase[State[T]]
    ) -> abc.DisposableBase:
        sink = _Sink(observer)
        with self._lock:
            state = self._state
            disposed = self._disposed
            if isinstance(state, Pending) and not disposed:
                self._sinks.append(sink)

        if disposed:
            observer.on_completed()
            return RxDisposable()
        if not isinstance(state, Pending):
            observer.on_next(state)
            observer.on_completed()
            return RxDisposable()

        try:
            observer.on_next(state)
        except BaseException:
            self._drop(sink)
            raise

        with self._lock:
            sink.ready = True
            final = self._state if sink.deferred else None
        if final is not None:
            observer.on_next(final)
            observer.on_completed()
        return RxDisposable(lambda: self._drop(sink))

    def _drop(self, sink: _Sink) -> None:
        with self._lock:
            if sink in self._sinks:
                self._sinks.remove(sink)

    # -- display ----------------------------------------------------------

    def __repr__(self) -> str:
        state = self._state
        if isinstance(state, Fulfilled):
            if looks_secret(self._label):  # a load_token query's value, say
                return f"Suspense<fulfilled: {REDACTED}>"
            return f"Suspense<fulfilled: {_short(state.value, 60)}>"
        if isinstance(state, Rejected):
            if looks_secret(self._label):  # its error may echo the secret
                return f"Suspense<rejected: {type(state.reason).__name__}({REDACTED})>"
            return f"Suspense<rejected: {_short(state.reason, 60)}>"
        return "Suspense<pending>"

    def _repr_html_(self) -> str:
        from .notebook import html_repr  # only when Jupyter asks

        return html_repr(self)


def _exception_name(reason: object) -> str:
    if isinstance(reason, type) and issubclass(reason, BaseException):
        return reason.__name__
    return "ValueError"


def _unwrap(suspense: Suspense[T], state: State[T]) -> T:
    if isinstance(state, Fulfilled):
        return state.value
    if isinstance(state, Rejected):
        raise state.reason
    born_in = suspense._born_in
    raise SuspendedError(
        suspense, made_in_run=born_in is not None and born_in is _running_tracker()
    )


def _owner_text() -> str:
    """Who owns a suspense being created: the service under construction."""
    frames = _resolution._path.frames
    if frames:
        frame = frames[-1]
        return (
            f"the {frame.token.__name__} built by provider"
            f" {frame.injector.provider.name!r}"
        )
    owner = current_owner()
    return f"a {type(owner).__qualname__}" if owner is not None else "its owner"


def _disposed_while_pending(owner: str | None) -> asyncio.CancelledError:
    """The reason of a suspense disposed while pending, saying why in a note.

    A note, not a message: ``Rejected(CancelledError())`` still equals it.
    """
    error = asyncio.CancelledError()
    if owner is None:
        error.add_note(
            "The suspense was pending when it was disposed, which cancelled it."
        )
    else:
        error.add_note(
            f"The suspense was pending when its owner, {owner}, was disposed,"
            " which cancelled it."
        )
    return error


def _running_tracker() -> list[Any] | None:
    """The reads list of the run going on in this thread, if one is."""
    return _graph.run_tracker()


def _inputs_moved(run: Any) -> bool:
    """Whether a source of ``run``, other than what it made, moved since it ran."""
    versions = getattr(run, "_ran_versions", None)  # an observe scope's
    if versions is None:
        versions = run._versions
    for source, version in zip(run._sources, versions):  # noqa: B905
        if source not in _made_in_run and source._version != version:
            return True
    return False


def _run_label(run: Any) -> tuple[str, str]:
    """What ``run`` is and its name, for messages: ``("effect", "show")``."""
    kind = {"Computed": "computed", "Effect": "effect"}.get(
        type(run).__name__, "observe block"
    )
    name = getattr(run, "_name", None)
    if name is None:
        fn = getattr(run, "_fn", None) or getattr(run, "_on_change", None)
        name = getattr(fn, "__qualname__", None)
    return kind, name or anonymous(run)


def _stop(cancel_work: Callable[[], object] | None) -> Exception | None:
    """Cancel the work, returning what that raised instead of raising it."""
    if cancel_work is None:
        return None
    try:
        cancel_work()
    except Exception as exc:
        return exc
    return None


def _cancel_on_its_loop(future: asyncio.Future[Any]) -> None:
    """Cancel ``future`` from any thread: asyncio futures are not thread-safe.

    While the loop runs in another thread, the cancellation is handed to it
    (which also wakes it); a closed loop runs nothing more, so there is
    nothing to cancel.
    """
    loop = future.get_loop()
    if loop.is_closed():
        return
    try:
        running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is loop or not loop.is_running():
        future.cancel()
    else:
        loop.call_soon_threadsafe(future.cancel)


def _set_state(waiter: asyncio.Future[State[T]], state: State[T]) -> None:
    if not waiter.done():
        waiter.set_result(state)


def _start_task(suspense: Suspense[Any], work: Awaitable[T]) -> asyncio.Future[T]:
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        if inspect.iscoroutine(work):
            work.close()  # no "coroutine was never awaited" warning
        suspense.dispose()
        raise RuntimeError(
            f"Suspense.from_() got {_short(work, 60)} but no asyncio loop is"
            " running in this thread, so it cannot start."
            " Call it from async code (or a Jupyter cell, where a loop runs),"
            " or pass a concurrent.futures.Future or an Observable instead."
        ) from None

    if inspect.iscoroutine(work):
        task: asyncio.Future[T] = loop.create_task(cast(Coroutine[Any, Any, T], work))
    else:
        task = asyncio.ensure_future(work, loop=loop)
    _running_tasks.add(task)
    task.add_done_callback(_running_tasks.discard)
    return task
