"""Signal: a ``BehaviorSubject`` whose writes are ordered, isolated and tracked.

A :class:`Signal` *is* a ``reactivex.subject.BehaviorSubject``: ``subscribe``,
``pipe`` and every operator work on it, and a new subscriber first receives
the current value. What it adds:

- ``.value`` is a property. Reading it inside a computed, effect or
  ``observe`` scope records a dependency; assigning it is ``set``.
- A write that does not change the value (identity, or ``==`` giving a plain
  ``True``; or the ``equals`` you pass) notifies nobody. The same object
  (``is``) is always unchanged, before any ``equals`` is asked, so changing
  a list in place and writing it back notifies nobody: write a new one.
- Writes are delivered through the one queue of :mod:`impact_rx._graph`: a
  subscriber that writes while being notified has its write queued, so every
  subscriber sees 1 before 2 and ends on ``.value``.
- A raising subscriber does not stop the others. After everyone was
  notified, the failures are raised together as ``SubscriberError`` to the
  call that delivered them; a subscriber that raises on its initial value is
  not kept.
- ``subscribe`` delivers what was queued meanwhile (what the new
  subscriber's first value set off, other threads' writes) after Rx's
  ``subscribe`` returned, so a failure there is raised to the caller and
  never handed to the new observer's ``on_error``; the caller gets no
  handle, so the observer is not kept. Known gap: through an operator
  (``s.pipe(ops.map(f)).subscribe(on_next, on_error)``) the operator's
  own Rx ``subscribe`` encloses that delivery, and it still ends the new
  observer with the other subscriber's ``SubscriberError``.

>>> from impact_rx import Signal
>>> count = Signal(0, name="count")
>>> def double_odd(value):
...     if value % 2:
...         count.value = value * 2  # re-entrant: queued, not nested
>>> seen = []
>>> a = count.subscribe(double_odd)
>>> b = count.subscribe(seen.append)
>>> count.value = 3
>>> seen, count.value
([0, 3, 6], 6)
>>> count.value = 6  # unchanged: nobody is notified
>>> seen
[0, 3, 6]
>>> count
<Signal count=6 (2 subscribers)>

Debug hooks (set by :mod:`impact_rx.debug`; ``None``, and free, when off):

- ``write_hook(signal, old, new)`` is called for every accepted write of a
  ``Signal`` (not for new values of computeds), synchronously in the writer's
  thread inside ``set``/``on_next``, before anything is delivered, so a
  tracer can walk the stack to the writer's file and line.
- ``subscribe_hook(source, observer)`` is called in the subscribing thread
  when a subscription to a signal or computed is made, and with ``source``
  ``None`` when an effect or ``observe`` scope is created (``observer`` is
  then the effect or the scope).
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable
from dataclasses import dataclass
from difflib import get_close_matches
from functools import partial
from typing import (
    TYPE_CHECKING,
    Any,
    Generic,
    NoReturn,
    Self,
    TypeVar,
    cast,
    final,
    overload,
)

from reactivex import Observable, abc
from reactivex.disposable import Disposable as RxDisposable
from reactivex.subject import BehaviorSubject

from . import _graph
from ._disposable import Disposable, adopt, constructing, current_owner, owning
from ._errors import SubscriberError
from ._graph import (
    MAX_CHAIN,
    UNSET,
    aside,
    changed,
    claim,
    differs,
    follow,
    get_ident,
    lock,
    mark,
    read_aside,
    release,
    run_watchers,
    state,
    unclaim,
    watchers,
)
from ._redact import anonymous, shown_value

if TYPE_CHECKING:
    from ._computed import Computed

__all__ = [
    "Signal",
    "SignalStatistics",
    "check_options",
    "refuse_async",
    "refuse_concat",
    "signal",
    "signal_of",
    "subscribe_hook",
    "write_hook",
]

T = TypeVar("T")

write_hook: Callable[[Signal[Any], Any, Any], None] | None = None

# What the turn of a write queued by another thread delivers (``_Queued.mode``).
_NOTHING, _APPLIED, _SUPERSEDED, _FAILED = 1, 2, 3, 4
subscribe_hook: Callable[[object, object], None] | None = None

_REPR_LIMIT = 40


@dataclass(frozen=True, slots=True)
class SignalStatistics:
    """A snapshot of one signal's or computed's counters.

    Attributes:
        name: The name given at creation, or ``None``.
        subscribers: Rx subscribers right now.
        writes: Accepted (changed) writes, or changed values of a computed.
        recomputes: How often a computed's function ran (0 for a signal).
    """

    name: str | None
    subscribers: int
    writes: int
    recomputes: int


class Signal(BehaviorSubject[T]):
    """A value that changes over time; a ``BehaviorSubject`` with rules.

    A write of the very object the signal holds (``is``) changes nothing
    and notifies nobody, whatever ``equals`` would say: ``equals`` is asked
    only about a different object. So a value changed in place (a list
    appended to) is invisible, even written back; write a new value.

    Args:
        initial: The first value.
        equals: ``equals(old, new)`` deciding that a write of a different
            object changes nothing; by default ``==`` when it gives a plain
            truth value.
        name: A label for reprs, errors and tracing.

    Example:
        >>> s = Signal(1, name="s")
        >>> s.update(lambda v: v + 1)
        >>> s.value, s.peek()
        (2, 2)
    """

    __slots__ = (
        "_delivered",
        "_equals",
        "_lock",
        "_name",
        "_observers",
        "_pending",
        "_remover",
        "_state",
        "_targets",
        "_value",
        "_version",
        "exception",
        "is_disposed",
        "is_stopped",
    )

    _derived = False  # a source the graph never refreshes

    def __init__(
        self,
        initial: T,
        *,
        equals: Callable[[T, T], bool] | None = None,
        name: str | None = None,
    ) -> None:
        """Make a signal holding ``initial``.

        Args:
            initial: The first value; a subscriber receives it at once.
            equals: ``equals(old, new)`` returning true when a write changes
                nothing (nobody is notified). Not asked when ``new`` is
                ``old`` (the same object is always unchanged). By default
                ``==`` when it gives a plain truth value.
            name: A label for reprs, errors and tracing; a value whose name
                looks secret (``password``, ``token``, ...) is shown as
                ``<redacted>``.

        Raises:
            TypeError: ``equals`` is not callable, or ``name`` not a ``str``.
        """
        if (equals is not None and not callable(equals)) or (
            name is not None and not isinstance(name, str)
        ):
            check_options("Signal", equals, name)
        # Subject.__init__ is skipped on purpose: it would allocate a lock and
        # an observer list per signal and assign the plain ``value`` attribute.
        self._value = initial
        self._delivered = initial
        # Deliveries of this thread's own writes still in the queue: a write
        # another thread queued before them is older and must not replace them.
        self._pending = 0
        self._observers: tuple[abc.ObserverBase[T], ...] = ()
        self._equals = equals
        self._name = name
        self._targets: list[Any] | None = None
        self._version = 0
        self._state = _graph.CLEAN  # a signal is never stale: nothing to refresh
        self._lock: threading.RLock | None = None
        self.exception: Exception | None = None
        self.is_disposed = False
        self.is_stopped = False
        self._remover = adopt(self.on_completed)

    # -- reading -------------------------------------------------------------

    @property
    def value(self) -> T:
        """The current value; reading it in a tracking scope records it."""
        s = state
        if s.detached:
            value = read_aside(self)
            if value is not UNSET:
                return value  # type: ignore[no-any-return]
        if self is s.quiet and s.tracker is s.quiet_reads:
            # The one source of the run, implied (no thread check, as
            # before: another thread's read here only keeps it a source).
            s.quiet_seen = True
        else:
            tracker = s.tracker
            if tracker is not None and s.owner == get_ident():
                tracker.append(self)
        return self._value

    @value.setter
    def value(self, value: T) -> None:
        self.on_next(value)

    def peek(self) -> T:
        """The current value, without recording a dependency."""
        if state.detached:
            value = _graph.unapplied(self)
            if value is not UNSET:
                return value  # type: ignore[no-any-return]
        return self._value

    @property
    def name(self) -> str | None:
        """The label given at creation, if any."""
        return self._name

    @property
    def observers(self) -> list[abc.ObserverBase[T]]:  # type: ignore[override]
        """A copy of the current observers (RxPY compatibility)."""
        return list(self._observers)

    @property
    def lock(self) -> threading.RLock:
        """A per-signal lock, made on first use (some Rx operators take it)."""
        return _graph.rx_lock(self)

    @lock.setter
    def lock(self, value: threading.RLock) -> None:
        self._lock = value

    # -- writing -------------------------------------------------------------

    def on_next(self, value: T) -> None:
        """Set the value and notify subscribers, if it changed.

        A write after the signal completed is ignored, as in Rx; its repr
        then says ``(completed)``.

        Raises:
            SubscriberError: subscribers raised; all others were notified.
        """
        if self.is_stopped:
            return
        s = state
        old = self._value
        if s.detached:
            mine = _graph.local
            pending = mine.pending
            if pending is not None:
                if s.owner != get_ident():
                    self._write_aside(value)
                    return
                # This thread owns the queue inside its batch kept aside (it
                # makes an effect, say): the write applies now, and is the
                # batch's latest for this signal, as in a batch that owns it.
                pending[self] = value
                chains = mine.chains
                if chains:
                    chains.pop(self, None)
            elif mine.queued and s.owner != get_ident():
                ticket = mine.queued.get(self)
                if ticket is not None:
                    old = ticket.value  # what this thread last wrote
        if old is value:
            return
        equals = self._equals
        if equals is None:
            # ``changed(old, value)``, inlined.
            try:
                same = old == value
            except Exception:
                same = False
            if same is True or (same is not False and not differs(same)):
                return
        elif equals(old, value):
            return

        me = get_ident()
        if s.owner == me:
            # Re-entrant (a subscriber, effect or batch of this thread).
            self._write_owned(value)
            hook = write_hook
            if hook is not None:
                hook(self, old, value)
            return
        try:
            claim()
        except IndexError:
            # Another thread delivers: it applies this write in turn, and
            # this thread reads it back meanwhile.
            hook = write_hook
            if hook is not None:
                hook(self, old, value)
            _graph.write_in_turn(self, self._apply_queued, value)
            return
        s.owner = me
        if constructing and current_owner() is not None:
            # A constructor writes: deliver through ``release``, which runs
            # what this sets off outside the constructor's ownership.
            try:
                self._write_queued(value)
                hook = write_hook
                if hook is not None:
                    hook(self, old, value)
            except BaseException:
                _graph.abandon()
                raise
            release()
            return
        errors: list[BaseException] | None = None
        try:
            self._value = value
            self._version += 1
            s.writes += 1
            if self._targets:
                mark(self)
            hook = write_hook
            if hook is not None:
                hook(self, old, value)
            if s.queue:
                self._pending += 1
                s.queue.append((self._deliver_own, value, 0))
            else:
                self._delivered = value
                if self._observers:
                    observers = iter(self._observers)
                    while True:
                        try:
                            for observer in observers:
                                observer.on_next(value)
                            break
                        except Exception as exc:
                            if errors is None:
                                errors = [exc]
                            else:
                                errors.append(exc)
                    if errors:
                        errors = [SubscriberError(self, errors)]
                if watchers and not s.queue:
                    errors = run_watchers(errors)
        except BaseException:
            _graph.abandon()
            raise
        if not s.queue and not watchers:
            s.owner = None
            unclaim(1)
            if s.queue:
                errors = _graph.unclaimed(errors)
            if errors:
                raise _graph.combine(errors)
            return
        release(errors)

    set = on_next

    def update(self, fn: Callable[[T], T]) -> None:
        """Set the value to ``fn(current)``, atomically among threads.

        No write of another thread lands between reading the current value
        and writing the new one. While another thread delivers, ``fn`` is
        applied to the value this thread sees and the result waits its turn
        (this thread reads it back at once); if another write came first,
        the delivering thread applies ``fn`` again, to the value then
        current. The same holds in a batch kept aside (see ``batch``): the
        updates it made to a signal it did not otherwise write are applied
        again, in order, in the batch's turn. So ``fn`` should be free of
        side effects.

        Example:
            >>> from impact_rx import Signal
            >>> hits = Signal(0)
            >>> hits.update(lambda n: n + 1)
            >>> hits.value
            1

        Raises:
            SubscriberError: subscribers raised; all others were notified.
                Also when ``fn``, applied again by the delivering thread,
                raised: that update is then dropped.
            Exception: whatever ``fn`` raised when applied in this call.
            TypeError: ``fn`` is not callable.
        """
        if not callable(fn):
            name = self._name
            label = f"Signal {name}" if name else anonymous(self)
            raise TypeError(
                f"{label}.update() takes a function of the current value, got"
                f" {type(fn).__name__}. To write a value, assign .value or call"
                " set(); to derive it, pass e.g. update(lambda n: n + 1)."
            )
        if self.is_stopped:
            return
        s = state
        if s.detached and _graph.local.pending is not None:
            # In this thread's batch kept aside: applied again in the
            # batch's turn if another write came first (see ``_graph._hold``).
            based = self.peek()
            value = fn(based)
            if s.owner == get_ident():
                self.on_next(value)  # owning the queue: applied at once
            else:
                self._write_aside(value, fn, based)
            return
        took = _graph.acquire()
        if took >= 0:
            try:
                self.on_next(fn(self._value))
            finally:
                if took:
                    release()
            return
        based = self.peek()
        value = fn(based)
        equals = self._equals
        if not (changed(based, value) if equals is None else not equals(based, value)):
            return
        hook = write_hook
        if hook is not None:
            hook(self, based, value)
        _graph.write_in_turn(self, self._apply_queued, value, fn, based)

    def _apply_queued(self, ticket: _graph._Queued) -> None:
        """A write or update from another thread, in its turn (owner only)."""
        if not ticket.mode:
            self._take(ticket, bool(self._pending))
        mode = ticket.mode
        if mode == _APPLIED:
            self._deliver_own(ticket.value)
        elif mode == _SUPERSEDED:
            self._deliver_superseded(ticket.value)
        elif mode == _FAILED:
            raise ticket.value

    def _take(self, ticket: _graph._Queued, later: bool) -> None:
        """Apply a write another thread queued, as the owner, now.

        ``later`` tells whether the owner wrote this signal after the write
        was queued (that delivery is still queued): a plain write then only
        delivers its value in turn, an update builds on the owner's value.
        What the write's turn in the queue delivers is left in ``mode``.
        """
        try:
            value = ticket.value
            fn = ticket.fn
            current = self._value
            ticket.mode = _NOTHING
            if self.is_stopped and not self._observers:
                # Ended before this write's turn. Stopped with observers
                # left, the ending is queued after this write: it applies.
                return
            if fn is None:
                if later:
                    # The owner's later write stands; this value is still
                    # delivered in its turn, unless it changes nothing.
                    ticket.mode = _SUPERSEDED
                    return
            elif current is not ticket.based:
                # Another write came first: apply the update to it.
                try:
                    value = fn(current)
                except Exception as exc:
                    label = getattr(fn, "__qualname__", None) or anonymous(fn)
                    error = SubscriberError(
                        self,
                        [exc],
                        f"update {label} of {self!r}, queued by another thread,"
                        f" raised {type(exc).__name__} when applied again to"
                        " the value another write had set first; that update"
                        " was dropped. See .exceptions (or __cause__).",
                    )
                    ticket.value = error
                    ticket.mode = _FAILED
                    return
            equals = self._equals
            if equals is None:
                if not changed(current, value):
                    return
            else:
                try:
                    same = equals(current, value)
                except Exception as exc:
                    # The write's own failure, reported in its turn: raised
                    # here it would escape whatever read took it in early.
                    ticket.value = SubscriberError(
                        self,
                        [exc],
                        f"equals of {self!r} raised {type(exc).__name__}"
                        " comparing a write another thread queued with the"
                        " value then current; that write was dropped. See"
                        " .exceptions (or __cause__).",
                    )
                    ticket.mode = _FAILED
                    return
                if same:
                    return
            if fn is not None and later:
                # Builds on the owner's later write, so delivered after it,
                # also when applied in a batch kept aside's turn.
                self._write_queued(value)
                return
            self._value = value
            self._version += 1
            state.writes += 1
            if self._targets:
                mark(self)
            self._pending += 1
            ticket.value = value
            ticket.mode = _APPLIED
        finally:
            _graph.settle(self, ticket)

    def _write_owned(self, value: T) -> None:
        """Apply a changed value as the owner, and queue or batch its delivery.

        Raises:
            CycleError: the write would lengthen a chain of deliveries, each
                caused by the one before, past ``MAX_CHAIN``.
        """
        s = state
        if s.batch_depth:
            if s.chain >= MAX_CHAIN:
                # Refused before it applies: the batch's flush would end the
                # chain with the value set but never delivered, and owed.
                follow()
            self._value = value
            self._version += 1
            s.writes += 1
            if self._targets:
                mark(self)
            batched = s.batched
            if self not in batched:
                batched[self] = None
                self._pending += 1  # delivered by _deliver_latest
            return
        self._write_queued(value)

    def _write_queued(self, value: T) -> None:
        """Apply a changed value as the owner; queue its delivery at the end."""
        s = state
        depth = follow()
        self._value = value
        self._version += 1
        s.writes += 1
        if self._targets:
            mark(self)
        self._pending += 1
        s.queue.append((self._deliver_own, value, depth))

    def _write_aside(
        self,
        value: T,
        fn: Callable[[T], T] | None = None,
        based: Any = UNSET,
    ) -> None:
        """A write in this thread's batch kept aside (see ``batch``); with
        ``fn``, an update that gave ``value`` applied to ``based``."""
        pending = aside()
        assert pending is not None
        old = pending.get(self, UNSET)
        first = old is UNSET
        chains = _graph.local.chains
        if chains is not None:
            if fn is None:
                chains.pop(self, None)  # a plain write: nothing to apply again
            elif first:
                chains[self] = (based, [fn])
            else:
                chain = chains.get(self)
                if chain is not None:
                    chain[1].append(fn)
        if first:
            old = _graph.unapplied(self)  # a write still queued, if any
            if old is UNSET:
                old = self._value
        equals = self._equals
        if changed(old, value) if equals is None else not equals(old, value):
            pending[self] = value
            hook = write_hook
            if hook is not None:
                hook(self, old, value)
        elif first:
            # Kept though it changes nothing now: the batch reads it, and
            # applies it in turn, whatever other threads write meanwhile.
            pending[self] = value

    def _deliver_taken(self, ticket: _graph._Queued) -> None:
        """A batch kept aside's write, taken in (``_take``: in the batch's
        turn, or early by ``absorb``), as the batch is applied (owner, inside
        the batch): deliver what ``_take`` decided."""
        mode = ticket.mode
        if mode == _APPLIED:
            # Heard in order with the batch's other writes and events.
            state.batched[_graph._Ending(self._deliver_latest, ticket.value)] = None
        elif mode == _SUPERSEDED:
            self._deliver_superseded(ticket.value)
        elif mode == _FAILED:
            raise ticket.value  # its updates failed when applied again

    def _notify_now(self, value: T) -> list[BaseException] | None:
        """Deliver ``value`` to every observer (owner only); return failures."""
        self._delivered = value
        errors: list[BaseException] | None = None
        observers = iter(self._observers)
        while True:
            try:
                for observer in observers:
                    observer.on_next(value)
                break
            except Exception as exc:
                if errors is None:
                    errors = [exc]
                else:
                    errors.append(exc)
        return errors

    def _deliver(self, value: T) -> None:
        """A queued delivery, run by the owner in order."""
        errors = self._notify_now(value)
        if errors:
            raise SubscriberError(self, errors)

    def _deliver_own(self, value: T) -> None:
        """A queued delivery of this signal's owner-side write."""
        self._pending -= 1
        self._deliver(value)

    def _deliver_latest(self, value: T) -> None:
        """Deliver the value a batch ended on, unless it is what was delivered."""
        self._pending -= 1
        if self.is_stopped and not self._observers:
            return
        equals = self._equals
        delivered = self._delivered
        if equals is None:
            if not changed(delivered, value):
                self._delivered = value  # equal: nothing is left to deliver
                return
        elif _same(equals, delivered, value):
            self._delivered = value
            return
        self._deliver(value)

    def _deliver_superseded(self, value: T) -> None:
        """Deliver an older write in its turn, unless it changes nothing."""
        delivered = self._delivered
        equals = self._equals
        if equals is None:
            if not changed(delivered, value):
                return
        elif _same(equals, delivered, value):
            return
        self._deliver(value)

    # -- completion ----------------------------------------------------------

    def on_completed(self) -> None:
        """Complete the signal: observers are told, later writes are ignored."""
        if self._stop():
            _graph.end_in_turn(self._end, None)

    def _impact_owned_end(self) -> None:
        """What disposing an owner that was handed this signal does (see
        ``Disposable.on_dispose``): complete it, as an adopted signal is."""
        self.on_completed()

    def on_error(self, error: Exception) -> None:
        """End the signal with ``error``; later writes are ignored."""
        if self._stop(error):
            _graph.end_in_turn(self._end, error)

    def _stop(self, error: Exception | None = None) -> bool:
        with lock:
            if self.is_stopped:
                return False
            # With the stop, so a subscriber arriving from another thread
            # at once is told the error, not a completion.
            if error is not None:
                self.exception = error
            self.is_stopped = True
        remover = self._remover
        if remover is not None:
            self._remover = None
            remover()
        return True

    def _end(self, error: Exception | None) -> None:
        end_observers(self, error)

    def dispose(self) -> None:
        """Stop the signal and drop every observer without notifying them.

        As ``Subject.dispose`` in Rx. To end it telling its subscribers, call
        :meth:`on_completed`, which is what disposing its owner does.
        """
        self._stop()
        with lock:
            self.is_disposed = True
            self._observers = ()

    # -- subscribing ---------------------------------------------------------

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
            SubscriberError: delivering what was queued meanwhile (what the
                first value set off, other threads' writes) failed; the new
                observer is not kept, and is not told (its ``on_error`` is
                for its own source's errors).
        """
        return subscribed(
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
        hook = subscribe_hook
        if hook is not None:
            hook(self, observer)
        took = _graph.acquire()
        if took < 0:
            # Another thread is delivering: it attaches the observer in turn,
            # so the observer is never called from two threads at once.
            subscription = _Subscription(self, observer)
            _graph.enqueue_owned(self._attach_queued, subscription)
            return subscription
        try:
            attached = self._attach(observer)
        finally:
            if took:
                try:
                    release()
                except BaseException:
                    # Rx ends an observer whose subscribe raised: keep none.
                    self._detach(observer)
                    raise
        return attached

    def _attach(self, observer: abc.ObserverBase[T]) -> abc.DisposableBase:
        if self.is_stopped and not self._observers:
            if self.exception is not None:
                observer.on_error(self.exception)
            else:
                observer.on_completed()
            return RxDisposable()
        with lock:
            self._observers = (*self._observers, observer)
        try:
            observer.on_next(self._delivered)
        except BaseException:
            self._detach(observer)
            raise
        return _Subscription(self, observer)

    def _attach_queued(self, subscription: _Subscription[T]) -> None:
        attach_in_turn(self, subscription)

    def _detach(self, observer: abc.ObserverBase[T]) -> None:
        with lock:
            observers = self._observers
            if observer in observers:
                index = observers.index(observer)
                self._observers = observers[:index] + observers[index + 1 :]

    # -- introspection -------------------------------------------------------

    def statistics(self) -> SignalStatistics:
        """A snapshot of this signal's counters."""
        return SignalStatistics(self._name, len(self._observers), self._version, 0)

    def __repr__(self) -> str:
        name = self._name
        head = f"{type(self).__name__} {name}" if name else anonymous(self)
        shown = shown_value(name, self._value, _REPR_LIMIT)
        if self.is_stopped:
            # Ended: writes are ignored now, which the repr must not hide.
            if self.is_disposed:
                ended = "disposed"
            elif self.exception is not None:
                ended = f"failed: {type(self.exception).__name__}"
            else:
                ended = "completed"
            return f"<{head}={shown} ({ended})>"
        count = len(self._observers)
        plural = "" if count == 1 else "s"
        return f"<{head}={shown} ({count} subscriber{plural})>"

    def _repr_html_(self) -> str:
        from .notebook import html_repr  # type: ignore[import-not-found,unused-ignore]

        return html_repr(self)  # type: ignore[no-any-return,unused-ignore]

    # -- Observable's ``+`` -------------------------------------------------
    # Rx overloads ``+`` and ``+=`` as concat, so ``count += 1`` would rebind
    # ``count`` to an Observable and lose the signal without a word.

    def __add__(self, other: Observable[T]) -> NoReturn:
        refuse_concat(self, "+")

    def __iadd__(self, other: Observable[T]) -> NoReturn:
        refuse_concat(self, "+=")

    def __radd__(self, other: object) -> NoReturn:
        refuse_concat(self, "+")


@final
class Released(abc.DisposableBase):
    """What ``subscribe`` returns: once disposed, it keeps nothing.

    Rx's own subscription keeps the observer, and so the callbacks and what
    their closures hold, for as long as anyone holds the subscription.
    """

    __slots__ = ("_inner",)

    def __init__(self, inner: abc.DisposableBase) -> None:
        self._inner: abc.DisposableBase | None = inner

    def dispose(self) -> None:
        inner = self._inner
        self._inner = None
        if inner is not None:
            inner.dispose()


class _Subscription(abc.DisposableBase, Generic[T]):
    """Removes one observer from a signal; keeps nothing once disposed."""

    __slots__ = ("observer", "source")

    def __init__(self, source: Signal[T], observer: abc.ObserverBase[T]) -> None:
        self.source: Signal[T] | None = source
        self.observer: abc.ObserverBase[T] | None = observer

    def dispose(self) -> None:
        source, observer = self.source, self.observer
        self.source = self.observer = None
        if source is not None and observer is not None:
            source._detach(observer)


def subscribed(subscribe: Callable[[], abc.DisposableBase]) -> abc.DisposableBase:
    """Run Rx's ``subscribe`` as the owner of the queue; deliver once it returned.

    Rx's ``subscribe`` hands whatever ``_subscribe_core`` raises to the new
    observer's ``on_error`` and ends it. A failing delivery of what was
    queued meanwhile is another subscriber's failure, so it is delivered
    (and raised to the caller) only after Rx's ``subscribe`` returned; the
    caller then gets no handle, so the subscription is not kept.
    """
    took = _graph.acquire()
    if took <= 0:  # re-entrant (the outer call delivers), or queued in turn
        return Released(subscribe())
    try:
        handle = Released(subscribe())
    except BaseException as exc:
        failure = _graph.unwinding(exc, release)
        if failure is exc:
            raise
        raise failure from failure.__cause__
    try:
        release()
    except BaseException as exc:
        failure = _graph.unwinding(exc, handle.dispose)
        if failure is exc:
            raise
        raise failure from failure.__cause__
    return handle


def attach_in_turn(node: Any, subscription: Any) -> None:
    """Attach an observer queued while another thread delivered (owner only).

    ``node`` is a signal or computed and ``subscription`` the handle its
    subscriber already holds; disposed meanwhile, it attaches nothing.

    Raises:
        SubscriberError: the observer raised on its initial value.
    """
    observer = subscription.observer
    if observer is None:
        return
    try:
        node._attach(observer)
    except Exception as exc:
        subscription.observer = None
        raise SubscriberError(node, [exc]) from exc
    if subscription.observer is None:
        # Disposed while it was attached: that dispose found nothing.
        node._detach(observer)


def _same(equals: Callable[[Any, Any], bool], delivered: Any, value: Any) -> bool:
    """Whether a queued value is the one subscribers last saw (owner only).

    A pair ``equals`` never met as the writes were made (a batch's final
    value against the one delivered before it): if it raises, that says
    nothing, and the value is delivered, as an ``==`` that raises counts as
    a change, so subscribers end on ``.value``.
    """
    try:
        return bool(equals(delivered, value))
    except Exception:
        return False


def end_observers(node: Any, error: Exception | None = None) -> None:
    """Take every observer off ``node`` and complete it (or fail it).

    Raises:
        SubscriberError: observers raised; every other one was still ended.
    """
    with lock:
        observers = node._observers
        node._observers = ()
    errors: list[BaseException] = []
    for observer in observers:
        try:
            if error is None:
                observer.on_completed()
            else:
                observer.on_error(error)
        except Exception as exc:
            errors.append(exc)
    if errors:
        raise SubscriberError(node, errors)


def check_options(kind: str, equals: object, name: object) -> None:
    """Refuse an ``equals`` that is not callable or a ``name`` not a ``str``.

    Args:
        kind: What was called, for the message (``"Signal"``).
        equals: The ``equals=`` given, or ``None``.
        name: The ``name=`` given, or ``None``.

    Raises:
        TypeError: either is of the wrong type.
    """
    if equals is not None and not callable(equals):
        raise TypeError(
            f"{kind}() takes equals= as a function of (old, new) returning"
            f" true when nothing changed, got {type(equals).__name__}."
            " Pass e.g. equals=lambda old, new: old.id == new.id, or leave it"
            " out for identity-or-==."
        )
    if name is not None and not isinstance(name, str):
        raise TypeError(
            f"{kind}() takes name= as a str, got {type(name).__name__}."
            ' Pass a label such as name="count".'
        )


def refuse_concat(node: Any, op: str) -> NoReturn:
    """Refuse Rx's ``+`` (concat) on a signal or computed, naming the fix.

    Args:
        node: The signal or computed an operand of ``+`` or ``+=``.
        op: The operator, for the message (``"+="``).

    Raises:
        TypeError: always.
    """
    name = node._name
    kind = type(node).__name__
    label = f"{kind} {name}" if name else anonymous(node)
    var = name if name and name.isidentifier() else kind.lower()
    if getattr(node, "_derived", False):
        fix = (
            f"write {var}.value + 1 for a sum (a computed is read-only: to"
            " change it, write the signals it reads)"
        )
    else:
        fix = (
            f"write {var}.value += 1 or {var}.update(lambda n: n + 1), or"
            f" {var}.value + 1 for a sum"
        )
    raise TypeError(
        f"{label}: `{op}` would concatenate Observables; {fix}. To"
        f" concatenate, call reactivex.concat({var}, other)."
    )


def refuse_async(kind: str, fn: object, does: str, instead: str) -> None:
    """Refuse an ``async def`` function where a plain one is called.

    Called without awaiting, it would only make a coroutine: its body would
    never run, and asyncio would warn that it was never awaited.

    Args:
        kind: What was called, for the message (``"effect()"``).
        fn: The function given.
        does: What ``kind`` does with it (``"runs its function"``).
        instead: What to do instead.

    Raises:
        TypeError: ``fn`` is a coroutine function.
    """
    if inspect.iscoroutinefunction(fn):
        label = getattr(fn, "__qualname__", None) or anonymous(fn)
        raise TypeError(
            f"{kind} {does} synchronously, and {label} is async: it would only"
            f" make a coroutine, never awaited, so its body would never run."
            f" {instead}"
        )


def short_repr(value: object, limit: int = _REPR_LIMIT) -> str:
    """``repr(value)`` cut to ``limit`` characters; never raises."""
    try:
        text = repr(value)
    except Exception:
        text = f"<{type(value).__name__} object>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


# -- the class-attribute descriptor ---------------------------------------------

_create_lock = threading.Lock()
_NO_INITIAL: Any = object()
# Initial values that instances would share and mutate in place.
_MUTABLE = (list, dict, set, bytearray)


class signal(Generic[T]):
    """A signal per instance, declared as a class attribute.

    ``obj.attr`` reads the value (tracked), ``obj.attr = v`` writes it, and
    :func:`signal_of` gives the :class:`Signal` itself. The signal is created
    on first use, named ``ClassName.attr``, and completed when the instance
    (a ``Disposable``) is disposed.

    Args:
        initial: Every instance's first value, shared by all of them, so it
            must not be a ``list``, ``dict`` or ``set`` (``TypeError``): use
            a tuple or frozenset, or ``factory``.
        equals: As for :class:`Signal`.
        factory: Instead of ``initial``, called once per instance for its
            own first value (``signal(factory=list)``).

    Raises:
        TypeError: a mutable ``initial``, both or neither of ``initial``
            and ``factory``, or an ``equals`` that is not callable.

    Example:
        >>> from impact_rx import Disposable, signal, signal_of
        >>> class Counter(Disposable):
        ...     count = signal(0)
        >>> counter = Counter()
        >>> counter.count += 1
        >>> counter.count
        1
        >>> signal_of(counter, "count")
        <Signal Counter.count=1 (0 subscribers)>
        >>> class Todos(Disposable):
        ...     items = signal(factory=list)  # signal([]) would be shared
        >>> mine, yours = Todos(), Todos()
        >>> mine.items = [*mine.items, "tea"]  # a new list: a change
        >>> mine.items, yours.items
        (['tea'], [])

    Changing a value in place (``mine.items.append("tea")``) notifies
    nobody: the signal still holds the same object, so nothing changed for
    it, and computeds keep their cached results. Assign a new value instead.
    """

    __slots__ = ("_attr", "_equals", "_factory", "_initial", "_label")

    @overload
    def __init__(
        self, initial: T, *, equals: Callable[[T, T], bool] | None = None
    ) -> None: ...

    @overload
    def __init__(
        self,
        *,
        equals: Callable[[T, T], bool] | None = None,
        factory: Callable[[], T],
    ) -> None: ...

    def __init__(
        self,
        initial: Any = _NO_INITIAL,
        *,
        equals: Callable[[T, T], bool] | None = None,
        factory: Callable[[], T] | None = None,
    ) -> None:
        if (initial is _NO_INITIAL) == (factory is None):
            raise TypeError(
                "signal() takes either an initial value or factory=, not both"
                " or neither."
                " Use factory= for a value each instance must own."
            )
        check_options("signal", equals, None)
        if isinstance(initial, _MUTABLE):
            kind = type(initial).__name__
            raise TypeError(
                f"signal() got a mutable {kind} as its initial value, which"
                " every instance would share."
                f" Pass factory={kind} (or a lambda building one) for a fresh"
                " value per instance, or an immutable tuple or frozenset."
            )
        self._initial: T = initial
        self._factory = factory
        self._equals = equals
        self._attr = ""
        self._label = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self._attr = name
        self._label = f"{owner.__name__}.{name}"

    @overload
    def __get__(self, obj: None, objtype: type | None = None) -> Self: ...

    @overload
    def __get__(self, obj: object, objtype: type | None = None) -> T: ...

    def __get__(self, obj: object, objtype: type | None = None) -> Self | T:
        if obj is None:
            return self
        return self.of(obj).value

    def __set__(self, obj: object, value: T) -> None:
        self.of(obj).on_next(value)

    def of(self, obj: object) -> Signal[T]:
        """The :class:`Signal` behind this attribute on ``obj``."""
        try:
            return obj.__dict__[self._attr]  # type: ignore[no-any-return]
        except KeyError:
            return self._create(obj)
        except AttributeError:
            raise TypeError(
                f"signal {self._label or '?'} needs instances with a __dict__;"
                f" {type(obj).__name__} has __slots__ only."
                " Add '__dict__' to its __slots__."
            ) from None

    def _create(self, obj: object) -> Signal[T]:
        # The factory runs outside the lock: it may read other signals, but
        # untracked: a computed or effect reading the attribute first must not
        # depend on them.
        factory = self._factory
        initial = self._initial if factory is None else _graph.untracked(factory)
        with _create_lock:
            existing: Signal[T] | None = obj.__dict__.get(self._attr)
            if existing is not None:
                return existing
            with owning(None):
                created = Signal(initial, equals=self._equals, name=self._label or None)
            obj.__dict__[self._attr] = created
        if isinstance(obj, Disposable):
            created._remover = obj.on_dispose(created.on_completed)
        return created

    def _impact_of(self, obj: object) -> Signal[T]:
        return self.of(obj)

    if not TYPE_CHECKING:  # type checkers report unknown attributes themselves

        def __getattr__(self, attr: str) -> Any:
            # Only for names the descriptor lacks (``x = signal(0); x.value``):
            # ``__get__`` and ``__set__`` never come here.
            if attr.startswith("_"):
                # Protocol probes stay quiet, and an unset slot (a copy being
                # built) must not recurse through ``self._label``.
                raise AttributeError(attr)
            label = self._label
            if label:
                owner, _, name = label.rpartition(".")
                raise AttributeError(
                    f"{label} is declared with signal(): each {owner} has its"
                    f" own signal, so the declaration has no {attr!r}. Read"
                    f" or write it on an instance ({owner.lower()}.{name}), or"
                    f" take its Signal with signal_of({owner.lower()}, {name!r})."
                )
            raise AttributeError(
                "signal() declares a per-instance signal on a class"
                f" (class Counter: count = signal(0)) and has no {attr!r}."
                " For a standalone signal use Signal(0)."
            )

    def __repr__(self) -> str:
        label = self._label
        factory = self._factory
        if factory is not None:
            made = getattr(factory, "__qualname__", None) or anonymous(factory)
            return f"<signal {label or '?'} factory={made}>"
        initial = shown_value(label, self._initial, _REPR_LIMIT)
        return f"<signal {label or '?'} initial={initial}>"


def signal_of(obj: object, attr: str) -> Signal[Any] | Computed[Any]:
    """The :class:`Signal` (or ``Computed``) behind ``obj.attr``.

    Works for :class:`signal` and ``computed`` class attributes, and for
    plain attributes that hold a signal or computed.

    Example:
        >>> from impact_rx import Signal, signal_of
        >>> class Box:
        ...     def __init__(self):
        ...         self.size = Signal(3)
        >>> signal_of(Box(), "size").value
        3

    Raises:
        TypeError: ``obj.attr`` is neither a signal nor a computed, ``obj``
            is the class that declares it, not an instance, or ``attr`` is
            not a ``str``.
        AttributeError: ``obj`` has no attribute ``attr``; the message lists
            the signals and computeds it has.
    """
    if not isinstance(attr, str):
        raise TypeError(
            f"signal_of() takes the attribute's name as a str, got"
            f' {type(attr).__name__}. Write e.g. signal_of(counter, "count").'
        )
    if isinstance(obj, type):
        declared = getattr(obj, attr, None)
        if hasattr(declared, "_impact_of"):
            raise TypeError(
                f"signal_of({obj.__name__}, {attr!r}) was given the class:"
                f" each instance of {obj.__name__} has its own {attr}."
                f" Pass an instance, e.g. signal_of({obj.__name__}(), {attr!r})."
            )
    for klass in type(obj).__mro__:
        descriptor = klass.__dict__.get(attr)
        if descriptor is not None:
            of = getattr(descriptor, "_impact_of", None)
            if of is not None:
                return cast("Signal[Any] | Computed[Any]", of(obj))
            break
    try:
        value = getattr(obj, attr)
    except AttributeError as exc:
        if exc.name != attr or exc.obj is not obj:
            raise  # raised inside a property's getter: not a missing name
        raise AttributeError(_missing(obj, attr), name=attr, obj=obj) from None
    if isinstance(value, Signal) or hasattr(value, "_impact_computed"):
        return cast("Signal[Any] | Computed[Any]", value)
    raise TypeError(
        f"{type(obj).__name__}.{attr} is a {type(value).__name__},"
        " not a signal or computed."
        " Declare it with signal(...) or @computed, or store a Signal in it."
    )


def _missing(obj: object, attr: str) -> str:
    """The message for ``signal_of(obj, attr)`` when ``obj`` has no ``attr``."""
    klass_of = obj if isinstance(obj, type) else type(obj)
    kind = klass_of.__name__
    names: set[str] = set()
    for klass in klass_of.__mro__:
        for name, declared in vars(klass).items():
            if hasattr(declared, "_impact_of"):
                names.add(name)
    for name, held in ({} if obj is klass_of else _vars_of(obj)).items():
        if name.isidentifier() and (
            isinstance(held, Signal) or hasattr(held, "_impact_computed")
        ):
            names.add(name)  # not an overridden computed's own key
    found = sorted(names)
    message = f"signal_of({kind}, {attr!r}): {kind} has no attribute {attr!r}."
    close = get_close_matches(attr, found, n=1)
    if close:
        message += f" Did you mean {close[0]!r}?"
    if found:
        return f"{message} Its signals and computeds: {', '.join(found)}."
    return (
        f"{message} {kind} has no signals or computeds at all: declare them"
        " with signal(...) or @computed, or store a Signal in an attribute."
    )


def _vars_of(obj: object) -> dict[str, Any]:
    """``obj.__dict__``, or an empty dict for an object with none."""
    held = getattr(obj, "__dict__", None)
    return held if isinstance(held, dict) else {}
