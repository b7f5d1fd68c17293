"""A subscriber may wait for another thread, whatever that thread does.

While one thread delivers (it owns the delivery queue), another thread never
waits for it: its writes, batches, new effects, subscriptions and disposals
are queued and take effect in turn, and its ``observe`` blocks record on
their own. So a subscriber that hands work to a thread and waits for the
result cannot deadlock. Each test runs the other thread from inside a
subscriber and joins it; the join's timeout only turns a deadlock into a
failure instead of a hung suite.
"""

from __future__ import annotations

import itertools
import sys
import threading
from collections.abc import Callable
from typing import Any

import pytest
from thread_helpers import wait_for, while_delivering

from impact_rx import (
    CycleError,
    Disposable,
    DisposedError,
    Emitter,
    Signal,
    SubscriberError,
    batch,
    computed,
    effect,
    observe,
    untracked,
)
from impact_rx._graph import MAX_CHAIN


def test_a_subscriber_may_wait_for_a_thread_that_batches() -> None:
    a = Signal(0, name="a")
    b = Signal(0, name="b")
    total = computed(lambda: a.value + b.value)
    seen: list[tuple[str, int]] = []
    a.subscribe(lambda value: seen.append(("a", value)))
    b.subscribe(lambda value: seen.append(("b", value)))
    sums: list[int] = []
    runs = effect(lambda: sums.append(total.value))

    def work() -> tuple[int, int, int]:
        with batch():
            a.value = 1
            b.value = a.value + 1  # reads its own batch's write
            inside = (a.value, b.value, total.value)
        return inside

    def subscriber(value: int) -> None:
        if value:
            assert wait_for(work) == (1, 2, 3)
            # Queued behind this delivery, and taken in as one change when
            # this subscriber reads, as a plain write of that thread is.
            assert (a.value, b.value, total.value) == (1, 2, 3)

    trigger = Signal(0)
    trigger.subscribe(subscriber)
    trigger.value = 1

    assert (a.value, b.value, total.value) == (1, 2, 3)
    assert seen == [("a", 0), ("b", 0), ("a", 1), ("b", 2)]
    assert sums == [0, 3]  # one consistent run for the whole batch
    runs.dispose()


def test_a_batch_kept_aside_nests_and_delivers_each_signal_once() -> None:
    count = Signal(0, name="count")
    seen: list[int] = []
    count.subscribe(seen.append)

    def work() -> int:
        with batch():
            count.value = 1
            with batch():
                count.update(lambda value: value + 10)
            count.update(lambda value: value + 100)
            return count.peek()

    assert while_delivering(work) == 111
    assert seen == [0, 111]
    assert count.value == 111


def test_a_batch_kept_aside_delivers_events_in_order_at_its_end() -> None:
    saved = Emitter[str](name="saved")
    name = Signal("draft", name="name")
    log: list[str] = []
    saved.on(lambda event: log.append(f"event {event}"))
    name.subscribe(lambda value: log.append(f"name {value}"))

    def work() -> None:
        with batch():
            name.value = "final"
            saved.emit("one")
            saved.emit("two")
            log.append("batch ends")

    while_delivering(work)
    assert log == [
        "name draft",
        "batch ends",
        "name final",
        "event one",
        "event two",
    ]


def test_a_batch_kept_aside_that_writes_nothing_new_notifies_nobody() -> None:
    count = Signal(5, name="count")
    seen: list[int] = []
    count.subscribe(seen.append)

    def work() -> None:
        with batch():
            count.value = 6
            count.value = 5

    while_delivering(work)
    assert seen == [5]


def test_a_batch_kept_aside_keeps_its_writes_when_its_block_raises() -> None:
    count = Signal(0, name="count")

    def work() -> None:
        with batch():
            count.value = 1
            raise ValueError("boom")

    with pytest.raises(SubscriberError, match="ValueError") as caught:
        while_delivering(work)
    assert str(caught.value.exceptions[0]) == "boom"
    assert count.value == 1


def test_a_later_write_of_the_delivering_thread_wins_over_an_older_batch() -> None:
    count = Signal(0, name="count")
    seen: list[int] = []
    count.subscribe(seen.append)

    def work() -> None:
        with batch():
            count.value = 1

    def subscriber(value: str) -> None:
        if value == "go":
            wait_for(work)  # queued first...
            count.value = 2  # ...so this later write is the one that stays

    trigger = Signal("idle")
    trigger.subscribe(subscriber)
    trigger.value = "go"
    assert count.value == 2
    assert seen == [0, 1, 2]


