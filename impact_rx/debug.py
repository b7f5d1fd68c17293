"""Tracing: who wrote a signal, from which line, and who was listening.

Impact's debugger, for Python. While tracing is on, every accepted write to a
signal is logged on the ``impact_rx.debug`` logger at ``DEBUG`` level: the
signal's name and owner, the old and new value (a short ``repr``, redacted
when secret), the writer's ``file:line`` (the first stack frame outside
impact_rx and reactivex), and where each of the signal's observers was
created. Tracing is off by default and costs nothing then: the core checks
one module global, which is ``None`` until tracing starts.

Two ways to switch it on:

- ``with trace():`` traces the block; blocks nest.
- ``trace.enable()`` / ``trace.disable()`` is a global switch for a whole
  session or notebook. Tracing is on while the switch is on or any block is
  open.

Creation sites are recorded only while tracing is on, so enable tracing
before creating the effects and subscriptions you want to see. A write made
by a callback of the asyncio loop (async work that completed) has no user
frame on its stack: its site is the loop's, ``events.py ... Handle._run``.
In a notebook, a site names the input cell, such as ``In[3]:2``.

Values are shown with ``repr``, cut to a few dozen characters; a mapping
hides its values under secret-looking keys, one level deep. A
:class:`~impact_rx.session.Secret` masks itself, and the value of a signal
whose name looks secret (``password``, ``access_token``, ``api_key``,
``authorization``, ``cookie``, ``session_id``, ...; the full rule is in
the README's "Seeing what happens" section) is replaced by ``<redacted>``
whatever its type.

Each log record also carries the structured :class:`TracedWrite` as
``record.traced_write``, for tools and tests.

>>> import logging, sys
>>> from impact_rx import Disposable, effect, signal
>>> from impact_rx.debug import trace
>>> class Counter(Disposable):
...     count = signal(0)
...     def increment(self):
...         self.count += 1
>>> debug_log = logging.getLogger("impact_rx.debug")
>>> debug_log.addHandler(shown := logging.StreamHandler(sys.stdout))
>>> debug_log.setLevel(logging.DEBUG)
>>> counter = Counter()
>>> with trace():  # doctest: +NORMALIZE_WHITESPACE
...     printer = effect(lambda: print("count is", counter.count))
...     counter.increment()
count is 0
Counter.count: 0 -> 1 at <doctest impact_rx.debug[3]>:4 in Counter.increment;
    observed by effect at <doctest impact_rx.debug[8]>:2
count is 1
>>> debug_log.removeHandler(shown)
>>> debug_log.setLevel(logging.NOTSET)
"""

from __future__ import annotations

import importlib
import logging
import os
import reprlib
import sys
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Any, Protocol, TypeVar, final

import reactivex

from ._redact import REDACTED, anonymous, looks_secret, masked, shorten

__all__ = [
    "ObserverSite",
    "Site",
    "TracedWrite",
    "Tracer",
    "observers",
    "short_repr",
    "statistics",
    "trace",
    "value_text",
]

logger = logging.getLogger("impact_rx.debug")

S_co = TypeVar("S_co", covariant=True)

_LIBRARY_DIRS = tuple(
    os.path.dirname(os.path.abspath(path)) + os.sep
    for path in (__file__, reactivex.__file__)
)
_MAX_REPR = 60
_MAX_WATCHES = 10_000
_MAX_OBSERVERS = 20


class _ShortRepr(reprlib.Repr):
    """``reprlib`` that shortens an object's repr at its end, never through a mask.

    ``reprlib`` keeps the head and tail of a long repr and drops the middle,
    which can cut ``Secret('********')`` in two and read as a leak.
    """

    def repr_instance(self, x: object, level: int) -> str:
        try:
            text = repr(x)
        except Exception:
            return f"<{type(x).__name__} instance at {id(x):#x}>"
        return shorten(text, self.maxother)


_repr = _ShortRepr()
_repr.maxstring = _MAX_REPR
_repr.maxother = _MAX_REPR
_repr.maxlevel = 3


@final
@dataclass(frozen=True)
class Site:
    """A place in user code: a file, a line and the function running there.

    Attributes:
        filename: The file's path as Python reports it.
        lineno: The line number.
        function: The qualified name of the function (``<module>`` at top
            level).
        cell: In a notebook, the input cell the file stands for (``In[3]``).
    """

    filename: str
    lineno: int
    function: str
    cell: str | None = None

    def __str__(self) -> str:
        return f"{self.cell or os.path.basename(self.filename)}:{self.lineno}"


