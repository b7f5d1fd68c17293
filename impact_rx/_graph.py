"""The reactive graph: dependency tracking, batching and glitch-free propagation.

Every signal, computed, effect, ``observe`` scope and emitter shares one
*delivery queue*. The thread that finds the queue idle becomes its *owner* for
as long as it delivers; everything that happens meanwhile waits its turn in
the queue instead of nesting:

- A write applies the new value at once (so reads see it), marks what depends
  on it stale, and queues the delivery. The owner delivers queued items in the
  order they were written, so every subscriber sees every signal's values in
  the same order, and the last value a subscriber saw is ``.value``.
- A write from a subscriber (re-entrant) is queued behind the delivery that
  is running, never delivered from inside it.
- ``batch()`` holds back deliveries until its outermost block exits, then
  queues each changed signal's final value there, like one write: two
  batches made by one subscriber are two notifications, in order, and
  writes other threads made meanwhile are delivered after them.
- A write from another thread while a delivery runs is queued whole and
  delivered by the owner, in order; the writer never waits, so a subscriber
  that waits for another thread that writes cannot deadlock. The writing
  thread reads its write back at once, and the owner takes it in (applies
  the value, its delivery keeping its place) as soon as it reads outside a
  tracked run and a batch: a subscriber that waited for that thread sees
  what it wrote, its batches included, in the order it wrote them.
  ``update(fn)`` is atomic: queued, it is applied again to the value then
  current if another write came first.
- *Watchers* — computeds with subscribers, effects and ``observe`` scopes —
  run once the queue is empty. They pull fresh values on demand, so a watcher
  never sees a mix of old and new inputs, runs at most once per settled
  change, and a recomputed value equal to the old one stops propagation.
- An effect records its sources' versions after each run, so its own writes
  do not run it again; a watcher that runs ``MAX_RUNS`` times while one
  change settles is stopped with ``CycleError``.
- Failures of subscribers, listeners and effects are collected while the
  queue drains and raised together, as one ``SubscriberError``, from the
  call that drained it: the writer, or the call that found the queue idle.

Marking uses an explicit stack; refreshing recurses through the first
``_QUICK_DEPTH`` levels (a diamond) and uses an explicit stack beyond, so
chains thousands of nodes deep need no deep recursion. Only *watched* nodes
(watchers and what they read, transitively) are linked into their sources:
a write marks only them, and a computed nobody watches is validated against
a count of writes when read, so it costs writes nothing and is freed with
its last reference.

Ownership is a token taken and given back by single atomic list
operations, so an uncontended write or read takes no lock; a thread that
queued work while another owned the queue, and the owner giving the token
back, both check the queue afterwards, so queued work is never stranded.

No thread ever waits for another that delivers, so a subscriber may hand
work to a thread and wait for it. What that thread does meanwhile takes
effect in turn, after the delivery, as its writes do: ``effect()`` makes its
first run then, subscribing to a signal or computed (its first value
comes then) or disposing a computed or effect happens then, a ``batch()``
keeps its writes aside (the thread's own reads see them, computed from
them without touching shared caches) and queues them as one change (which
the thread reads back, as a write, until it is applied), and an
``observe`` block records what it read and is linked then (called back at
once if any of it changed meanwhile). The price: code on that thread
that blocks until a new subscription hears its first value (a blocking
``run()`` of ``first()``, say) waits for the delivering thread, and so
deadlocks with a subscriber that waits for it; read ``.value`` instead.

Its reads of stale computeds are computed aside, from one value of each
signal: the value (or its own queued write) it read first in that read,
or in that ``observe`` block. A write the delivering thread makes
meanwhile never tears a diamond, and no cache that thread refreshed
meanwhile is mixed in. Values of *different* signals are each taken when
first read, so a change the delivering thread makes to two of them
meanwhile (its batch included) may be seen half applied; an ``observe``
block that saw that is called back once it is linked, as the changed
values settle.

A delivery that queues another, which queues another, ``MAX_CHAIN`` times
in a row (subscribers that keep writing each other's signals) ends in a
``SubscriberError`` carrying a ``CycleError``, not an endless loop.
Only what the delivering thread queues counts: a write another thread
queued starts a new chain, since the queue cannot tell a worker that a
subscriber waits for from any other writer (counting every write queued
during a delivery would end heavy but finite contention in a false
``CycleError``). So a cycle through a worker (a subscriber waits for a
thread that writes the signal again) is not detected: it loops, as
recursion across threads would without impact_rx.

>>> from impact_rx import Signal, batch, computed, effect
>>> a = Signal(1, name="a")
>>> b = computed(lambda: a.value * 10)
>>> c = computed(lambda: a.value + 1)
>>> d = computed(lambda: (b.value, c.value))
>>> seen = []
>>> sub = d.subscribe(seen.append)
>>> a.value = 2
>>> with batch():
...     a.value = 3
...     a.value = 4
>>> seen  # one value per settled change, never (20, 2) or (10, 3)
[(10, 2), (20, 3), (40, 5)]
>>> log = []
>>> def mirror():
...     log.append(a.value)
...     return lambda: log.append("cleanup")
>>> stop = effect(mirror)
>>> a.value = 5
>>> stop.dispose()
>>> log
[4, 'cleanup', 5, 'cleanup']
"""

from __future__ import annotations

import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from functools import partial
from operator import attrgetter
from typing import Any, Final, TypeVar

from ._disposable import constructing, current_owner, disown, owning, reown
from ._errors import CycleError, SubscriberError, SuspendedError

__all__ = [
    "CLEAN",
    "DIRTY",
    "STALE",
    "batch",
    "run_or_queue",
    "untracked",
]

T = TypeVar("T")
E = TypeVar("E", bound=BaseException)

CLEAN: Final = 0
STALE: Final = 1  # a source may have changed: check versions, maybe recompute
DIRTY: Final = 2  # never computed: recompute

# How many computeds may refresh one inside another before the outermost
# refresh takes over with an explicit stack (see ``pull``).
_MAX_DEPTH: Final = 48
# How many times one watcher may run while one delivery settles before the
# graph is declared cyclic.
MAX_RUNS: Final = 100
# How many levels of stale sources ``pull`` refreshes by recursion before it
# switches to an explicit stack.
_QUICK_DEPTH: Final = 16
# How long a chain of deliveries may grow, each queued by a subscriber (or
# effect) while the one before it was delivered, before the writes are
# declared a cycle: far deeper than the recursion that raw Rx allows.
MAX_CHAIN: Final = 10_000


class _Deferred(BaseException):
    """Raised when refreshes nest too deep; the outermost pull catches it.

    A ``BaseException`` so that user code catching ``Exception`` inside a
    computed cannot swallow it.
    """

    def __init__(self, node: Any) -> None:
        self.node = node


