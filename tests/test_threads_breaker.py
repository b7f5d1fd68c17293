"""Edge cases of threads that never wait for a delivering one (review of #3).

Each test drives another thread from inside a subscriber (or while another
thread owns the delivery queue) and joins it with a timeout, which only
turns a deadlock into a failure. Events hand control between threads; no
test sleeps.
"""

from __future__ import annotations

import contextlib
import random
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from reactivex.subject import Subject
from thread_helpers import wait_for, while_delivering

from impact_rx import (
    CycleError,
    Emitter,
    Signal,
    SubscriberError,
    SuspendedError,
    Suspense,
    batch,
    computed,
    effect,
    observe,
    untracked,
)


@pytest.mark.timeout(60)
def test_a_write_queued_after_a_batch_kept_aside_wins_over_it() -> None:
    count = Signal(0, name="count")
    seen: list[int] = []
    count.subscribe(seen.append)

    def batched() -> None:
        with batch():
            count.value = 1

    def written() -> None:
        count.value = 2

    def subscriber(value: int) -> None:
        if value:
            wait_for(batched)  # queued first...
            wait_for(written)  # ...so this later write is the one that stays

    trigger = Signal(0)
    trigger.subscribe(subscriber)
    trigger.value = 1
    assert count.value == 2
    assert seen == [0, 1, 2]


@pytest.mark.timeout(60)
def test_an_event_of_a_batch_kept_aside_comes_before_a_later_event() -> None:
    events = Emitter[str](name="events")
    heard: list[str] = []
    events.on(heard.append)

    def batched() -> None:
        with batch():
            events.emit("first")

    def subscriber(value: int) -> None:
        if value:
            wait_for(batched)
            wait_for(lambda: events.emit("second"))

    trigger = Signal(0)
    trigger.subscribe(subscriber)
    trigger.value = 1
    assert heard == ["first", "second"]


def _owner_inside_a_batch_kept_aside(inside: Callable[[], None]) -> None:
    """Run ``inside`` on a thread whose batch was kept aside, once the
    delivery that made it so has ended (so the thread may own the queue)."""
    entered = threading.Event()
    ended = threading.Event()
    failures: list[BaseException] = []

    def work() -> None:
        try:
            with batch():
                entered.set()
                assert ended.wait(30)
                inside()
        except BaseException as exc:  # handed back to the test
            failures.append(exc)

    thread = threading.Thread(target=work)

    def subscriber(value: int) -> None:
        if value:
            thread.start()
            assert entered.wait(30)

    trigger = Signal(0)
    trigger.subscribe(subscriber)
    trigger.value = 1
    ended.set()
    thread.join(timeout=30)
    assert not thread.is_alive()
    if failures:
        raise failures[0]


def owning_the_queue(work: Callable[[], None]) -> None:
    """Run ``work`` in an ``observe`` block, which owns the idle queue."""
    scope = observe(lambda: None)
    try:
        with scope:
            work()
    finally:
        scope.dispose()


@pytest.mark.timeout(60)
def test_another_threads_batch_run_by_a_thread_in_a_batch_kept_aside_keeps_events() -> (
    None
):
    events = Emitter[str](name="events")
    heard: list[str] = []
    events.on(heard.append)

    def other() -> None:
        with batch():  # kept aside: the first thread owns the queue
            events.emit("saved")

    # Owning the queue, the thread then delivers what the other queued.
    _owner_inside_a_batch_kept_aside(lambda: owning_the_queue(lambda: wait_for(other)))
    assert heard == ["saved"]


@pytest.mark.timeout(60)
def test_a_batch_of_a_thread_owning_the_queue_in_its_batch_kept_aside_batches() -> None:
    count = Signal(0, name="count")
    seen: list[int] = []
    count.subscribe(seen.append)

    def body() -> None:
        with batch():
            count.value = 1
            count.value = 2

    _owner_inside_a_batch_kept_aside(lambda: owning_the_queue(body))
    assert seen == [0, 2]


@pytest.mark.timeout(60)
def test_an_untracked_read_in_an_observe_block_kept_aside_is_not_a_dependency() -> None:
    title = Signal("draft", name="title")
    other = Signal(0, name="other")
    upper = computed(lambda: title.value.upper(), name="upper")
    renders: list[str] = []

    def render() -> Any:
        scope = observe(lambda: renders.append("re-render"))
        with scope:
            renders.append(title.value)
            untracked(lambda: other.value)
            upper.peek()
        return scope

    scope = while_delivering(render)
    assert scope.sources == (title,)
    other.value = 1
    assert renders == ["draft"]
    scope.dispose()


