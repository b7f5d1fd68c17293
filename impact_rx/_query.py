"""Query and mutation: stale-while-revalidate reads and optimistic writes.

A :class:`Query` wraps a fetch function. It fetches at once and holds the
result as its current :class:`~impact_rx.Suspense`. ``invalidate()``
refetches in the background: the old suspense stays readable until the new
result lands. Its transitions (``state``; ``suspense``; ``error``)::

    created            ─▶ "fetching";   the first fetch's (pending) suspense
    first fetch lands  ─▶ "idle";       that suspense, fulfilled or rejected;
                                        error = its reason, or None
    invalidate(), idle ─▶ "refetching"; unchanged: the old value stays readable
    refetch fulfils    ─▶ "idle";       the new suspense; error = None
    refetch rejects    ─▶ "idle";       unchanged when the old one fulfilled
                                        (else the new rejection); error = reason
    invalidate() while a fetch is in flight
                       ─▶ unchanged; no second concurrent fetch. One follow-up
                          fetch starts when the current one lands (the state
                          goes straight to "refetching"); every such call
                          returns the follow-up's suspense.
    dispose()          ─▶ fetches in flight are cancelled silently, the
                          signals complete, invalidate() raises DisposedError

A :class:`Mutation` wraps a function that changes something remotely.
Its transitions (``status``; ``data``)::

    mutate(arg)        ─▶ "pending";  arg (the optimistic data)
    mutate(arg), the run settled at once (a synchronous result)
                       ─▶ straight to "idle" or "rejected", as below
    run fulfils        ─▶ "idle";     None (reset; the value is on the
                                      suspense mutate() returned). The
                                      reset, on_success(arg, value) and
                                      what that suspense's subscribers
                                      write are one change
    run rejects        ─▶ "rejected"; arg kept, reason exposed; retry() runs
                                      it again with arg, reset() forgets it
    mutate(other) while pending
                       ─▶ "pending";  other; the earlier run finishes on its
                                      own suspense without touching the state
    dispose()          ─▶ every pending run (superseded or reset ones too) is
                          cancelled silently; mutate() raises

Both fetch and run may return a coroutine (a loop must be running, as in
Jupyter or async code), an awaitable, a future or an Observable; a
synchronous raise becomes a rejection. Reads are tracked in computeds and
effects.

>>> import reactivex
>>> from reactivex.subject import Subject
>>> from impact_rx import query
>>> answers = iter([reactivex.of("v1"), subject := Subject()])
>>> q = query(lambda: next(answers))
>>> q.state, q.value
('idle', 'v1')
>>> refetch = q.invalidate()
>>> q.state, q.value
('refetching', 'v1')
>>> subject.on_next("v2")
>>> q.state, q.value
('idle', 'v2')
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator, Iterable
from typing import Any, Generic, Literal, TypeAlias, TypeVar, cast, final

import reactivex
from reactivex import abc

from ._disposable import adopt, owning
from ._errors import DisposedError, DisposeError
from ._graph import batch, untracked
from ._signal import Signal, refuse_async
from ._suspense import Fulfilled, Pending, Rejected, Source, State, Suspense

__all__ = [
    "Mutation",
    "MutationStatus",
    "Query",
    "QueryState",
    "mutation",
    "query",
]

T = TypeVar("T")
A = TypeVar("A")

QueryState: TypeAlias = Literal["idle", "fetching", "refetching"]
MutationStatus: TypeAlias = Literal["idle", "pending", "rejected"]


def _start(
    run: Callable[[], Source[T]],
    scheduler: abc.SchedulerBase | None,
    label: str,
) -> Suspense[T]:
    """Run ``run`` and follow its result; a synchronous raise rejects.

    The suspense is shielded from any enclosing owner: the query or
    mutation that starts it owns it. ``label`` names that query or mutation
    in what is logged about the suspense.
    """
    with owning(None):
        try:
            suspense = Suspense.from_(run(), scheduler=scheduler)
        except Exception as exc:
            suspense = Suspense.reject(exc)
    if suspense._label is None:  # from_ hands back a Suspense it was given
        suspense._label = label
    return suspense


def _label(kind: str, function: object) -> str:
    """``"query load_user"``: a query or mutation, by its function's name."""
    name = getattr(function, "__qualname__", None) or type(function).__qualname__
    return f"{kind} {name}"