class _State:
    """The queue and its owner; mutated by the owner, or under ``lock``."""

    __slots__ = (
        "batch_depth",
        "batch_mark",
        "batched",
        "behind",
        "chain",
        "depth",
        "detached",
        "epoch",
        "foreign",
        "owner",
        "queue",
        "quiet",
        "quiet_reads",
        "quiet_seen",
        "settling",
        "tracker",
        "writes",
    )

    def __init__(self) -> None:
        self.owner: int | None = None
        # The list recording what the running computed, effect or observe
        # block reads. Only the owner sets it, and a read records only when
        # made by the owner: another thread's reads never leak into it.
        self.tracker: list[Any] | None = None
        # Inside ``untracked()`` in a run: that run's list, which ``tracker``
        # hides (see ``run_tracker``).
        self.behind: list[Any] | None = None
        # While a solo computed runs (see ``Computed.value``): its one
        # source, whose read into ``quiet_reads`` need not be recorded.
        # ``quiet_reads`` is a spare empty list between runs (owner only).
        # ``quiet_seen`` tells that the run read ``quiet`` (tracked), so
        # a run that read it only through ``untracked()``, or not at all,
        # drops it as a source (set ``False`` as each such run starts).
        # Reads set it without a thread check, to keep the hot path cheap:
        # another thread reading ``quiet`` during the run can only make the
        # run keep it as a source, once (its next run decides again).
        self.quiet: Any = None
        self.quiet_reads: list[Any] = []
        self.quiet_seen = False
        # Whether an outermost pull is refreshing, and how deep pulls nest
        # inside it (owner only).
        self.settling = False
        self.depth = 0
        # Accepted signal writes so far: a computed validated at this count
        # is fresh, watched or not.
        self.writes = 0
        # Jobs ``(job, arg, depth)``: ``depth`` counts the deliveries that
        # led to it, each made while the one before it was delivered.
        self.queue: deque[tuple[Callable[[Any], None], Any, int]] = deque()
        # The depth of the job being run (owner only); 0 when idle.
        self.chain = 0
        self.batch_depth = 0
        # Where the outermost batch's deliveries go in the queue: after what
        # was queued before it began, before what other threads queued
        # while it ran (nothing is taken off the queue during a batch).
        self.batch_mark = 0
        self.batched: dict[Any, None] = {}
        self.epoch = 0
        # How many threads are in a batch kept aside (see ``batch``): while
        # any are, reads and writes check whether they are made in one.
        self.detached = 0
        # How many writes other threads queued are not taken in yet (see
        # ``write_in_turn``); changed under ``lock``.
        self.foreign = 0


lock = threading.Lock()
state = _State()
get_ident = threading.get_ident
_version_of = attrgetter("_version")


def rx_lock(node: Any) -> threading.RLock:
    """``node``'s Rx ``lock`` (a ``Signal`` or ``Computed``), made on first use.

    Some Rx operators take an observable's ``lock``; most nodes never need
    one, so it costs nothing until asked for.
    """
    rlock: threading.RLock | None = node._lock
    if rlock is None:
        with lock:
            rlock = node._lock
            if rlock is None:
                rlock = node._lock = threading.RLock()
    return rlock


# The ownership token: the queue has no owner exactly when this list holds
# it. ``pop`` and ``append`` on a list are single atomic steps, so a thread
# claims the queue with ``claim()`` (``IndexError``: it is taken) and gives
# it back with ``unclaim(1)``, without a lock round-trip. A thread that queued
# work and failed to claim leaves it to the owner, and the owner re-checks
# the queue after giving the token back (see ``drain``): in every
# interleaving one of them delivers it. No thread ever waits for the token.
_token: list[int] = [1]
claim = _token.pop
unclaim = _token.append


class _Unset:
    def __repr__(self) -> str:
        return "<unset>"

    # Equal to nothing else, whatever the other side's ``__eq__`` says, so
    # an inlined ``old == new`` needs no ``old is UNSET`` test first.
    def __eq__(self, other: object) -> bool:
        return self is other

    __hash__ = object.__hash__


UNSET: Any = _Unset()
watchers: list[Any] = []
# ``Computed``, set by its module: ``run_watchers`` refreshes and delivers a
# computed its one source marked itself.
pushed_type: Any = None


def changed(old: object, new: object) -> bool:
    """The default equality rule: identity, then ``==`` if it is a plain truth.

    The hot paths inline it as ``same = old == new`` (``False`` if that
    raises), then ``same is False or (same is not True and differs(same))``.
    """
    if old is new:
        return False
    try:
        result = old == new
    except Exception:
        return True
    if result is True:
        return False
    if result is False:
        return True
    return differs(result)


def differs(result: object) -> bool:
    """Whether ``old == new`` giving ``result`` (not a bool) means a change.

    Only numpy's scalar booleans count as a truth value; anything else (an
    array, ``NotImplemented``, a custom object) counts as a change.
    """
    kind = type(result)
    if kind.__module__ == "numpy" and kind.__name__ in ("bool_", "bool"):
        return not result
    return True


# -- ownership of the queue ----------------------------------------------------


def acquire() -> int:
    """Become the owner of the queue, if nobody else is.

    Returns:
        1 when this call took ownership (the caller must ``release``), 0 when
        this thread already owned it, -1 when another thread owns it (the
        caller queues its work instead of waiting).
    """
    me = get_ident()
    s = state
    if s.owner == me:
        return 0
    try:
        claim()
    except IndexError:
        return -1
    s.owner = me
    return 1


def release(errors: list[BaseException] | None = None) -> None:
    """Deliver what is queued, run watchers, then give up ownership.

    Raises:
        SubscriberError: subscribers, listeners or effects raised while this
            thread delivered; every other one was still notified.
    """
    errors = drain(errors)
    if errors:
        raise combine(errors)


def drain(errors: list[BaseException] | None) -> list[BaseException] | None:
    """Work off the queue and the watchers, then release ownership.

    What it sets off is never owned by a constructor that wrote (see
    ``_disposable.disown``).
    """
    if constructing and current_owner() is not None:
        token = disown()
        try:
            return drain(errors)
        finally:
            reown(token)
    s = state
    if s.detached and local.pending is not None:
        # This thread is in a batch kept aside: what it delivers for others
        # neither sees nor joins that batch, which ends later.
        mine = local
        kept = mine.pending
        mine.pending = None
        try:
            return drain(errors)
        finally:
            mine.pending = kept
    q = s.queue
    try:
        while True:
            if watchers and not q and not s.batch_depth:
                errors = run_watchers(errors)
            if q:
                job, arg, s.chain = q.popleft()
                try:
                    job(arg)
                except Exception as exc:
                    errors = _add(errors, exc)
            elif watchers and not s.batch_depth:
                continue
            else:
                s.chain = 0
                s.owner = None
                unclaim(1)
                # Work queued by a thread that found the token taken just
                # before it was given back: take it over, unless another
                # thread claimed the token and will deliver it.
                if not q:
                    return errors
                try:
                    claim()
                except IndexError:
                    return errors
                s.owner = get_ident()
    except BaseException:
        abandon()
        raise


def unclaimed(errors: list[BaseException] | None) -> list[BaseException] | None:
    """After an owner gave the token back: take over work queued meanwhile.

    The fast paths call this only when ``state.queue`` is set once they
    released.
    """
    s = state
    if s.queue:
        try:
            claim()
        except IndexError:
            return errors
        s.owner = get_ident()
        return drain(errors)
    return errors


def abandon() -> None:
    """Give up ownership when a delivery is unwinding (called in ``except``).

    What the unwinding job leaves undone stays undone, but the rest of the
    queue (writes other threads queued meanwhile, say) is delivered before
    the exception (a ``KeyboardInterrupt``) propagates: no other thread
    would deliver it, so it would wait for an unrelated write, and only its
    writer would read it meanwhile. Failures there are noted on the
    propagating exception. A second ``BaseException`` while doing so
    propagates at once, leaving the rest queued.
    """
    global _abandoning
    s = state
    me = get_ident()
    if s.owner != me:
        return
    s.chain = 0
    s.owner = None
    unclaim(1)
    if not s.queue or _abandoning == me:
        return
    unwinding_exc = sys.exception()
    _abandoning = me
    try:
        errors = unclaimed(None)
    finally:
        _abandoning = None
    if errors and unwinding_exc is not None:
        failure = combine(errors)
        originals = getattr(failure, "exceptions", None) or [failure]
        unwinding_exc.add_note(
            "While it propagated, delivering what was queued behind it failed"
            f" too: {type(failure).__name__}: {failure} Originals: "
            + "; ".join(f"{type(exc).__name__}: {exc}" for exc in originals)
        )