@pytest.mark.timeout(60)
def test_a_raising_subscriber_does_not_drop_the_rest_of_a_batch_kept_aside() -> None:
    first = Signal(0, name="first")
    second = Signal(0, name="second")

    def refuse(value: int) -> None:
        if value == 1:
            raise ValueError("no 1")

    first.subscribe(refuse)

    def batched() -> None:
        with batch():
            first.value = 1
            second.value = 1

    def subscriber(value: int) -> None:
        if value:
            wait_for(batched)
            # A later write of this thread: the batch's older value of
            # ``first`` is delivered in its turn, and refused.
            first.value = 2

    trigger = Signal(0)
    trigger.subscribe(subscriber)
    with pytest.raises(SubscriberError, match=r"first=2.*raised \(ValueError\)"):
        trigger.value = 1
    assert (first.value, second.value) == (2, 1)


@pytest.mark.timeout(60)
def test_a_computed_resubscribed_before_its_queued_unwatch_is_linked_once() -> None:
    base = Signal(1, name="base")
    double = computed(lambda: base.value * 2, name="double")
    first = double.subscribe(lambda _: None)
    later: list[Any] = []

    def subscriber(value: int) -> None:
        if value:
            wait_for(first.dispose)  # the unwatch waits for this delivery
            later.append(double.subscribe(lambda _: None))

    trigger = Signal(0)
    trigger.subscribe(subscriber)
    trigger.value = 1
    assert base._targets == [double]
    later[0].dispose()
    assert not base._targets


@pytest.mark.timeout(60)
def test_a_cycle_of_batched_rewrites_leaves_the_signal_writable_by_other_threads() -> (
    None
):
    count = Signal(0, name="count")
    seen: list[int] = []

    def rewrite(value: int) -> None:
        seen.append(value)
        if value > 0:
            with batch():
                count.value = value + 1

    count.subscribe(rewrite)
    with pytest.raises(SubscriberError, match="count") as caught:
        count.value = 1
    assert isinstance(caught.value.exceptions[0], CycleError)
    assert seen[-1] == count.value

    def write() -> None:
        count.value = -5

    while_delivering(write)
    assert count.value == -5
    assert seen[-1] == -5


@pytest.mark.timeout(60)
def test_a_write_then_completion_in_a_batch_kept_aside_delivers_the_write_first() -> (
    None
):
    count = Signal(0, name="count")
    log: list[object] = []
    count.subscribe(log.append, on_completed=lambda: log.append("completed"))

    def work() -> None:
        with batch():
            count.value = 1
            count.on_completed()
            count.value = 2  # after completion: ignored

    while_delivering(work)
    assert log == [0, 1, "completed"]
    assert count.value == 1


@pytest.mark.timeout(60)
def test_a_write_then_completion_from_another_thread_delivers_the_write_first() -> None:
    count = Signal(0, name="count")
    log: list[object] = []
    count.subscribe(log.append, on_completed=lambda: log.append("completed"))

    def work() -> None:
        count.value = 1
        count.on_completed()

    while_delivering(work)
    assert log == [0, 1, "completed"]
    assert count.value == 1


@pytest.mark.timeout(60)
def test_an_observe_block_kept_aside_reading_a_pending_computed_waits_for_it() -> None:
    subject: Subject[int] = Subject()
    user = Suspense.from_(subject)
    name = computed(lambda: f"user {user.use()}", name="name")
    renders: list[str] = []

    def render() -> Any:
        scope = observe(lambda: renders.append("re-render"))
        with scope, contextlib.suppress(SuspendedError):
            renders.append(name.value)
        return scope

    scope = while_delivering(render)
    assert renders == []  # still pending, as it was when the block read it
    subject.on_next(7)
    assert renders == ["re-render"]
    assert name.value == "user 7"
    scope.dispose()


