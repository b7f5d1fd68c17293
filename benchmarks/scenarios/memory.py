"""(f) memory per signal and per derived node, measured with tracemalloc.

Each case builds ``n`` objects (100,000 of them) in a list and the traced
bytes still allocated afterwards are divided by ``n``; the list's 8-byte slot
per object is included in every row. A derived node computes ``source + 1``
from one shared source with one shared function, and has been read once, so
its dependency edge exists; raw Rx's nearest equivalent is a ``map`` over the
source with a subscriber (an unsubscribed pipe holds no value and is only a
recipe), so impact_rx is also measured with a subscriber per node.

A new impact_rx Signal makes part of its state on first use; the "after use"
row counts a signal that has been subscribed to and read by an effect.
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


def _signals_impact_rx_used() -> Make:
    """Signals as an app leaves them: subscribed once, read by an effect.

    A Signal makes some state on first use and keeps it: the list of its
    dependents stays (empty) after the effect that read it is disposed. The
    subscription and the effect are disposed, so only what the signal itself
    keeps is counted.
    """
    signal_cls, effect = impact("Signal", "effect")

    def noop(value: object) -> None:
        return None

    def make(n: int) -> Any:
        signals = [signal_cls(0) for _ in range(n)]
        for signal in signals:
            signal.subscribe(noop).dispose()
            effect(lambda signal=signal: signal.value).dispose()
        return signals

    return make


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


def _derived_impact_rx_subscribed() -> Make:
    """Derived nodes each with a subscriber, as the raw Rx case has."""
    signal_cls, computed = impact("Signal", "computed")

    def noop(value: int) -> None:
        return None

    def make(n: int) -> Any:
        source = signal_cls(0)

        def fn() -> Any:
            return source.value + 1

        nodes = [computed(fn) for _ in range(n)]
        return source, nodes, [node.subscribe(noop) for node in nodes]

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
            Case("impact_rx", _signals_impact_rx, note="new"),
            Case(
                "impact_rx after use",
                _signals_impact_rx_used,
                note="subscribed once, read by an effect, both disposed",
            ),
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
        baseline="reactivex",
        cases=(
            Case("reactivex", _derived_reactivex, note="map + subscription"),
            Case("impact_rx", _derived_impact_rx, note="read once, unobserved"),
            Case(
                "impact_rx subscribed",
                _derived_impact_rx_subscribed,
                note="+ subscription, as raw Rx",
            ),
            Case("reaktiv", _derived_reaktiv),
            Case("observ", _derived_observ),
            Case("psygnal", _no_derived),
        ),
    )