# The thread in ``abandon`` delivering what an unwinding delivery left queued.
_abandoning: int | None = None


def enqueue(job: Callable[[Any], None], arg: Any) -> None:
    """Queue ``job(arg)`` for the owner; become the owner if there is none."""
    s = state
    if s.owner == get_ident():
        s.queue.append((job, arg, follow()))
        return
    s.queue.append((job, arg, 0))
    try:
        claim()
    except IndexError:
        return  # the owner delivers it
    s.owner = get_ident()
    release()


def enqueue_owned(job: Callable[[Any], None], arg: Any) -> None:
    """``enqueue``, for work a constructor does that waits its turn.

    The delivering thread runs it, maybe after the constructor returned;
    what it makes (an effect's first run, a subscriber's first value) is
    still owned by that constructor, as it is when it runs at once.
    """
    owner = current_owner()
    if owner is None:
        enqueue(job, arg)
    else:
        enqueue(partial(_run_owned, owner, job), arg)


def _run_owned(owner: Any, job: Callable[[Any], None], arg: Any) -> None:
    if owner.is_disposed:  # meanwhile: what it makes now is made later
        job(arg)
        return
    with owning(owner):
        job(arg)


def run_or_queue(
    job: Callable[[Any], None],
    arg: Any,
    in_turn: Callable[[Any], None] | None = None,
) -> None:
    """Run ``job(arg)`` as the owner now, or queue it if another thread delivers.

    What changes the graph's shape (creating an effect, subscribing to or
    disposing a computed) needs the queue. Waiting for it could deadlock
    with a subscriber that waits for this thread, so the job takes its turn
    instead, as a write from this thread would: then ``in_turn(arg)`` runs
    in its place, if given (to report a failure to the delivering call).
    """
    took = acquire()
    if took < 0:
        enqueue(job if in_turn is None else in_turn, arg)
        return
    try:
        job(arg)
    except BaseException as exc:
        if not took:
            raise
        # Delivering what the job queued may fail too: both are raised.
        failure = unwinding(exc, release)
        if failure is exc:
            raise
        raise failure from failure.__cause__
    if took:
        release()


def follow() -> int:
    """The depth of a job the owner queues now; ``CycleError`` past the limit.

    Raises:
        CycleError: ``MAX_CHAIN`` deliveries each queued the next one.
    """
    depth = state.chain + 1
    if depth > MAX_CHAIN:
        raise CycleError(
            f"{MAX_CHAIN} deliveries in a row were each caused by the one"
            " before: subscribers or effects keep writing signals whose"
            " subscribers write again. Break the cycle, e.g. by writing only"
            " when the value really needs to change."
        )
    return depth


def deliver_rest(
    node: Any, sinks: tuple[Any, ...], failed: Any, value: Any, exc: Exception
) -> None:
    """A computed's sink ``failed`` raised ``exc``: deliver to the sinks
    after it, then raise every failure.

    Each sink is a subscription's own (Rx wraps every observer it is given),
    so its place in the tuple is unique.

    Raises:
        SubscriberError: naming ``node``, with every failure.
    """
    errors: list[BaseException] = [exc]
    rest = iter(sinks[sinks.index(failed) + 1 :])
    while True:
        try:
            for sink in rest:
                if not sink.is_stopped:
                    receive = sink._on_next
                    receive(value)
            break
        except Exception as more:
            errors.append(more)
    raise SubscriberError(node, errors)


def _add(errors: list[BaseException] | None, exc: Exception) -> list[BaseException]:
    if errors is None:
        errors = []
    errors.append(exc)
    return errors


def combine(errors: list[BaseException]) -> BaseException:
    """One error for everything that failed while one thread delivered."""
    if len(errors) == 1:
        return errors[0]
    for exc in errors:
        if isinstance(exc, CycleError):
            return exc  # the root cause; the rest are its echoes
    source: object = None
    originals: list[BaseException] = []
    for exc in errors:
        if isinstance(exc, SubscriberError):
            if source is None:
                source = exc.signal
            originals.extend(exc.exceptions)
        else:
            originals.append(exc)
    return SubscriberError(source, originals)


def unwinding(exc: BaseException, cleanup: Callable[[], object]) -> BaseException:
    """Run ``cleanup`` while ``exc`` propagates; return what to raise.

    Cleaning up (disposing an effect, unwatching a computed) may run user
    code or deliver what other threads queued, and fail too: then both
    failures are raised together, so the first one is not left behind as a
    mere ``__context__``.
    """
    try:
        cleanup()
    except Exception as more:
        if isinstance(exc, Exception):
            return combine([exc, more])
    return exc


# -- marking and refreshing ----------------------------------------------------


def mark(source: Any) -> None:
    """Mark everything downstream of a written signal and queue its watchers.

    The signal's direct dependents are marked dirty (its version moved, so
    they recompute without comparing versions), what lies further
    downstream stale (checked, recomputed only if a source really changed).
    Only the owner of the queue calls this.
    """
    # Methods are looked up at each call: binding them up front costs more
    # than it saves on the few nodes a write usually reaches.
    stack: list[Any] = []
    for target in source._targets:
        if not target._state:  # CLEAN
            target._state = DIRTY
            if target._watch and not target._queued:
                target._queued = True
                watchers.append(target)
            if target._targets:
                stack.append(target)
    while stack:
        for target in stack.pop()._targets:
            if not target._state:  # CLEAN
                target._state = STALE
                if target._watch and not target._queued:
                    target._queued = True
                    watchers.append(target)
                if target._targets:
                    stack.append(target)


# Cost notes (benchmarks/, scenario e). Reading 1,000 stale unwatched
# one-source computeds costs about 6.7k instructions per node (callgrind)
# against raw Rx's 3.5k for a map and a store: two property calls, one
# thread-identity check to take the queue (``get_ident`` allocates an int),
# the claim and release, and the bookkeeping of a tracked run. The solo path
# in ``Computed.value`` already skips recording its source's read and reuses
# an empty tracking list. Keeping the token between reads saves nothing
# (taking it back needs the same pop and identity check), and skipping the
# identity check would let other threads' reads become dependencies.
#
# With a subscriber per node (raw Rx's own work), a write costs about 7.4k
# instructions per node against raw Rx's 3.5k (the benchmark's fixtures,
# callgrind; 10.6k before ``run_watchers`` inlined the refresh and delivery
# of a computed its one source marked, 7.6k before it called a lone
# subscriber without a tuple iterator), and about 2x raw Rx's time (thread
# clock; 3.1x before). Instruction counts compare versions of one scenario,
# not scenarios: raw Rx's chain takes 4.6x fewer instructions than ours but
# only half the time, its deep recursion being slow per instruction. A call
# costs about 350 instructions and a bytecode about 22: the property call
# of the function's read of its source (~1.3k with its body), the function
# and the subscriber are the calls left; Rx's ``AutoDetachObserver.on_next``
# is skipped by doing what it does. The rest is about 240 bytecodes of
# bookkeeping, each of which a guarantee needs: marking and queueing
# (``mark``, ~27), the quiet tracked run (~45 with the read's side), the
# node's state, versions, run count and equality (~52) and the emission
# (~38). Binding the pass's globals (``pushed_type``, ``DIRTY``) to locals
# would save ~25 instructions per node but cost every pass, small ones
# (the diamond) too. Going lower needs fewer passes per node, e.g. recomputing a run of
# such watchers with one tracking setup before delivering to their
# subscribers, which changes what a subscriber that writes their source
# sees in between (the later nodes' old values too, not only the new ones).
def pull(node: Any) -> None:
    """Bring a stale computed up to date, its sources first (owner only).

    Shallow graphs are refreshed by recursion (``_quick``), deeper ones from
    an explicit stack, so a long chain costs no deep recursion. A function
    that reads a computed nobody refreshed yet (a new dependency) does
    recurse; past ``_MAX_DEPTH`` such nested pulls the innermost gives up
    with ``_Deferred`` and the outermost pull refreshes that node first,
    then retries.
    """
    s = state
    if s.settling:
        if s.depth >= _MAX_DEPTH:
            raise _Deferred(node)
        s.depth += 1
        try:
            _settle([node])
        finally:
            s.depth -= 1
        return
    s.settling = True
    try:
        try:
            if _quick(node, _QUICK_DEPTH):
                return
            stack = [node]
        except _Deferred as deferred:
            stack = [node, deferred.node]
        while stack:
            try:
                _settle(stack)
            except _Deferred as deferred:
                stack.append(deferred.node)
    finally:
        s.settling = False