def test_an_effect_created_while_another_thread_delivers_runs_in_turn() -> None:
    source = Signal(1, name="source")
    runs: list[int] = []

    created = while_delivering(lambda: effect(lambda: runs.append(source.value)))
    assert runs == [1]
    source.value = 2
    assert runs == [1, 2]
    created.dispose()
    source.value = 3
    assert runs == [1, 2]


def test_a_queued_first_run_that_raises_reports_to_the_delivering_call() -> None:
    def broken() -> None:
        raise ValueError("no")

    made: list[Any] = []
    with pytest.raises(SubscriberError, match="first run") as caught:
        while_delivering(lambda: made.append(effect(broken)))
    assert isinstance(caught.value.exceptions[0], ValueError)
    assert made[0].is_disposed


def test_an_effect_disposed_from_another_thread_never_runs_again() -> None:
    source = Signal(0, name="source")
    log: list[str] = []

    def body() -> Callable[[], None]:
        value = source.value
        log.append(f"run {value}")
        return lambda: log.append(f"cleanup {value}")

    running = effect(body)

    def subscriber(value: int) -> None:
        if value == 1:
            wait_for(running.dispose)
            assert running.is_disposed

    source.subscribe(subscriber)
    source.value = 1
    source.value = 2
    assert log == ["run 0", "cleanup 0"]


def test_a_computed_subscribed_from_another_thread_is_attached_in_turn() -> None:
    base = Signal(1, name="base")
    double = computed(lambda: base.value * 2, name="double")
    seen: list[int] = []

    subscription = while_delivering(lambda: double.subscribe(seen.append))
    assert seen == [2]
    base.value = 2
    assert seen == [2, 4]
    while_delivering(subscription.dispose)
    base.value = 3
    assert seen == [2, 4]
    assert double.statistics().subscribers == 0


def test_a_computed_disposed_from_another_thread_completes_in_turn() -> None:
    base = Signal(1, name="base")
    double = computed(lambda: base.value * 2, name="double")
    completed: list[str] = []
    double.subscribe(on_completed=lambda: completed.append("done"))

    while_delivering(double.dispose)
    assert completed == ["done"]
    assert double.is_disposed
    base.value = 5
    with pytest.raises(DisposedError, match=r"computed double was disposed"):
        _ = double.value  # its last value, 2, would be stale


def test_an_observe_block_entered_while_another_thread_delivers_records() -> None:
    title = Signal("draft", name="title")
    upper = computed(lambda: title.value.upper(), name="upper")
    renders: list[str] = []

    def render() -> Any:
        scope = observe(lambda: renders.append("re-render"))
        with scope:
            renders.append(f"{title.value} {upper.value}")
        return scope

    scope = while_delivering(render)
    assert renders == ["draft DRAFT"]
    assert set(scope.sources) == {title, upper}
    title.value = "final"
    assert renders == ["draft DRAFT", "re-render"]
    scope.dispose()


def test_an_observe_block_that_read_a_value_changed_before_it_was_linked() -> None:
    title = Signal("draft", name="title")
    renders: list[str] = []

    def render() -> Any:
        scope = observe(lambda: renders.append("re-render"))
        with scope:
            renders.append(title.value)
        return scope

    def subscriber(value: int) -> None:
        if value:
            scopes.append(wait_for(render))
            title.value = "final"  # lands before the scope is linked

    scopes: list[Any] = []
    trigger = Signal(0)
    trigger.subscribe(subscriber)
    trigger.value = 1
    assert renders == ["draft", "re-render"]
    scopes[0].dispose()


def test_a_subscriber_that_always_rewrites_its_signal_is_a_cycle() -> None:
    count = Signal(0, name="count")
    count.subscribe(lambda value: value and count.set(value + 1))
    with pytest.raises(SubscriberError, match="count") as caught:
        count.value = 1
    cause = caught.value.exceptions[0]
    assert isinstance(cause, CycleError)
    assert f"{MAX_CHAIN} deliveries in a row" in str(cause)
    assert count.value == MAX_CHAIN + 1


