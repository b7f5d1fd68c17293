"""Whole services on virtual time: m.provider(...) and suspense shorthand."""

from __future__ import annotations

import reactivex
from reactivex import Observable
from reactivex import operators as ops
from reactivex.abc import SchedulerBase
from reactivex.scheduler import TimeoutScheduler

from impact_rx import Disposable, Fulfilled, Pending, Rejected, Suspense, service
from impact_rx.testing import (
    MarbleScheduler,
    fulfilled,
    marbles,
    pending,
    rejected,
    suspense_values,
)


@service
class Heartbeat(Disposable):
    """Beats every second on whatever scheduler its provider gives it."""

    def __init__(self, scheduler: SchedulerBase) -> None:
        super().__init__()
        self.beats: Observable[int] = reactivex.interval(1.0, scheduler=scheduler)


@service
class Greeter(Disposable):
    """Answers after a two-second lookup, as a suspense."""

    def __init__(self, scheduler: SchedulerBase) -> None:
        super().__init__()
        self._scheduler = scheduler

    def greet(self, name: str) -> Suspense[str]:
        lookup = reactivex.timer(2.0, scheduler=self._scheduler)
        return Suspense.from_(lookup.pipe(ops.map(lambda _: f"hello {name}")))


def test_a_provider_gives_its_services_the_virtual_time_scheduler() -> None:
    with marbles() as m:
        provider = m.provider([Heartbeat], name="test")
        assert provider.scheduler is m.scheduler
        beats = provider.get(Heartbeat).beats.pipe(ops.take(3))
        m.expect(beats).to_be(
            "1s a 999ms b 999ms (c|)", values={"a": 0, "b": 1, "c": 2}
        )


def test_providers_made_by_marbles_are_disposed_after_the_checks() -> None:
    with marbles() as m:
        provider = m.provider([Heartbeat])
        heartbeat = provider.get(Heartbeat)
        m.expect(heartbeat.beats.pipe(ops.take(1))).to_be("1s (a|)", values={"a": 0})
    assert provider.is_disposed
    assert heartbeat.is_disposed


def test_a_suspense_from_a_service_settles_on_virtual_time() -> None:
    with marbles() as m:
        greeter = m.provider([Greeter]).get(Greeter)
        m.expect(greeter.greet("ada")).to_be(
            "p 1999ms (f|)", values=suspense_values(value="hello ada")
        )


def test_suspense_states_have_shorthand() -> None:
    error = KeyError("k")
    assert pending() == Pending()
    assert fulfilled(1) == Fulfilled(1)
    assert rejected(error) == Rejected(KeyError("k"))
    assert suspense_values(value=1, error=error, x="extra") == {
        "p": Pending(),
        "f": Fulfilled(1),
        "r": Rejected(KeyError("k")),
        "x": "extra",
    }
    assert "r" not in suspense_values(value=1)


def test_a_rejection_marble_matches_by_type_and_args() -> None:
    with marbles() as m:
        failing = Suspense.from_(m.cold("--#", error=KeyError("gone")))
        m.expect(failing).to_be(
            "p-(r|)", values=suspense_values(error=KeyError("gone"))
        )


@service
class OffhandGreeter(Disposable):
    """Forgets to pass its scheduler on: its timer takes reactivex's default."""

    def greet(self, name: str) -> Suspense[str]:
        lookup = reactivex.timer(2.0)
        return Suspense.from_(lookup.pipe(ops.map(lambda _: f"hello {name}")))


def test_a_timer_given_no_scheduler_runs_on_virtual_time_inside_the_block() -> None:
    with marbles() as m:
        greeter = m.provider([OffhandGreeter]).get(OffhandGreeter)
        m.expect(greeter.greet("ada")).to_be(
            "p 1999ms (f|)", values=suspense_values(value="hello ada")
        )
        assert TimeoutScheduler.singleton() is m.scheduler

    assert isinstance(TimeoutScheduler.singleton(), TimeoutScheduler)
    assert not isinstance(TimeoutScheduler.singleton(), MarbleScheduler)


def test_blocks_nest_and_each_restores_the_default_timers_it_found() -> None:
    with marbles() as outer:
        with marbles() as inner:
            assert TimeoutScheduler.singleton() is inner.scheduler
        assert TimeoutScheduler.singleton() is outer.scheduler
    assert type(TimeoutScheduler.singleton()) is TimeoutScheduler