def _quick(node: Any, depth: int) -> bool:
    """Refresh ``node`` as ``_settle`` does, recursing into stale sources.

    Recursion costs a call per node where the explicit stack costs a second
    look at every node, so shallow graphs (a diamond) take this way. Past
    ``depth`` levels it gives up and returns ``False``, leaving what it
    refreshed so far fresh, and ``pull`` carries on with the stack.
    """
    status = node._state
    if status != STALE:  # a short jump: CPython specialises the comparison
        if status == DIRTY:
            node._computing = True
            try:
                recompute(node)
            finally:
                node._computing = False
        return True
    s = state
    if node._checked == s.writes:
        if node._watch or node._targets:
            node._state = CLEAN
        return True
    node._computing = True
    try:
        moved = False
        # Plain ``zip``: ``strict=False`` would build a keyword dict per call.
        for source, version in zip(node._sources, node._versions):  # noqa: B905
            status = source._state
            if status:
                if status == DIRTY:  # marked since it last ran: recompute here
                    if source._computing:
                        moved = True  # a cycle: the function reports it
                        continue
                    source._computing = True
                    try:
                        recompute(source)
                    finally:
                        source._computing = False
                elif source._checked != s.writes:
                    if source._computing:
                        moved = True
                        continue
                    if not depth or not _quick(source, depth - 1):
                        return False
            if source._version != version:
                moved = True
        if moved:
            recompute(node)
        else:
            validated(node)
    finally:
        node._computing = False
    return True


def _settle(stack: list[Any]) -> None:
    """Refresh every node on ``stack``, top first, pushing stale sources.

    A stale node first has every stale source refreshed (pushed above it),
    then recomputes only when a source's version moved. A source already on
    the stack is part of a cycle: the node recomputes and its function
    meets the ``CycleError``.
    """
    push = stack.append
    pop = stack.pop
    s = state
    try:
        while stack:
            node = stack[-1]
            status = node._state
            if status == STALE and node._checked == s.writes:
                # Validated since the last write (unwatched nodes stay STALE).
                if node._watch or node._targets:
                    node._state = CLEAN
                pop()
                continue
            node._computing = True
            if status == STALE:
                sources = node._sources
                if len(sources) == 1:
                    source = sources[0]
                    if source._state and source._checked != s.writes:
                        if not source._computing:
                            push(source)
                            continue
                        recompute(node)  # a cycle: the function reports it
                    elif source._version != node._versions[0]:
                        recompute(node)
                    else:
                        validated(node)
                    node._computing = False
                    pop()
                    continue
                moved = waiting = False
                for source, version in zip(sources, node._versions):  # noqa: B905
                    if source._state and source._checked != s.writes:
                        if source._computing:
                            moved = True
                        else:
                            push(source)
                            waiting = True
                    elif source._version != version:
                        moved = True
                if waiting:
                    continue
                if moved:
                    recompute(node)
                else:
                    validated(node)
                node._computing = False
                pop()
            else:
                if status == DIRTY:
                    recompute(node)
                node._computing = False
                pop()
    except BaseException:
        for node in stack:
            node._computing = False
        raise


def validated(node: Any) -> None:
    """Record that ``node``'s sources did not move since it last ran."""
    node._checked = state.writes
    if node._watch or node._targets:
        node._state = CLEAN


def recompute(node: Any) -> None:
    """Run a computed's function, record what it read, bump its version."""
    fn = node._fn
    if fn is None:
        node._state = CLEAN
        return
    s = state
    start = s.writes
    previous = s.tracker
    sources = node._sources
    # A node with one source reads it unrecorded, as a solo read does (see
    # ``Computed.value``): the spare list keeps only what else it read,
    # usually nothing. Not inside another such run, which owns the list.
    quiet = sources[0] if len(sources) == 1 and s.quiet is None else None
    if quiet is None:
        reads: list[Any] = []
    else:
        reads = s.quiet_reads
        s.quiet = quiet
        s.quiet_seen = False
    s.tracker = reads
    try:
        value = fn()
    except BaseException as exc:
        s.tracker = previous
        if quiet is not None:
            s.quiet = None
            if reads:
                s.quiet_reads = []
            reads = [quiet, *reads] if s.quiet_seen else [*reads]
        if isinstance(exc, RecursionError) or not isinstance(exc, Exception):
            raise
        store(node, reads, start, UNSET, exc)
        return
    s.tracker = previous
    # ``store(node, reads, start, value, None)``, inlined: it runs per node.
    node._recomputes += 1
    if quiet is not None:
        s.quiet = None
        if reads:
            s.quiet_reads = []
            if s.quiet_seen:
                reads = [quiet, *reads]
        elif s.quiet_seen:
            reads = sources  # it read its one source again
        else:
            reads = []  # it read nothing tracked
    if node._fn is None:  # disposed by its own function: stay unlinked
        node._state = CLEAN
        return
    if reads is sources or reads == sources:
        count = len(sources)
        if count == 1:
            node._versions[0] = sources[0]._version
        elif count == 2:  # a diamond's sink: no map object, no attrgetter calls
            node._versions = [sources[0]._version, sources[1]._version]
        else:
            node._versions = list(map(_version_of, sources))
    else:
        node._solo = None
        collect(node, reads)
    node._checked = start
    node._state = CLEAN if node._targets or node._watch else STALE
    old = node._value
    if node._error is not None:
        node._error = None
    elif old is not UNSET:
        if old is value:
            return
        equals = node._equals
        if equals is None:
            try:
                same = old == value
            except Exception:
                same = False
            if same is True or (same is not False and not differs(same)):
                return
        elif _same(node, equals, old, value):
            return
    node._value = value
    node._version += 1


def store(
    node: Any, reads: list[Any], start: int, value: Any, error: Exception | None
) -> None:
    """Record a run of ``node``'s function: its sources, and a changed result.

    Args:
        node: The computed that ran.
        reads: What the run read, in order.
        start: ``state.writes`` when the run began.
        value: Its result (ignored when ``error`` is set).
        error: What it raised, if it did.
    """
    node._recomputes += 1
    node._solo = None  # ``Computed._refresh`` decides again
    if node._fn is None:  # disposed by its own function: stay unlinked
        node._state = CLEAN
        return
    if error is not None:
        error = waits_on(error, reads, node)
        if type(error) is CycleError:
            through(node, error)
    sources = node._sources
    if reads == sources:
        if len(sources) == 1:
            node._versions[0] = sources[0]._version
        else:
            node._versions = list(map(_version_of, sources))
    else:
        collect(node, reads)
    node._checked = start
    # Watched nodes are kept fresh by marks; the others stay STALE and are
    # validated against ``writes`` when read.
    node._state = CLEAN if node._watch or node._targets else STALE

    if error is not None:
        node._error = error
        node._version += 1
        return
    old = node._value
    if node._error is None and old is not UNSET:
        if old is value:
            return
        equals = node._equals
        if equals is None:
            try:
                same = old == value
            except Exception:
                same = False
            if same is True or (same is not False and not differs(same)):
                return
        elif _same(node, equals, old, value):
            return
    node._error = None
    node._value = value
    node._version += 1


