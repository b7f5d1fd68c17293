"""(i) a Suspense from an Observable through to fulfilled.

A step makes a fresh hot ``Subject``, wraps it, subscribes, and emits one
value: impact_rx's subscriber sees ``Pending`` then ``Fulfilled(value)``; the
raw Rx baseline is ``first()`` on the same subject, which delivers the value
and completes.
"""

from __future__ import annotations

from itertools import count
from typing import Any

from reactivex import operators as ops
from reactivex.subject import Subject

from .._harness import Case, Expected, Fixture, NotAvailable, Scenario, Tally
from ._common import Box, impact, sink

__all__ = ["scenario"]


def _reactivex() -> Fixture:
    tally, head = Tally(), Box()
    receive, box = sink(tally)
    values = count(1)
    first = ops.first()

    def step() -> None:
        subject: Subject[int] = Subject()
        subject.pipe(first).subscribe(receive)
        head.value = value = next(values)
        subject.on_next(value)

    def check() -> str | None:
        if box.value != head.value:
            return f"first() delivered {box.value!r}, expected {head.value!r}"
        return None

    return Fixture(step, tally, check)


def _impact_rx() -> Fixture:
    suspense_cls, fulfilled = impact("Suspense", "Fulfilled")
    tally, head, last = Tally(), Box(), Box()
    receive, box = sink(tally)
    values = count(1)
    from_ = suspense_cls.from_

    def step() -> None:
        subject: Subject[int] = Subject()
        suspense = from_(subject)
        suspense.subscribe(receive)
        head.value = value = next(values)
        subject.on_next(value)
        last.value = suspense

    def check() -> str | None:
        want: Any = fulfilled(head.value)
        if box.value != want or last.value.status != "fulfilled":
            return f"the subscriber saw {box.value!r}, expected {want!r}"
        return None

    return Fixture(step, tally, check)


def _not_async(reason: str) -> Any:
    def build() -> Fixture:
        raise NotAvailable(reason)

    return build


def scenario() -> Scenario:
    """(i): Suspense from an Observable, to fulfilled."""
    return Scenario(
        key="i",
        name="suspense",
        title="Suspense from Observable",
        baseline="reactivex",
        cases=(
            Case("reactivex", _reactivex, Expected(delivered=1), "first()"),
            # Pending on subscribe, then Fulfilled(value).
            Case("impact_rx", _impact_rx, Expected(delivered=2), "Suspense.from_"),
            Case("reaktiv", _not_async("reaktiv.Resource loads via asyncio only")),
            Case("observ", _not_async("no async state")),
            Case("psygnal", _not_async("no async state")),
        ),
    )