def test_two_subscribers_that_rewrite_each_others_signals_are_a_cycle() -> None:
    ping = Signal(0, name="ping")
    pong = Signal(0, name="pong")
    ping.subscribe(lambda value: value and pong.set(value + 1))
    pong.subscribe(lambda value: value and ping.set(value + 1))
    with pytest.raises(SubscriberError, match=r"ping|pong") as caught:
        ping.value = 1
    assert isinstance(caught.value.exceptions[0], CycleError)


def test_a_long_chain_of_forwarding_subscribers_is_not_a_cycle() -> None:
    signals = [Signal(0, name=f"s{index}") for index in range(3_000)]
    for current, following in itertools.pairwise(signals):
        current.subscribe(lambda value, nxt=following: nxt.set(value))
    signals[0].value = 7
    assert signals[-1].value == 7


# -- plain writes and updates queued by another thread --------------------------


def test_a_thread_reads_back_its_write_queued_behind_a_delivery() -> None:
    b = Signal(0, name="b")
    doubled = computed(lambda: b.value * 2)

    def work() -> tuple[int, int, int]:
        b.value = 5
        return b.value, b.peek(), doubled.value

    assert while_delivering(work) == (5, 5, 10)
    assert (b.value, doubled.value) == (5, 10)


def test_a_subscriber_that_waited_for_a_writer_sees_what_it_wrote() -> None:
    b = Signal(0, name="b")
    doubled = computed(lambda: b.value * 2)
    seen: list[int] = []
    b.subscribe(seen.append)
    inside: list[tuple[int, int]] = []

    def subscriber(value: int) -> None:
        if value:
            wait_for(lambda: b.set(5))
            inside.append((b.value, doubled.value))

    trigger = Signal(0)
    trigger.subscribe(subscriber)
    trigger.value = 1

    assert inside == [(5, 10)]
    assert seen == [0, 5]  # delivered once, in its turn


def test_a_write_taken_in_early_keeps_its_place_among_deliveries() -> None:
    b = Signal(0, name="b")
    seen: list[int] = []
    b.subscribe(seen.append)

    def subscriber(value: int) -> None:
        if value:
            b.value = 1  # the owner's write: delivered after this one
            wait_for(lambda: b.set(2))
            assert b.value == 2
            b.value = 3

    trigger = Signal(0)
    trigger.subscribe(subscriber)
    trigger.value = 1

    assert seen == [0, 1, 2, 3]
    assert b.value == 3


def test_a_tracked_run_never_takes_in_a_queued_write_midway() -> None:
    b = Signal(0, name="b")
    pairs: list[tuple[int, int]] = []

    def run() -> None:
        first = b.value
        if first == 1:
            wait_for(lambda: b.set(2))
        pairs.append((first, b.value))

    trigger = Signal(0)
    trigger.subscribe(lambda value: b.set(value))
    stop = effect(run)
    trigger.value = 1

    assert pairs == [(0, 0), (1, 1), (2, 2)]
    stop.dispose()


def test_updates_from_many_threads_are_never_lost() -> None:
    count = Signal(0, name="count")
    doubled = computed(lambda: count.value * 2)
    seen: list[int] = []
    runs = effect(lambda: seen.append(doubled.value))
    start = threading.Barrier(4)

    def worker() -> None:
        start.wait()
        for _ in range(2_000):
            count.update(lambda n: n + 1)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert count.value == 8_000
    assert seen[-1] == doubled.value == 16_000
    runs.dispose()


def test_a_queued_update_applies_again_when_another_write_came_first() -> None:
    count = Signal(10, name="count")
    calls: list[int] = []

    def plus_one(n: int) -> int:
        calls.append(n)
        return n + 1

    def subscriber(value: int) -> None:
        if value:
            assert wait_for(lambda: (count.update(plus_one), count.value)[1]) == 11
            count.value = 100  # lands before the queued update's turn

    trigger = Signal(0)
    trigger.subscribe(subscriber)
    trigger.value = 1

    assert count.value == 101
    assert calls == [10, 100]


def test_a_queued_update_that_fails_when_applied_again_is_reported() -> None:
    count = Signal(1, name="count")

    def inverse(n: int) -> int:
        return 100 // n

    def subscriber(value: int) -> None:
        if value:
            wait_for(lambda: count.update(inverse))
            count.value = 0  # the update's second application divides by 0

    trigger = Signal(0)
    trigger.subscribe(subscriber)
    with pytest.raises(SubscriberError, match=r"update .*inverse.* dropped") as caught:
        trigger.value = 1
    assert isinstance(caught.value.__cause__, ZeroDivisionError)
    assert count.value == 0