def self_read(node: Any) -> CycleError:
    """The error for a computed read while it computes; see :func:`through`."""
    error = CycleError(
        f"{node!r} read its own value while computing it."
        " Remove the self-reference, or read it with untracked()."
    )
    error._impact_cycle = [node]  # type: ignore[attr-defined]
    return error


def through(node: Any, error: CycleError) -> None:
    """Note that ``error``, from a self-read, passed through ``node``'s run.

    The computeds it passes through, innermost first, are the cycle: once
    it reaches the computed that was read, the message names the path
    (``p -> q -> p``). Only failures pay for this, never the hot path.
    """
    path: list[Any] | None = getattr(error, "_impact_cycle", None)
    if path is None:
        return
    path.insert(0, node)
    if node is not path[-1]:
        return
    error._impact_cycle = None  # type: ignore[attr-defined]
    if len(path) == 2:
        return  # read itself directly: the message already says so
    names = [getattr(n, "_name", None) or f"{type(n).__name__}@{id(n):x}" for n in path]
    error.args = (
        f"computed cycle {' -> '.join(names)}: {names[0]} read its own value"
        f" while computing it, through {', '.join(names[1:-1])}. Break the"
        " cycle (one of them must not read the next), or read one of them"
        " with untracked().",
    )


def _same(node: Any, equals: Callable[[Any, Any], bool], old: Any, new: Any) -> bool:
    """``equals(old, new)`` of a computed; if it raises, that is the result.

    A raising ``equals`` leaves the computed failed, as if its function had
    raised: reads re-raise it until an input changes, never the old value.
    """
    try:
        return bool(equals(old, new))
    except Exception as exc:
        node._error = exc
        node._version += 1
        return True


def waits_on(error: E, reads: list[Any], node: Any = None) -> E | Exception:
    """Make a run of ``node`` that suspended depend on the suspense it waits for.

    Even when it was read through ``untracked()``: its settling is what the
    run needs to complete. Returns ``error``, or the error that replaces it
    when the run keeps creating the suspense it waits for (then it does not
    wait: see ``Suspense._suspended``).
    """
    if isinstance(error, SuspendedError):
        check = getattr(error.suspense, "_suspended", None)
        if error.made_in_run and node is not None and check is not None:
            replaced: Exception = check(node, error)
            if replaced is not error:
                return replaced
        tracked = getattr(error.suspense, "_tracked", None)
        if tracked is not None and tracked not in reads:
            reads.append(tracked)
    return error


def waits_on_aside(error: BaseException | None, seen: list[tuple[Any, Any]]) -> None:
    """``waits_on`` for an ``observe`` block kept aside, which records
    ``(signal, version)`` pairs: one that already settled counts as moved.
    """
    if isinstance(error, SuspendedError):
        tracked = getattr(error.suspense, "_tracked", None)
        if tracked is not None and all(node is not tracked for node, _ in seen):
            pending = getattr(tracked.peek(), "status", None) == "pending"
            seen.append((tracked, tracked._version if pending else -1))


def stale(node: Any) -> bool:
    """Whether any source of a watcher changed since it last ran."""
    for source, version in zip(node._sources, node._versions):  # noqa: B905
        if source._state:
            pull(source)
        if source._version != version:
            return True
    node._state = CLEAN
    return False


def collect(node: Any, reads: list[Any]) -> None:
    """Make ``reads`` the sources of ``node``; link them if ``node`` is watched.

    Only watched nodes (effects, ``observe`` scopes, computeds with
    subscribers, and whatever those read, transitively) are linked into
    their sources' targets: a write marks only them, and a computed nobody
    watches holds no place in the graph, so it is freed with its last
    reference.
    """
    old = node._sources
    if reads != old:
        if node in reads:
            reads = [source for source in reads if source is not node]
        if len(reads) > 1:
            reads = list(dict.fromkeys(reads))
        if reads != old:
            if node._watch or node._targets:
                for source in old:
                    if source not in reads:
                        _drop_target(source, node)
                # Before linking: a link refreshes a stale computed, which
                # may escape uncached (RecursionError), and ``unlink`` must
                # then still find every link made.
                node._sources = reads
                for source in reads:
                    if source not in old:
                        _add_target(source, node)
            node._sources = reads
    sources = node._sources
    if len(sources) == 1:
        node._versions = [sources[0]._version]
    else:
        node._versions = list(map(_version_of, sources))
    node._state = CLEAN


def _add_target(source: Any, node: Any) -> None:
    targets = source._targets
    watched = bool(targets)
    if targets is None:
        source._targets = [node]
    else:
        targets.append(node)
    if not watched and source._derived and not source._watch:
        activate(source)
        if source._state:
            # Validated before a write made during the run that read it (an
            # effect that reads, then writes): linked stale, no mark would
            # pass it, so bring it up to date now, as ``_attach`` does.
            pull(source)


def _drop_target(source: Any, node: Any) -> None:
    targets = source._targets
    if targets:
        with suppress(ValueError):
            targets.remove(node)
    if source._derived and not targets and not source._watch:
        deactivate(source)


def activate(node: Any) -> None:
    """``node`` became watched: link it, and what it reads, into the graph."""
    stack = [node]
    writes = state.writes
    while stack:
        current = stack.pop()
        current._solo = None  # watched from now on
        if current._state == STALE and current._checked == writes:
            current._state = CLEAN
        for source in current._sources:
            targets = source._targets
            watched = bool(targets)
            if targets is None:
                source._targets = [current]
            else:
                targets.append(current)
            if not watched and source._derived and not source._watch:
                stack.append(source)


def deactivate(node: Any) -> None:
    """``node`` is watched no more: unlink it, and what only it kept linked."""
    stack = [node]
    writes = state.writes
    while stack:
        current = stack.pop()
        if current._state == CLEAN:
            # Fresh now (marks kept it so): validated at this count, so
            # ``activate`` finds it fresh if it is linked again before a
            # write, and never links it STALE, where no mark reaches it.
            current._state = STALE
            current._checked = writes
        for source in current._sources:
            targets = source._targets
            if targets:
                with suppress(ValueError):
                    targets.remove(current)
            if source._derived and not targets and not source._watch:
                stack.append(source)


def unlink(node: Any) -> None:
    """Remove ``node`` from the graph for good (it is being disposed)."""
    for source in node._sources:
        _drop_target(source, node)
    node._sources = []
    node._versions = []