@final
@dataclass(frozen=True)
class ObserverSite:
    """Where one observer of a signal was created.

    Attributes:
        kind: ``"subscription"`` (an Rx observer), ``"effect"`` or
            ``"observe"`` (a scope).
        site: The user code that created it.
        via: The computed it observes the signal through, if any.
    """

    kind: str
    site: Site | None
    via: str | None = None

    def __str__(self) -> str:
        text = f"{self.kind} at {self.site or '<unknown>'}"
        return f"{text} via {self.via}" if self.via else text


@final
@dataclass(frozen=True)
class TracedWrite:
    """One traced write, as logged. Holds text only, never the objects.

    Attributes:
        signal: The signal's name (``ClassName.attr`` for a service's
            signal), or its type and id when it has none.
        owner: The class owning the signal, from its name, if any.
        old: The old value's short, redacted ``repr``.
        new: The new value's short, redacted ``repr``.
        site: The writer: the first frame outside impact_rx and reactivex.
        observers: Where each observer was created, directly or through
            computeds, for the observers created while tracing was on.
        untraced: How many other observers there are (created before
            tracing started).
        thread: The writing thread's name.
    """

    signal: str
    owner: str | None
    old: str
    new: str
    site: Site | None
    observers: tuple[ObserverSite, ...]
    untraced: int
    thread: str

    def __str__(self) -> str:
        text = f"{self.signal}: {self.old} -> {self.new}"
        if self.site is not None:
            text += f" at {self.site} in {self.site.function}"
        if self.thread != "MainThread":
            text += f" [thread {self.thread}]"
        watchers = [str(o) for o in self.observers]
        if self.untraced:
            watchers.append(f"{self.untraced} created before tracing")
        return text + "; observed by " + (", ".join(watchers) or "nobody")


@dataclass(frozen=True)
class _Watch:
    get: Callable[[], object | None]
    kind: str
    site: Site | None


