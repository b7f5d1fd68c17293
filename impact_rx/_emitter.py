"""Emitter: typed events, delivered in order with the signals' writes.

An :class:`Emitter` is a hot Observable without replay: a listener hears the
events emitted after it joined. Events travel through the same queue as
signal writes (see :mod:`impact_rx._graph`), so an event emitted by a
subscriber is delivered after the delivery that is running, and an event
emitted inside ``batch()`` is delivered in order with the batch's writes
when the batch ends. A raising listener never stops the others; the
failures reach the emitter as one ``SubscriberError``.

>>> from impact_rx import Emitter
>>> events = Emitter[str](name="events")
>>> remove = events.on(lambda e: print("heard", e))
>>> events.emit("hello")
heard hello
>>> remove()
>>> events.emit("unheard")
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar, final

from reactivex import Observable, abc
from reactivex.disposable import Disposable as RxDisposable

from . import _graph
from ._disposable import adopt, constructing, current_owner
from ._errors import SubscriberError
from ._graph import claim, get_ident, lock, state
from ._redact import anonymous
from ._signal import check_options, end_observers, refuse_async, subscribed

__all__ = ["Emitter"]

T = TypeVar("T")


@final
class Emitter(Observable[T]):
    """Typed events: ``on(listener)``, ``emit(value)``, ``dispose()``.

    Args:
        name: A label for reprs and errors.

    Raises:
        TypeError: ``name`` is not a ``str``.

    Example:
        >>> from impact_rx import Emitter
        >>> clicks = Emitter[int]()
        >>> seen = []
        >>> subscription = clicks.subscribe(seen.append)
        >>> clicks.emit(1)
        >>> clicks.dispose()
        >>> clicks.emit(2)  # ignored after dispose
        >>> seen
        [1]
    """

    __slots__ = ("_disposed", "_joining", "_name", "_observers", "_remover")

    def __init__(self, *, name: str | None = None) -> None:
        if name is not None and not isinstance(name, str):
            check_options("Emitter", None, name)
        # Observable.__init__ is skipped: it would allocate a lock per emitter.
        self._observers: tuple[abc.ObserverBase[T], ...] = ()
        self._name = name
        self._disposed = False
        # Listeners waiting in the queue to join (see ``_subscribe_core``).
        self._joining = 0
        self._remover = adopt(self.dispose)

    @property
    def name(self) -> str | None:
        """The label given at creation, if any."""
        return self._name

    @property
    def is_disposed(self) -> bool:
        """Whether :meth:`dispose` ran."""
        return self._disposed

    def on(self, listener: Callable[[T], None]) -> Callable[[], None]:
        """Call ``listener(event)`` for each later event.

        Returns:
            A function that removes the listener.

        Raises:
            TypeError: ``listener`` is not callable, or is an ``async``
                function.
        """
        if not callable(listener) and not isinstance(listener, abc.ObserverBase):
            raise TypeError(
                f"{self._label()}.on() takes a listener"
                f" function, got {type(listener).__name__}."
                " Pass a function of one argument, the event."
            )
        refuse_async(
            f"{self._label()}.on()",
            listener,
            "calls its listener",
            "Pass a plain function that schedules the async work, e.g. with"
            " asyncio.get_running_loop().create_task(...).",
        )
        subscription = self.subscribe(listener)
        return subscription.dispose

    def emit(self, value: T) -> None:
        """Deliver ``value`` to every listener; ignored after dispose.

        Raises:
            SubscriberError: listeners raised; all others were notified.
        """
        if self._disposed or not (self._observers or self._joining):
            return
        s = state
        if s.detached:
            pending = _graph.local.pending
            if pending is not None:
                # In this thread's batch kept aside, heard when it ends; also
                # while the thread owns the queue for its own code (an effect
                # it makes, say), as in a batch that owns the queue.
                pending[_Emission(self, value)] = None
                return
        me = get_ident()
        if s.owner == me:
            if s.batch_depth:
                s.batched[_Emission(self, value)] = None
            else:
                s.queue.append((self._deliver, value, _graph.follow()))
            return
        try:
            claim()
        except IndexError:
            _graph.enqueue(self._deliver, value)
            return
        s.owner = me
        if s.queue or (constructing and current_owner() is not None):
            # Behind what is queued; or a constructor emits, and ``release``
            # delivers outside its ownership (see ``_disposable.disown``).
            s.queue.append((self._deliver, value, 0))
            errors = None
        else:
            try:
                errors = _notify(self, value)
            except BaseException:
                _graph.abandon()
                raise
        _graph.release(errors)

    def _deliver(self, value: T) -> None:
        errors = _notify(self, value)
        if errors:
            raise errors[0]

    def subscribe(
        self,
        on_next: abc.ObserverBase[T] | abc.OnNext[T] | None = None,
        on_error: abc.OnError | None = None,
        on_completed: abc.OnCompleted | None = None,
        *,
        scheduler: abc.SchedulerBase | None = None,
    ) -> abc.DisposableBase:
        """As for any Observable; the subscription keeps nothing once disposed.

        A listener joining while events wait in the queue (emitted by a
        subscriber, or while another thread delivers) joins in turn, after
        them: it hears only what is emitted after it joined.

        Raises:
            SubscriberError: as for ``Signal.subscribe``.
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
        s = state
        owner = s.owner
        if (owner is not None and owner != get_ident()) or (
            s.queue and not s.batch_depth
        ):
            # Not in a batch, whose events reach whoever listens as it ends.
            removal = _Remove(self, observer)
            with lock:
                self._joining += 1
            _graph.enqueue(self._attach_queued, removal)
            return removal
        return self._attach(observer)

    def _attach_queued(self, removal: _Remove) -> None:
        """Add a listener that joined while events were queued (owner only)."""
        with lock:
            self._joining -= 1
        observer = removal.observer
        if observer is None:
            return  # removed before its turn
        self._attach(observer)
        if removal.observer is None:
            self._detach(observer)  # removed while it joined

    def _attach(self, observer: abc.ObserverBase[T]) -> abc.DisposableBase:
        with lock:
            if self._disposed:
                stopped = True
            else:
                stopped = False
                self._observers = (*self._observers, observer)
        if stopped:
            observer.on_completed()
            return RxDisposable()
        return _Remove(self, observer)

    def _detach(self, observer: abc.ObserverBase[T]) -> None:
        with lock:
            observers = self._observers
            if observer in observers:
                index = observers.index(observer)
                self._observers = observers[:index] + observers[index + 1 :]

    def dispose(self) -> None:
        """Complete every listener and ignore later events; idempotent.

        Raises:
            SubscriberError: listeners raised on completion.
        """
        with lock:
            if self._disposed:
                return
            self._disposed = True
        remover, self._remover = self._remover, None
        if remover is not None:
            remover()
        _graph.end_in_turn(self._end, None)

    def _end(self, _: object) -> None:
        end_observers(self)

    def _label(self) -> str:
        """``Emitter name``, or ``Emitter@<hex id>`` when it has none."""
        name = self._name
        return f"Emitter {name}" if name else anonymous(self)

    def __repr__(self) -> str:
        count = len(self._observers)
        plural = "" if count == 1 else "s"
        return f"<{self._label()} ({count} listener{plural})>"