def run_watchers(errors: list[BaseException] | None) -> list[BaseException] | None:
    s = state
    s.epoch = epoch = s.epoch + 1  # a pass never runs inside another
    if s.batch_depth:
        return errors
    # The list's iterator also meets the watchers queued while these run, in
    # order; a watcher that leaves a batch open stops the pass.
    for watcher in watchers:
        watcher._queued = False
        try:
            if (
                type(watcher) is not pushed_type
                or watcher._state != DIRTY
                or len(sources := watcher._sources) != 1
                or s.quiet is not None
            ):
                watcher._notify()
            else:
                # A computed marked by a write of its one source (a fan-out's
                # nodes), recomputed and delivered here, one call less each:
                # ``recompute(watcher)``, inlined, its common outcome (the
                # same one source read again, nothing else) recorded here and
                # any other by ``store``, as in ``Computed.value``'s solo
                # path. (A disposed computed has no sources: ``_fn`` is set.)
                source = sources[0]
                start = s.writes
                previous = s.tracker
                reads = s.quiet_reads
                s.quiet = source
                s.quiet_seen = False
                s.tracker = reads
                watcher._computing = True
                fn = watcher._fn  # a call of a slot's function, not a method
                try:
                    value = fn()
                except BaseException as exc:
                    watcher._computing = False
                    s.tracker = previous
                    s.quiet = None
                    if reads:
                        s.quiet_reads = []
                    if isinstance(exc, RecursionError) or not isinstance(
                        exc, Exception
                    ):
                        raise
                    reads = [source, *reads] if s.quiet_seen else [*reads]
                    store(watcher, reads, start, UNSET, exc)
                    watcher._emit()
                    continue
                watcher._computing = False
                s.tracker = previous
                s.quiet = None
                if reads or not s.quiet_seen or watcher._fn is None:
                    if reads:
                        s.quiet_reads = []
                    reads = [source, *reads] if s.quiet_seen else [*reads]
                    store(watcher, reads, start, value, None)
                    watcher._emit()
                    continue
                watcher._recomputes += 1
                watcher._versions[0] = source._version
                if watcher._watch:
                    # ``_checked`` is read only while the node is not CLEAN,
                    # and it leaves CLEAN by a mark, after a write moved
                    # ``writes`` past ``start``, or by ``deactivate``, which
                    # sets it: recording ``start`` here would change nothing.
                    watcher._state = CLEAN
                else:  # unwatched meanwhile
                    watcher._checked = start
                    watcher._state = CLEAN if watcher._targets else STALE
                if (
                    watcher._error is not None
                    or watcher._equals is not None
                    or watcher._raised
                ):
                    watcher._settled(value)
                    watcher._emit()
                    continue
                old = watcher._value
                if old is value:
                    watcher._emit()
                    continue
                # ``changed(old, value)``, inlined (``UNSET`` equals nothing).
                try:
                    same = old == value
                except Exception:
                    same = False
                if same is not False and (same is True or not differs(same)):
                    watcher._emit()
                    continue
                # Changed: ``watcher._emit()``, inlined.
                watcher._value = value
                watcher._version = version = watcher._version + 1
                if watcher._epoch != epoch:
                    watcher._epoch = epoch
                else:
                    check_again(watcher)
                watcher._emitted = version
                watcher._delivered = value
                sinks = watcher._sinks
                try:
                    if len(sinks) == 1:
                        # One subscriber (the usual case): no tuple iterator
                        # made and freed per node. ``sinks`` is a snapshot,
                        # so this is the loop below, one round of it.
                        sink = sinks[0]
                        if not sink.is_stopped:
                            receive = sink._on_next  # a call of a bound method
                            receive(value)
                    else:
                        for sink in sinks:
                            if not sink.is_stopped:
                                receive = sink._on_next
                                receive(value)
                except Exception as exc:
                    deliver_rest(watcher, sinks, sink, value, exc)
        except Exception as exc:
            errors = _add(errors, exc)
        if s.batch_depth:
            # The first occurrence is this one: a watcher is queued again
            # only after it ran.
            del watchers[: watchers.index(watcher) + 1]
            return errors
    watchers.clear()
    return errors


# -- scopes ----------------------------------------------------------------------


class _Local(threading.local):
    """Per thread: what it does without owning the queue, while another
    thread delivers."""

    # The writes of a batch it opened then, in order: a signal maps to its
    # latest value, an emitter's event (``_Emission``) to ``None``. ``None``
    # outside one; ``depth`` counts its nesting.
    pending: dict[Any, Any] | None = None
    depth = 0
    # What an ``observe`` block it entered then read: ``(signal, version)``
    # and ``(computed, (value, error))`` pairs. ``None`` outside one.
    reads: list[tuple[Any, Any]] | None = None
    # One detached read of a computed (``Computed._evaluate_detached``):
    # the results so far, and how deep its reads nest.
    memo: dict[Any, Any] | None = None
    nesting = 0
    # The value of each signal as this thread first read it in a detached
    # read or an observe block kept aside (see ``read_aside``): every
    # computed in it is computed from one value of each signal, so a
    # diamond is never torn by a write the owner makes meanwhile. ``None``
    # outside one.
    snapshot: dict[Any, Any] | None = None
    # In a batch kept aside: for a signal it only updated so far, the value
    # its first update was applied to and the update functions, in order,
    # so the owner applies them again if another write came first (see
    # ``_hold``). ``None`` outside one.
    chains: dict[Any, tuple[Any, list[Callable[[Any], Any]]]] | None = None
    # Its writes queued for the owner and not applied yet, a signal mapping
    # to the latest (see ``write_in_turn``). Made on first use; the owner
    # removes what it applies, under ``lock``.
    queued: dict[Any, _Queued] | None = None


local = _Local()


class _Queued:
    """A write from a thread that did not own the queue, waiting its turn.

    Until the owner takes it in, the writing thread's reads see ``value``
    (it is kept in ``held``, that thread's ``_Local.queued``). An ``update``
    also carries its function and the value it was applied to, so the owner
    applies it again if another write came first. ``mode`` says what the
    owner did with it (see ``Signal._take``): 0 nothing yet, then what its
    turn in the queue delivers.
    """

    __slots__ = ("based", "fn", "held", "mode", "value")

    def __init__(
        self,
        held: dict[Any, _Queued],
        value: Any,
        fn: Callable[[Any], Any] | None,
        based: Any,
    ) -> None:
        self.held = held
        self.value = value
        self.fn = fn
        self.based = based
        self.mode = 0


def write_in_turn(
    node: Any,
    job: Callable[[_Queued], None],
    value: Any,
    fn: Callable[[Any], Any] | None = None,
    based: Any = UNSET,
) -> None:
    """Queue a write of ``node`` made while another thread owns the queue.

    The write waits its turn, but this thread reads it back at once: the
    value is held for this thread until the owner takes it in (``job`` in
    its turn, or ``absorb`` before) and calls ``settle``. Whoever ends up
    owning the queue delivers it.
    """
    mine = local
    held = mine.queued
    if held is None:
        held = mine.queued = {}
    ticket = _Queued(held, value, fn, based)
    snapshot = mine.snapshot
    if snapshot is not None:
        snapshot.pop(node, None)  # once taken in, reads see what it wrote
    s = state
    with lock:
        if not held:
            s.detached += 1
        held[node] = ticket
        s.foreign += 1
    s.queue.append((job, ticket, 0))
    try:
        claim()  # unless the owner gave the token back meanwhile
    except IndexError:
        return  # the owner delivers it
    s.owner = get_ident()
    release()


def settle(node: Any, ticket: _Queued) -> None:
    """The owner took ``ticket`` in: its thread reads ``node`` as all do."""
    held = ticket.held
    with lock:
        state.foreign -= 1
        if held.get(node) is ticket:
            del held[node]
            if not held:
                state.detached -= 1


def absorb() -> None:
    """Take in the writes other threads queued, as the owner reads.

    A subscriber may hand work to another thread and wait for it; what that
    thread wrote is then queued behind the delivery running. When the owner
    reads a signal or computed outside any tracked run, each such write
    (and each batch kept aside, its writes together) is applied now, in
    queue order, as if the owner made it then, and its delivery keeps its
    place in the queue: a write is never seen without one its thread made
    before it. A tracked run (a computed, an
    effect, an ``observe`` block) never takes writes in midway, not even in
    its ``untracked()`` reads or ``peek()``: it sees one consistent set of
    values; nor does a ``batch()``, whose writes come
    before those other threads made meanwhile.
    """
    s = state
    if (
        not s.foreign
        or s.tracker is not None
        or s.batch_depth
        or s.owner != get_ident()
    ):
        return
    q = s.queue
    i = 0
    while i < len(q):  # other threads may append meanwhile; only we pop
        job, arg, _ = q[i]
        i += 1
        kind = type(arg)
        if kind is _Queued and not arg.mode:
            node = job.__self__  # type: ignore[attr-defined]
            node._take(arg, _delivery_after(q, i, node))
        elif kind is _Aside and not arg.taken:
            # A batch kept aside: its writes are taken in together, so a
            # write its thread made after it is never seen without it.
            arg.taken = True
            for node, ticket in arg.tickets:
                node._take(ticket, _delivery_after(q, i, node))


