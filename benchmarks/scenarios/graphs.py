"""(d) a chain of 1,000 derived values and (e) a fan-out to 1,000.

Each derived value adds one to its input and counts its run. In the chain,
a step writes the head and reads the tail; in the fan-out, a step writes the
source and reads every derived value. The signal libraries are lazy (the read
pulls); raw Rx pushes through ``map`` operators into subscribers that store
the values, and the read is of what they stored. The lazy rows leave their
nodes unobserved, which raw Rx cannot do: the "impact_rx subscribed" rows do
exactly raw Rx's work instead (a subscriber on the tail; one per derived
value) so that neither form of the comparison is left out.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import count
from typing import Any

from reactivex import Observable
from reactivex import operators as ops
from reactivex.subject import BehaviorSubject

from .._harness import Case, Expected, Fixture, NotAvailable, Scenario, Tally, Target
from ._common import DEEP_RECURSION, Box, impact, sink

__all__ = ["scenario_chain", "scenario_fanout"]

SIZE = 1_000


def _plus_one(tally: Tally, read: Callable[[], int]) -> Callable[[], int]:
    def derived() -> int:
        tally.recomputes += 1
        return read() + 1

    return derived


def _inc(tally: Tally) -> Callable[[int], int]:
    def inc(x: int) -> int:
        tally.recomputes += 1
        return x + 1

    return inc


def _expect(box: Box, head: Box, offset: int) -> Callable[[], str | None]:
    def check() -> str | None:
        if box.value != head.value + offset:
            return f"read {box.value!r}, expected {head.value + offset!r}"
        return None

    return check


def _expect_all(values: Box, head: Box) -> Callable[[], str | None]:
    def check() -> str | None:
        wrong = [v for v in values.value if v != head.value + 1]
        if len(values.value) != SIZE or wrong:
            return f"{len(wrong)} of {len(values.value)} derived values are stale"
        return None

    return check


# -- chain ------------------------------------------------------------------


def _chain_reactivex() -> Fixture:
    tally, head, read = Tally(), Box(), Box()
    source = BehaviorSubject(0)
    tail: Observable[int] = source
    for _ in range(SIZE):
        tail = tail.pipe(ops.map(_inc(tally)))
    receive, box = sink(tally)
    with _limit():
        tail.subscribe(receive)
    values = count(1)

    def step() -> None:
        head.value = value = next(values)
        source.on_next(value)
        read.value = box.value

    return Fixture(step, tally, _expect(read, head, SIZE), DEEP_RECURSION, source)


def _chain_lazy(
    source: Any,
    write: Callable[[int], object],
    derive: Callable[[Tally, Any], Any],
    read_tail: Callable[[Any], Callable[[], int]],
    recursion_limit: int | None,
) -> Fixture:
    tally, head, read = Tally(), Box(), Box()
    nodes = []
    node = source
    for _ in range(SIZE):
        node = derive(tally, node)
        nodes.append(node)
    tail = read_tail(node)
    values = count(1)

    def step() -> None:
        head.value = value = next(values)
        write(value)
        read.value = tail()

    fixture = Fixture(step, tally, _expect(read, head, SIZE), recursion_limit)
    fixture.keep = (source, nodes)
    step()  # the first evaluation records the dependencies
    return fixture


def _impact_rx_node(computed: Any) -> Callable[[Tally, Any], Any]:
    def derive(tally: Tally, prev: Any) -> Any:
        def fn() -> Any:
            tally.recomputes += 1
            return prev.value + 1

        return computed(fn)

    return derive


def _call_node(computed: Any) -> Callable[[Tally, Any], Any]:
    """A derived value of a peer whose nodes are read by calling them."""

    def derive(tally: Tally, prev: Any) -> Any:
        return computed(_plus_one(tally, prev))

    return derive


def _observ_node(computed: Any) -> Callable[[Tally, Any], Any]:
    """observ's source is a ref (a dict); its computeds are called."""

    def derive(tally: Tally, prev: Any) -> Any:
        if not callable(prev):
            source = prev

            def fn() -> Any:
                tally.recomputes += 1
                return source["value"] + 1

            return computed(fn)
        return computed(_plus_one(tally, prev))

    return derive


def _chain_impact_rx() -> Fixture:
    signal_cls, computed = impact("Signal", "computed")
    source = signal_cls(0)
    derive = _impact_rx_node(computed)
    return _chain_lazy(source, source.set, derive, lambda n: lambda: n.value, None)


def _chain_impact_rx_pushed() -> Fixture:
    """impact_rx's chain with a subscriber on the tail, as raw Rx has.

    The write settles the chain and pushes the tail's value to the subscriber;
    the read is of what it stored, exactly as in the raw Rx case.
    """
    signal_cls, computed = impact("Signal", "computed")
    tally, head, read = Tally(), Box(), Box()
    source = signal_cls(0)
    derive = _impact_rx_node(computed)
    nodes = []
    node = source
    for _ in range(SIZE):
        node = derive(tally, node)
        nodes.append(node)
    receive, box = sink(tally)
    subscription = node.subscribe(receive)
    values = count(1)
    write = source.set

    def step() -> None:
        head.value = value = next(values)
        write(value)
        read.value = box.value

    keep = (source, nodes, subscription)
    return Fixture(step, tally, _expect(read, head, SIZE), keep=keep)


def _chain_reaktiv() -> Fixture:
    from reaktiv import Computed, Signal

    source = Signal(0)
    with _limit():
        return _chain_lazy(
            source, source.set, _call_node(Computed), lambda n: n, DEEP_RECURSION
        )


