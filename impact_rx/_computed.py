"""Computed: derived state that is lazy, cached and glitch-free.

A :class:`Computed` runs its function only when read (or subscribed) and
only when something it read last time changed. It is also an Observable that
emits its value on subscribe and then once per settled change; see
:mod:`impact_rx._graph` for the ordering rules.

>>> from impact_rx import Signal, computed
>>> first = Signal("Ada")
>>> full = computed(lambda: f"{first.value} Lovelace")
>>> full.value
'Ada Lovelace'
>>> first.value = "Augusta"
>>> full.value
'Augusta Lovelace'
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable
from functools import partial
from typing import (
    TYPE_CHECKING,
    Any,
    Generic,
    NoReturn,
    Self,
    TypeVar,
    final,
    overload,
)

from reactivex import Observable, abc
from reactivex.disposable import Disposable as RxDisposable
from reactivex.observer.autodetachobserver import AutoDetachObserver

from . import _graph, _signal
from ._disposable import Disposable, adopt, on_dispose_last, owning
from ._errors import CycleError, DisposedError
from ._graph import (
    CLEAN,
    DIRTY,
    STALE,
    UNSET,
    changed,
    check_again,
    claim,
    differs,
    get_ident,
    lock,
    pull,
    recompute,
    state,
    unclaim,
    untracked,
    watchers,
)
from ._redact import anonymous, shown_value
from ._signal import SignalStatistics

__all__ = ["Computed", "ComputedProperty", "computed"]


# How many stale computeds a display follows before it just says "stale".
_DISPLAY_NODES = 1000


def _may_have_moved(node: Any) -> bool:
    """Whether what ``node`` reads may have changed since it last ran.

    Compares versions only, as a refresh would before recomputing, and
    runs no function: a write elsewhere in the graph leaves it current.
    Each node is looked at once (a diamond is no tree), and past
    ``_DISPLAY_NODES`` the answer is "it may have".
    """
    writes = state.writes
    seen: set[int] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        status = current._state
        if status == DIRTY:
            return True
        if not status or current._checked == writes or id(current) in seen:
            continue
        if len(seen) >= _DISPLAY_NODES:
            return True
        seen.add(id(current))
        for source, version in zip(current._sources, current._versions, strict=False):
            if source._version != version:
                return True
            stack.append(source)
    return False


T = TypeVar("T")
S = TypeVar("S")


_RUNNING: Any = object()
_AWAIT = (
    "Start the work with Suspense.from_(...) or query() and read it with"
    " .use() in a plain function: it runs again once the work settles."
)


class _Later(BaseException):
    """A detached read nested too deep; the outermost one reads ``node`` first.

    A ``BaseException`` so that user code catching ``Exception`` inside a
    computed cannot swallow it.
    """

    def __init__(self, node: Computed[Any]) -> None:
        self.node = node


def _still(equals: Callable[[Any, Any], bool], delivered: Any, value: Any) -> bool:
    """Whether a recovered value is the one subscribers last saw.

    An ``equals`` that raises here says nothing: the value is delivered, so
    subscribers end on ``.value`` (the failure it raised while computing was
    the computed's own; this one would otherwise hit the writer).
    """
    try:
        return bool(equals(delivered, value))
    except Exception:
        return False


class _Sink:
    """What ``Computed._notify`` calls for an observer that is not Rx's
    ``AutoDetachObserver`` (whose own fields it reads for the others)."""

    __slots__ = ("is_stopped", "observer")

    def __init__(self, observer: abc.ObserverBase[Any]) -> None:
        self.observer = observer
        self.is_stopped = False

    def _on_next(self, value: Any) -> None:
        self.observer.on_next(value)


def _sink(observer: abc.ObserverBase[Any]) -> Any:
    """What delivering to ``observer`` calls: ``sink._on_next(value)`` unless
    ``sink.is_stopped``, exactly what ``AutoDetachObserver.on_next`` does."""
    if type(observer) is AutoDetachObserver:
        return observer
    return _Sink(observer)


def _late() -> None:
    """After a read gave the queue back: deliver what others queued meanwhile.

    Raises:
        SubscriberError: subscribers raised while this thread delivered.
    """
    errors = _graph.unclaimed(None)
    if errors:
        raise _graph.combine(errors)


@final
class Computed(Observable[T]):
    """A read-only value derived from signals and other computeds.

    Lazy: the function runs on the first read or subscription, then again
    only after something it read changed. A function that raises re-raises
    on every read until its inputs change; subscribers are not told (the
    Observable never terminates on an error). So a computed that uses a
    pending ``Suspense`` raises ``SuspendedError`` to its readers, emits
    nothing, and computes again when the suspense settles.

    Args:
        fn: Computes the value; what it reads becomes its dependencies.
        equals: ``equals(old, new)`` deciding that a new result changes
            nothing (which then stops propagation); default as for Signal.
            If it raises, the computed fails with that error, as if its
            function had raised.
        name: A label for reprs, errors and tracing; by default the
            function's ``__qualname__``. A value whose name looks secret
            (``token``, ``password``, ...) is shown as ``<redacted>``.

    Raises:
        TypeError: ``fn`` or ``equals`` is not callable, ``fn`` is an
            ``async`` function, or ``name`` is not a ``str``.

    Example:
        >>> from impact_rx import Signal, Computed
        >>> n = Signal(2)
        >>> square = Computed(lambda: n.value**2, name="square")
        >>> square.value
        4
        >>> square
        <Computed square=4 (0 subscribers)>
    """

    __slots__ = (
        "_checked",
        "_computing",
        "_delivered",
        "_emitted",
        "_epoch",
        "_equals",
        "_error",
        "_fn",
        "_lock",
        "_name",
        "_observers",
        "_queued",
        "_raised",
        "_recomputes",
        "_remover",
        "_runs",
        "_sinks",
        "_solo",
        "_sources",
        "_state",
        "_targets",
        "_value",
        "_version",
        "_versions",
        "_watch",
    )

    _impact_computed = True
    _derived = True  # the graph refreshes it from its sources

    def __init__(
        self,
        fn: Callable[[], T],
        *,
        equals: Callable[[T, T], bool] | None = None,
        name: str | None = None,
    ) -> None:
        if not callable(fn):
            raise TypeError(
                f"Computed() takes a function, got {type(fn).__name__}."
                " Pass a function of no arguments that reads signals,"
                " e.g. Computed(lambda: count.value * 2)."
            )
        if (equals is not None and not callable(equals)) or (
            name is not None and not isinstance(name, str)
        ):
            _signal.check_options("Computed", equals, name)
        if inspect.iscoroutinefunction(fn):
            _signal.refuse_async("Computed()", fn, "runs its function", _AWAIT)
        # Observable.__init__ is skipped: it would allocate a lock per node.
        self._fn: Callable[[], T] | None = fn
        self._equals = equals
        self._name = name if name is not None else getattr(fn, "__qualname__", None)
        self._value: T = UNSET
        self._error: Exception | None = None
        self._state = DIRTY
        self._checked = -1  # state.writes when last found fresh
        self._sources: list[Any] = []
        self._versions: list[int] = []
        self._targets: list[Any] | None = None
        self._version = 0
        self._observers: tuple[abc.ObserverBase[T], ...] = ()
        # What ``_notify`` calls, one per observer (see ``_sink``).
        self._sinks: tuple[Any, ...] = ()
        self._delivered: T = UNSET
        self._emitted = -1
        # Whether it raised since its subscribers were last given a value.
        self._raised = False
        self._watch = False
        self._queued = False
        self._computing = False
        self._solo: Any = None  # see ``_refresh``
        self._recomputes = 0
        self._epoch = -1
        self._runs = 0
        self._lock: threading.RLock | None = None
        self._remover = adopt(self.dispose)

    # -- reading -------------------------------------------------------------

    @property
    def value(self) -> T:
        """The current value, computed if needed; tracked in tracking scopes.

        Raises:
            Exception: whatever the function raised, until its inputs change.
            CycleError: the computed (indirectly) reads itself.
            DisposedError: it was disposed (it no longer follows its sources).
        """
        s = state
        if s.detached and _graph.detached_here():
            return self._read_aside()
        tracker = s.tracker
        if tracker is not None:
            if self is s.quiet and tracker is s.quiet_reads:
                # The one source of the run, implied (no thread check, as
                # before: another thread's read here only keeps it a source).
                s.quiet_seen = True
            elif s.owner == get_ident():
                tracker.append(self)
        # Fresh first: a short jump lets CPython specialise the comparison.
        if not self._state or self._checked == s.writes:
            if self._error is not None:
                raise self._error
            return self._value
        if s.owner is not None:
            return self._read_owned()
        try:
            claim()
        except IndexError:
            # Another thread took the queue just now: compute without
            # touching the graph, so nothing it does can be disturbed.
            return self._evaluate_detached()
        s.owner = get_ident()
        try:
            source = self._solo
            if source is None or source._state:
                self._refresh()
            elif source._version == self._versions[0]:
                self._checked = s.writes  # validated; it stays STALE
            else:
                # An unwatched node with one fresh source that moved: the
                # hot path of reading derived values outside a delivery,
                # recomputed inline. The common outcome (the same source,
                # still solo) is recorded here, any other by ``store``.
                fn = self._fn
                start = s.writes
                # Its read of ``source`` goes unrecorded: ``reads`` (the
                # graph's spare list, empty) keeps only what else it read,
                # usually nothing. A list that got reads is not reused.
                reads = s.quiet_reads
                s.tracker = reads
                s.quiet = source
                s.quiet_seen = False
                try:
                    value = fn()  # type: ignore[misc]
                except RecursionError:
                    s.tracker = s.quiet = None
                    if reads:
                        s.quiet_reads = []
                    raise
                except Exception as exc:
                    s.tracker = s.quiet = None
                    if reads:
                        s.quiet_reads = []
                    reads = [source, *reads] if s.quiet_seen else [*reads]
                    _graph.store(self, reads, start, UNSET, exc)
                except BaseException:
                    s.tracker = s.quiet = None
                    if reads:
                        s.quiet_reads = []
                    raise
                else:
                    s.tracker = s.quiet = None
                    if (
                        not reads
                        and s.quiet_seen
                        and self._solo is source
                        and not s.queue
                        and not watchers
                    ):
                        self._recomputes += 1
                        self._versions[0] = source._version
                        self._checked = start
                        old = self._value
                        if old is not value:
                            # ``changed(old, value)``, inlined.
                            try:
                                same = old == value
                            except Exception:
                                same = False
                            if same is False or (same is not True and differs(same)):
                                self._value = value
                                self._version += 1
                                old = value
                        s.owner = None
                        unclaim(1)
                        if s.queue:
                            _late()
                        return old
                    if reads:
                        s.quiet_reads = []
                    reads = [source, *reads] if s.quiet_seen else [*reads]
                    _graph.store(self, reads, start, value, None)
                if s.queue or watchers:  # it wrote: deliver that first
                    _graph.release()
                    return self._current()
        except BaseException:
            _graph.abandon()
            raise
        s.owner = None
        unclaim(1)
        if s.queue:
            _late()
        if self._error is not None:
            raise self._error
        return self._value

    if not TYPE_CHECKING:  # type checkers keep reporting the property read-only

        @value.setter
        def value(self, _: object) -> None:
            label = self._name or anonymous(self)
            raise AttributeError(
                f"computed {label} is read-only: its value comes from its"
                " function. To change it, write the signals it reads."
            )

    def _current(self) -> T:
        """The cached value, or the cached error raised."""
        if self._error is not None:
            raise self._error
        return self._value

    def _read_owned(self) -> T:
        """``value`` of a stale node while the queue has an owner."""
        s = state
        me = get_ident()
        if s.owner == me:
            self._pull_owned()
            return self._current()
        try:
            claim()
        except IndexError:
            # Another thread is delivering: compute without touching the
            # graph, so nothing it is doing can be disturbed.
            return self._evaluate_detached()
        s.owner = me
        try:
            self._refresh()
        except BaseException:
            _graph.abandon()
            raise
        _graph.release()
        return self._current()

    def _refresh(self) -> None:
        """Bring this node up to date as the new owner; note if it is *solo*.

        A solo node is unwatched, has one source, no ``equals``, no error
        and is not disposed: ``value`` then refreshes it inline. ``_solo``
        names that source; whatever could end one of those conditions
        (``_graph.store``, ``collect``, ``activate``, ``dispose``) clears it.
        """
        pull(self)
        sources = self._sources
        if (
            len(sources) == 1
            and self._state == STALE
            and self._error is None
            and self._equals is None
            and self._fn is not None
            and not self._watch
            and not self._targets
        ):
            self._solo = sources[0]

    def peek(self) -> T:
        """The current value, without recording a dependency."""
        return untracked(self._peek)

    def _peek(self) -> T:
        return self.value

    def _pull_owned(self) -> None:
        if self._computing:
            raise _graph.self_read(self)
        pull(self)

    def _read_aside(self) -> T:
        """``value`` in a batch kept aside or an observe block entered while
        another thread delivered (see ``batch`` and ``observe``).

        The batch's writes are visible only to this thread, so the value is
        computed from them without touching the graph or its caches; an
        observe block records what it saw, to compare once it is linked.
        """
        local = _graph.local
        if local.memo is not None:
            return self._read_detached(local)
        reads = local.reads
        if reads is None:
            return self._evaluate_detached()
        try:
            value = self._evaluate_detached()
        except Exception as exc:
            reads.append((self, (UNSET, exc)))
            raise
        reads.append((self, (value, None)))
        return value

    def _evaluate_detached(self) -> T:
        """Compute the value without the graph, while another thread delivers.

        One detached read shares the result of every computed it meets, so a
        diamond runs each function once; refreshes nest at most
        ``_graph._MAX_DEPTH`` deep (a deeper source is read first, from an
        explicit stack, then the reader retries), and a computed that reads
        itself raises ``CycleError``, as on the graph.
        """
        local = _graph.local
        if local.memo is not None:
            return self._read_detached(local)
        local.memo = {}
        local.nesting = 0
        # Each signal is read once (``_graph.read_aside``), so a write the
        # owner makes meanwhile cannot tear the result, and ``state.detached``
        # routes this thread's reads there.
        snapshot = local.snapshot
        if snapshot is None:
            local.snapshot = {}
        with lock:
            state.detached += 1
        try:
            stack: list[Computed[Any]] = [self]
            while stack:
                try:
                    stack[-1]._read_detached(local)
                except _Later as later:
                    stack.append(later.node)
                    continue
                except Exception:
                    pass
                stack.pop()
            return self._read_detached(local)
        finally:
            local.memo = None
            local.snapshot = snapshot
            with lock:
                state.detached -= 1

    def _read_detached(self, local: _graph._Local) -> T:
        memo = local.memo
        assert memo is not None  # set by ``_evaluate_detached``
        known = memo.get(self, UNSET)
        if known is _RUNNING:
            raise _graph.self_read(self)
        if known is not UNSET:
            value, error = known
            if error is not None:
                raise error
            return value  # type: ignore[no-any-return]
        fn = self._fn
        if fn is None:
            if self._error is not None:
                raise self._error
            return self._value
        if local.nesting >= _graph._MAX_DEPTH:
            raise _Later(self)
        memo[self] = _RUNNING
        local.nesting += 1
        try:
            value = fn()
        except _Later:
            del memo[self]
            raise
        except Exception as exc:
            memo[self] = (None, exc)
            if type(exc) is CycleError:
                _graph.through(self, exc)
            raise
        finally:
            local.nesting -= 1
        memo[self] = (value, None)
        return value

    # -- as an Observable ----------------------------------------------------

    def _notify(self) -> None:
        """Run by the graph once writes settled: emit a changed value.

        ``run_watchers`` does this itself, inlined, for a computed its one
        source marked: the common case.
        """
        status = self._state
        if status:
            if status != DIRTY or state.settling:
                pull(self)
            else:
                # Marked by a write of one of its signals: ``pull`` would
                # recompute it at once too, and what it reads refreshes
                # itself as it is read.
                self._computing = True
                try:
                    recompute(self)
                finally:
                    self._computing = False
        if self._version != self._emitted:
            self._emit()

    def _emit(self) -> None:
        """Deliver the value to subscribers if it changed since they heard."""
        version = self._version
        if version == self._emitted:
            return
        # A subscriber that keeps changing what this reads is a cycle.
        s = state
        if self._epoch != s.epoch:
            self._epoch = s.epoch
        else:
            check_again(self)
        self._emitted = version
        if self._error is not None:
            self._raised = True
            return
        value = self._value
        if self._raised and self._recovered(value):
            return
        self._delivered = value
        # ``observer.on_next(value)`` for each observer, as Rx's wrapper
        # does it (one call less per observer).
        sinks = self._sinks
        try:
            for sink in sinks:
                if not sink.is_stopped:
                    receive = sink._on_next  # a call of a bound method
                    receive(value)
        except Exception as exc:
            _graph.deliver_rest(self, sinks, sink, value, exc)

    def _settled(self, value: T) -> None:
        """Record ``value``, computed from one source, where ``run_watchers``
        cannot inline it: an error to clear, an ``equals``, or a failure its
        subscribers never saw."""
        if self._error is not None:
            self._error = None
        else:
            old = self._value
            if old is value:
                return
            equals = self._equals
            if old is not UNSET and (
                not changed(old, value)
                if equals is None
                else _graph._same(self, equals, old, value)
            ):
                return
        self._value = value
        self._version += 1

    def _recovered(self, value: T) -> bool:
        """After failing, back to what subscribers last saw? They never saw
        the error in between, so for them nothing changed."""
        self._raised = False
        delivered = self._delivered
        equals = self._equals
        return delivered is not UNSET and (
            not changed(delivered, value)
            if equals is None
            else _still(equals, delivered, value)
        )

    def subscribe(
        self,
        on_next: abc.ObserverBase[T] | abc.OnNext[T] | None = None,
        on_error: abc.OnError | None = None,
        on_completed: abc.OnCompleted | None = None,
        *,
        scheduler: abc.SchedulerBase | None = None,
    ) -> abc.DisposableBase:
        """As for any Observable; the subscription keeps nothing once disposed.

        Raises:
            SubscriberError: as for ``Signal.subscribe``.
        """
        return _signal.subscribed(
            partial(
                super().subscribe,
                on_next,
                on_error,
                on_completed,
                scheduler=scheduler,
            )
        )

    def _subscribe_core(
        self,
        observer: abc.ObserverBase[T],
        scheduler: abc.SchedulerBase | None = None,
    ) -> abc.DisposableBase:
        # The first value reaches the subscriber outside any tracking scope:
        # what it reads then is no dependency of the computed, effect or
        # observe block that subscribed, as what it reads later is not.
        if state.tracker is not None or state.detached:
            return _graph.untracked(lambda: self._subscribe_now(observer))
        return self._subscribe_now(observer)

    def _subscribe_now(self, observer: abc.ObserverBase[T]) -> abc.DisposableBase:
        hook = _signal.subscribe_hook
        if hook is not None:
            hook(self, observer)
        took = _graph.acquire()
        if took < 0:
            # Another thread is delivering: it attaches the observer in turn
            # (waiting could deadlock with a subscriber waiting for us).
            queued = _Detach(self, observer)
            _graph.enqueue_owned(self._attach_queued, queued)
            return queued
        try:
            subscription = self._attach(observer)
        finally:
            if took:
                try:
                    _graph.release()
                except BaseException as exc:
                    # Rx ends an observer whose subscribe raised: keep none.
                    # Unwatching delivers what others queued meanwhile,
                    # which may fail too: then both are raised.
                    failure = _graph.unwinding(exc, lambda: self._detach(observer))
                    if failure is exc:
                        raise
                    raise failure from failure.__cause__
        return subscription

    def _attach_queued(self, subscription: _Detach) -> None:
        _signal.attach_in_turn(self, subscription)

    def _attach(self, observer: abc.ObserverBase[T]) -> abc.DisposableBase:
        if self._fn is None:
            observer.on_completed()
            return RxDisposable()
        if not self._observers:
            # Still watched when the last subscriber's unwatch is queued
            # (another thread left while this one delivers): linked already.
            if not self._targets and not self._watch:
                _graph.activate(self)
            self._watch = True
            if self._state:
                try:
                    pull(self)
                except BaseException:
                    # Escaped uncached (RecursionError, KeyboardInterrupt):
                    # no observer is kept, so nothing watches it.
                    self._unwatch()
                    raise
            self._emitted = self._version
            self._delivered = self._value if self._error is None else UNSET
            self._raised = False
        with lock:
            self._observers = (*self._observers, observer)
            self._sinks = (*self._sinks, _sink(observer))
        replay = self._delivered
        if replay is not UNSET:
            try:
                observer.on_next(replay)
            except BaseException:
                self._detach(observer)
                raise
        return _Detach(self, observer)

    def _detach(self, observer: abc.ObserverBase[T]) -> None:
        with lock:
            observers = self._observers
            if observer not in observers:
                return
            index = observers.index(observer)
            observers = observers[:index] + observers[index + 1 :]
            self._observers = observers
            sinks = self._sinks
            self._sinks = sinks[:index] + sinks[index + 1 :]
        if not observers:
            _graph.run_or_queue(Computed._unwatch, self)

    def _unwatch(self) -> None:
        """Unlink from the graph once the last subscriber left (owner only)."""
        if not self._observers and self._watch:
            self._watch = False
            if not self._targets and self._fn is not None:
                _graph.deactivate(self)

    @property
    def lock(self) -> threading.RLock:
        """A per-node lock, made on first use (some Rx operators take it)."""
        return _graph.rx_lock(self)

    @lock.setter
    def lock(self, value: threading.RLock) -> None:
        self._lock = value

    # -- lifetime ------------------------------------------------------------

    def dispose(self) -> None:
        """Stop: unlink from the sources, complete subscribers, drop ``fn``.

        Reading it afterwards raises ``DisposedError``: unlinked from its
        sources, its last value could be stale. Idempotent.

        Called while another thread delivers, it takes effect in turn, after
        that delivery, as a write from this thread would.

        Raises:
            SubscriberError: subscribers raised on completion.
        """
        if self._fn is not None:
            _graph.run_or_queue(Computed._end, self)

    def _end(self) -> None:
        """``dispose``, as the owner of the queue."""
        if self._fn is None:
            return
        self._fn = None
        self._solo = None
        _graph.unlink(self)
        self._state = CLEAN
        # Unlinked, it would hand out a stale value (or, never computed, the
        # library's sentinel): reads raise this instead, on the fast path.
        label = self._name or anonymous(self)
        if self._value is UNSET and self._error is None:
            what = " before it ever ran, so it has no value"
        else:
            what = ", so its last value may be stale"
        self._error = DisposedError(
            f"computed {label} was disposed{what}: a disposed computed stops"
            " following its sources. Read the signals it reads directly, or"
            " read it before it (or its owner) is disposed."
        )
        self._watch = False
        remover = self._remover
        self._remover = None
        if remover is not None:
            remover()
        with lock:  # as ``_detach`` changes it
            self._sinks = ()
        _signal.end_observers(self)

    @property
    def is_disposed(self) -> bool:
        """Whether :meth:`dispose` ran."""
        return self._fn is None

    # -- introspection -------------------------------------------------------

    @property
    def name(self) -> str | None:
        """The label given at creation, if any."""
        return self._name

    def statistics(self) -> SignalStatistics:
        """A snapshot of this computed's counters."""
        return SignalStatistics(
            self._name, len(self._observers), self._version, self._recomputes
        )

    def _display(self) -> tuple[str, object]:
        """What displays show, without running the function (user code).

        Returns:
            ``("disposed", None)``, ``("not computed yet", None)``,
            ``("stale", None)`` (an input may have changed since it last ran),
            ``("raised", exception)`` or ``("value", value)``.
        """
        if self._fn is None:
            return "disposed", None
        if self._value is UNSET and self._error is None:
            return "not computed yet", None
        if _may_have_moved(self):
            return "stale", None
        if self._error is not None:
            return "raised", self._error
        return "value", self._value

    def __repr__(self) -> str:
        name = self._name
        head = f"Computed {name}" if name else anonymous(self)
        count = len(self._observers)
        plural = "" if count == 1 else "s"
        kind, held = self._display()
        if kind == "value":
            shown = shown_value(name, held)
        elif kind == "raised":
            shown = f"(raised {type(held).__name__})"
        else:
            shown = f"({kind})"
        return f"<{head}={shown} ({count} subscriber{plural})>"

    def _repr_html_(self) -> str:
        from .notebook import html_repr

        return html_repr(self)

    # Rx's ``+`` is concat: ``double + 1`` would make an Observable silently.

    def __add__(self, other: Observable[T]) -> NoReturn:
        _signal.refuse_concat(self, "+")

    def __iadd__(self, other: Observable[T]) -> NoReturn:
        _signal.refuse_concat(self, "+=")

    def __radd__(self, other: object) -> NoReturn:
        _signal.refuse_concat(self, "+")


class _Detach(abc.DisposableBase):
    __slots__ = ("node", "observer")

    def __init__(self, node: Computed[Any], observer: abc.ObserverBase[Any]) -> None:
        self.node: Computed[Any] | None = node
        self.observer: abc.ObserverBase[Any] | None = observer

    def dispose(self) -> None:
        node, observer = self.node, self.observer
        self.node = self.observer = None
        if node is not None and observer is not None:
            node._detach(observer)


_create_lock = threading.Lock()


_graph.pushed_type = Computed


@final
class ComputedProperty(Generic[S, T]):
    """``@computed`` on a method: a cached, per-instance computed property.

    ``obj.attr`` reads the value (tracked); ``signal_of(obj, "attr")`` gives
    the :class:`Computed` itself, which is disposed with the instance when
    the instance is a ``Disposable``.
    """

    __slots__ = ("_attr", "_equals", "_fn", "_key", "_label")

    def __init__(
        self, fn: Callable[[S], T], *, equals: Callable[[T, T], bool] | None = None
    ) -> None:
        self._fn = fn
        self._equals = equals
        self._attr = getattr(fn, "__name__", "")
        # Where each instance keeps its computed, in its __dict__.
        self._key = self._attr
        self._label = getattr(fn, "__qualname__", self._attr)

    def __set_name__(self, owner: type, name: str) -> None:
        self._attr = name
        self._key = name
        self._label = f"{owner.__name__}.{name}"
        if any(name in vars(base) for base in owner.__mro__[1:]):
            # It overrides a base's attribute, whose computed a super() read
            # reaches: each keeps its own (this descriptor stays the one
            # ``obj.name`` and ``signal_of`` find).
            self._key = f"{owner.__qualname__}.{name}"

    @overload
    def __get__(self, obj: None, objtype: type | None = None) -> Self: ...

    @overload
    def __get__(self, obj: S, objtype: type | None = None) -> T: ...

    def __get__(self, obj: S | None, objtype: type | None = None) -> Self | T:
        if obj is None:
            return self
        return self.of(obj).value

    # ``NoReturn``: no value fits, so a type checker flags any assignment,
    # as the run time does.
    def __set__(self, obj: S, value: NoReturn) -> None:
        raise AttributeError(
            f"{self._label} is a computed value and cannot be assigned."
            " Write the signals it reads instead."
        )

    def of(self, obj: S) -> Computed[T]:
        """The :class:`Computed` behind this attribute on ``obj``."""
        try:
            return obj.__dict__[self._key]  # type: ignore[no-any-return]
        except KeyError:
            return self._create(obj)
        except AttributeError:
            raise TypeError(
                f"computed {self._label} needs instances with a __dict__;"
                f" {type(obj).__name__} has __slots__ only."
                " Add '__dict__' to its __slots__."
            ) from None

    if not TYPE_CHECKING:  # type checkers report unknown attributes themselves

        def __getattr__(self, attr: str) -> Any:
            if attr.startswith(("__", "_impact")):
                raise AttributeError(attr)  # protocol probes: stay quiet
            raise AttributeError(
                f"computed() made a method decorator from {self._label},"
                f" a function that takes an argument, and a decorator has no"
                f" {attr!r}. Use it on a method in a class body (each instance"
                " gets its own Computed), or pass a function of no arguments"
                " for a standalone Computed."
            )

    def _create(self, obj: S) -> Computed[T]:
        fn = self._fn
        with _create_lock:
            existing: Computed[T] | None = obj.__dict__.get(self._key)
            if existing is not None:
                return existing
            with owning(None):
                created = Computed(
                    lambda: fn(obj), equals=self._equals, name=self._label
                )
            obj.__dict__[self._key] = created
        if isinstance(obj, Disposable):
            # Ended after what the instance registered before this first
            # read (its effects, on_dispose callbacks), which may read it.
            created._remover = on_dispose_last(obj, created.dispose)
        return created

    def _impact_of(self, obj: S) -> Computed[T]:
        return self.of(obj)

    def __repr__(self) -> str:
        return f"<computed {self._label}>"


@overload
def computed(
    fn: Callable[[], T],
    /,
    *,
    equals: Callable[[T, T], bool] | None = None,
    name: str | None = None,
) -> Computed[T]: ...


@overload
def computed(
    fn: Callable[[S], T],
    /,
    *,
    equals: Callable[[T, T], bool] | None = None,
    name: str | None = None,
) -> ComputedProperty[S, T]: ...


@overload
def computed(
    fn: None = None,
    /,
    *,
    equals: Callable[[Any, Any], bool] | None = None,
    name: str | None = None,
) -> _Decorator: ...


def computed(
    fn: Callable[[], T] | Callable[[S], T] | None = None,
    /,
    *,
    equals: Callable[[T, T], bool] | None = None,
    name: str | None = None,
) -> Computed[T] | ComputedProperty[S, T] | _Decorator:
    """Derive a value from signals: a :class:`Computed`, or a property.

    Called with a function of no arguments it returns a :class:`Computed`.
    Used as a decorator on a method (a function taking ``self``) it returns
    a :class:`ComputedProperty`: each instance gets its own cached computed.
    Called with options only (``@computed(equals=...)``), it returns a
    decorator that does the same with them.

    Args:
        fn: The derivation.
        equals: As for :class:`Computed`.
        name: A label; a property is named ``ClassName.attr``.

    Raises:
        TypeError: ``fn`` or ``equals`` is not callable, ``fn`` is an
            ``async`` function, or ``name`` is not a ``str``.

    Example:
        >>> from impact_rx import Disposable, computed, signal, signal_of
        >>> class Cart(Disposable):
        ...     items = signal(("pen",))
        ...     @computed
        ...     def size(self) -> int:
        ...         return len(self.items)
        >>> cart = Cart()
        >>> cart.size
        1
        >>> cart.items = ("pen", "ink")
        >>> cart.size, signal_of(cart, "size")
        (2, <Computed Cart.size=2 (0 subscribers)>)
    """
    _signal.check_options("computed", equals, name)
    if fn is None:
        return _Decorator(equals, name)
    if not callable(fn):
        raise TypeError(
            f"computed() takes a function, got {type(fn).__name__}."
            " Pass a lambda or decorate a method; options go by keyword,"
            " e.g. @computed(equals=...)."
        )
    _signal.refuse_async("computed()", fn, "runs its function", _AWAIT)
    if _takes_an_argument(fn):
        return ComputedProperty(fn, equals=equals)  # type: ignore[arg-type]
    return Computed(fn, equals=equals, name=name)  # type: ignore[arg-type]


@final
class _Decorator:
    """``computed(equals=..., name=...)``: applies those options to a function."""

    __slots__ = ("_equals", "_name")

    def __init__(
        self, equals: Callable[[Any, Any], bool] | None, name: str | None
    ) -> None:
        self._equals = equals
        self._name = name

    @overload
    def __call__(self, fn: Callable[[], T], /) -> Computed[T]: ...

    @overload
    def __call__(self, fn: Callable[[S], T], /) -> ComputedProperty[S, T]: ...

    def __call__(
        self, fn: Callable[[], T] | Callable[[S], T], /
    ) -> Computed[T] | ComputedProperty[S, T]:
        return computed(fn, equals=self._equals, name=self._name)


def _takes_an_argument(fn: Callable[..., Any]) -> bool:
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(
        p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        for p in parameters
    )
