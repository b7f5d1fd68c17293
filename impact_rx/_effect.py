"""Effects and ``observe`` scopes: code that runs again when what it read changed.

:func:`effect` runs a function now and again once per settled change of the
signals and computeds it read. :func:`observe` is the same idea for UI
adapters: it records what a block reads and calls back when any of it
changes. Both run after the delivery queue drains (see
:mod:`impact_rx._graph`), so they never see a half-applied change.

>>> from impact_rx import Signal, effect
>>> name = Signal("world")
>>> greetings = effect(lambda: print(f"hello {name.value}"))
hello world
>>> name.value = "Ada"
hello Ada
>>> greetings.dispose()
>>> name.value = "Grace"
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any, Self, final

from reactivex import abc

from . import _graph, _signal
from ._disposable import Disposable, adopt, current_owner, owning
from ._errors import CycleError, SubscriberError, SuspendedError
from ._graph import CLEAN, DIRTY, check_runs, collect, pull, stale, state
from ._redact import anonymous

__all__ = ["Effect", "Observation", "effect", "observe"]

Cleanup = Callable[[], object]


@final
class Effect(abc.DisposableBase):
    """A running effect, as returned by :func:`effect`.

    ``dispose()`` stops it and runs its last cleanup; ``sources`` lists what
    its last run read. Annotate with it where you keep one to dispose later.
    """

    __slots__ = (
        "_cleanup",
        "_epoch",
        "_fn",
        "_name",
        "_queued",
        "_remover",
        "_runs",
        "_sources",
        "_state",
        "_versions",
    )

    _targets = None
    _watch = True

    def __init__(self, fn: Callable[[], object], name: str | None = None) -> None:
        self._fn: Callable[[], object] | None = fn
        # Kept apart from ``fn``, which dispose drops: reprs still name it.
        self._name: str = name or getattr(fn, "__qualname__", None) or anonymous(fn)
        self._cleanup: Cleanup | None = None
        self._state = DIRTY
        self._sources: list[Any] = []
        self._versions: list[int] = []
        self._queued = False
        self._epoch = -1
        self._runs = 0
        self._remover = adopt(self.dispose)

    @property
    def sources(self) -> tuple[Any, ...]:
        """The signals and computeds the last run read."""
        return tuple(self._sources)

    @property
    def name(self) -> str:
        """The ``name=`` given, or the function's ``__qualname__``."""
        return self._name

    @property
    def is_disposed(self) -> bool:
        """Whether :meth:`dispose` ran."""
        return self._fn is None

    def _notify(self) -> None:
        if self._fn is None:
            return
        # ``stale(self)``, inlined: this runs once per change per effect.
        for source, version in zip(self._sources, self._versions):  # noqa: B905
            if source._state:
                pull(source)
            if source._version != version:
                break
        else:
            self._state = CLEAN
            return
        epoch = state.epoch
        if self._epoch != epoch:  # the first run while this change settles
            self._epoch = epoch
            self._runs = 1
        else:
            try:
                check_runs(self)
            except CycleError as exc:
                self.dispose()
                raise CycleError(
                    f"{exc} The effect was stopped (disposed) to end the loop;"
                    " create it again once the cycle is broken."
                ) from None
        sources, versions = self._sources, self._versions
        cleanup, self._cleanup = self._cleanup, None
        failed: Exception | None = None
        if cleanup is not None:
            try:
                cleanup()
            except Exception as exc:
                failed = exc
        error = self._run()
        if error is not None or failed is not None:
            raise _raised(self, "effect", self._name, sources, versions, error, failed)

    def _run(self) -> Exception | None:
        """Run ``fn`` while tracking what it reads; return what it raised.

        The cleanup of the run before is the caller's to run first.
        """
        error: Exception | None = None
        fn = self._fn
        if fn is None:
            return error
        s = state
        previous = s.tracker
        reads: list[Any] = []
        s.tracker = reads
        try:
            result = fn()
        except SuspendedError as exc:
            # Waiting for a Suspense it read: its settling runs us again,
            # unless the run keeps creating what it waits for.
            waited = _graph.waits_on(exc, reads, self)
            error = None if waited is exc else waited
            result = None
        except Exception as exc:
            error = exc
            result = None
        finally:
            s.tracker = previous
        if self._fn is None:
            # Disposed meanwhile (by its own function, or another thread):
            # stay unlinked, and clean up after this last run at once.
            if result is not None and callable(result):
                try:
                    result()
                except Exception as exc:
                    error = error or exc
            return error
        sources = self._sources
        if reads == sources and len(sources) == 1:  # ``collect``'s common case
            # A new list: ``_notify`` keeps the old one to name what moved.
            self._versions = [sources[0]._version]
            self._state = CLEAN
        else:
            collect(self, reads)
        if result is not None and callable(result):
            self._cleanup = result
        return error

    def dispose(self) -> None:
        """Stop the effect and run its cleanup; idempotent.

        No run starts after this. Called while another thread delivers (and
        perhaps runs this effect), the cleanup runs there, in turn, and a
        failure of it is raised there, as a ``SubscriberError`` naming the
        effect. Afterwards the effect keeps no reference to its function.

        Raises:
            Exception: whatever the cleanup raised, unchanged; the effect is
                stopped and unlinked all the same.
        """
        if self._fn is None:
            return
        self._fn = None
        _graph.run_or_queue(Effect._end, self, _end_in_turn)

    def _end(self) -> None:
        """Unlink and clean up, as the owner of the queue."""
        _graph.unlink(self)
        self._state = CLEAN
        remover, self._remover = self._remover, None
        if remover is not None:
            remover()
        cleanup, self._cleanup = self._cleanup, None
        if cleanup is not None:
            cleanup()

    def _start(self, owner: Disposable | None = None) -> None:
        """The first run of an effect created while another thread delivered.

        Args:
            owner: The constructor that created the effect, if any: the run
                makes for it what it would have made running at once.
        """
        fn = self._fn
        if fn is None:  # disposed before its turn (with its owner, say)
            return
        if owner is None or owner.is_disposed:
            error = self._run()
        else:
            with owning(owner):
                error = self._run()
        if error is not None:
            self.dispose()
            raise SubscriberError(
                self,
                [error],
                f"effect {self._name} raised {type(error).__name__} on its first run,"
                " which waited for another thread's delivery; the effect was"
                " not kept. See .exceptions (or __cause__) for the original.",
            ) from error

    def _apply_batched(self, owner: Disposable | None) -> None:
        """The first run, as a batch kept aside is applied (see ``effect``)."""
        self._start(owner)

    def __repr__(self) -> str:
        if self._fn is None:
            return f"<Effect {self._name} (disposed)>"
        return f"<Effect {self._name} ({_count(self._sources)})>"