@pytest.mark.timeout(60)
def test_a_queued_subscription_disposed_while_it_attaches_is_not_kept() -> None:
    base = Signal(1, name="base")
    subscriptions: list[Any] = []

    def double_it() -> int:
        if len(subscriptions) == 1:  # attaching in turn: its subscriber leaves
            wait_for(subscriptions.pop().dispose)
        return base.value * 2

    double = computed(double_it, name="double")
    seen: list[int] = []

    def subscriber(value: int) -> None:
        if value:
            subscriptions.append(wait_for(lambda: double.subscribe(seen.append)))

    trigger = Signal(0)
    trigger.subscribe(subscriber)
    trigger.value = 1
    assert double.statistics().subscribers == 0
    base.value = 2
    assert seen == []  # it left before it was attached
    assert not base._targets


@pytest.fixture
def fast_switching() -> Iterator[None]:
    """Switch threads as often as possible, so races show."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(interval)


def run_threads(count: int, work: Callable[[int], None]) -> None:
    """Run ``work(index)`` on ``count`` threads; re-raise the first failure."""
    failures: list[BaseException] = []

    def run(index: int) -> None:
        try:
            work(index)
        except BaseException as exc:  # handed back to the test
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    if failures:
        raise failures[0]


@pytest.mark.timeout(120)
@pytest.mark.usefixtures("fast_switching")
def test_threads_mixing_writes_and_batches_end_with_subscribers_on_value() -> None:
    signals = [Signal(0, name=f"s{index}") for index in range(4)]
    values = computed(lambda: tuple(s.value for s in signals), name="values")
    inside: list[int] = []
    last: dict[int, int] = {}
    seen: list[tuple[int, ...]] = []

    def subscriber(index: int) -> Callable[[int], None]:
        def record(value: int) -> None:
            inside.append(index)
            assert len(inside) == 1, "two threads inside subscribers at once"
            last[index] = value
            inside.pop()

        return record

    for index, signal in enumerate(signals):
        signal.subscribe(subscriber(index))
    values.subscribe(seen.append)

    def work(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(150):
            if rng.random() < 0.5:
                signals[rng.randrange(4)].value = rng.randrange(100)
                continue
            with batch():
                for _ in range(rng.randrange(1, 4)):
                    index = rng.randrange(4)
                    signals[index].value = rng.randrange(100)
                    # Its own write, whether kept aside or not.
                    assert values.value[index] == signals[index].peek()
                    signals[index].update(lambda value: value + 1)

    run_threads(6, work)
    assert [last[index] for index in range(4)] == [s.value for s in signals]
    assert seen[-1] == values.value == tuple(s.value for s in signals)


@pytest.mark.timeout(120)
@pytest.mark.usefixtures("fast_switching")
def test_threads_subscribing_and_leaving_while_others_write_leave_no_observer() -> None:
    base = Signal(0, name="base")
    double = computed(lambda: base.value * 2, name="double")
    base.subscribe(lambda value: None)  # deliveries take a while
    done = threading.Event()

    def work(index: int) -> None:
        if index == 0:
            count = 0
            while not done.is_set():
                count += 1
                base.value = count
            return
        for round_ in range(400):
            source = base if round_ % 2 else double
            source.subscribe(lambda value: None).dispose()
        if index == 1:
            done.set()

    run_threads(3, work)
    base.value = -1  # whatever was queued is delivered by now
    assert base.statistics().subscribers == 1
    assert double.statistics().subscribers == 0
    assert not base._targets


@pytest.mark.timeout(60)
def test_a_batch_kept_aside_keeps_a_write_of_the_current_value_against_later_ones() -> (
    None
):
    count = Signal(0, name="count")
    seen: list[int] = []
    count.subscribe(seen.append)
    entered = threading.Event()
    other_applied = threading.Event()
    inside: list[int] = []

    def reset() -> None:
        with batch():
            count.value = 0  # the current value, which another write changes
            entered.set()
            assert other_applied.wait(30)
            inside.append(count.value)

    thread = threading.Thread(target=reset)

    def subscriber(value: int) -> None:
        if value:
            thread.start()
            assert entered.wait(30)
            wait_for(lambda: count.set(5))  # applied before the batch ends

    trigger = Signal(0)
    trigger.subscribe(subscriber)
    trigger.value = 1
    other_applied.set()
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert inside == [0]  # the batch reads its own write
    assert count.value == 0  # and it ended after the other write
    assert seen == [0, 5, 0]


@pytest.mark.timeout(60)
def test_an_event_then_dispose_in_a_batch_kept_aside_is_heard_before_the_end() -> None:
    events = Emitter[str](name="events")
    log: list[str] = []
    events.subscribe(log.append, on_completed=lambda: log.append("completed"))

    def work() -> None:
        with batch():
            events.emit("last")
            events.dispose()
            events.emit("ignored")

    while_delivering(work)
    assert log == ["last", "completed"]


@pytest.mark.timeout(60)
def test_an_effect_disposed_by_another_thread_mid_run_cleans_up_once() -> None:
    source = Signal(0, name="source")
    log: list[str] = []
    running: list[Any] = []

    def body() -> Callable[[], None]:
        value = source.value
        log.append(f"run {value}")
        if value == 1:
            wait_for(running[0].dispose)  # while this run is not over
        return lambda: log.append(f"cleanup {value}")

    running.append(effect(body))
    source.value = 1
    source.value = 2
    assert running[0].is_disposed
    assert log == ["run 0", "cleanup 0", "run 1", "cleanup 1"]


@pytest.mark.timeout(60)
def test_a_later_write_of_a_thread_owning_the_queue_in_its_batch_kept_aside_stays() -> (
    None
):
    count = Signal(0, name="count")
    seen: list[int] = []
    count.subscribe(seen.append)
    scopes: list[Any] = []

    def inside() -> None:
        # The delivery ended: this observe block owns the queue, and writes
        # the shared graph after the batch wrote 1.
        scope = observe(lambda: None)
        with scope:
            count.value = 2
        scopes.append(scope)

    def work() -> None:
        count.value = 1
        inside()

    _owner_inside_a_batch_kept_aside(work)
    assert count.value == 2
    assert seen[-1] == 2
    scopes[0].dispose()


@pytest.mark.timeout(60)
def test_a_batch_kept_aside_ends_after_what_its_thread_delivered_for_others() -> None:
    count = Signal(0, name="count")
    other = Signal(0, name="other")

    def rewrite(value: int) -> None:
        if value:
            count.value = 7

    other.subscribe(rewrite)
    seen: list[int] = []
    count.subscribe(seen.append)

    def work() -> None:
        count.value = 1
        # Owning the queue, the thread then delivers the other thread's
        # write, whose subscriber writes ``count``: that is older than this
        # batch, which ends later.
        owning_the_queue(lambda: wait_for(lambda: other.set(1)))

    _owner_inside_a_batch_kept_aside(work)
    assert count.value == 1
    assert seen == [0, 7, 1]


@pytest.mark.timeout(60)
def test_events_of_a_batch_kept_aside_keep_their_order_when_its_thread_owns() -> None:
    events = Emitter[str](name="events")
    heard: list[str] = []
    events.on(heard.append)

    def work() -> None:
        events.emit("first")
        owning_the_queue(lambda: events.emit("second"))
        events.emit("third")

    _owner_inside_a_batch_kept_aside(work)
    assert heard == ["first", "second", "third"]


@pytest.mark.timeout(60)
def test_an_effect_made_in_a_batch_kept_aside_first_runs_on_the_batchs_values() -> None:
    count = Signal(0, name="count")
    runs: list[int] = []

    def work() -> Any:
        with batch():
            count.value = 1
            return effect(lambda: runs.append(count.value))

    made = while_delivering(work)
    assert runs == [1]  # as in a batch that owns the queue: never the old 0
    made.dispose()


@pytest.mark.timeout(60)
def test_an_effect_made_in_a_batch_kept_aside_by_an_owning_thread_sees_the_batch() -> (
    None
):
    count = Signal(0, name="count")
    runs: list[int] = []
    made: list[Any] = []

    def work() -> None:
        count.value = 1
        made.append(effect(lambda: runs.append(count.value)))

    _owner_inside_a_batch_kept_aside(work)
    assert runs == [1]
    made[0].dispose()


class _RandomBatch:
    """A random batch on a small graph, and what it left behind: what it
    read, the last value each subscriber and effect saw, the events heard."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.signals = [Signal(0, name=f"s{index}") for index in range(4)]
        signals = self.signals
        pair = computed(lambda: signals[0].value + signals[1].value, name="pair")
        scaled = computed(lambda: pair.value * 2 + signals[2].value, name="scaled")
        both = computed(lambda: (scaled.value, signals[3].value), name="both")
        self.nodes: list[Any] = [pair, scaled, both]
        mirror = Signal(0, name="mirror")
        self.events = Emitter[str](name="events")
        self.last: dict[str, Any] = {}
        self.heard: list[str] = []
        self.events.on(self.heard.append)
        for index, signal in enumerate(signals):
            signal.subscribe(self.recorder(f"s{index}"))
        both.subscribe(self.recorder("both"))
        mirror.subscribe(self.recorder("mirror"))
        self.kept: list[Any] = [effect(lambda: mirror.set(scaled.value))]
        self.reads: list[Any] = []

    def recorder(self, key: str) -> Callable[[Any], None]:
        def record(value: Any) -> None:
            self.last[key] = value

        return record

    def watch_pair(self, key: str) -> Callable[[], None]:
        pair = self.nodes[0]
        return lambda: self.recorder(key)(pair.value)

    def run(self) -> None:
        with batch():
            self.steps(0)

    def steps(self, depth: int) -> None:
        rng, signals, nodes = self.rng, self.signals, self.nodes
        for _ in range(rng.randrange(1, 6)):
            roll = rng.random()
            if roll < 0.35:
                signals[rng.randrange(4)].value = rng.randrange(4)
            elif roll < 0.5:
                signals[rng.randrange(4)].update(lambda value: value + 1)
            elif roll < 0.65:
                self.reads.append(nodes[rng.randrange(3)].value)
            elif roll < 0.75:
                self.reads.append(signals[rng.randrange(4)].value)
                self.reads.append(signals[rng.randrange(4)].peek())
            elif roll < 0.83:
                self.events.emit(f"e{rng.randrange(10)}")
            elif roll < 0.88:
                self.kept.append(effect(self.watch_pair(f"effect{len(self.kept)}")))
            elif roll < 0.9:
                node = nodes[rng.randrange(3)]
                self.kept.append(node.subscribe(self.recorder(f"sub{len(self.kept)}")))
            elif roll < 0.93 and depth < 3:
                with batch():
                    self.steps(depth + 1)
            else:
                self.reads.append(untracked(lambda: nodes[2].value))

    def outcome(self) -> tuple[list[Any], dict[str, Any], list[str]]:
        self.last["values"] = [signal.value for signal in self.signals]
        self.last["nodes"] = [node.value for node in self.nodes]
        for item in self.kept:
            item.dispose()
        return self.reads, self.last, self.heard


