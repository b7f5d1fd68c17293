"""(c) the diamond ``a → b, a → c, (b, c) → d`` with a subscriber on ``d``.

``b = 2a``, ``c = 3a`` and ``d = b + c``; ``d``'s function counts its runs
(recomputes) and the subscriber on ``d`` counts every value it receives that
is not ``5a`` for the ``a`` just written (glitches). Raw Rx's
``combine_latest`` recomputes twice per write and delivers one glitch: that
is the baseline the issue measures against.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import count
from typing import Any

import reactivex
from reactivex import operators as ops
from reactivex.subject import BehaviorSubject

from .._harness import Case, Expected, Fixture, NotAvailable, Scenario, Tally, Target
from ._common import Box, impact

__all__ = ["scenario"]


def _observer(tally: Tally, expected: Box) -> tuple[Callable[[Any], None], Box]:
    """The subscriber on ``d``: stores, counts, and flags inconsistent values."""
    box = Box()

    def receive(value: Any) -> None:
        box.value = value
        tally.delivered += 1
        if value != expected.value:
            tally.glitches += 1

    return receive, box


def _sum(tally: Tally, b: Callable[[], int], c: Callable[[], int]) -> Callable[[], int]:
    def d() -> int:
        tally.recomputes += 1
        return b() + c()

    return d


def _writer(write: Callable[[int], object], expected: Box) -> Callable[[], None]:
    values = count(1)

    def step() -> None:
        value = next(values)
        expected.value = 5 * value
        write(value)

    return step


def _check(box: Box, expected: Box) -> Callable[[], str | None]:
    def check() -> str | None:
        if box.value != expected.value:
            return f"d's subscriber holds {box.value!r}, expected {expected.value!r}"
        return None

    return check


def _reactivex() -> Fixture:
    tally, expected = Tally(), Box()
    expected.value = 0
    a = BehaviorSubject(0)
    b = a.pipe(ops.map(lambda x: 2 * x))
    c = a.pipe(ops.map(lambda x: 3 * x))

    def d(pair: tuple[int, int]) -> int:
        tally.recomputes += 1
        return pair[0] + pair[1]

    receive, box = _observer(tally, expected)
    reactivex.combine_latest(b, c).pipe(ops.map(d)).subscribe(receive)
    return Fixture(_writer(a.on_next, expected), tally, _check(box, expected))


def _impact_rx(*, with_effect: bool) -> Fixture:
    signal_cls, computed = impact("Signal", "computed")
    tally, expected = Tally(), Box()
    expected.value = 0
    a = signal_cls(0)
    b = computed(lambda: 2 * a.value)
    c = computed(lambda: 3 * a.value)
    d = computed(_sum(tally, lambda: b.value, lambda: c.value))
    receive, box = _observer(tally, expected)
    if with_effect:
        (effect,) = impact("effect")
        keep: Any = effect(lambda: receive(d.value))
    else:
        keep = d.subscribe(receive)
    fixture = Fixture(_writer(a.set, expected), tally, _check(box, expected))
    fixture.keep = (keep, a, b, c, d)
    return fixture


def _reaktiv() -> Fixture:
    from reaktiv import Computed, Effect, Signal

    tally, expected = Tally(), Box()
    expected.value = 0
    a = Signal(0)
    b = Computed(lambda: 2 * a())
    c = Computed(lambda: 3 * a())
    d = Computed(_sum(tally, b, c))
    receive, box = _observer(tally, expected)
    keep = Effect(lambda: receive(d()))
    return Fixture(_writer(a.set, expected), tally, _check(box, expected), keep=keep)


def _observ() -> Fixture:
    from observ import computed, ref, watch

    tally, expected = Tally(), Box()
    expected.value = 0
    a = ref(0)
    b = computed(lambda: 2 * a["value"])
    c = computed(lambda: 3 * a["value"])
    d = computed(_sum(tally, b, c))
    receive, box = _observer(tally, expected)
    keep = watch(d, receive, sync=True)

    def write(value: int) -> None:
        a["value"] = value

    return Fixture(_writer(write, expected), tally, _check(box, expected), keep=keep)


def _psygnal() -> Fixture:
    raise NotAvailable("psygnal has events only, no derived values")


def scenario() -> Scenario:
    """The diamond scenario."""
    glitch_free = Expected(recomputes=1, glitches=0, delivered=1)
    return Scenario(
        key="c",
        name="diamond",
        title="diamond",
        baseline="reactivex combine_latest",
        counts=("recomputes", "glitches"),
        target=Target(
            "≤ 2.0x combine_latest, glitch-free, 1 recompute",
            max_ratio=2.0,
            glitch_free=True,
        ),
        cases=(
            Case(
                "reactivex combine_latest",
                _reactivex,
                Expected(recomputes=2, glitches=1, delivered=2),
            ),
            Case(
                "impact_rx",
                lambda: _impact_rx(with_effect=False),
                glitch_free,
                "subscribe on d",
            ),
            Case(
                "impact_rx effect",
                lambda: _impact_rx(with_effect=True),
                glitch_free,
                "effect reads d",
            ),
            Case("reaktiv", _reaktiv, glitch_free, "effect"),
            Case("observ", _observ, glitch_free, "sync watcher"),
            Case("psygnal", _psygnal),
        ),
    )
