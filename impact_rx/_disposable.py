"""Disposable: explicit lifetimes, and ownership of what a constructor creates.

A ``Disposable`` collects cleanup callbacks and runs them once, newest first,
when it is disposed. Every callback runs even when some raise; the failures
are raised together afterwards as one ``DisposeError``.

While the constructor of a ``Disposable`` subclass runs, the object is the
*current owner* (:func:`owning`), whether a provider builds it or it is
called directly. What impact_rx creates then calls :func:`adopt`, so it is
disposed with the service without any bookkeeping in user code: signals,
computeds, effects, ``observe`` scopes, emitters, suspenses, queries,
mutations, and instances of other ``Disposable`` subclasses. What a write
in the constructor sets off (subscribers, listeners, other effects) runs
outside it, so what those make is not the constructor's, as it would not be
after the constructor returned. Nor is what an asyncio task the constructor
started makes: the task inherits the context, but runs after the constructor
returned.

Nothing else is adopted. A plain reactivex subscription
(``signal.subscribe(...)``, ``subject.subscribe(...)``), a thread, a task or
a file outlives its maker unless it is handed to :meth:`Disposable.on_dispose`:
``self.on_dispose(source.subscribe(handler))``.

>>> from impact_rx import Disposable
>>> log = []
>>> with Disposable() as d:
...     remove = d.on_dispose(lambda: log.append("first"))
...     _ = d.on_dispose(lambda: log.append("second"))
>>> log
['second', 'first']
>>> d.is_disposed
True
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from itertools import count
from types import TracebackType
from typing import Any, Protocol, Self, runtime_checkable

from ._errors import DisposeError

__all__ = [
    "Disposable",
    "adopt",
    "constructing",
    "current_owner",
    "disown",
    "owning",
    "reown",
]


@runtime_checkable
class _SupportsDispose(Protocol):
    def dispose(self) -> None: ...


DisposeCallback = Callable[[], object] | _SupportsDispose

# One lock for every Disposable's bookkeeping: the critical sections are a few
# dict operations, and a per-instance lock would cost memory on every signal
# owner and could not be created safely when __init__ was skipped.
_lock = threading.Lock()
_tokens = count()


class _Block:
    """One owner block: open while the constructor (or ``owning``) runs.

    The context variable holds the block, not the owner: an asyncio task
    or a ``copy_context()`` run started in the block copies the variable,
    and once the block closed, what it makes is no longer the owner's
    (made later, as DESIGN §4 says; and the owner may be disposed by then).
    """

    __slots__ = ("open", "owner")

    def __init__(self, owner: Disposable | None) -> None:
        self.owner = owner
        self.open = True


_owner: ContextVar[_Block | None] = ContextVar("impact_rx_owner", default=None)
# One item per owner block open in any thread: a cheap test for the graph,
# which delivers and runs watchers outside any owner (see ``disown``).
constructing: list[None] = []


def _noop() -> None:
    return None


class Disposable:
    """An object with an explicit end of life.

    Subclasses may skip ``super().__init__()``: the bookkeeping is created on
    first use.

    Example:
        >>> d = Disposable()
        >>> remove = d.on_dispose(lambda: print("bye"))
        >>> d.dispose()
        bye
        >>> d.dispose()  # idempotent
    """

    _impact_callbacks: dict[int, DisposeCallback] | None
    _impact_disposed: bool

    def __init__(self) -> None:
        self._impact_callbacks = None
        self._impact_disposed = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Make a subclass's constructor the owner of what it creates.

        However the object is made (by a provider, or called directly), the
        signals, computeds, effects, emitters, suspenses and other
        ``Disposable`` objects its ``__init__`` creates are disposed with it
        (a plain Rx subscription is not: pass it to :meth:`on_dispose`);
        made inside another owner's constructor, the object itself is
        disposed with that owner.
        """
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is None or getattr(init, "_impact_owning", False):
            return
        if cls.__module__.split(".", 1)[0] == "impact_rx":
            return  # the library's own classes adopt what they make themselves
        cls.__init__ = _owning_init(init)  # type: ignore[method-assign]

    @property
    def is_disposed(self) -> bool:
        """Whether :meth:`dispose` has started."""
        return getattr(self, "_impact_disposed", False)

    def on_dispose(self, callback: DisposeCallback) -> Callable[[], None]:
        """Run ``callback`` (a callable or anything with ``dispose()``) on dispose.

        Callbacks run newest first. Registering on an object that is already
        disposed runs the callback at once. A ``Signal`` is completed, as
        the signals a constructor creates are (its ``dispose()`` would drop
        its subscribers without telling them).

        Args:
            callback: A zero-argument callable, or an object with a
                ``dispose()`` method such as a reactivex subscription.

        Returns:
            A function that unregisters the callback; calling it after the
            callback ran does nothing.

        Raises:
            TypeError: ``callback`` is neither callable nor disposable.
        """
        if not callable(callback) and not isinstance(callback, _SupportsDispose):
            raise TypeError(
                f"{type(self).__name__}.on_dispose() needs a callable or an object"
                f" with dispose(), got {type(callback).__name__}."
                " Pass a function, a lambda, or a reactivex subscription."
            )
        # What an owner's disposal does to it, when that is not dispose().
        # Looked up on the class: a test double answers any attribute.
        end = getattr(type(callback), "_impact_owned_end", None)
        if end is not None:
            callback = functools.partial(end, callback)
        remove = self._impact_register(callback)
        if remove is None:
            _run(callback)
            return _noop
        return remove

    def _impact_register(self, callback: DisposeCallback) -> Callable[[], None] | None:
        """Keep ``callback`` for dispose; ``None`` if disposed already."""
        token = next(_tokens)
        with _lock:
            disposed = getattr(self, "_impact_disposed", False)
            if not disposed:
                callbacks = getattr(self, "_impact_callbacks", None)
                if callbacks is None:
                    callbacks = self._impact_callbacks = {}
                callbacks[token] = callback
        if disposed:
            return None

        def remove() -> None:
            with _lock:
                callbacks = getattr(self, "_impact_callbacks", None)
                if callbacks is not None:
                    callbacks.pop(token, None)

        return remove

    def dispose(self) -> None:
        """Run every registered callback once, newest first.

        Idempotent: a second call does nothing. Afterwards the object keeps no
        reference to its callbacks.

        Raises:
            DisposeError: one or more callbacks raised; all of them still ran.
        """
        with _lock:
            if getattr(self, "_impact_disposed", False):
                return
            self._impact_disposed = True
            callbacks = getattr(self, "_impact_callbacks", None)
            self._impact_callbacks = None

        errors: list[Exception] = []
        for callback in reversed(list((callbacks or {}).values())):
            try:
                _run(callback)
            except Exception as exc:
                errors.append(exc)
        if errors:
            raise DisposeError(self, errors)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.dispose()