@pytest.mark.timeout(120)
def test_a_batch_kept_aside_ends_where_the_same_batch_owning_the_queue_ends() -> None:
    for seed in range(200):
        owning = _RandomBatch(seed)
        owning.run()
        kept_aside = _RandomBatch(seed)
        while_delivering(kept_aside.run)
        assert kept_aside.outcome() == owning.outcome(), f"seed {seed}"


@pytest.mark.timeout(120)
def test_a_batch_kept_aside_taken_in_early_ends_where_the_owning_batch_ends() -> None:
    for seed in range(200):
        owning = _RandomBatch(seed)
        owning.run()
        taken_in = _RandomBatch(seed)

        def subscriber(value: int, batch_: _RandomBatch = taken_in) -> None:
            if value:
                wait_for(batch_.run)
                # Reading takes the queued batch in before its turn.
                assert [signal.value for signal in batch_.signals] == [
                    signal.peek() for signal in batch_.signals
                ]

        trigger = Signal(0)
        trigger.subscribe(subscriber)
        trigger.value = 1
        assert taken_in.outcome() == owning.outcome(), f"seed {seed}"


class _Interrupt(BaseException):
    """Stands in for KeyboardInterrupt, which pytest would act on."""


@pytest.mark.timeout(60)
@pytest.mark.parametrize("queued", [False, True])
def test_a_write_queued_by_another_thread_outlives_an_interrupted_delivery(
    queued: bool,
) -> None:
    # The subscriber hands a write to another thread and waits for it, then
    # is interrupted: the queued write must not be stranded with no thread
    # left to deliver it (everyone but its writer read the old value).
    trigger = Signal(0, name="trigger")
    target = Signal(0, name="target")
    seen: list[int] = []
    target.subscribe(seen.append)

    def interrupted(value: int) -> None:
        if value == 1:
            wait_for(lambda: target.set(5))
            raise _Interrupt

    trigger.subscribe(interrupted)
    if queued:
        # Delivered from the queue (a re-entrant write), not the fast path.
        trigger.subscribe(lambda value: trigger.set(1) if value == 2 else None)
        trigger.value = 3
    with pytest.raises(_Interrupt):
        trigger.value = 2 if queued else 1
    assert wait_for(lambda: target.value) == 5
    assert seen == [0, 5]


