"""Emitter: typed events, hot, no replay, isolated listeners."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from reactivex import operators as ops
from thread_helpers import while_delivering

from impact_rx import Disposable, Emitter, Signal, SubscriberError, batch
from impact_rx._disposable import owning


def test_listeners_hear_only_events_emitted_after_they_joined() -> None:
    events = Emitter[str]()
    events.emit("before")
    heard: list[str] = []

    events.on(heard.append)
    events.emit("after")

    assert heard == ["after"]


def test_a_removed_listener_hears_nothing_more() -> None:
    events = Emitter[int]()
    heard: list[int] = []
    remove = events.on(heard.append)

    events.emit(1)
    remove()
    remove()
    events.emit(2)

    assert heard == [1]


def test_a_raising_listener_does_not_stop_the_others() -> None:
    events = Emitter[int](name="events")
    heard: list[int] = []
    boom = ValueError("listener failed")

    def raising(value: int) -> None:
        raise boom

    events.on(raising)
    events.on(heard.append)

    with pytest.raises(SubscriberError, match="<Emitter events") as info:
        events.emit(1)

    assert heard == [1]
    assert info.value.signal is events
    assert info.value.exceptions == (boom,)


def test_an_emitter_is_an_observable() -> None:
    events = Emitter[int]()
    seen: list[int] = []

    even: Callable[[int], bool] = lambda v: v % 2 == 0  # noqa: E731
    events.pipe(ops.filter(even)).subscribe(seen.append)
    for n in range(5):
        events.emit(n)

    assert seen == [0, 2, 4]


def test_an_event_emitted_by_a_listener_is_delivered_after_the_current_one() -> None:
    events = Emitter[int]()
    first: list[int] = []
    second: list[int] = []

    def echo(value: int) -> None:
        first.append(value)
        if value == 1:
            events.emit(2)

    events.on(echo)
    events.on(second.append)
    events.emit(1)

    assert first == second == [1, 2]


def test_events_in_a_batch_are_delivered_in_order_with_its_writes() -> None:
    state = Signal("idle")
    events = Emitter[str]()
    log: list[str] = []
    state.subscribe(lambda v: log.append(f"state {v}"))
    events.on(lambda e: log.append(f"event {e}"))

    with batch():
        state.value = "busy"
        events.emit("started")
        assert log == ["state idle"]

    assert log == ["state idle", "state busy", "event started"]


def test_dispose_completes_listeners_and_ignores_later_events() -> None:
    events = Emitter[int]()
    heard: list[int] = []
    done: list[bool] = []
    events.subscribe(heard.append, on_completed=lambda: done.append(True))

    events.dispose()
    events.dispose()
    events.emit(1)

    assert heard == []
    assert done == [True]
    assert events.is_disposed


def test_an_emitter_made_in_a_constructor_is_disposed_with_its_owner() -> None:
    owner = Disposable()
    with owning(owner):
        events = Emitter[int]()

    owner.dispose()

    assert events.is_disposed


def test_the_repr_names_the_emitter_and_counts_listeners() -> None:
    events = Emitter[int](name="clicks")
    events.on(lambda v: None)

    assert repr(events) == "<Emitter clicks (1 listener)>"


def test_on_refuses_a_listener_that_is_not_a_function() -> None:
    events = Emitter[int](name="clicks")

    with pytest.raises(
        TypeError, match=r"Emitter clicks\.on\(\) takes a listener function, got int"
    ):
        events.on(3)  # type: ignore[arg-type]
    assert repr(events) == "<Emitter clicks (0 listeners)>"


def test_an_emitter_refuses_a_name_that_is_not_a_string() -> None:
    with pytest.raises(TypeError, match=r"Emitter\(\) takes name= as a str, got int"):
        Emitter[int](name=5)  # type: ignore[arg-type]


def test_an_unnamed_emitter_is_labelled_by_kind_and_id_as_a_signal_is() -> None:
    events = Emitter[int]()

    assert re.fullmatch(r"<Emitter@[0-9a-f]+ \(0 listeners\)>", repr(events))
    with pytest.raises(TypeError, match=r"^Emitter@[0-9a-f]+\.on\(\) takes a listener"):
        events.on(3)  # type: ignore[arg-type]


def test_on_accepts_an_rx_observer_as_its_listener() -> None:
    from reactivex import Observer

    events = Emitter[int]()
    heard: list[int] = []
    remove = events.on(Observer(heard.append))  # type: ignore[arg-type]

    events.emit(1)
    remove()
    events.emit(2)

    assert heard == [1]


def test_on_refuses_an_async_listener_that_would_never_run() -> None:
    async def handle(event: int) -> None:
        return None

    with pytest.raises(TypeError, match=r"on\(\) calls .*handle is async"):
        Emitter[int](name="clicks").on(handle)  # type: ignore[arg-type]


def test_a_listener_joining_in_a_delivery_hears_no_event_emitted_before() -> None:
    # Emitted by a subscriber, "before" waits in the queue behind the
    # delivery running: a listener that joins after it must not hear it.
    trigger = Signal(0, name="trigger")
    events = Emitter[str](name="events")
    events.on(lambda _: None)
    heard: list[str] = []

    def subscriber(value: int) -> None:
        if value:
            events.emit("before")
            events.on(heard.append)
            events.emit("after")

    trigger.subscribe(subscriber)
    trigger.value = 1
    assert heard == ["after"]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("alone", [False, True])
def test_a_listener_joining_while_another_thread_delivers_hears_no_earlier_event(
    alone: bool,
) -> None:
    # Alone, it is still joining when "after" is emitted: that event must
    # not be dropped as one nobody listens to.
    events = Emitter[str](name="events")
    if not alone:
        events.on(lambda _: None)
    heard: list[str] = []

    def work() -> None:
        events.emit("before")
        events.on(heard.append)
        events.emit("after")

    while_delivering(work)
    assert heard == ["after"]


@pytest.mark.timeout(60)
def test_a_listener_removed_before_its_turn_to_join_hears_nothing() -> None:
    events = Emitter[str](name="events")
    heard: list[str] = []

    def work() -> None:
        remove = events.on(heard.append)
        events.emit("unheard")
        remove()

    while_delivering(work)
    events.emit("later")
    assert heard == []
    assert events._observers == ()
