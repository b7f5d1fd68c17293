"""A virtual-time scheduler whose clock counts whole frames (milliseconds).

Library code schedules in seconds (floats or ``timedelta``), as reactivex
does; the scheduler turns each due time into a whole frame, rounding half a
millisecond up, so ``timer(2.0)`` is due exactly 2,000 frames later and no
float error piles up however long a test runs. ``now`` is the Unix epoch plus
the frame count in milliseconds.

>>> import reactivex
>>> scheduler = MarbleScheduler()
>>> seen = []
>>> _ = reactivex.timer(2.0, scheduler=scheduler).subscribe(
...     lambda _: seen.append(scheduler.frame))
>>> scheduler.advance_by(1.999)
>>> seen
[]
>>> scheduler.advance_by(0.001)
>>> seen
[2000]
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeVar, final

from reactivex import Observable, abc, typing
from reactivex.scheduler.scheduleditem import ScheduledItem
from reactivex.testing import TestScheduler

__all__ = ["MarbleScheduler"]

_TState = TypeVar("_TState")
_T = TypeVar("_T")

_EPOCH = datetime.fromtimestamp(0, tz=UTC)
_FRAME = timedelta(milliseconds=1)

#: Actions run at one frame before flushing gives up on a zero-delay loop.
MAX_ACTIONS_PER_FRAME = 100_000

#: Times one flush lets cold observables subscribed while it runs push its
#: horizon further before it gives up on an endless ``repeat()``/``retry()``.
MAX_HORIZON_EXTENSIONS = 1_000


def _seconds_to_frames(seconds: float) -> int:
    exact = Decimal(repr(float(seconds))) * 1000
    return int(exact.to_integral_value(rounding=ROUND_HALF_UP))


def _timedelta_to_frames(span: timedelta) -> int:
    micro = (span.days * 86_400 + span.seconds) * 1_000_000 + span.microseconds
    return (micro + 500) // 1000


@final
class MarbleScheduler(TestScheduler):
    """A ``TestScheduler`` whose clock is an exact count of frames.

    One frame is one millisecond. Relative times (seconds as ``float``, or
    ``timedelta``) and absolute times (epoch seconds, or ``datetime``) are
    rounded to the nearest frame. Work due at the same frame runs in the
    order it was scheduled.

    Use :meth:`advance_by`, :meth:`advance_to` or :meth:`run` to move time;
    unlike reactivex's ``advance_to``, work due exactly at the target frame
    runs too, and :meth:`start` returns even when an ``interval`` is
    scheduled.
    """

    def __init__(self) -> None:
        super().__init__(0.0)
        self._frame = 0
        self._items: list[tuple[int, int, int, ScheduledItem]] = []
        self._order = itertools.count()
        self._queue_lock = threading.RLock()
        self._horizon = 0
        self._to_horizon = False
        self._extensions = 0
        self._endless: tuple[object, int] | None = None

    # -- time -------------------------------------------------------------

    @property
    def frame(self) -> int:
        """The current virtual time in frames (milliseconds since frame 0)."""
        return self._frame

    @property
    def now(self) -> datetime:
        """The current virtual time: the Unix epoch plus :attr:`frame` ms."""
        return _EPOCH + self._frame * _FRAME

    def _get_clock(self) -> float:
        return self._frame / 1000

    clock = property(fget=_get_clock, doc="The current virtual time in seconds.")

    def to_frames(self, duetime: typing.RelativeTime) -> int:
        """Frames in a relative time: seconds (``float``) or ``timedelta``.

        >>> scheduler = MarbleScheduler()
        >>> scheduler.to_frames(0.25), scheduler.to_frames(timedelta(seconds=2))
        (250, 2000)
        """
        if isinstance(duetime, timedelta):
            return _timedelta_to_frames(duetime)
        return _seconds_to_frames(duetime)

    def frame_of(self, duetime: typing.AbsoluteTime) -> int:
        """The frame of an absolute time: epoch seconds or a ``datetime``."""
        if isinstance(duetime, datetime):
            if duetime.tzinfo is None:
                duetime = duetime.replace(tzinfo=UTC)
            return _timedelta_to_frames(duetime - _EPOCH)
        return _seconds_to_frames(duetime)

    # -- scheduling -------------------------------------------------------

    def schedule(
        self, action: abc.ScheduledAction[_TState], state: _TState | None = None
    ) -> abc.DisposableBase:
        """Schedule ``action`` at the current frame, after work already due."""
        return self.schedule_at_frame(self._frame, action, state)

    def schedule_relative(
        self,
        duetime: typing.RelativeTime,
        action: abc.ScheduledAction[_TState],
        state: _TState | None = None,
    ) -> abc.DisposableBase:
        """Schedule ``action`` after ``duetime`` (seconds or ``timedelta``)."""
        frames = max(0, self.to_frames(duetime))
        return self.schedule_at_frame(self._frame + frames, action, state)

    def schedule_absolute(
        self,
        duetime: typing.AbsoluteTime,
        action: abc.ScheduledAction[_TState],
        state: _TState | None = None,
    ) -> abc.DisposableBase:
        """Schedule ``action`` at ``duetime`` (epoch seconds or ``datetime``)."""
        return self.schedule_at_frame(self.frame_of(duetime), action, state)

    def schedule_at_frame(
        self,
        frame: int,
        action: abc.ScheduledAction[_TState],
        state: _TState | None = None,
        *,
        first: bool = False,
    ) -> abc.DisposableBase:
        """Schedule ``action`` at an absolute frame (a past frame means now).

        Args:
            frame: The frame to run at.
            action: The action, called with this scheduler and ``state``.
            state: Passed to ``action``.
            first: Run before the work scheduled without ``first`` for that
                frame (an unsubscription marked ``!`` uses it).
        """
        frame = max(frame, self._frame)
        item = ScheduledItem(self, state, action, _EPOCH + frame * _FRAME)
        rank = 0 if first else 1
        with self._queue_lock:
            heapq.heappush(self._items, (frame, rank, next(self._order), item))
        return item.disposable

    def extend_horizon(
        self,
        frame: int,
        *,
        subscribed_at: int | None = None,
        source: object = None,
    ) -> None:
        """Make :meth:`run_to_horizon` run at least up to ``frame``.

        Args:
            frame: The last frame of a diagram in play, trailing ``-`` and
                time progressions included.
            subscribed_at: For a cold diagram, the frame of its subscription.
                While running to the horizon, a subscription after the
                horizon does not extend it; one at or before it does, so a
                cold observable subscribed on the last frame still plays.
                One flush lets cold subscriptions push it at most
                ``MAX_HORIZON_EXTENSIONS`` times, so an endless ``repeat()``
                or ``retry()`` of a cold observable, or an ``interval`` that
                subscribes to one per tick, ends the flush (with a
                ``RuntimeError`` from :meth:`run_to_horizon`).
            source: The cold observable, named when that limit is hit.
        """
        if subscribed_at is not None and self._to_horizon:
            if subscribed_at > self._horizon or self._endless is not None:
                return
            if frame > self._horizon:
                self._extensions += 1
                if self._extensions > MAX_HORIZON_EXTENSIONS:
                    self._endless = (source, subscribed_at)
                    return
        self._horizon = max(self._horizon, frame)

    @property
    def horizon(self) -> int:
        """The frame :meth:`flush` runs up to: the end of every diagram in play."""
        return self._horizon

    # -- running ----------------------------------------------------------

    def next_frame(self) -> int | None:
        """The frame of the earliest pending work, or ``None`` when idle."""
        with self._queue_lock:
            while self._items and self._items[0][3].is_cancelled():
                heapq.heappop(self._items)
            return self._items[0][0] if self._items else None

    def run(self, until: int) -> None:
        """Run due work up to and including frame ``until``, then stop there.

        Raises:
            RuntimeError: More than ``MAX_ACTIONS_PER_FRAME`` actions ran at
                one frame: something reschedules itself with no delay.
        """
        self._run(lambda: until)
        self._frame = max(self._frame, until)

    def run_to_horizon(self) -> None:
        """Run due work up to the :attr:`horizon`, following it as it grows.

        Work due now runs too. The horizon grows while running, when a cold
        marble observable is subscribed at or before it, until it stops
        growing; the clock ends on the final horizon (or stays where it was,
        when that is later).

        Raises:
            RuntimeError: More than ``MAX_ACTIONS_PER_FRAME`` actions ran at
                one frame: something reschedules itself with no delay; or
                cold observables subscribed while running pushed the horizon
                more than ``MAX_HORIZON_EXTENSIONS`` times (an endless
                ``repeat()``); the clock then stops where it got to.
        """
        # Work due now runs too: a cold subscribed by it is "at the horizon".
        self._horizon = max(self._horizon, self._frame)
        self._to_horizon = True
        self._extensions, self._endless = 0, None
        try:
            self._run(lambda: self._horizon)
        finally:
            self._to_horizon = False
        self._frame = max(self._frame, self._horizon)
        if self._endless is not None:
            source, at = self._endless
            self._endless = None
            named = "a cold observable" if source is None else repr(source)
            raise RuntimeError(
                f"Virtual time stopped at frame {self._frame}: cold observables"
                f" subscribed while flushing grew the end of the diagrams"
                f" {MAX_HORIZON_EXTENSIONS} times, the last {named} at frame"
                f" {at}. Something subscribes endlessly, or more than that"
                " many times past the diagrams (repeat(), retry(), an interval"
                " mapped to cold observables); end the expectation with '!'"
                " (to_be('-a-a!') or m.expect(obs, '^---!')), take() a"
                " finite part, or draw the diagrams as long as the work."
            )

    def _run(self, limit: Callable[[], int]) -> None:
        ran_here = 0
        while True:
            with self._queue_lock:
                due = self.next_frame()
                if due is None or due > limit():
                    return
                item = heapq.heappop(self._items)[3]

            if due > self._frame:
                self._frame, ran_here = due, 0
            ran_here += 1
            if ran_here > MAX_ACTIONS_PER_FRAME:
                raise RuntimeError(
                    f"{ran_here - 1} actions ran at frame {self._frame} without"
                    " time advancing. Something reschedules itself with no delay;"
                    " give it a period or stop it before flushing."
                )
            if not item.is_cancelled():
                item.invoke()

    def advance_to(self, time: typing.AbsoluteTime) -> None:
        """Run all work due up to and including ``time``, then stop there.

        Raises:
            ValueError: ``time`` is before the current frame.
        """
        self.advance_to_frame(self.frame_of(time))

    def advance_to_frame(self, frame: int) -> None:
        """Run all work due up to and including ``frame``, then stop there.

        Raises:
            ValueError: ``frame`` is before the current frame.
        """
        if frame < self._frame:
            raise ValueError(
                f"Cannot move the marble scheduler back from frame {self._frame}"
                f" to frame {frame}. Virtual time only moves forward."
            )
        self.run(frame)

    def advance_by(self, time: typing.RelativeTime) -> None:
        """Run all work due within ``time`` (seconds or ``timedelta``) from now."""
        self.advance_to_frame(self._frame + max(0, self.to_frames(time)))

    def sleep(self, time: typing.RelativeTime) -> None:
        """Move the clock forward by ``time`` without running anything due."""
        self._frame += max(0, self.to_frames(time))

    def start(  # type: ignore[override]
        self,
        create: Callable[[], Observable[_T]] | None = None,
        created: float | None = None,
        subscribed: float | None = None,
        disposed: float | None = None,
    ) -> None:
        """Run until no work is left, at most ten virtual minutes ahead.

        The reactivex ``create``/``created``/``subscribed``/``disposed``
        protocol is not supported: use ``marbles()`` or ``record()``.

        Raises:
            TypeError: A reactivex-style factory or time was passed.
        """
        if create is not None or (created, subscribed, disposed) != (None,) * 3:
            raise TypeError(
                "MarbleScheduler.start() takes no factory or times."
                " Subscribe with marbles().expect(...) or record(...) instead."
            )
        bound = self._frame + 600_000
        due = self.next_frame()
        while due is not None and due <= bound:
            self.run(due)
            due = self.next_frame()

    def stop(self) -> None:
        """Nothing to stop: runs end when their target frame is reached."""

    def __repr__(self) -> str:
        pending = len(self._items)
        return f"<MarbleScheduler frame={self._frame} pending={pending}>"