def _end_in_turn(effect: Effect) -> None:
    """``effect._end()``, in turn after another thread's delivery.

    Raises:
        SubscriberError: the cleanup raised; it names the effect, since it
            reaches the delivering call, not the one that disposed.
    """
    try:
        effect._end()
    except Exception as exc:
        raise SubscriberError(
            effect,
            [exc],
            f"the cleanup of effect {effect._name} raised {type(exc).__name__} as the"
            " effect was disposed while another thread delivered, in turn after"
            " that delivery; the effect is stopped all the same. See"
            " .exceptions (or __cause__) for the original.",
        ) from exc


def effect(fn: Callable[[], object], *, name: str | None = None) -> Effect:
    """Run ``fn`` now, and again once per settled change of what it read.

    ``fn`` may return a cleanup callable, run before the next run and on
    dispose. An effect that writes a signal it also reads does not
    retrigger itself; effects that keep re-triggering each other end in
    ``CycleError``. A run that raises ``SuspendedError`` (it used a pending
    ``Suspense``, directly or through a computed) is not an error: the
    effect keeps what it read and runs again when the suspense settles.

    Args:
        fn: The effect; what it reads becomes its dependencies.
        name: A label for its repr and for the ``CycleError`` and
            ``SubscriberError`` messages that name it; by default the
            function's ``__qualname__``, as for ``computed``.

    Returns:
        The running :class:`Effect`; ``dispose()`` stops it. Created while a
        service's constructor runs, it is disposed with the service.
        Created while another thread delivers, its first run waits for that
        delivery in the queue, as a write from this thread would; created
        in a batch kept aside (see ``batch``), it waits for that batch.
        Either way, what that run makes is owned as if it ran at once (by
        the service whose constructor created the effect, say).

    Raises:
        TypeError: ``fn`` is not callable, or is an ``async`` function, or
            ``name`` is not a ``str``.
        Exception: whatever the first run of ``fn`` raised, or what the
            changes it made raised as they were delivered (a
            ``SubscriberError``, a ``CycleError``); the effect is then not
            kept. A first run that waited in the queue reports
            its failure as ``SubscriberError`` to the delivering call.
            When the delivery failed and the cleanup the run returned
            raises too as the effect is dropped, both are raised as one
            ``SubscriberError``. When the run raised after writing and
            delivering those writes raised too, that ``SubscriberError``
            is raised, with the run's exception as its ``__context__``.

    Example:
        >>> from impact_rx import Signal, effect
        >>> s = Signal(1)
        >>> stop = effect(lambda: print("now", s.value))
        now 1
        >>> s.value = 2
        now 2
    """
    if not callable(fn):
        raise TypeError(
            f"effect() takes a function to run, got {type(fn).__name__}."
            " Pass a function of no arguments (it may return a cleanup),"
            " e.g. effect(lambda: print(count.value))."
        )
    _signal.refuse_async(
        "effect()",
        fn,
        "runs its function",
        "Start the work with Suspense.from_(...) or query() and read it with"
        " .use() in a plain function: the effect runs again once it settles.",
    )
    if name is not None and not isinstance(name, str):
        _signal.check_options("effect", None, name)
    created = Effect(fn, name)
    hook = _signal.subscribe_hook
    if hook is not None:
        hook(None, created)
    if state.detached:
        pending = _graph.local.pending
        if pending is not None:
            # In this thread's batch kept aside: the first run comes as the
            # batch is applied, on its values, as in a batch owning the queue.
            pending[created] = current_owner()
            return created
    took = _graph.acquire()
    if took < 0:
        _graph.enqueue_owned(Effect._start, created)
        return created
    try:
        try:
            error = created._run()
        except BaseException:
            # Escaped uncached (RecursionError while linking what it read,
            # KeyboardInterrupt): the caller gets no handle, keep none.
            created.dispose()
            raise
        if error is not None:
            created.dispose()
            raise error
    finally:
        if took:
            try:
                _graph.release()
            except BaseException as exc:
                # What its first run set off failed (a cycle, a raising
                # subscriber): the caller gets no handle, so none is kept.
                # Its cleanup may fail too: then both are raised.
                failure = _graph.unwinding(exc, created.dispose)
                if failure is exc:
                    raise
                raise failure from failure.__cause__
    return created