# -- reads from a thread that does not own the queue ------------------------------


def test_a_read_from_another_thread_while_one_delivers_is_never_torn() -> None:
    a = Signal(0, name="a")
    reading = threading.Event()
    written = threading.Event()
    main = threading.current_thread()

    def ones_fn() -> int:
        value = a.value
        if threading.current_thread() is not main:
            reading.set()  # the reader read a; now the owner writes it
            assert written.wait(5)
        return value

    ones = computed(ones_fn, name="ones")
    tens = computed(lambda: a.value * 10, name="tens")
    pair = computed(lambda: (ones.value, tens.value), name="pair")
    read: list[tuple[int, int]] = []

    def subscriber(value: int) -> None:
        if value:
            reader = threading.Thread(target=lambda: read.append(pair.value))
            reader.start()
            assert reading.wait(5)
            a.value = 1  # applied at once: the owner writes while it reads
            assert tens.value == 10  # a fresh cache the reader must not mix in
            written.set()
            reader.join(5)
            assert not reader.is_alive()

    trigger = Signal(0)
    trigger.subscribe(subscriber)
    trigger.value = 1

    assert read in ([(0, 0)], [(1, 10)])  # one value of a, never (0, 10)
    assert pair.value == (1, 10)


def test_a_read_keeps_its_threads_queued_write_when_the_owner_takes_it_in() -> None:
    a = Signal(0, name="a")
    reading = threading.Event()
    written = threading.Event()
    main = threading.current_thread()

    def ones_fn() -> int:
        value = a.value
        if threading.current_thread() is not main:
            reading.set()
            assert written.wait(5)
        return value

    ones = computed(ones_fn, name="ones")
    tens = computed(lambda: a.value * 10, name="tens")
    pair = computed(lambda: (ones.value, tens.value), name="pair")
    read: list[tuple[int, int]] = []

    def work() -> None:
        a.value = 5  # queued behind the delivery; this thread reads it back
        read.append(pair.value)

    def subscriber(value: int) -> None:
        if value:
            reader = threading.Thread(target=work)
            reader.start()
            assert reading.wait(5)
            assert a.value == 5  # takes the queued write in...
            a.value = 7  # ...and moves on while the reader reads
            written.set()
            reader.join(5)
            assert not reader.is_alive()

    trigger = Signal(0)
    trigger.subscribe(subscriber)
    trigger.value = 1

    assert read == [(5, 50)]  # what the reader wrote, never (5, 70)
    assert pair.value == (7, 70)


def test_a_thread_reads_back_its_batch_kept_aside_once_it_ends() -> None:
    count = Signal(0, name="count")
    doubled = computed(lambda: count.value * 2, name="doubled")
    seen: list[int] = []
    count.subscribe(seen.append)

    def work() -> tuple[int, int, int]:
        with batch():
            count.value = 1
        # Queued as one write from this thread: read back as a write is.
        return count.value, count.peek(), doubled.value

    assert while_delivering(work) == (1, 1, 2)
    assert seen == [0, 1]
    assert (count.value, doubled.value) == (1, 2)


def test_a_subscriber_that_waited_sees_a_batch_and_the_write_after_it_in_order() -> (
    None
):
    a = Signal(0, name="a")
    b = Signal(0, name="b")
    seen: list[tuple[str, int]] = []
    a.subscribe(lambda value: seen.append(("a", value)))
    b.subscribe(lambda value: seen.append(("b", value)))
    inside: list[tuple[int, int]] = []

    def work() -> None:
        with batch():
            a.value = 1
        b.value = 2

    def subscriber(value: int) -> None:
        if value:
            wait_for(work)
            inside.append((b.value, a.value))  # never the later write alone

    trigger = Signal(0)
    trigger.subscribe(subscriber)
    trigger.value = 1

    assert inside == [(2, 1)]
    assert seen == [("a", 0), ("b", 0), ("a", 1), ("b", 2)]


def test_an_update_in_a_batch_kept_aside_applies_again_if_a_write_came_first() -> None:
    count = Signal(10, name="count")
    seen: list[int] = []
    count.subscribe(seen.append)
    calls: list[int] = []

    def plus_one(n: int) -> int:
        calls.append(n)
        return n + 1

    def work() -> int:
        with batch():
            count.update(plus_one)
        return count.value

    def subscriber(value: int) -> None:
        if value:
            assert wait_for(work) == 11
            count.value = 100  # lands before the batch's turn

    trigger = Signal(0)
    trigger.subscribe(subscriber)
    trigger.value = 1

    assert count.value == 101  # the update is not lost
    assert calls == [10, 100]
    assert seen == [10, 100, 101]