def _notify(emitter: Emitter[Any], value: object) -> list[BaseException] | None:
    errors: list[BaseException] | None = None
    observers = iter(emitter._observers)
    failures: list[Exception] = []
    while True:
        try:
            for observer in observers:
                observer.on_next(value)
            break
        except Exception as exc:
            failures.append(exc)
    if failures:
        errors = [SubscriberError(emitter, failures)]
    return errors


class _Emission:
    """An event emitted inside ``batch()``, delivered in order at its end."""

    __slots__ = ("emitter", "value")

    def __init__(self, emitter: Emitter[Any], value: object) -> None:
        self.emitter = emitter
        self.value = value

    def _deliver_latest(self, _: object) -> None:
        self.emitter._deliver(self.value)

    def _apply_batched(self, _: object) -> None:
        """Join the owner's batch (for a batch kept aside, see ``batch``)."""
        # Disposed in turn after this event (its end not run yet): heard.
        if self.emitter._observers:
            state.batched[self] = None


class _Remove(abc.DisposableBase):
    __slots__ = ("emitter", "observer")

    def __init__(self, emitter: Emitter[Any], observer: abc.ObserverBase[Any]) -> None:
        self.emitter: Emitter[Any] | None = emitter
        self.observer: abc.ObserverBase[Any] | None = observer

    def dispose(self) -> None:
        emitter, observer = self.emitter, self.observer
        self.emitter = self.observer = None
        if emitter is not None and observer is not None:
            emitter._detach(observer)
