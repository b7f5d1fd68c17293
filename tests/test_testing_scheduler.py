"""MarbleScheduler: an exact frame clock that library code drives in seconds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import reactivex
from reactivex import operators as ops
from reactivex.testing import TestScheduler

from impact_rx.testing import MarbleScheduler


def test_it_is_a_reactivex_test_scheduler() -> None:
    assert isinstance(MarbleScheduler(), TestScheduler)


def test_now_clock_and_frame_agree() -> None:
    scheduler = MarbleScheduler()
    scheduler.advance_by(1.234)
    assert scheduler.frame == 1234
    assert scheduler.clock == 1.234
    assert scheduler.now == datetime(1970, 1, 1, 0, 0, 1, 234_000, tzinfo=UTC)
    assert scheduler.to_datetime(scheduler.clock) == scheduler.now


def test_a_timer_in_seconds_fires_a_thousand_frames_per_second() -> None:
    scheduler = MarbleScheduler()
    fired: list[int] = []
    reactivex.timer(2.0, scheduler=scheduler).subscribe(
        lambda _: fired.append(scheduler.frame)
    )
    reactivex.timer(timedelta(milliseconds=30), scheduler=scheduler).subscribe(
        lambda _: fired.append(scheduler.frame)
    )
    scheduler.start()
    assert fired == [30, 2000]


def test_absolute_times_are_epoch_seconds_or_datetimes() -> None:
    scheduler = MarbleScheduler()
    fired: list[int] = []

    def note(*_: Any) -> None:
        fired.append(scheduler.frame)

    scheduler.schedule_absolute(0.5, note)
    scheduler.schedule_absolute(scheduler.now + timedelta(seconds=1), note)
    scheduler.schedule_absolute(datetime(1970, 1, 1, 0, 0, 2), note)
    scheduler.start()
    assert fired == [500, 1000, 2000]


def test_a_long_interval_keeps_exact_frames() -> None:
    scheduler = MarbleScheduler()
    frames: list[int] = []
    reactivex.interval(0.1, scheduler=scheduler).pipe(ops.take(1000)).subscribe(
        lambda _: frames.append(scheduler.frame)
    )
    scheduler.start()
    assert frames == [100 * (i + 1) for i in range(1000)]


def test_a_timer_with_a_period_keeps_exact_frames() -> None:
    scheduler = MarbleScheduler()
    frames: list[int] = []
    reactivex.timer(0.3, 0.7, scheduler=scheduler).pipe(ops.take(4)).subscribe(
        lambda _: frames.append(scheduler.frame)
    )
    scheduler.start()
    assert frames == [300, 1000, 1700, 2400]


def test_times_round_to_the_nearest_frame_half_up() -> None:
    scheduler = MarbleScheduler()
    assert scheduler.to_frames(0.0015) == 2
    assert scheduler.to_frames(0.0014) == 1
    assert scheduler.to_frames(0.0004) == 0
    assert scheduler.to_frames(timedelta(microseconds=1500)) == 2
    assert scheduler.to_frames(timedelta(microseconds=1499)) == 1


def test_a_negative_delay_runs_now() -> None:
    scheduler = MarbleScheduler()
    scheduler.advance_by(1.0)
    fired: list[int] = []
    scheduler.schedule_relative(-5.0, lambda *_: fired.append(scheduler.frame))
    scheduler.schedule_absolute(0.0, lambda *_: fired.append(scheduler.frame))
    scheduler.advance_by(0)
    assert fired == [1000, 1000]


def test_advance_to_runs_work_due_exactly_then() -> None:
    scheduler = MarbleScheduler()
    fired: list[int] = []
    scheduler.schedule_relative(0.01, lambda *_: fired.append(scheduler.frame))
    scheduler.advance_to(0.01)
    assert fired == [10]
    assert scheduler.frame == 10


def test_work_due_now_runs_when_advancing_by_nothing() -> None:
    scheduler = MarbleScheduler()
    fired: list[str] = []
    scheduler.schedule(lambda *_: fired.append("now"))
    scheduler.advance_by(0)
    assert fired == ["now"]


def test_time_never_moves_back() -> None:
    scheduler = MarbleScheduler()
    scheduler.advance_by(1.0)
    with pytest.raises(ValueError, match="back from frame 1000 to frame 500"):
        scheduler.advance_to(0.5)


def test_work_at_one_frame_runs_in_scheduling_order_and_first_goes_first() -> None:
    scheduler = MarbleScheduler()
    order: list[str] = []
    scheduler.schedule_at_frame(3, lambda *_: order.append("one"))
    scheduler.schedule_at_frame(3, lambda *_: order.append("two"))
    scheduler.schedule_at_frame(3, lambda *_: order.append("first"), first=True)
    scheduler.schedule_at_frame(2, lambda *_: order.append("earlier"))
    scheduler.advance_to_frame(3)
    assert order == ["earlier", "first", "one", "two"]


def test_cancelled_work_does_not_run() -> None:
    scheduler = MarbleScheduler()
    fired: list[str] = []
    scheduler.schedule_relative(0.001, lambda *_: fired.append("x")).dispose()
    scheduler.start()
    assert fired == []
    assert scheduler.next_frame() is None


def test_start_returns_while_an_interval_runs_and_stops_ten_minutes_ahead() -> None:
    scheduler = MarbleScheduler()
    reactivex.interval(60.0, scheduler=scheduler).subscribe()
    scheduler.start()
    assert scheduler.frame == 600_000


def test_start_refuses_the_reactivex_factory_protocol() -> None:
    with pytest.raises(TypeError, match=r"takes no factory or times"):
        MarbleScheduler().start(reactivex.empty)


def test_sleep_moves_the_clock_without_running_work() -> None:
    scheduler = MarbleScheduler()
    fired: list[int] = []
    scheduler.schedule_relative(0.001, lambda *_: fired.append(scheduler.frame))
    scheduler.sleep(0.005)
    assert scheduler.frame == 5
    assert fired == []
    scheduler.advance_by(0)
    assert fired == [5]


def test_a_zero_delay_loop_is_stopped_with_an_explanation() -> None:
    scheduler = MarbleScheduler()

    def again(s: Any, state: Any = None) -> None:
        scheduler.schedule(again)

    scheduler.schedule(again)
    with pytest.raises(RuntimeError, match=r"reschedules itself with no delay"):
        scheduler.advance_by(0)


def test_the_repr_shows_the_frame_and_pending_work() -> None:
    scheduler = MarbleScheduler()
    scheduler.schedule_relative(1.0, lambda *_: None)
    assert repr(scheduler) == "<MarbleScheduler frame=0 pending=1>"


def test_running_to_the_horizon_follows_it_and_runs_work_due_now() -> None:
    scheduler = MarbleScheduler()
    fired: list[int] = []
    scheduler.advance_by(0.05)
    scheduler.schedule(lambda *_: fired.append(scheduler.frame))
    scheduler.run_to_horizon()
    assert fired == [50]

    def grow(*_: Any) -> None:
        fired.append(scheduler.frame)
        scheduler.extend_horizon(80)

    scheduler.extend_horizon(60)
    scheduler.schedule_at_frame(60, grow)
    scheduler.schedule_at_frame(80, lambda *_: fired.append(scheduler.frame))
    scheduler.schedule_at_frame(81, lambda *_: fired.append(scheduler.frame))
    scheduler.run_to_horizon()
    assert fired == [50, 60, 80]
    assert scheduler.frame == 80