def test_updates_in_batches_from_many_threads_are_never_lost() -> None:
    count = Signal(0, name="count")
    count.subscribe(lambda value: None)
    start = threading.Barrier(4)

    def worker(index: int) -> None:
        start.wait(5)
        for _ in range(1_000):
            if index % 2:
                with batch():
                    count.update(lambda n: n + 1)
                    count.update(lambda n: n + 1)
            else:
                count.update(lambda n: n + 2)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch often, so batches are kept aside
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        sys.setswitchinterval(interval)
    assert count.value == 8_000


def test_an_observe_block_kept_aside_reads_back_the_batch_it_ran() -> None:
    count = Signal(0, name="count")

    def render() -> tuple[int, int]:
        with observe(lambda: None) as scope:
            before = count.value
            with batch():
                count.value = 1
            after = count.value
        scope.dispose()
        return before, after

    assert while_delivering(render) == (0, 1)
    assert count.value == 1


def test_an_untracked_read_in_a_run_never_takes_in_a_queued_write_midway() -> None:
    b = Signal(0, name="b")
    runs: list[tuple[int, int, int]] = []

    def run() -> None:
        first = b.value
        if first == 1:
            wait_for(lambda: b.set(2))
        runs.append((first, untracked(lambda: b.value), b.peek()))

    trigger = Signal(0)
    trigger.subscribe(lambda value: b.set(value))
    stop = effect(run)
    trigger.value = 1

    # One consistent set of values per run, and a run for b == 2 after it.
    assert runs == [(0, 0, 0), (1, 1, 1), (2, 2, 2)]
    stop.dispose()