def _check_callable(function: object, factory: str, role: str) -> None:
    if not callable(function):
        raise TypeError(
            f"{factory}() takes a callable {role}, got {type(function).__name__}."
            f" Pass a function that returns the work, e.g. {factory}(lambda: ...)."
        )


def _dispose_each(suspenses: Iterable[Suspense[Any]]) -> list[Exception]:
    """Dispose every suspense, collecting what stopping their work raised."""
    errors: list[Exception] = []
    for suspense in suspenses:
        try:
            suspense.dispose()
        except Exception as exc:
            errors.append(exc)
    return errors


def _disposed_fetch() -> reactivex.Observable[Any]:
    return reactivex.throw(DisposedError("The query was disposed."))


def _disposed_run(arg: object) -> reactivex.Observable[Any]:
    return reactivex.throw(DisposedError("The mutation was disposed."))


def _on_settled(suspense: Suspense[T], callback: Callable[[State[T]], object]) -> None:
    """Call ``callback`` once with the settled state (maybe at once)."""

    def on_next(state: State[T]) -> None:
        if not isinstance(state, Pending):
            callback(state)

    suspense.subscribe(on_next)


def _html(obj: object) -> str:
    """The notebook card, imported only when Jupyter asks for it."""
    from .notebook import html_repr

    return html_repr(obj)