def _delivery_after(
    q: deque[tuple[Callable[[Any], None], Any, int]], start: int, node: Any
) -> bool:
    """Whether a delivery of the owner's own write of ``node`` is queued from
    ``start`` on: a write made after the one at ``start - 1`` was queued."""
    for k in range(start, len(q)):
        job = q[k][0]
        if getattr(job, "__self__", None) is node and getattr(job, "__name__", "") in (
            "_deliver_own",
            "_deliver_latest",
        ):
            return True
    return False


def unapplied(node: Any) -> Any:
    """This thread's latest write of ``node`` not yet applied, else ``UNSET``.

    A batch kept aside comes first, then writes queued for the owner; the
    owner itself reads the shared graph.
    """
    mine = local
    pending = mine.pending
    held = mine.queued
    if state.owner == get_ident():
        absorb()
        return UNSET
    snapshot = mine.snapshot
    if pending is None and not held and snapshot is None:
        return UNSET
    if pending is not None:
        value = pending.get(node, UNSET)
        if value is not UNSET:
            return value
    return _seen(node, mine, snapshot)


def _seen(node: Any, mine: _Local, snapshot: dict[Any, Any] | None) -> Any:
    """This thread's queued write of ``node``, else ``UNSET``; in a snapshot,
    the value it read first (see ``_Local.snapshot``), held write or not.

    The owner may take a queued write in (and move on) while a detached
    read runs: a snapshot keeps what the read saw first.
    """
    if snapshot is not None:
        value = snapshot.get(node, UNSET)
        if value is not UNSET:
            return value
    value = UNSET
    held = mine.queued
    if held:
        ticket = held.get(node)
        if ticket is not None:
            value = ticket.value
    if snapshot is not None:
        if value is UNSET:
            value = node._value
        snapshot[node] = value
    return value


def read_aside(node: Any) -> Any:
    """A read while this thread is in a batch kept aside or an observe block
    entered while another thread delivered: record it, and give the
    batch's value for ``node`` (``UNSET`` when it wrote none).
    """
    if state.owner == get_ident():
        absorb()
        return UNSET
    mine = local
    reads = mine.reads
    if reads is not None and mine.memo is None:
        # The version before the value: a write landing in between then
        # shows as a change, never hides one.
        reads.append((node, node._version))
    pending = mine.pending
    if pending is not None:
        value = pending.get(node, UNSET)
        if value is not UNSET:
            return value
    return _seen(node, mine, mine.snapshot)


def detached_here() -> bool:
    """Whether reads of computeds by this thread must bypass the graph now.

    Also inside a detached read (``Computed._evaluate_detached``): a
    computed it meets is computed again from the read's snapshot, never
    taken from a cache the owner may have refreshed meanwhile.
    """
    if state.owner == get_ident():
        absorb()
        return False
    mine = local
    return bool(
        mine.pending or mine.reads is not None or mine.queued or mine.memo is not None
    )


def aside() -> dict[Any, Any] | None:
    """This thread's batch kept aside, unless the thread owns the queue now.

    While it owns the queue (to create an effect, say) a thread works on the
    shared graph, whose computeds must not cache values nobody else sees.
    """
    pending = local.pending
    if pending is None or state.owner == get_ident():
        return None
    return pending


@contextmanager
def batch() -> Iterator[None]:
    """Group writes: subscribers are notified once, after the outermost block.

    Reads inside the block see the new values at once; subscribers, effects
    and computeds' subscribers see only the final values, once, when the
    outermost ``batch()`` exits. A thread that does not own the queue may
    read some of a batch's writes before the batch ends, or while another
    thread applies it: its reads are not isolated from the batch, only what
    is notified is. Nestable. A batch on one thread makes writes
    from other threads wait in the queue until it ends.

    The batch belongs to the thread, not to an asyncio task: a block held
    across an ``await`` also holds back what other tasks on that thread
    write meanwhile, until it ends (or, should blocks of two tasks end out
    of order, until the first ends). Every write is still delivered; keep
    awaits outside the block.

    A batch is not a transaction: a block that raises rolls nothing back.
    The writes it made stay applied and are delivered as it exits, as if it
    had ended normally; then its exception propagates. Should that delivery
    raise too, its ``SubscriberError`` propagates instead, with the block's
    exception as its ``__context__``.

    A batch opened while another thread delivers does not wait for it: its
    writes are kept aside (this thread's reads see them, others' do not),
    and when it ends they are queued as one change, applied in turn like a
    write from that thread, which reads them back until then. So a
    subscriber may wait for a thread that batches.

    Example:
        >>> from impact_rx import Signal, batch
        >>> count = Signal(0)
        >>> seen = []
        >>> sub = count.subscribe(seen.append)
        >>> with batch():
        ...     count.value = 1
        ...     count.value = 2
        ...     with batch():
        ...         count.value = 3
        >>> seen
        [0, 3]

    Raises:
        SubscriberError: subscribers raised while the batch was delivered.
    """
    mine = local
    if mine.depth and state.owner != get_ident():
        # Nested in this thread's batch kept aside. Not while this thread
        # owns the queue (it made an effect, say): it then works on the
        # shared graph, and delivers other threads' batches, as one batch.
        mine.depth += 1
        try:
            yield
        finally:
            mine.depth -= 1
        return
    took = acquire()
    if took < 0:
        yield from _aside(mine)
        return
    if not state.batch_depth:
        state.batch_mark = len(state.queue)
    state.batch_depth += 1
    try:
        yield
    finally:
        state.batch_depth -= 1
        if not state.batch_depth:
            _flush_batch()
        if took:
            release()
        elif state.owner != get_ident() and (state.queue or watchers):
            # It ended after a block it did not enclose (asyncio tasks
            # holding batch() blocks across awaits): that block gave the
            # queue up under this one, so deliver what is left, unless
            # another thread took the queue and delivers it.
            try:
                claim()
            except IndexError:
                pass
            else:
                state.owner = get_ident()
                release()


def _aside(mine: _Local) -> Iterator[None]:
    """The body of a batch kept aside while another thread delivers."""
    s = state
    mine.pending = {}
    mine.chains = {}
    mine.depth = 1
    with lock:
        s.detached += 1
    try:
        yield
    finally:
        pending, chains = mine.pending, mine.chains
        mine.pending = mine.chains = None
        mine.depth = 0
        with lock:
            s.detached -= 1
        if pending:
            enqueue(_apply_aside, _Aside(pending, _hold(mine, pending, chains)))


class _Ending:
    """The end of a signal or emitter in a batch kept aside: after its writes."""

    __slots__ = ("arg", "end")

    def __init__(self, end: Callable[[Any], None], arg: Any) -> None:
        self.end = end
        self.arg = arg

    def _apply_batched(self, _: object) -> None:
        state.batched[self] = None  # joins the owner's batch, in order

    def _deliver_latest(self, _: object) -> None:
        self.end(self.arg)