def test_an_update_in_a_batch_kept_aside_that_fails_again_is_reported() -> None:
    count = Signal(1, name="count")
    other = Signal(0, name="other")

    def work() -> None:
        with batch():
            count.update(lambda n: 100 // n)
            other.value = 5

    def subscriber(value: int) -> None:
        if value:
            wait_for(work)
            count.value = 0  # the update's second application divides by 0

    trigger = Signal(0)
    trigger.subscribe(subscriber)
    with pytest.raises(SubscriberError, match=r"update .* dropped") as caught:
        trigger.value = 1
    assert isinstance(caught.value.__cause__, ZeroDivisionError)
    assert (count.value, other.value) == (0, 5)  # the rest of the batch stands


# -- a batch kept aside, after it ended and before its turn ---------------------


def test_a_thread_reads_back_its_batch_once_it_ended_before_its_turn() -> None:
    b = Signal(0, name="b")
    c = Signal(0, name="c")
    total = computed(lambda: b.value + c.value)

    def work() -> tuple[int, int, int, int]:
        with batch():
            b.value = 10
            c.value = 1
        return b.value, b.peek(), c.value, total.value

    assert while_delivering(work) == (10, 10, 1, 11)
    assert (b.value, c.value, total.value) == (10, 1, 11)


def test_a_subscriber_that_waited_for_a_batch_sees_it_and_hears_it_once() -> None:
    b = Signal(0, name="b")
    c = Signal(0, name="c")
    total = computed(lambda: b.value + c.value)
    seen: list[int] = []
    total.subscribe(seen.append)
    heard: list[int] = []
    b.subscribe(heard.append)
    inside: list[tuple[int, int, int]] = []

    def batched() -> None:
        with batch():
            b.value = 10
            c.value = 1

    def subscriber(value: int) -> None:
        if value:
            wait_for(batched)
            inside.append((b.value, c.value, total.value))

    trigger = Signal(0)
    trigger.subscribe(subscriber)
    trigger.value = 1

    assert inside == [(10, 1, 11)]
    assert heard == [0, 10]  # one notification, in the batch's turn
    assert seen == [0, 11]  # never a mix of the batch's old and new values


def test_a_batch_taken_in_early_keeps_its_place_among_deliveries() -> None:
    b = Signal(0, name="b")
    seen: list[int] = []
    b.subscribe(seen.append)

    def batched() -> None:
        with batch():
            b.value = 2
            b.value = 3

    def subscriber(value: int) -> None:
        if value:
            b.value = 1  # the owner's write: delivered before the batch's
            wait_for(batched)
            assert b.value == 3
            b.value = 4

    trigger = Signal(0)
    trigger.subscribe(subscriber)
    trigger.value = 1

    assert seen == [0, 1, 3, 4]
    assert b.value == 4


def test_a_later_write_of_the_batching_thread_builds_on_its_batch() -> None:
    b = Signal(0, name="b")
    seen: list[int] = []
    b.subscribe(seen.append)

    def work() -> int:
        with batch():
            b.value = 5
        b.update(lambda n: n + 1)
        return b.value

    assert while_delivering(work) == 6
    assert b.value == 6
    assert seen == [0, 5, 6]


def test_an_observe_block_kept_aside_suspended_on_an_untracked_suspense_wakes() -> None:
    from reactivex.subject import Subject

    from impact_rx import SuspendedError, Suspense, untracked

    work: Subject[str] = Subject()
    user = Suspense.from_(work)
    renders: list[str] = []
    scope = observe(lambda: renders.append("re-render"))

    def render() -> str:
        try:
            with scope:
                untracked(user.use)
        except SuspendedError:
            return "suspended"
        return "read"

    assert while_delivering(render) == "suspended"
    work.on_next("ada")

    assert renders == ["re-render"]
    scope.dispose()


def test_an_observe_block_kept_aside_whose_suspense_settled_meanwhile_is_called() -> (
    None
):
    from reactivex.subject import Subject

    from impact_rx import SuspendedError, Suspense, untracked

    work: Subject[str] = Subject()
    user = Suspense.from_(work)
    renders: list[str] = []
    scope = observe(lambda: renders.append("re-render"))

    def render() -> None:
        with pytest.raises(SuspendedError, match=r"is still pending"), scope:
            try:
                untracked(user.use)
            finally:
                work.on_next("ada")  # settles before the block ends

    while_delivering(render)

    assert renders == ["re-render"]
    scope.dispose()


# -- what a constructor's effect makes when its first run waits its turn -------


def test_an_effect_a_constructor_makes_while_another_thread_delivers_owns_its_run() -> (
    None
):
    # Its first run waited for the delivery and ran on the delivering thread,
    # outside the constructor: what it made was owned by nobody, and outlived
    # the service (made with no delivery running, the service owns it).
    made: list[Signal[int]] = []

    class Service(Disposable):
        def __init__(self) -> None:
            self.watch = effect(lambda: made.append(Signal(1, name="made")))

    service = while_delivering(Service)
    assert len(made) == 1
    service.dispose()

    assert made[0].is_stopped


def test_an_effect_a_constructor_makes_in_a_batch_kept_aside_owns_its_run() -> None:
    made: list[Signal[int]] = []

    class Service(Disposable):
        def __init__(self) -> None:
            with batch():
                self.watch = effect(lambda: made.append(Signal(1, name="made")))

    service = while_delivering(Service)
    assert len(made) == 1
    service.dispose()

    assert made[0].is_stopped


@pytest.mark.parametrize("kind", ["signal", "computed"])
def test_a_constructors_subscriber_attached_in_turn_owns_its_first_making(
    kind: str,
) -> None:
    # Attached in turn on the delivering thread: what the subscriber made on
    # its first value was owned by nobody (made at once, the service's).
    made: list[Signal[int]] = []
    source = Signal(1, name="source")
    observed = source if kind == "signal" else computed(lambda: source.value + 1)

    class Service(Disposable):
        def __init__(self) -> None:
            self.on_dispose(
                observed.subscribe(lambda v: made.append(Signal(v, name="made")))
            )

    service = while_delivering(Service)
    assert len(made) == 1
    service.dispose()

    assert made[0].is_stopped


def test_a_subscriber_attached_in_turn_after_its_constructor_was_disposed() -> None:
    # Its first value comes after the service was disposed: what it makes
    # then is nobody's (a disposed owner would end it as it is made).
    made: list[Signal[int]] = []
    source = Signal(1, name="source")

    class Service(Disposable):
        def __init__(self) -> None:
            self.kept = source.subscribe(lambda v: made.append(Signal(v)))

    def build_and_dispose() -> Service:
        service = Service()
        service.dispose()
        return service

    service = while_delivering(build_and_dispose)

    assert [s.is_stopped for s in made] == [False]
    service.kept.dispose()