@final
class Observation(abc.DisposableBase):
    """The tracking scope made by :func:`observe`.

    Use it as a context manager: the signals and computeds read inside the
    block are recorded, and ``on_change`` is called once per settled change
    of any of them until :meth:`dispose`. Entering it again re-records.
    """

    __slots__ = (
        "_epoch",
        "_on_change",
        "_previous",
        "_queued",
        "_ran_versions",
        "_reads",
        "_remover",
        "_runs",
        "_sources",
        "_state",
        "_took",
        "_versions",
    )

    _targets = None
    _watch = True

    def __init__(self, on_change: Callable[[], object]) -> None:
        self._on_change: Callable[[], object] | None = on_change
        self._state = CLEAN
        self._sources: list[Any] = []
        self._versions: list[int] = []
        # The versions of its sources as its last block ended: ``_notify``
        # moves ``_versions`` on before the next block runs, and what the
        # block's inputs did since it last ran is what a suspense check needs
        # (see ``Suspense._suspended``).
        self._ran_versions: list[int] = []
        self._reads: list[Any] | None = None
        self._previous: Any = None
        self._took = 0
        self._queued = False
        self._epoch = -1
        self._runs = 0
        self._remover = adopt(self.dispose)

    @property
    def sources(self) -> tuple[Any, ...]:
        """The signals and computeds read in the last block."""
        return tuple(self._sources)

    def __enter__(self) -> Self:
        """Start recording what the block reads.

        Raises:
            RuntimeError: the scope is already recording a block.
        """
        if self._reads is not None or self._took < 0:
            raise RuntimeError(
                f"{self!r} was entered again inside its own block, which would"
                " lose what that block read. Give each nested block its own"
                " observe() scope, or leave the block before entering it again."
            )
        # The block runs as the owner of the delivery queue, so writes made
        # in it are delivered when it ends. While another thread delivers it
        # does not wait: it records reads on its own and is linked in turn.
        took = self._took = _graph.acquire()
        if took < 0:
            mine = _graph.local
            self._previous = mine.reads, mine.snapshot
            mine.reads = []
            if mine.snapshot is None:
                mine.snapshot = {}  # the block reads one value per signal
            with _graph.lock:
                state.detached += 1
            return self
        self._previous = state.tracker
        self._reads = []
        state.tracker = self._reads
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._took < 0:
            self._exit_aside(exc)
            return
        # Blocks of asyncio tasks held across awaits may end out of order:
        # one that began first and ended first gave the queue up under this
        # one. Then the tracker is no longer this thread's to restore.
        owned = state.owner == _graph.get_ident()
        if owned:
            state.tracker = self._previous
        self._previous = None
        reads = self._reads or []
        self._reads = None
        replaced: BaseException | None = None
        if exc is not None:
            # Suspended on a Suspense, even one read through untracked():
            # its settling is what the block needs to render.
            waited = _graph.waits_on(exc, reads, self)
            replaced = None if waited is exc else waited
        took, self._took = self._took, 0
        try:
            if self._on_change is not None:
                if owned:
                    self._collect(reads)
                else:
                    _graph.run_or_queue(self._collect, reads)
        finally:
            if took:
                _graph.release()
        if replaced is not None:
            raise replaced from exc

    def _collect(self, reads: list[Any]) -> None:
        """Link what the block read, and keep its sources' versions as it ran."""
        collect(self, reads)
        self._ran_versions = list(self._versions)

    def _exit_aside(self, exc: BaseException | None) -> None:
        mine = _graph.local
        seen = mine.reads or []
        mine.reads, mine.snapshot = self._previous
        self._previous = None
        self._took = 0
        with _graph.lock:
            state.detached -= 1
        if exc is not None:
            _graph.waits_on_aside(exc, seen)
        if self._on_change is not None:
            _graph.enqueue(self._link_aside, seen)

    def _link_aside(self, seen: list[tuple[Any, Any]]) -> None:
        """Link what a block entered while another thread delivered read.

        Runs as the owner, in turn. A source that changed since the block
        read it makes the scope stale, so ``on_change`` is called.
        """
        if self._on_change is None:
            return
        first: dict[Any, Any] = {}
        for node, what in seen:
            first.setdefault(node, what)
        collect(self, list(first))
        moved = False
        versions = self._versions
        for index, source in enumerate(self._sources):
            what = first[source]
            if source._derived:
                if source._state:
                    pull(source)
                value, error = what
                if error is not None or source._error is not None:
                    changed = not _same_error(error, source._error)
                elif source._equals is not None:
                    changed = not source._equals(value, source._value)
                else:
                    changed = _graph.changed(value, source._value)
            else:
                changed = what != source._version
            if changed:
                versions[index] = -1
                moved = True
        self._ran_versions = list(versions)
        if moved and not self._queued:
            self._state = DIRTY
            self._queued = True
            _graph.watchers.append(self)

    def _notify(self) -> None:
        on_change = self._on_change
        if on_change is None or not stale(self):
            return
        # A callback that keeps changing what it observes is a cycle.
        if self._epoch != state.epoch:
            self._epoch = state.epoch
            self._runs = 1
        else:
            check_runs(self)
        versions = self._versions
        sources = self._sources
        for source in sources:
            if source._state:
                # ``stale`` stops at the first source that moved: bring the
                # rest up to date too, or a dirty one passes no write on.
                pull(source)
        self._versions = [source._version for source in sources]
        self._state = CLEAN
        try:
            on_change()
        except Exception as exc:
            label = getattr(on_change, "__qualname__", None) or anonymous(on_change)
            raise _raised(
                self, "observe callback", label, self._sources, versions, exc
            ) from exc

    def dispose(self) -> None:
        """Stop calling back; the scope keeps no reference to ``on_change``."""
        if self._on_change is None:
            return
        self._on_change = None
        _graph.run_or_queue(Observation._end, self)

    def _end(self) -> None:
        """Unlink, as the owner of the queue."""
        _graph.unlink(self)
        remover, self._remover = self._remover, None
        if remover is not None:
            remover()

    def __repr__(self) -> str:
        return f"<Observation ({_count(self._sources)})>"