@final
class Tracer:
    """The tracing switch: :data:`impact_rx.debug.trace` is its one instance.

    Use ``trace`` as it is: ``with trace():`` traces a block, and
    ``trace.enable()`` / ``trace.disable()`` switch tracing for the whole
    process. Do not build another ``Tracer()``: the library only reads
    ``trace``.
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._depth = 0
        self._switched_on = False
        self._saved: tuple[Any, Any] | None = None
        # Keyed by id: effects cannot be weakly referenced. A watch holds its
        # observer weakly when it can, else strongly, so an id is never
        # mistaken for a newer object's; the oldest are dropped past the cap.
        self._watches: dict[int, _Watch] = {}

    @property
    def is_enabled(self) -> bool:
        """Whether writes are being traced now."""
        return self._switched_on or self._depth > 0

    @contextmanager
    def __call__(self) -> Iterator[Tracer]:
        """A context manager that traces the writes made inside the block."""
        self._enter()
        try:
            yield self
        finally:
            self._exit()

    def enable(self) -> None:
        """Switch tracing on until :meth:`disable`; calling it twice is harmless."""
        with self._lock:
            self._switched_on = True
            self._refresh()

    def disable(self) -> None:
        """Switch the global tracing off; open ``with trace():`` blocks go on."""
        with self._lock:
            self._switched_on = False
            self._refresh()

    def _enter(self) -> None:
        with self._lock:
            self._depth += 1
            self._refresh()

    def _exit(self) -> None:
        with self._lock:
            self._depth -= 1
            self._refresh()

    def _refresh(self) -> None:
        _signal: Any = importlib.import_module("impact_rx._signal")

        if self.is_enabled and self._saved is None:
            self._saved = (_signal.write_hook, _signal.subscribe_hook)
            _signal.write_hook = self._on_write
            _signal.subscribe_hook = self._on_subscribe
        elif not self.is_enabled and self._saved is not None:
            _signal.write_hook, _signal.subscribe_hook = self._saved
            self._saved = None
            self._watches.clear()

    def _on_subscribe(self, source: object, observer: object) -> None:
        try:
            watch = _Watch(_holder(observer), _kind(observer), _user_site())
        except Exception:  # tracing must never break the subscriber
            logger.exception("impact_rx.debug could not record an observer")
            return
        with self._lock:
            watches = self._watches
            watches[id(observer)] = watch
            if len(watches) > _MAX_WATCHES:
                del watches[next(iter(watches))]

    def _on_write(self, signal: object, old: object, new: object) -> None:
        if not logger.isEnabledFor(logging.DEBUG):
            return
        try:
            event = self._describe(signal, old, new)
        except Exception:  # tracing must never break the writer
            logger.exception("impact_rx.debug could not describe a write")
            return
        logger.debug("%s", event, extra={"traced_write": event})

    def _describe(self, signal: object, old: object, new: object) -> TracedWrite:
        name = getattr(signal, "name", None)
        label = name if isinstance(name, str) and name else anonymous(signal)
        owner, dot, _ = label.rpartition(".")
        sites, untraced = self._observers_of(signal)
        return TracedWrite(
            signal=label,
            owner=owner if dot else None,
            old=value_text(label, old),
            new=value_text(label, new),
            site=_user_site(),
            observers=sites,
            untraced=untraced,
            thread=threading.current_thread().name,
        )

    def _observers_of(self, source: object) -> tuple[tuple[ObserverSite, ...], int]:
        """Walk Rx observers and graph targets, through computeds, breadth first."""
        found: list[ObserverSite] = []
        untraced = 0
        queue: list[tuple[object, str | None]] = [(source, None)]
        seen = {id(source)}
        with self._lock:
            for node, via in queue:
                if len(found) >= _MAX_OBSERVERS:
                    break
                if node is not source and not _is_computed(node):
                    untraced += self._add(found, node, via)
                    continue
                here = via if node is source else _label(node)
                for observer in tuple(getattr(node, "_observers", None) or ()):
                    untraced += self._add(found, observer, here)
                for target in tuple(getattr(node, "_targets", None) or ()):
                    if id(target) not in seen:
                        seen.add(id(target))
                        queue.append((target, here))
        return tuple(found), untraced

    def _add(self, found: list[ObserverSite], observer: object, via: str | None) -> int:
        watch = self._watches.get(id(observer))
        if watch is None or watch.get() is not observer:
            return 1
        found.append(ObserverSite(watch.kind, watch.site, via))
        return 0


trace = Tracer()
"""The tracing switch: ``with trace():`` or ``trace.enable()``/``trace.disable()``."""


def observers(source: object) -> tuple[ObserverSite, ...]:
    """Where the observers of a signal or computed were created.

    Lists Rx subscriptions, effects and ``observe`` scopes, directly or
    through computeds; only those created while tracing was on are known.
    """
    return trace._observers_of(source)[0]


class _HasStatistics(Protocol[S_co]):
    def statistics(self) -> S_co: ...


def statistics(obj: _HasStatistics[S_co]) -> S_co:
    """A small frozen snapshot of ``obj``'s counters.

    Signals and computeds report subscribers, writes and recomputes;
    providers report their services and children. This is
    ``obj.statistics()``, spelled as a function for discoverability.

    Raises:
        TypeError: ``obj`` keeps no statistics.
    """
    method = getattr(obj, "statistics", None)
    if not callable(method):
        raise TypeError(
            f"{type(obj).__name__} keeps no statistics."
            " Pass a Signal, a Computed or a ServiceProvider."
        )
    result: S_co = method()
    return result


def short_repr(value: object) -> str:
    """A ``repr`` of ``value`` cut to a few dozen characters; never raises.

    Example:
        >>> short_repr(list(range(100)))
        '[0, 1, 2, 3, 4, 5, ...]'
        >>> len(short_repr("x" * 1000))
        60
    """
    try:
        text = _repr.repr(masked(value))
    except Exception:
        return f"<{type(value).__name__} whose repr raised>"
    return shorten(text, _MAX_REPR + 20, tail="...>" if text[:1] == "<" else "...")


def value_text(name: str | None, value: object) -> str:
    """``value``'s short ``repr``, or ``<redacted>`` when ``name`` looks secret.

    Example:
        >>> value_text("count", 3)
        '3'
        >>> value_text("access_token", "abc")
        '<redacted>'
    """
    if looks_secret(name):
        return REDACTED
    return short_repr(value)


def _user_site() -> Site | None:
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not os.path.abspath(filename).startswith(_LIBRARY_DIRS):
            code = frame.f_code
            return Site(filename, frame.f_lineno, code.co_qualname, _cell(filename))
        frame = frame.f_back
    return None


def _cell(filename: str) -> str | None:
    """The ``In[N]`` label IPython gives a cell's code, outside IPython ``None``."""
    shell = sys.modules.get("IPython")
    get_ipython = getattr(shell, "get_ipython", None)
    compiler = getattr(get_ipython(), "compile", None) if get_ipython else None
    names = getattr(compiler, "format_code_name", None)
    label = names(filename) if callable(names) else None
    return str(label[1]) if isinstance(label, tuple) and len(label) == 2 else None


def _holder(obj: object) -> Callable[[], object | None]:
    try:
        return weakref.ref(obj)
    except TypeError:
        return lambda: obj


def _kind(observer: object) -> str:
    if callable(getattr(observer, "on_next", None)):
        return "subscription"
    name = type(observer).__name__
    return "observe" if name == "Observation" else name.lower()


def _is_computed(node: object) -> bool:
    return getattr(node, "_impact_computed", False) is True


def _label(node: object) -> str:
    name = getattr(node, "name", None)
    return name if isinstance(name, str) and name else anonymous(node)
