"""(a) and (b): one write reaching 1 or 10 subscribers.

Every implementation holds a value and calls each subscriber with the new
value on every write; each subscriber stores it and counts the delivery.
"""

from __future__ import annotations

from itertools import count
from typing import Any

from reactivex.subject import BehaviorSubject

from .._harness import Case, Expected, Fixture, Scenario, Tally, Target
from ._common import Box, impact, sink

__all__ = ["scenario"]


def _check_all(boxes: list[Any], expected: Any) -> str | None:
    for box in boxes:
        if box.value != expected():
            return f"a subscriber holds {box.value!r}, expected {expected()!r}"
    return None


def _reactivex(subscribers: int) -> Fixture:
    tally = Tally()
    subject = BehaviorSubject(0)
    boxes = []
    for _ in range(subscribers):
        receive, box = sink(tally)
        subject.subscribe(receive)
        boxes.append(box)
    values = count(1)
    on_next = subject.on_next

    def step() -> None:
        on_next(next(values))

    return Fixture(step, tally, lambda: _check_all(boxes, lambda: subject.value))


def _impact_rx(subscribers: int) -> Fixture:
    (signal_cls,) = impact("Signal")
    tally = Tally()
    signal = signal_cls(0)
    boxes = []
    for _ in range(subscribers):
        receive, box = sink(tally)
        signal.subscribe(receive)
        boxes.append(box)
    values = count(1)
    write = signal.set

    def step() -> None:
        write(next(values))

    return Fixture(step, tally, lambda: _check_all(boxes, signal.peek))


def _reaktiv(subscribers: int) -> Fixture:
    from reaktiv import Effect, Signal

    tally = Tally()
    signal = Signal(0)
    boxes = []
    effects = []
    for _ in range(subscribers):
        receive, box = sink(tally)
        effects.append(Effect(_forward(receive, signal)))
        boxes.append(box)
    values = count(1)
    write = signal.set

    def step() -> None:
        write(next(values))

    return Fixture(step, tally, lambda: _check_all(boxes, signal), keep=effects)


def _forward(receive: Any, read: Any) -> Any:
    # A closure without parameters: reaktiv passes a cleanup registrar to an
    # effect function that takes one.
    def run() -> None:
        receive(read())

    return run


def _observ(subscribers: int) -> Fixture:
    from observ import ref, watch

    tally = Tally()
    state = ref(0)
    boxes = []
    watchers = []
    for _ in range(subscribers):
        receive, box = sink(tally)
        watchers.append(watch(lambda: state["value"], receive, sync=True))
        boxes.append(box)
    values = count(1)

    def step() -> None:
        state["value"] = next(values)

    return Fixture(
        step, tally, lambda: _check_all(boxes, lambda: state["value"]), keep=watchers
    )


def _psygnal(subscribers: int, *, fast: bool = False) -> Fixture:
    from psygnal import SignalInstance

    tally = Tally()
    emitter = SignalInstance((int,))
    boxes = []
    for _ in range(subscribers):
        receive, box = sink(tally)
        emitter.connect(receive)
        boxes.append(box)
    values = count(1)
    # emit() is psygnal's documented default (it takes a lock, as
    # BehaviorSubject.on_next does); emit_fast() is its documented fast path
    # without the lock or re-emission modes, psygnal at its quickest.
    emit = emitter.emit_fast if fast else emitter.emit
    # psygnal keeps no value, so the step notes what it emitted for the check
    # (one slot store, a few ns): comparing the subscribers with each other
    # proved nothing with a single subscriber.
    written = Box()

    def step() -> None:
        written.value = value = next(values)
        emit(value)

    return Fixture(step, tally, lambda: _check_all(boxes, lambda: written.value))


def scenario(key: str, subscribers: int, target: float) -> Scenario:
    """The write scenario with ``subscribers`` subscribers."""
    expected = Expected(delivered=subscribers)

    def case(impl: str, build: Any, note: str = "") -> Case:
        return Case(impl, lambda: build(subscribers), expected, note)

    return Scenario(
        key=key,
        name=f"write{subscribers}",
        title=f"write, {subscribers} subscriber{'s' if subscribers > 1 else ''}",
        baseline="reactivex",
        target=Target(f"≤ {target}x", max_ratio=target),
        cases=(
            case("reactivex", _reactivex),
            case("impact_rx", _impact_rx),
            case("reaktiv", _reaktiv, "effects"),
            case("observ", _observ, "sync watchers"),
            case("psygnal", _psygnal, "emit; holds no value"),
            case(
                "psygnal emit_fast",
                lambda n: _psygnal(n, fast=True),
                "no lock; holds no value",
            ),
        ),
    )