@final
class Query(Generic[T]):
    """A fetched value that refetches in the background when invalidated.

    Create one with :func:`query`. Reads, tracked in computeds and effects:
    ``suspense`` (the current one), ``state``, ``value``, ``error``,
    ``use()``; ``await query`` gives the current value. ``states``,
    ``suspenses`` and ``errors`` are the signals behind them, to subscribe
    to or compose.
    """

    def __init__(
        self,
        fetch: Callable[[], Source[T]],
        *,
        scheduler: abc.SchedulerBase | None = None,
    ) -> None:
        _check_callable(fetch, "query", "fetch")
        self._fetch = fetch
        self._scheduler = scheduler
        self._lock = threading.Lock()
        self._disposed = False
        self._busy = True  # a fetch is in flight or starting
        self._again: Suspense[T] | None = None
        self._label = _label("query", fetch)

        first = _start(fetch, scheduler, self._label)
        self._inflight: Suspense[T] | None = first
        with owning(None):  # the query completes its signals itself
            self._state: Signal[QueryState] = Signal("fetching", name="query.state")
            self._current: Signal[Suspense[T]] = Signal(first, name="query.suspense")
            self._error: Signal[BaseException | None] = Signal(None, name="query.error")
        self._unown = adopt(self.dispose)
        _on_settled(first, lambda state: self._landed(first, state))

    # -- reads ------------------------------------------------------------

    @property
    def suspense(self) -> Suspense[T]:
        """The current suspense: the first fetch, or the last good refetch."""
        return self._current.value

    @property
    def state(self) -> QueryState:
        """``"fetching"`` (first fetch), ``"refetching"`` or ``"idle"``."""
        return self._state.value

    @property
    def value(self) -> T | None:
        """The current value, ``None`` while the first fetch is pending."""
        return self._current.value.value

    @property
    def error(self) -> BaseException | None:
        """Why the last fetch failed; ``None`` after a success."""
        return self._error.value

    @property
    def states(self) -> reactivex.Observable[QueryState]:
        """The state, now and at every change."""
        return self._state

    @property
    def suspenses(self) -> reactivex.Observable[Suspense[T]]:
        """The current suspense, now and whenever a refetch replaces it."""
        return self._current

    @property
    def errors(self) -> reactivex.Observable[BaseException | None]:
        """The last fetch's error, now and at every change."""
        return self._error

    @property
    def is_disposed(self) -> bool:
        """Whether :meth:`dispose` was called."""
        return self._disposed

    def use(self) -> T:
        """The current value; see :meth:`Suspense.use`.

        Raises:
            SuspendedError: the first fetch is still pending.
            BaseException: the first fetch failed and no refetch succeeded.
        """
        return self._current.value.use()

    def __await__(self) -> Generator[Any, None, T]:
        return self._current.peek().__await__()

    # -- commands ---------------------------------------------------------

    def invalidate(self) -> Suspense[T]:
        """Refetch in the background; the current value stays readable.

        While a fetch is in flight this starts nothing new: one follow-up
        fetch runs after it lands, however often this is called meanwhile.

        Returns:
            A suspense of the refetch's outcome (of the follow-up, when one
            was in flight). The query's own ``suspense`` changes only when a
            refetch succeeds.

        Raises:
            DisposedError: the query was disposed.
        """
        with batch(), self._lock:
            if self._disposed:
                raise DisposedError(
                    f"{self!r} was disposed, so it cannot refetch. Create a new query."
                )
            if self._busy:
                if self._again is None:
                    with owning(None):
                        self._again = Suspense()
                    self._again._label = self._label  # its value is the fetch's
                return self._again
            self._busy = True
            self._state.value = "refetching"

        return self._refetch(None)

    def dispose(self) -> None:
        """Cancel fetches in flight and complete the signals. Idempotent.

        Raises:
            DisposeError: stopping a fetch raised; the rest still ran.
        """
        with self._lock:
            if self._disposed:
                return
            self._disposed = True
            inflight, self._inflight = self._inflight, None
            again, self._again = self._again, None
            unown, self._unown = self._unown, None

        self._fetch = _disposed_fetch  # what the fetch captured can go
        errors = _dispose_each(s for s in (inflight, again) if s is not None)
        for signal in (self._state, self._current, self._error):
            signal.on_completed()
        if unown is not None:
            unown()
        if errors:
            raise DisposeError(self, errors)

    # -- internals --------------------------------------------------------

    def _refetch(self, follower: Suspense[T] | None) -> Suspense[T]:
        # Disposed meanwhile (by a subscriber of the "refetching" state, or
        # another thread): start nothing, and end the follow-up's awaiters.
        if self._disposed:
            with owning(None):
                ended = follower if follower is not None else Suspense[T]()
            ended.dispose()
            return ended

        suspense = _start(self._fetch, self._scheduler, self._label)
        with self._lock:
            if self._disposed:
                _dispose_each([suspense] if follower is None else [suspense, follower])
                return suspense
            self._inflight = suspense
        # The query takes the result first, so whoever follows the follow-up
        # suspense sees the query already updated.
        _on_settled(suspense, lambda state: self._landed(suspense, state))
        if follower is not None:
            _on_settled(suspense, follower._mirror)
        return suspense

    def _landed(self, suspense: Suspense[T], state: State[T]) -> None:
        with batch(), self._lock:
            if self._disposed or suspense is not self._inflight:
                return
            self._inflight = None
            if isinstance(state, Rejected):
                self._error.value = state.reason
                if not isinstance(self._current.peek()._state, Fulfilled):
                    self._current.value = suspense  # nothing better to keep
            else:
                self._error.value = None
                self._current.value = suspense
            follower, self._again = self._again, None
            self._busy = follower is not None
            self._state.value = "idle" if follower is None else "refetching"

        if follower is not None:
            self._refetch(follower)

    def __repr__(self) -> str:
        return f"Query<{self._state.peek()}: {self._current.peek()!r}>"

    def _repr_html_(self) -> str:
        return _html(self)


def query(
    fetch: Callable[[], Source[T]],
    *,
    scheduler: abc.SchedulerBase | None = None,
) -> Query[T]:
    """A :class:`Query` over ``fetch``, fetching at once.

    Args:
        fetch: Called for each fetch; returns a coroutine, an awaitable, a
            future or an Observable (see :meth:`Suspense.from_`).
        scheduler: Passed to Observable results, e.g. a ``TestScheduler``.

    Returns:
        The query; created in a service's constructor, it is disposed with
        the service. A fetch that raises, or returns a coroutine while no
        loop is running, gives a rejected suspense rather than raising.
    """
    return Query(fetch, scheduler=scheduler)