@pytest.mark.timeout(60)
def test_a_failure_delivering_what_an_interrupt_left_queued_is_noted_on_it() -> None:
    trigger = Signal(0, name="trigger")
    target = Signal(0, name="target")

    def refuse(value: int) -> None:
        if value:
            raise ValueError("refused 5")

    target.subscribe(refuse)

    def interrupted(value: int) -> None:
        if value == 1:
            wait_for(lambda: target.set(5))
            raise _Interrupt

    trigger.subscribe(interrupted)
    with pytest.raises(_Interrupt) as caught:
        trigger.value = 1
    assert target.value == 5
    notes = "\n".join(getattr(caught.value, "__notes__", []))
    assert "refused 5" in notes
    assert "target" in notes


@pytest.mark.timeout(60)
@pytest.mark.parametrize("read_after", [False, True])
def test_an_equals_raising_on_another_threads_queued_write_is_a_subscriber_error(
    read_after: bool,
) -> None:
    # The delivering thread compares the queued write when it takes it in:
    # in its turn, or early, as the subscriber reads (here an unrelated
    # signal). Its failure is the write's, reported as a delivery failure,
    # never raised by that unrelated read.
    delivering = threading.get_ident()

    def equals(old: int, new: int) -> bool:
        if threading.get_ident() == delivering and new == 7:
            raise ValueError("cannot compare 7")
        return old == new

    trigger = Signal(0, name="trigger")
    target = Signal(0, name="target", equals=equals)
    other = Signal(0, name="other")
    reads: list[int] = []

    def subscriber(value: int) -> None:
        if value:
            wait_for(lambda: target.set(7))
            if read_after:
                reads.append(other.value)

    trigger.subscribe(subscriber)
    with pytest.raises(SubscriberError, match=r"equals of .*target") as caught:
        trigger.value = 1
    assert caught.value.signal is target
    assert isinstance(caught.value.exceptions[0], ValueError)
    assert reads == ([0] if read_after else [])
    assert target.value == 0
    assert wait_for(lambda: target.value) == 0  # its writer reads as all do