def _count(sources: list[Any]) -> str:
    """``1 source``, ``3 sources``: for reprs."""
    count = len(sources)
    return f"{count} source" if count == 1 else f"{count} sources"


def _same_error(seen: Exception | None, now: Exception | None) -> bool:
    """Whether a computed raised ``now`` as it raised ``seen`` when read aside.

    A read kept aside evaluates the function again, so an unchanged failure
    (a pending suspense, say) is a new exception object, equal in kind.
    """
    if seen is None or now is None or seen is now:
        return seen is now
    return (
        type(seen) is type(now)
        and getattr(seen, "suspense", None) is getattr(now, "suspense", None)
        and not _graph.changed(seen.args, now.args)
    )


def _raised(
    node: object,
    kind: str,
    label: str,
    sources: list[Any],
    versions: list[int],
    error: Exception | None,
    cleanup: Exception | None = None,
) -> SubscriberError:
    """The error for an effect or observe callback that raised while reacting.

    Names the first source whose version moved since the previous run: the
    write (or computed change) the run was reacting to.

    Args:
        node: The effect or observe scope.
        kind: What ran, for the message (``"effect"``).
        label: Its name: the effect's, or the callback's ``__qualname__``.
        sources: What the previous run read.
        versions: Their versions after the previous run.
        error: What the run raised, if it did.
        cleanup: What the previous run's cleanup raised, if it did.
    """
    because = ""
    for source, version in zip(sources, versions, strict=False):
        if source._version != version:
            name = getattr(source, "name", None) or anonymous(source)
            what = "a change of" if source._derived else "a write to"
            because = f" while reacting to {what} {name}"
            break
    if cleanup is None:
        assert error is not None
        failures = [error]
        what_failed = f"{kind} {label} raised {type(error).__name__}{because}."
    else:
        failures = [cleanup]
        what_failed = (
            f"the cleanup of {kind} {label} raised {type(cleanup).__name__}{because}"
        )
        if error is None:
            what_failed += "; the effect still ran."
        else:
            failures.append(error)
            what_failed += f", then its run raised {type(error).__name__}."
    return SubscriberError(
        node,
        failures,
        f"{what_failed} It stays active and runs again on the next change;"
        " see .exceptions (or __cause__) for the original.",
    )