@final
class Mutation(Generic[A, T]):
    """A remote change with optimistic data; create one with :func:`mutation`.

    ``status`` is ``"idle"``, ``"pending"`` (``data`` is the argument being
    applied) or ``"rejected"`` (``data`` and ``reason`` are kept so the
    caller can :meth:`retry`). Success resets to ``"idle"``, in one change
    with what ``on_success`` writes to apply the result. Reads are tracked
    in computeds and effects; ``statuses`` is the signal behind ``status``.
    """

    def __init__(
        self,
        run: Callable[[A], Source[T]],
        *,
        scheduler: abc.SchedulerBase | None = None,
        on_success: Callable[[A, T], object] | None = None,
    ) -> None:
        _check_callable(run, "mutation", "run")
        if on_success is not None:
            _check_callable(on_success, "mutation", "on_success")
            refuse_async(
                "mutation()",
                on_success,
                "calls on_success",
                "Pass a plain function that writes the result to signals;"
                " start async work from it with a query or another mutation.",
            )
        self._run = run
        self._on_success = on_success
        self._scheduler = scheduler
        self._label = _label("mutation", run)
        self._lock = threading.Lock()
        self._disposed = False
        self._has_data = False  # data may legitimately be None
        # Every pending run, superseded or reset ones too: dispose cancels all.
        self._running: set[Suspense[T]] = set()
        with owning(None):  # the mutation completes its signals itself
            self._status: Signal[MutationStatus] = Signal(
                "idle", name="mutation.status"
            )
            self._data: Signal[A | None] = Signal(None, name="mutation.data")
            self._suspense: Signal[Suspense[T] | None] = Signal(
                None, name="mutation.suspense"
            )
        self._unown = adopt(self.dispose)

    @property
    def status(self) -> MutationStatus:
        """``"idle"``, ``"pending"`` or ``"rejected"``."""
        return self._status.value

    @property
    def data(self) -> A | None:
        """The argument being applied (pending) or that failed (rejected)."""
        return self._data.value

    @property
    def suspense(self) -> Suspense[T] | None:
        """The latest run's suspense while pending or rejected, else ``None``."""
        return self._suspense.value

    @property
    def reason(self) -> BaseException | None:
        """Why the latest run failed, while ``status`` is ``"rejected"``."""
        suspense = self._suspense.value
        return suspense.reason if suspense is not None else None

    @property
    def statuses(self) -> reactivex.Observable[MutationStatus]:
        """The status, now and at every change."""
        return self._status

    @property
    def is_disposed(self) -> bool:
        """Whether :meth:`dispose` was called."""
        return self._disposed

    def mutate(self, arg: A) -> Suspense[T]:
        """Run the mutation with ``arg``, exposing ``arg`` as ``data``.

        A new call while one is pending supersedes it in ``status`` and
        ``data``; the earlier run still completes on its own suspense.

        Returns:
            The run's suspense: await it or subscribe to it for the result.

        Raises:
            DisposedError: the mutation was disposed.
        """
        if self._disposed:
            raise DisposedError(
                f"{self!r} was disposed, so it cannot run. Create a new mutation."
            )
        suspense = _start(lambda: self._run(arg), self._scheduler, self._label)
        # Its reset and what subscribers of the suspense write with the
        # result settle as one change: a computed over both the optimistic
        # data and the applied result never shows neither, or both.
        suspense._one_change = True

        with batch():
            with self._lock:
                if self._disposed:
                    suspense.dispose()
                    return suspense
                settled = suspense._state  # not Pending: answered at once
                if isinstance(settled, Fulfilled):
                    self._clear()  # no optimistic data to show for one change
                else:
                    self._has_data = True
                    self._data.value = arg
                    self._suspense.value = suspense
                    if isinstance(settled, Rejected):
                        self._status.value = "rejected"
                    else:
                        self._running.add(suspense)
                        self._status.value = "pending"
            if isinstance(settled, Fulfilled):
                # In the same change, and untracked, as when the run lands
                # later: what the hook reads is no dependency of the caller
                # (an effect that mutates would run, and save, again).
                untracked(lambda: self._succeeded(arg, settled.value))
                return suspense
            if isinstance(settled, Pending):
                # Before the batch delivers "pending": whoever that makes
                # subscribe to the suspense hears after the reset, not before.
                _on_settled(suspense, lambda state: self._landed(suspense, state, arg))
        return suspense

    def retry(self) -> Suspense[T]:
        """Run again with the kept ``data`` after a failure.

        Raises:
            RuntimeError: there is no failed run to retry.
        """
        with self._lock:
            rejected = self._status.peek() == "rejected" and self._has_data
            data = self._data.peek()
        if not rejected:
            raise RuntimeError(
                f"{self!r} has no failed run to retry. Call mutate(arg) to run it."
            )
        return self.mutate(cast(A, data))

    def reset(self) -> None:
        """Forget a failure (or stop tracking a pending run): back to idle."""
        with batch(), self._lock:
            self._clear()

    def dispose(self) -> None:
        """Cancel every pending run silently and complete the signals.

        Raises:
            DisposeError: stopping a run raised; the rest still ran.
        """
        with self._lock:
            if self._disposed:
                return
            self._disposed = True
            running, self._running = self._running, set()
            unown, self._unown = self._unown, None

        self._run = _disposed_run  # what the run captured can go
        errors = _dispose_each(running)
        for signal in (self._status, self._data, self._suspense):
            signal.on_completed()
        if unown is not None:
            unown()
        if errors:
            raise DisposeError(self, errors)

    def _landed(self, suspense: Suspense[T], state: State[T], arg: A) -> None:
        with batch():
            with self._lock:
                self._running.discard(suspense)
                if self._disposed:
                    return
                if suspense is self._suspense.peek():
                    if isinstance(state, Rejected):
                        self._status.value = "rejected"
                    else:
                        self._clear()
            # Every run that succeeded is applied, a superseded one too: the
            # remote change happened. Outside the lock (it may mutate again),
            # inside the batch: the reset and what it writes are one change.
            if isinstance(state, Fulfilled):
                self._succeeded(arg, state.value)

    def _succeeded(self, arg: A, value: T) -> None:
        if self._on_success is not None:
            self._on_success(arg, value)

    def _clear(self) -> None:
        self._has_data = False
        self._data.value = None
        self._suspense.value = None
        self._status.value = "idle"

    def __repr__(self) -> str:
        return f"Mutation<{self._status.peek()}>"

    def _repr_html_(self) -> str:
        return _html(self)


def mutation(
    run: Callable[[A], Source[T]],
    *,
    scheduler: abc.SchedulerBase | None = None,
    on_success: Callable[[A, T], object] | None = None,
) -> Mutation[A, T]:
    """A :class:`Mutation` over ``run``.

    Args:
        run: Called with each ``mutate`` argument; returns a coroutine, an
            awaitable, a future or an Observable.
        scheduler: Passed to Observable results, e.g. a ``TestScheduler``.
        on_success: Called with the argument and the result of every run
            that succeeds (a superseded one too, not after ``dispose()``),
            to apply the result: what it writes and the reset of ``data``
            are one change, so a computed over both never shows neither or
            both, however the caller waits (``await`` included). What it
            raises reaches whoever settled the run, as a subscriber's
            error would. It is called synchronously: an async function is
            refused with ``TypeError``.

    Example:
        >>> import reactivex
        >>> m = mutation(lambda name: reactivex.throw(ValueError("taken")))
        >>> s = m.mutate("ada")
        >>> m.status, m.data, m.reason
        ('rejected', 'ada', ValueError('taken'))
    """
    return Mutation(run, scheduler=scheduler, on_success=on_success)