@pytest.mark.timeout(60)
def test_a_cleanup_failing_on_a_dispose_that_waited_its_turn_names_its_effect() -> None:
    # Disposed while another thread delivers, the effect is cleaned up there,
    # in turn: its failure reaches that delivering call as a SubscriberError
    # naming the effect, as a first run that waited its turn does, not as a
    # bare error that seems to come from the write being delivered.
    source = Signal(0, name="source")

    def body() -> Callable[[], None]:
        _ = source.value

        def cleanup() -> None:
            raise ValueError("cleanup failed")

        return cleanup

    running = effect(body)
    with pytest.raises(SubscriberError, match=r"cleanup of effect .*body") as caught:
        while_delivering(running.dispose)
    assert caught.value.signal is running
    assert isinstance(caught.value.__cause__, ValueError)
    assert running.is_disposed
    assert not source._targets


@pytest.mark.timeout(60)
def test_observe_blocks_of_two_tasks_ending_out_of_order_leave_no_tracking_behind() -> (
    None
):
    # Two asyncio tasks hold observe() blocks across awaits, and the first
    # block ends while the second is open. The second then restored the
    # first's finished record as the graph's tracker, for good: every later
    # read counted as inside a tracked run, so a subscriber that waited for
    # a thread no longer saw what that thread wrote.
    import asyncio

    x = Signal(0, name="x")
    y = Signal(0, name="y")
    calls: list[str] = []

    async def main() -> None:
        a_open = asyncio.Event()
        b_open = asyncio.Event()
        a_done = asyncio.Event()

        async def first() -> None:
            with observe(lambda: calls.append("first")):
                _ = x.value
                a_open.set()
                await b_open.wait()
            a_done.set()

        async def second() -> None:
            await a_open.wait()
            with observe(lambda: calls.append("second")):
                _ = y.value
                b_open.set()
                await a_done.wait()

        await asyncio.gather(first(), second())

    asyncio.run(main())
    y.value = 1
    assert calls == ["second"]
    target = Signal(0, name="target")
    seen: list[int] = []

    def subscriber(value: int) -> None:
        if value:
            wait_for(lambda: target.set(5))
            seen.append(target.value)

    trigger = Signal(0, name="trigger")
    trigger.subscribe(subscriber)
    trigger.value = 1
    assert seen == [5]