def observe(on_change: Callable[[], object]) -> Observation:
    """A tracking scope for UI adapters (Impact's ``observe()``).

    A block that ends by raising ``SuspendedError`` (it used a pending
    ``Suspense``, even through ``untracked()``) is called back when that
    suspense settles, so the adapter can render again.

    The block records what its thread reads, not its asyncio task: keep
    awaits outside it, or what other tasks read meanwhile is recorded too
    (and their writes wait for the block to end).

    Example:
        >>> from impact_rx import Signal, observe
        >>> title = Signal("draft")
        >>> with observe(lambda: print("re-render")) as scope:
        ...     _ = title.value
        >>> title.value = "final"
        re-render
        >>> scope.dispose()
        >>> title.value = "again"

    Raises:
        TypeError: ``on_change`` is not callable, or is an ``async``
            function.
    """
    if not callable(on_change):
        raise TypeError(
            f"observe() takes the function to call back, got"
            f" {type(on_change).__name__}. Pass a function of no arguments"
            " called once per change, e.g. observe(rerender)."
        )
    _signal.refuse_async(
        "observe()",
        on_change,
        "calls its callback",
        "Pass a plain function that schedules the async work, e.g. with"
        " asyncio.get_running_loop().create_task(...).",
    )
    scope = Observation(on_change)
    hook = _signal.subscribe_hook
    if hook is not None:
        hook(None, scope)
    return scope
