"""(f) memory per signal and per derived node, measured with tracemalloc.

Each case builds ``n`` objects (100,000 signals, 20,000 derived nodes) and
the traced bytes still allocated afterwards are divided by ``n``. A derived
node computes ``source + 1`` from one shared source with one shared
function, and has been read once, so its dependency edge exists; raw Rx's
nearest equivalent is a ``map`` over the source with a subscriber (an
unsubscribed pipe holds no value and is only a recipe).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reactivex import operators as ops
from reactivex.subject import BehaviorSubject

from .._harness import Case, NotAvailable, Scenario, Target
from ._common import impact

__all__ = ["scenario_derived", "scenario_signal"]

Make = Callable[[int], Any]


def _signals_reactivex() -> Make:
    return lambda n: [BehaviorSubject(0) for _ in range(n)]


def _signals_impact_rx() -> Make:
    (signal_cls,) = impact("Signal")
    return lambda n: [signal_cls(0) for _ in range(n)]


def _signals_reaktiv() -> Make:
    from reaktiv import Signal

    return lambda n: [Signal(0) for _ in range(n)]


def _signals_observ() -> Make:
    from observ import ref

    return lambda n: [ref(0) for _ in range(n)]


def _signals_psygnal() -> Make:
    from psygnal import SignalInstance

    return lambda n: [SignalInstance((int,)) for _ in range(n)]


def _derived_reactivex() -> Make:
    def make(n: int) -> Any:
        source = BehaviorSubject(0)
        plus_one = ops.map(lambda x: x + 1)

        def noop(value: int) -> None:
            return None

        return source, [source.pipe(plus_one).subscribe(noop) for _ in range(n)]

    return make


def _derived_impact_rx() -> Make:
    signal_cls, computed = impact("Signal", "computed")

    def make(n: int) -> Any:
        source = signal_cls(0)

        def fn() -> Any:
            return source.value + 1

        nodes = [computed(fn) for _ in range(n)]
        for node in nodes:
            _ = node.value
        return source, nodes

    return make


def _derived_called(make_source: Callable[[], Any], computed: Any) -> Make:
    def make(n: int) -> Any:
        source = make_source()
        fn = source[0] if isinstance(source, tuple) else source
        nodes = [computed(fn) for _ in range(n)]
        for node in nodes:
            node()
        return source, nodes

    return make


def _derived_reaktiv() -> Make:
    from reaktiv import Computed, Signal

    def make_source() -> Any:
        source = Signal(0)
        return (lambda: source() + 1), source

    return _derived_called(make_source, Computed)


def _derived_observ() -> Make:
    from observ import computed, ref

    def make_source() -> Any:
        source = ref(0)
        return (lambda: source["value"] + 1), source

    return _derived_called(make_source, computed)


def _no_derived() -> Make:
    raise NotAvailable("psygnal has events only, no derived values")


def scenario_signal() -> Scenario:
    """(f1): bytes per signal."""
    return Scenario(
        key="f1",
        name="memory-signal",
        title="memory per signal",
        kind="memory",
        baseline="reactivex",
        target=Target("≤ 450 B", max_bytes=450),
        cases=(
            Case("reactivex", _signals_reactivex, note="BehaviorSubject"),
            Case("impact_rx", _signals_impact_rx),
            Case("reaktiv", _signals_reaktiv),
            Case("observ", _signals_observ, note="ref"),
            Case("psygnal", _signals_psygnal, note="SignalInstance; holds no value"),
        ),
    )


def scenario_derived() -> Scenario:
    """(f2): bytes per derived node (no target in issue 9)."""
    return Scenario(
        key="f2",
        name="memory-derived",
        title="memory per derived node",
        kind="memory",
        # Building 100k Rx subscriptions under tracemalloc takes a minute on a
        # busy 2-core machine; 20k give the same bytes per node within 5%.
        memory_objects=20_000,
        baseline="reactivex",
        cases=(
            Case("reactivex", _derived_reactivex, note="map + subscription"),
            Case("impact_rx", _derived_impact_rx),
            Case("reaktiv", _derived_reaktiv),
            Case("observ", _derived_observ),
            Case("psygnal", _no_derived),
        ),
    )