def end_in_turn(end: Callable[[Any], None], arg: Any) -> None:
    """Queue ``end(arg)``, the completion of a signal or emitter.

    In this thread's batch kept aside it comes after the batch's writes and
    events, as it would in a batch that owns the queue.
    """
    if state.detached:
        pending = aside()
        if pending is not None:
            pending[_Ending(end, arg)] = None
            return
    enqueue(end, arg)


class _Aside:
    """A batch kept aside, queued as one change when it ended.

    ``tickets`` hold its signal writes for its thread (see ``_hold``);
    ``taken`` tells that the owner took them in early (see ``absorb``).
    """

    __slots__ = ("pending", "taken", "tickets")

    def __init__(
        self, pending: dict[Any, Any], tickets: list[tuple[Any, _Queued]]
    ) -> None:
        self.pending = pending
        self.tickets = tickets
        self.taken = False


def _hold(
    mine: _Local,
    pending: dict[Any, Any],
    chains: dict[Any, tuple[Any, list[Callable[[Any], Any]]]] | None,
) -> list[tuple[Any, _Queued]]:
    """Hold a batch's signal writes for its thread until the owner takes them in.

    Queued as one write from this thread, the batch is read back as a write
    is (see ``write_in_turn``): this thread keeps seeing its values, not the
    older ones, until the owner applied them, in turn or early (``absorb``).
    A signal the batch only updated carries its updates, so they are
    applied again, as a queued ``update`` is, if another write came first.
    """
    held = mine.queued
    if held is None:
        held = mine.queued = {}
    tickets = []
    for item, value in pending.items():
        if not hasattr(item, "_take"):  # an event or an effect, not a signal
            continue
        chain = chains.get(item) if chains else None
        if chain is None:
            ticket = _Queued(held, value, None, UNSET)
        else:
            ticket = _Queued(held, value, _chained(chain[1]), chain[0])
        tickets.append((item, ticket))
    if tickets:
        snapshot = mine.snapshot
        if snapshot is not None:
            for node, _ in tickets:
                snapshot.pop(node, None)  # read back what the batch wrote
        s = state
        with lock:
            if not held:
                s.detached += 1
            for node, ticket in tickets:
                held[node] = ticket
            s.foreign += len(tickets)
    return tickets


def _chained(fns: list[Callable[[Any], Any]]) -> Callable[[Any], Any]:
    """One function applying the updates ``fns`` in order."""
    if len(fns) == 1:
        return fns[0]

    def updates(value: Any) -> Any:
        for fn in fns:
            value = fn(value)
        return value

    updates.__qualname__ = " then ".join(
        getattr(fn, "__qualname__", "update") for fn in fns
    )
    return updates


def _apply_aside(aside: _Aside) -> None:
    """Apply a batch kept aside, as one batch of the owner (a queued job).

    Its deliveries go to the front of the queue: everything queued now was
    queued after the batch ended. A subscriber refusing one value (an older
    one, delivered at once) does not drop the batch's other writes.

    Raises:
        SubscriberError: subscribers refused superseded values.
    """
    errors: list[BaseException] | None = None
    tickets = dict(aside.tickets)
    taken = aside.taken
    try:
        with batch():
            if state.batch_depth == 1:
                state.batch_mark = 0
            for item, value in aside.pending.items():
                try:
                    ticket = tickets.get(item)
                    if ticket is None:  # an event, an effect, an ending
                        item._apply_batched(value)
                        continue
                    if not taken:
                        # Applied as a queued write (see ``Signal._take``):
                        # a later write of the owner's stands, an update
                        # applies again to what another write set first.
                        item._take(ticket, bool(item._pending))
                    item._deliver_taken(ticket)
                except Exception as exc:
                    errors = _add(errors, exc)
    finally:
        for node, ticket in aside.tickets:
            if not ticket.mode:  # never reached: its thread reads as all do
                settle(node, ticket)
    if errors:
        raise combine(errors)


def _flush_batch() -> None:
    batched = state.batched
    if not batched:
        return
    items = list(batched)
    batched.clear()
    q = state.queue
    depth = follow()
    with lock:
        at = min(state.batch_mark, len(q))
        for item in items:
            # A signal is delivered the value this batch ended on, so two
            # batches in one delivery are two notifications, in order; an
            # emitter's event ignores the argument.
            job = item._deliver_latest
            q.insert(at, (job, getattr(item, "_value", None), depth))
            at += 1


def untracked(fn: Callable[[], T]) -> T:
    """Call ``fn`` without recording what it reads as a dependency.

    Example:
        >>> from impact_rx import Signal, computed, untracked
        >>> a, b = Signal(1), Signal(10)
        >>> total = computed(lambda: a.value + untracked(lambda: b.value))
        >>> total.value
        11
        >>> b.value = 20  # not a dependency: total stays cached
        >>> total.value
        11
        >>> a.value = 2
        >>> total.value
        22

    Raises:
        TypeError: ``fn`` is not callable (``untracked(count.value)``
            instead of ``untracked(lambda: count.value)``).
    """
    if not callable(fn):
        raise TypeError(
            f"untracked() takes a function to call without tracking, got"
            f" {type(fn).__name__}: the read it should wrap already happened."
            " Wrap it in a lambda, e.g. untracked(lambda: count.value), or use"
            " count.peek()."
        )
    s = state
    if s.tracker is None or s.owner != get_ident():
        if s.detached and local.reads is not None and s.owner != get_ident():
            # An observe block kept aside: record these reads nowhere.
            mine = local
            recording = mine.reads
            mine.reads = []
            try:
                return fn()
            finally:
                mine.reads = recording
        return fn()
    previous = s.tracker
    behind = s.behind
    if previous is not _UNTRACKED:
        s.behind = previous
    # Not ``None``: the run is still going on, so the reads must not take
    # in other threads' queued writes midway (see ``absorb``).
    s.tracker = _UNTRACKED
    try:
        return fn()
    finally:
        s.tracker = previous
        s.behind = behind


def run_tracker() -> list[Any] | None:
    """The reads list of the run going on in this thread, if one is.

    Also inside ``untracked()``, which records nothing but is still part of
    the run: what it creates and waits for is the run's (see ``Suspense``).
    """
    s = state
    tracker = s.tracker
    if tracker is None or s.owner != get_ident():
        return None
    return s.behind if type(tracker) is _Discard else tracker


class _Discard(list[Any]):
    """The tracker of ``untracked()`` inside a run: it records nothing."""

    __slots__ = ()

    def append(self, _: Any) -> None:
        pass


_UNTRACKED: Final[list[Any]] = _Discard()


def check_runs(node: Any) -> None:
    """Count one run of a watcher; raise ``CycleError`` past ``MAX_RUNS``."""
    epoch = state.epoch
    if node._epoch != epoch:
        node._epoch = epoch
        node._runs = 1
        return
    node._runs += 1
    if node._runs > MAX_RUNS:
        raise CycleError(
            f"{node!r} ran {MAX_RUNS} times while one change settled:"
            " it keeps changing something it depends on."
            " Break the cycle, or write the value outside the effect."
        )


def check_again(node: Any) -> None:
    """``check_runs`` for a computed's second or later run in one epoch.

    Its first run in an epoch only records the epoch (in ``_epoch``), so
    that run, by far the most common, writes one field; ``_runs`` then
    holds ``epoch * 256`` plus the count of runs (``MAX_RUNS`` < 256), and
    a count from an earlier epoch is below that base.
    """
    base = state.epoch * 256
    runs = node._runs
    runs = runs + 1 if runs > base else base + 2
    node._runs = runs
    if runs - base > MAX_RUNS:
        raise CycleError(
            f"{node!r} ran {MAX_RUNS} times while one change settled:"
            " it keeps changing something it depends on."
            " Break the cycle, or write the value outside the effect."
        )