def _chain_observ() -> Fixture:
    from observ import computed, ref

    source = ref(0)

    def write(value: int) -> None:
        source["value"] = value

    with _limit():
        return _chain_lazy(
            source, write, _observ_node(computed), lambda n: n, DEEP_RECURSION
        )


class _limit:
    """The raised recursion limit while a peer's chain is built."""

    def __enter__(self) -> None:
        import sys

        self._saved = sys.getrecursionlimit()
        sys.setrecursionlimit(DEEP_RECURSION)

    def __exit__(self, *exc: object) -> None:
        import sys

        sys.setrecursionlimit(self._saved)


def _no_derived() -> Fixture:
    raise NotAvailable("psygnal has events only, no derived values")


def scenario_chain() -> Scenario:
    """(d): a chain of 1,000 derived values."""
    expected = Expected(recomputes=SIZE)
    pushed = Expected(recomputes=SIZE, delivered=1)
    lazy_note = "recursion limit raised to 20k"
    return Scenario(
        key="d",
        name="chain",
        title=f"chain of {SIZE:,}",
        baseline="reactivex",
        counts=("recomputes",),
        target=Target("≤ 3x", max_ratio=3.0),
        cases=(
            Case(
                "reactivex",
                _chain_reactivex,
                pushed,
                "map chain, subscriber on the tail; " + lazy_note,
            ),
            Case("impact_rx", _chain_impact_rx, expected, "unobserved, read pulls"),
            Case(
                "impact_rx subscribed",
                _chain_impact_rx_pushed,
                pushed,
                "subscriber on the tail",
            ),
            Case("reaktiv", _chain_reaktiv, expected, lazy_note),
            Case("observ", _chain_observ, expected, lazy_note),
            Case("psygnal", _no_derived),
        ),
    )


# -- fan-out ----------------------------------------------------------------


def _fanout_reactivex() -> Fixture:
    tally, head, read = Tally(), Box(), Box()
    source = BehaviorSubject(0)
    stored = [0] * SIZE

    def store(i: int) -> Callable[[int], None]:
        def receive(value: int) -> None:
            stored[i] = value

        return receive

    for i in range(SIZE):
        source.pipe(ops.map(_inc(tally))).subscribe(store(i))
    values = count(1)

    def step() -> None:
        head.value = value = next(values)
        source.on_next(value)
        read.value = list(stored)

    return Fixture(step, tally, _expect_all(read, head), keep=source)


def _fanout_lazy(
    source: Any,
    write: Callable[[int], object],
    derive: Callable[[Tally, Any], Any],
    read_all: Callable[[list[Any]], Callable[[], list[int]]],
) -> Fixture:
    tally, head, read = Tally(), Box(), Box()
    nodes = [derive(tally, source) for _ in range(SIZE)]
    read_nodes = read_all(nodes)
    values = count(1)

    def step() -> None:
        head.value = value = next(values)
        write(value)
        read.value = read_nodes()

    fixture = Fixture(step, tally, _expect_all(read, head), keep=(source, nodes))
    step()  # the first evaluation records the dependencies
    return fixture


def _fanout_impact_rx() -> Fixture:
    signal_cls, computed = impact("Signal", "computed")
    source = signal_cls(0)

    def read_all(nodes: list[Any]) -> Callable[[], list[int]]:
        return lambda: [n.value for n in nodes]

    return _fanout_lazy(source, source.set, _impact_rx_node(computed), read_all)


def _fanout_impact_rx_pushed() -> Fixture:
    """impact_rx's fan-out with one subscriber per derived value, as raw Rx has.

    Each subscriber stores its node's value and the read copies them all,
    exactly as in the raw Rx case.
    """
    signal_cls, computed = impact("Signal", "computed")
    tally, head, read = Tally(), Box(), Box()
    source = signal_cls(0)
    derive = _impact_rx_node(computed)
    nodes = [derive(tally, source) for _ in range(SIZE)]
    stored = [0] * SIZE

    def store(i: int) -> Callable[[int], None]:
        def receive(value: int) -> None:
            stored[i] = value

        return receive

    subscriptions = [node.subscribe(store(i)) for i, node in enumerate(nodes)]
    values = count(1)
    write = source.set

    def step() -> None:
        head.value = value = next(values)
        write(value)
        read.value = list(stored)

    keep = (source, nodes, subscriptions)
    return Fixture(step, tally, _expect_all(read, head), keep=keep)


def _call_all(nodes: list[Any]) -> Callable[[], list[int]]:
    return lambda: [n() for n in nodes]


def _fanout_reaktiv() -> Fixture:
    from reaktiv import Computed, Signal

    source = Signal(0)
    return _fanout_lazy(source, source.set, _call_node(Computed), _call_all)


def _fanout_observ() -> Fixture:
    from observ import computed, ref

    source = ref(0)

    def write(value: int) -> None:
        source["value"] = value

    return _fanout_lazy(source, write, _observ_node(computed), _call_all)


def scenario_fanout() -> Scenario:
    """(e): one source, 1,000 derived values."""
    expected = Expected(recomputes=SIZE)
    return Scenario(
        key="e",
        name="fanout",
        title=f"fan-out {SIZE:,}",
        baseline="reactivex",
        counts=("recomputes",),
        target=Target("≤ 2x", max_ratio=2.0),
        cases=(
            Case("reactivex", _fanout_reactivex, expected, "map per subscriber"),
            Case("impact_rx", _fanout_impact_rx, expected, "unobserved, reads pull"),
            Case(
                "impact_rx subscribed",
                _fanout_impact_rx_pushed,
                expected,
                "subscriber per node",
            ),
            Case("reaktiv", _fanout_reaktiv, expected),
            Case("observ", _fanout_observ, expected),
            Case("psygnal", _no_derived),
        ),
    )
