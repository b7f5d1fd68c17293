"""``record()``: run an observable on virtual time and keep what it did."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from reactivex import Observable

from .._errors import MarbleSyntaxError
from ._arguments import check_observable
from ._parse import progression_frames
from ._records import Kind, Record
from ._scheduler import MarbleScheduler

__all__ = ["record"]

#: How far ``record`` runs virtual time when not told: one minute.
DEFAULT_SPAN = 60_000


def record(
    observable: Observable[Any],
    *,
    scheduler: MarbleScheduler | None = None,
    until: int | str | timedelta | None = None,
) -> list[Record]:
    """Subscribe to ``observable`` on virtual time and return what it did.

    Runs until the observable completes or fails, no work is left, or
    ``until`` has passed, whichever is first. Frames count from the
    subscription; write the result as a diagram with :func:`to_marbles`.

    Args:
        observable: What to record.
        scheduler: The scheduler it runs on (e.g. ``m.scheduler``); by
            default a fresh one at frame 0.
        until: The longest span to run: frames, a time progression such as
            ``"10s"``, or a ``timedelta`` (default one minute).

    Returns:
        The records, in arrival order.

    Raises:
        TypeError: ``observable`` cannot be subscribed to.
        MarbleSyntaxError: ``until`` is a string but no time progression.

    >>> import reactivex
    >>> from reactivex import operators as ops
    >>> from impact_rx.testing import to_marbles
    >>> ticks = reactivex.interval(0.005).pipe(ops.take(3))
    >>> to_marbles(record(ticks), values={"x": 0, "y": 1, "z": 2})
    '-----x----y----(z|)'
    """
    check_observable(observable, "record()")
    clock = scheduler if scheduler is not None else MarbleScheduler()
    span = _span(until, clock)
    start = clock.frame
    records: list[Record] = []
    ended = False

    def add(kind: Kind, value: Any) -> None:
        nonlocal ended
        records.append(Record(clock.frame - start, kind, value))
        ended = ended or kind != "next"

    subscription = observable.subscribe(
        on_next=lambda v: add("next", v),
        on_error=lambda e: add("error", e),
        on_completed=lambda: add("complete", None),
        scheduler=clock,
    )
    try:
        due = clock.next_frame()
        while not ended and due is not None and due <= start + span:
            clock.run(due)
            due = clock.next_frame()
    finally:
        subscription.dispose()
    return records


def _span(until: int | str | timedelta | None, clock: MarbleScheduler) -> int:
    if until is None:
        return DEFAULT_SPAN
    if isinstance(until, timedelta):
        return clock.to_frames(until)
    if isinstance(until, str):
        frames = progression_frames(until.strip())
        if frames is None:
            raise MarbleSyntaxError(
                f"{until!r} is not a time progression."
                " Write a whole number of frames such as '10ms', '1.5s', '2m'"
                " or '5f'.",
                until,
                0,
            )
        return frames
    return until