def on_dispose_last(
    owner: Disposable, callback: Callable[[], object]
) -> Callable[[], None]:
    """As ``owner.on_dispose(callback)``, but run after every other callback.

    For state the other callbacks may read as they end, made on first use
    (a per-instance ``@computed``): registered newest, it would end first.

    Returns:
        A function that unregisters the callback.
    """
    token = next(_tokens)
    with _lock:
        disposed = getattr(owner, "_impact_disposed", False)
        if not disposed:
            callbacks = getattr(owner, "_impact_callbacks", None) or {}
            owner._impact_callbacks = {token: callback, **callbacks}
    if disposed:
        _run(callback)
        return _noop

    def remove() -> None:
        with _lock:
            callbacks = getattr(owner, "_impact_callbacks", None)
            if callbacks is not None:
                callbacks.pop(token, None)

    return remove


def _owning_init(init: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(init)
    def __init__(self: Disposable, *args: Any, **kwargs: Any) -> None:
        outer = current_owner()
        if outer is self:  # a provider builds it, or a subclass's __init__
            init(self, *args, **kwargs)
            return
        block = _Block(self)
        token = _owner.set(block)
        constructing.append(None)
        try:
            init(self, *args, **kwargs)
        finally:
            block.open = False
            constructing.pop()
            _owner.reset(token)
        if outer is not None:
            self.on_dispose(outer.on_dispose(self))

    __init__._impact_owning = True  # type: ignore[attr-defined]
    return __init__


def _run(callback: DisposeCallback) -> None:
    if isinstance(callback, _SupportsDispose):
        callback.dispose()
    else:
        callback()


def current_owner() -> Disposable | None:
    """The object whose constructor is running in this context, if any."""
    block = _owner.get()
    if block is None or not block.open:
        return None
    return block.owner


@contextmanager
def owning(owner: Disposable | None) -> Iterator[None]:
    """Make ``owner`` the current owner for the duration of the block.

    Used by providers around a service's constructor; ``owning(None)`` shields
    a block from an enclosing owner.
    """
    block = _Block(owner)
    token = _owner.set(block)
    constructing.append(None)
    try:
        yield
    finally:
        block.open = False
        constructing.pop()
        _owner.reset(token)


def disown() -> Token[_Block | None]:
    """Leave the current owner, for a delivery that runs inside its block.

    A write in a constructor delivers at once, and whatever the subscribers,
    listeners and effects it sets off make then is theirs, not the
    constructor's: the same reaction outside any constructor would leave it
    unowned. The graph calls this (only while ``constructing``) before it
    delivers, and ``reown`` after.

    Returns:
        The token ``reown`` takes.
    """
    return _owner.set(None)


def reown(token: Token[_Block | None]) -> None:
    """Return to the owner that ``disown`` left."""
    _owner.reset(token)


def adopt(callback: DisposeCallback) -> Callable[[], None] | None:
    """Register ``callback`` with the current owner, if there is one.

    Core objects call this from their constructors. The remover it returns
    lets an object disposed early drop itself from its owner, so the owner
    keeps no reference to it.

    An owner disposed already (its constructor disposed it, then went on)
    adopts nothing: registering would end the object inside its own
    constructor, before it is whole. It is made as if no owner were current.

    Returns:
        The owner's remover, or ``None`` when no owner is current.
    """
    owner = current_owner()
    if owner is None:
        return None
    # The library's own callbacks (an object's dispose or on_completed) need
    # no ``_impact_owned_end``.
    return owner._impact_register(callback)
