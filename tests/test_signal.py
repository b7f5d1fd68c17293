"""Signal: a BehaviorSubject whose writes are ordered, isolated and tracked."""

from __future__ import annotations

import copy
import gc
import threading
import weakref
from collections.abc import Callable
from typing import Any

import pytest
import reactivex
from reactivex import operators as ops
from reactivex.subject import BehaviorSubject

from impact_rx import (
    Disposable,
    Emitter,
    Signal,
    SubscriberError,
    batch,
    computed,
    effect,
    signal,
    signal_of,
)
from impact_rx._disposable import owning


def test_a_signal_is_a_behavior_subject_that_replays_its_value() -> None:
    s = Signal(1)
    seen: list[int] = []

    s.subscribe(seen.append)

    assert isinstance(s, BehaviorSubject)
    assert seen == [1]


def test_setting_the_value_notifies_only_when_it_changed() -> None:
    s = Signal(0)
    seen: list[int] = []
    s.subscribe(seen.append)

    s.value = 1
    s.set(1)
    s.on_next(2)
    s.update(lambda v: v + 1)

    assert seen == [0, 1, 2, 3]
    assert s.value == 3


def test_a_custom_equals_decides_what_counts_as_a_change() -> None:
    s = Signal("a", equals=lambda old, new: old.lower() == new.lower())
    seen: list[str] = []
    s.subscribe(seen.append)

    s.value = "A"
    s.value = "b"

    assert seen == ["a", "b"]


class _Weird:
    def __init__(self, result: Any) -> None:
        self.result = result

    def __eq__(self, other: object) -> Any:
        if isinstance(self.result, Exception):
            raise self.result
        return self.result


def test_an_eq_that_raises_or_returns_a_non_bool_counts_as_changed() -> None:
    raising = Signal[Any](_Weird(ValueError("no")))
    vague = Signal[Any](_Weird([True]))
    seen: list[Any] = []
    raising.subscribe(seen.append)
    vague.subscribe(seen.append)
    seen.clear()

    raising.value = _Weird(ValueError("still no"))
    vague.value = _Weird([True])

    assert len(seen) == 2


def test_peek_reads_without_tracking_and_writes_after_completion_are_ignored() -> None:
    s = Signal(1)
    done: list[bool] = []
    s.subscribe(on_completed=lambda: done.append(True))

    s.on_completed()
    s.value = 2

    assert done == [True]
    assert s.peek() == 1


def test_rx_operators_work_on_a_signal() -> None:
    s = Signal(1)
    seen: list[int] = []

    tens: Callable[[int], int] = lambda v: v * 10  # noqa: E731
    s.pipe(ops.map(tens), ops.take(2)).subscribe(seen.append)
    s.value = 2
    s.value = 3

    assert seen == [10, 20]


def test_combine_latest_of_signals_sees_every_write() -> None:
    a, b = Signal(1), Signal(2)
    seen: list[tuple[int, int]] = []

    reactivex.combine_latest(a, b).subscribe(seen.append)
    a.value = 3

    assert seen == [(1, 2), (3, 2)]


def test_a_raising_subscriber_does_not_stop_the_others() -> None:
    # Issue 3, case 1.
    s = Signal(0, name="counter")
    first: list[int] = []
    third: list[int] = []
    boom = ValueError("subscriber failed")

    def raising(value: int) -> None:
        if value:
            raise boom

    s.subscribe(first.append)
    s.subscribe(raising)
    s.subscribe(third.append)

    with pytest.raises(SubscriberError, match=r"1 subscriber\(s\) of <Signal counter"):
        s.value = 1

    assert first == [0, 1]
    assert third == [0, 1]


def test_a_subscriber_error_names_the_signal_and_chains_the_original() -> None:
    s = Signal(0, name="counter")
    boom = ValueError("subscriber failed")

    def raising(value: int) -> None:
        if value:
            raise boom

    s.subscribe(raising)

    with pytest.raises(SubscriberError, match="ValueError") as info:
        s.value = 1

    assert info.value.signal is s
    assert info.value.exceptions == (boom,)
    assert info.value.__cause__ is boom


def test_an_observer_whose_initial_value_raises_is_not_kept() -> None:
    # Issue 3, case 2.
    s = Signal(0)

    def raising(value: int) -> None:
        raise RuntimeError("refuses the initial value")

    for _ in range(1000):
        with pytest.raises(RuntimeError, match="refuses the initial value"):
            s.subscribe(raising)

    assert s.statistics().subscribers == 0
    assert s.observers == []


def test_a_re_entrant_write_is_delivered_after_the_current_one() -> None:
    # Issue 3, case 3.
    s = Signal(0)
    seen_by_b: list[int] = []

    def a(value: int) -> None:
        if value == 1:
            s.value = 2

    s.subscribe(a)
    s.subscribe(seen_by_b.append)
    s.value = 1

    assert seen_by_b == [0, 1, 2]
    assert seen_by_b[-1] == s.value


def test_every_subscriber_sees_re_entrant_writes_in_the_same_order() -> None:
    s = Signal(0)
    logs: list[list[int]] = [[], [], []]

    def writer(value: int) -> None:
        if 0 < value < 5:
            s.value = value + 1

    s.subscribe(logs[0].append)
    s.subscribe(writer)
    s.subscribe(logs[1].append)
    s.subscribe(logs[2].append)
    s.value = 1

    assert logs[0] == logs[1] == logs[2] == [0, 1, 2, 3, 4, 5]


def test_writes_from_many_threads_never_enter_a_subscriber_concurrently() -> None:
    # Issue 3, case 4.
    s = Signal(-1)
    inside = 0
    overlaps = 0
    last: list[int] = []

    def record(value: int) -> None:
        nonlocal inside, overlaps
        inside += 1
        if inside > 1:
            overlaps += 1
        last.append(value)
        inside -= 1

    s.subscribe(record)
    start = threading.Barrier(8)

    def writer(index: int) -> None:
        start.wait()
        for n in range(10_000):
            s.value = index * 10_000 + n

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert overlaps == 0
    assert last[-1] == s.value


def test_a_subscriber_may_write_another_signal_and_read_it_back() -> None:
    a, b = Signal(0), Signal(0)
    seen: list[tuple[int, int]] = []

    def copy(value: int) -> None:
        b.value = value * 2
        seen.append((value, b.value))

    a.subscribe(copy)
    a.value = 3

    assert seen == [(0, 0), (3, 6)]


def test_three_writes_in_a_batch_notify_once_with_the_final_value() -> None:
    # Issue 3, case 6.
    s = Signal(0)
    seen: list[int] = []
    s.subscribe(seen.append)

    with batch():
        s.value = 1
        s.value = 2
        with batch():
            s.value = 3
        assert seen == [0]

    assert seen == [0, 3]


def test_a_batch_that_ends_where_it_started_notifies_nobody() -> None:
    s = Signal(0)
    seen: list[int] = []
    s.subscribe(seen.append)

    with batch():
        s.value = 1
        s.value = 0

    assert seen == [0]


def test_a_batch_whose_block_raises_keeps_and_delivers_its_writes_then_reraises() -> (
    None
):
    s = Signal(0)
    seen: list[int] = []
    s.subscribe(seen.append)

    with pytest.raises(KeyError, match=r"body"), batch():
        s.value = 1
        s.value = 2
        raise KeyError("body")

    assert seen == [0, 2]
    assert s.value == 2


def test_subscribers_raising_as_a_raising_batch_ends_report_over_its_error() -> None:
    s = Signal(0, name="s")

    def refuse(value: int) -> None:
        if value:
            raise ValueError("refused")

    s.subscribe(refuse)
    with pytest.raises(SubscriberError, match=r"of <Signal s=1") as caught, batch():
        s.value = 1
        raise KeyError("body")

    assert isinstance(caught.value.__cause__, ValueError)
    assert isinstance(caught.value.__context__, KeyError)


def test_the_repr_is_short() -> None:
    s = Signal("x" * 500, name="big")
    s.subscribe(lambda v: None)

    text = repr(s)

    assert text.startswith("<Signal big='xxx")
    assert text.endswith("... (1 subscriber)>")
    assert len(text) < 80


def test_a_signal_created_in_a_constructor_completes_with_its_owner() -> None:
    owner = Disposable()
    with owning(owner):
        s = Signal(0)
    done: list[bool] = []
    s.subscribe(on_completed=lambda: done.append(True))

    owner.dispose()

    assert done == [True]
    assert s.is_stopped


def test_a_signal_handed_to_on_dispose_is_completed_with_its_owner() -> None:
    owner = Disposable()
    later = Signal(0, name="later")
    owner.on_dispose(later)
    done: list[str] = []
    later.subscribe(on_completed=lambda: done.append("completed"))

    owner.dispose()
    later.value = 1

    assert done == ["completed"]
    assert later.is_stopped
    assert later.value == 0


def test_what_a_signals_factory_reads_is_no_dependency_of_the_first_reader() -> None:
    seed = Signal(3, name="seed")

    class Box(Disposable):
        items = signal(factory=lambda: [0] * seed.value)

    box = Box()
    runs: list[int] = []
    running = effect(lambda: runs.append(len(box.items)))
    seed.value = 5

    assert runs == [3]
    assert running.sources == (signal_of(box, "items"),)
    running.dispose()


def test_an_owner_ends_a_handed_signal_through_its_own_on_completed() -> None:
    ended: list[str] = []

    class Logged(Signal[int]):
        def on_completed(self) -> None:
            ended.append("logged")
            super().on_completed()

    owner = Disposable()
    owner.on_dispose(Logged(0))

    owner.dispose()

    assert ended == ["logged"]


class Counter(Disposable):
    count = signal(0)
    label = signal("a", equals=lambda old, new: old.lower() == new.lower())


def test_the_signal_descriptor_reads_and_writes_a_per_instance_signal() -> None:
    one, two = Counter(), Counter()

    one.count = 5
    two.count += 1

    assert (one.count, two.count) == (5, 1)
    assert isinstance(Counter.count, signal)
    assert signal_of(one, "count") is signal_of(one, "count")
    assert signal_of(one, "count") is not signal_of(two, "count")
    assert signal_of(one, "count").name == "Counter.count"


def test_the_descriptor_passes_equals_to_each_signal() -> None:
    counter = Counter()
    seen: list[str] = []
    signal_of(counter, "label").subscribe(seen.append)

    counter.label = "A"

    assert seen == ["a"]


def test_disposing_the_instance_completes_its_signals() -> None:
    counter = Counter()
    done: list[bool] = []
    signal_of(counter, "count").subscribe(on_completed=lambda: done.append(True))

    counter.dispose()
    counter.count = 7

    assert done == [True]
    assert counter.count == 0


def test_a_descriptor_signal_is_not_adopted_by_an_unrelated_owner() -> None:
    other = Disposable()
    counter = Counter()
    with owning(other):
        s = signal_of(counter, "count")

    other.dispose()

    assert isinstance(s, Signal)
    assert not s.is_stopped


def test_signal_of_a_plain_attribute_holding_a_signal_returns_it() -> None:
    class Box:
        def __init__(self) -> None:
            self.size = Signal(3)
            self.other = 3

    box = Box()

    assert signal_of(box, "size") is box.size
    with pytest.raises(TypeError, match=r"Box.other is a int, not a signal"):
        signal_of(box, "other")


def test_signal_of_a_missing_name_lists_the_signals_and_computeds_there_are() -> None:
    class Cart(Disposable):
        count = signal(0)

        def __init__(self) -> None:
            self.total = Signal(0.0)

        @computed
        def double(self) -> int:
            return self.count * 2

    with pytest.raises(
        AttributeError,
        match=r"signal_of\(Cart, 'cont'\): Cart has no attribute 'cont'\."
        r" Did you mean 'count'\? Its signals and computeds: count, double, total\.",
    ):
        signal_of(Cart(), "cont")
    with pytest.raises(AttributeError, match=r"object has no signals or computeds"):
        signal_of(object(), "x")


def test_signal_of_refuses_a_name_that_is_not_a_string() -> None:
    with pytest.raises(
        TypeError, match=r"signal_of\(\) takes the attribute's name as a str, got int"
    ):
        signal_of(Counter(), 3)  # type: ignore[arg-type]


def test_signal_of_the_declaring_class_asks_for_an_instance() -> None:
    class Counter(Disposable):
        count = signal(0)

        @computed
        def double(self) -> int:
            return self.count * 2

    for attr in ("count", "double"):
        with pytest.raises(
            TypeError, match=rf"signal_of\(Counter, '{attr}'\) was given the class"
        ):
            signal_of(Counter, attr)


def test_a_subscription_keeps_nothing_once_disposed() -> None:
    s = Signal(0)
    subscription = s.subscribe(lambda v: None)

    subscription.dispose()

    assert s.observers == []


@pytest.mark.parametrize("kind", ["signal", "computed", "emitter"])
def test_a_disposed_subscription_lets_its_callbacks_be_collected(kind: str) -> None:
    source = Signal(0)
    observable: Any = {
        "signal": source,
        "computed": computed(lambda: source.value + 1),
        "emitter": Emitter[int](),
    }[kind]

    class Listener:
        def __call__(self, value: int) -> None:
            pass

    listener = Listener()
    gone = weakref.ref(listener)
    subscription = observable.subscribe(listener)
    del listener
    subscription.dispose()
    gc.collect()

    assert gone() is None


def test_a_subscriber_waiting_for_a_thread_that_writes_does_not_deadlock() -> None:
    a, b = Signal(0), Signal(0)
    seen_b: list[int] = []
    b.subscribe(seen_b.append)

    def on_a(value: int) -> None:
        if value:
            writer = threading.Thread(target=lambda: b.set(value * 10))
            writer.start()
            writer.join()

    a.subscribe(on_a)
    a.value = 4

    assert seen_b == [0, 40]
    assert b.value == 40


def test_a_subscriber_arriving_mid_delivery_gets_queued_values_in_order() -> None:
    s = Signal(0)
    late: list[int] = []

    def writer(value: int) -> None:
        if value == 1:
            s.value = 2
            s.subscribe(late.append)
            s.value = 3

    s.subscribe(writer)
    s.value = 1

    assert late == [1, 2, 3]
    assert late[-1] == s.value


def test_the_write_hook_sees_each_accepted_write_before_delivery() -> None:
    from impact_rx import _signal

    s = Signal(0, name="hooked")
    log: list[Any] = []
    s.subscribe(lambda v: log.append(("delivered", v)))
    doubled_name = "never"

    def hook(signal: Signal[Any], old: Any, new: Any) -> None:
        log.append((signal.name, old, new, threading.current_thread().name))

    _signal.write_hook = hook
    try:
        s.value = 1
        s.value = 1
        from impact_rx import computed

        doubled = computed(lambda: s.value * 2, name=doubled_name)
        doubled.subscribe(lambda v: None)
        s.value = 2
    finally:
        _signal.write_hook = None

    me = threading.current_thread().name
    assert log == [
        ("delivered", 0),
        ("hooked", 0, 1, me),
        ("delivered", 1),
        ("hooked", 1, 2, me),
        ("delivered", 2),
    ]


def test_the_subscribe_hook_sees_each_new_subscription() -> None:
    from impact_rx import _signal

    s = Signal(0)
    seen: list[tuple[object, object]] = []
    _signal.subscribe_hook = lambda source, observer: seen.append((source, observer))
    try:
        s.subscribe(lambda v: None)
    finally:
        _signal.subscribe_hook = None

    assert len(seen) == 1
    assert seen[0][0] is s


def test_statistics_count_writes_and_subscribers() -> None:
    s = Signal(0, name="count")
    s.subscribe(lambda v: None)
    s.value = 1
    s.value = 1
    s.value = 2

    stats = s.statistics()

    assert (stats.name, stats.subscribers, stats.writes, stats.recomputes) == (
        "count",
        1,
        2,
        0,
    )


def test_a_signal_renders_as_html_in_a_notebook() -> None:
    s = Signal(3, name="count")

    html = s._repr_html_()

    assert "count" in html


def test_writes_from_other_threads_during_a_delivery_arrive_in_order() -> None:
    s = Signal(0)
    seen: list[int] = []
    started = threading.Event()
    proceed = threading.Event()

    def slow(value: int) -> None:
        seen.append(value)
        if value == 1:
            started.set()
            proceed.wait(timeout=10)

    s.subscribe(slow)
    writer = threading.Thread(target=lambda: s.set(1))
    writer.start()
    started.wait(timeout=10)
    s.value = 2  # queued: the other thread is delivering
    s.value = 3
    proceed.set()
    writer.join()

    assert seen == [0, 1, 2, 3]


def test_an_errored_signal_tells_observers_and_late_subscribers() -> None:
    s = Signal(1)
    errors: list[Exception] = []
    s.subscribe(on_error=errors.append)
    boom = ValueError("source failed")

    s.on_error(boom)
    s.value = 2
    s.subscribe(on_error=errors.append)

    assert errors == [boom, boom]
    assert s.value == 1


def test_dispose_drops_observers_without_notifying_them() -> None:
    s = Signal(1)
    seen: list[int] = []
    done: list[bool] = []
    s.subscribe(seen.append, on_completed=lambda: done.append(True))

    s.dispose()
    s.value = 2

    assert seen == [1]
    assert done == []
    assert s.observers == []


def test_a_signal_named_like_a_secret_hides_its_value_in_its_repr() -> None:
    s = Signal("hunter2", name="password")

    assert repr(s) == "<Signal password=<redacted> (0 subscribers)>"


def test_a_secret_descriptor_signal_stays_hidden_in_subscriber_errors() -> None:
    class Auth(Disposable):
        access_token = signal("tok-SECRET-123")

    auth = Auth()

    def fail(value: str) -> None:
        if value != "tok-SECRET-123":
            raise ValueError("boom")

    signal_of(auth, "access_token").subscribe(fail)
    with pytest.raises(SubscriberError, match=r"Auth\.access_token=<redacted>") as info:
        auth.access_token = "tok-SECRET-456"
    assert "SECRET" not in str(info.value)


def test_an_unnamed_signal_is_labelled_by_its_id_as_the_debug_tools_do() -> None:
    from impact_rx._redact import anonymous
    from impact_rx.debug import value_text

    s = Signal(1)

    assert repr(s) == f"<Signal@{id(s):x}=1 (0 subscribers)>"
    assert anonymous(s) == f"Signal@{id(s):x}"
    assert value_text("api_key", "k") == "<redacted>"


def test_separate_batches_in_a_subscriber_are_delivered_separately_in_order() -> None:
    status = Signal("idle", name="status")
    trigger = Signal(0, name="trigger")
    seen: list[str] = []
    status.subscribe(seen.append)

    def mutate(value: int) -> None:
        if value:
            for state in ("pending", "rejected", "pending", "rejected"):
                with batch():
                    status.value = "between"
                    status.value = state

    trigger.subscribe(mutate)
    trigger.value = 1

    assert seen == ["idle", "pending", "rejected", "pending", "rejected"]
    assert seen[-1] == status.value


def test_a_batch_inside_a_subscriber_comes_after_its_earlier_plain_writes() -> None:
    s = Signal(0)
    trigger = Signal(0)
    seen: list[int] = []
    s.subscribe(seen.append)

    def write(value: int) -> None:
        if value:
            s.value = 1
            with batch():
                s.value = 2
                s.value = 3
            s.value = 4

    trigger.subscribe(write)
    trigger.value = 1

    assert seen == [0, 1, 3, 4]


def test_writes_from_another_thread_during_a_batch_are_delivered_after_it() -> None:
    s = Signal(0)
    seen: list[int] = []
    s.subscribe(seen.append)

    with batch():
        s.value = 1
        writer = threading.Thread(target=s.set, args=(2,))
        writer.start()
        writer.join()
        assert s.value == 1  # queued until the batch ends

    assert seen == [0, 1, 2]
    assert s.value == 2


def test_a_factory_gives_every_instance_its_own_mutable_initial_value() -> None:
    class Todos(Disposable):
        items = signal(factory=list)

    one, two = Todos(), Todos()
    one.items.append("write tests")

    assert one.items == ["write tests"]
    assert two.items == []


@pytest.mark.parametrize("initial", [[], {}, set()])
def test_a_mutable_initial_value_is_refused_with_a_pointer_to_factory(
    initial: object,
) -> None:
    kind = type(initial).__name__
    with pytest.raises(TypeError, match=rf"would share\. Pass factory={kind}"):
        signal(initial)


def test_a_signal_takes_an_initial_value_or_a_factory_not_both() -> None:
    with pytest.raises(TypeError, match="either an initial value or factory="):
        signal((), factory=tuple)
    with pytest.raises(TypeError, match="either an initial value or factory="):
        signal()


def test_signal_init_documents_its_own_arguments() -> None:
    doc = Signal.__init__.__doc__ or ""

    assert "initial:" in doc
    assert "equals:" in doc
    assert "name:" in doc
    assert "value:" not in doc


def test_the_core_types_users_annotate_with_are_exported() -> None:
    import impact_rx
    from impact_rx import ComputedProperty, Effect, Observation, SignalStatistics

    class Box:
        @impact_rx.computed
        def size(self) -> int:
            return 1

    running = impact_rx.effect(lambda: None)
    assert isinstance(running, Effect)
    assert isinstance(impact_rx.observe(lambda: None), Observation)
    assert isinstance(Box.size, ComputedProperty)
    assert isinstance(Signal(0).statistics(), SignalStatistics)
    for kind in (ComputedProperty, Effect, Observation, SignalStatistics):
        assert kind.__module__ == "impact_rx"
        assert kind.__doc__
    running.dispose()


def test_a_subscriber_write_after_a_queued_thread_write_is_the_last_word() -> None:
    s = Signal[object](0)
    trigger = Signal(0)
    seen: list[object] = []
    s.subscribe(seen.append)

    def react(value: int) -> None:
        if value:
            other = threading.Thread(target=s.set, args=("from thread",))
            other.start()
            other.join()  # its write waits in the queue: it came first
            s.value = "from subscriber"

    trigger.subscribe(react)
    trigger.value = 1

    assert seen == [0, "from thread", "from subscriber"]
    assert s.value == "from subscriber"


def test_a_subscriber_writing_back_the_delivered_value_keeps_the_last_word() -> None:
    s = Signal(0)
    trigger = Signal(0)
    seen: list[int] = []
    s.subscribe(seen.append)

    def react(value: int) -> None:
        if value:
            other = threading.Thread(target=s.set, args=(5,))
            other.start()
            other.join(10)
            assert not other.is_alive(), "the thread's write blocked"
            s.value = 7
            s.value = 0  # the value delivered before: still a later write

    trigger.subscribe(react)
    trigger.value = 1

    assert seen == [0, 5, 7, 0]
    assert s.value == 0


def test_a_batch_in_a_subscriber_after_a_queued_thread_write_is_the_last_word() -> None:
    s = Signal(0)
    trigger = Signal(0)
    seen: list[int] = []
    s.subscribe(seen.append)

    def react(value: int) -> None:
        if value:
            other = threading.Thread(target=s.set, args=(5,))
            other.start()
            other.join(10)
            assert not other.is_alive(), "the thread's write blocked"
            with batch():
                s.value = 7
                s.value = 8

    trigger.subscribe(react)
    trigger.value = 1

    assert seen == [0, 5, 8]
    assert s.value == 8


def test_a_subscribe_whose_delivery_raises_leaves_no_dead_observer() -> None:
    s = Signal(0, name="s")
    other = Signal(0, name="other")

    def fail(value: int) -> None:
        if value:
            raise ValueError("other's subscriber failed")

    other.subscribe(fail)
    seen: list[int] = []

    def write_other(value: int) -> None:
        seen.append(value)
        other.value += 1

    with pytest.raises(SubscriberError, match="of <Signal other=1"):
        s.subscribe(write_other)

    # Rx ended the observer when subscribe raised: it must not stay attached.
    assert s.observers == []
    assert seen == [0]


def test_a_signal_refuses_an_equals_that_is_not_a_function() -> None:
    with pytest.raises(
        TypeError, match=r"Signal\(\) takes equals= as a function of \(old, new\)"
    ):
        Signal(1, equals=5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"signal\(\) takes equals= as a function"):
        signal(1, equals=True)  # type: ignore[call-overload]


def test_a_signal_refuses_a_name_that_is_not_a_string() -> None:
    with pytest.raises(TypeError, match=r"Signal\(\) takes name= as a str, got int"):
        Signal(1, name=5)  # type: ignore[arg-type]


def test_update_refuses_a_value_that_is_not_a_function() -> None:
    hits = Signal(0, name="hits")

    with pytest.raises(
        TypeError, match=r"Signal hits\.update\(\) takes a function of the current"
    ):
        hits.update(5)  # type: ignore[arg-type]
    assert hits.value == 0


def test_a_subscribe_whose_delivery_raises_never_ends_the_new_observer_with_it() -> (
    None
):
    other = Signal(0, name="other")

    def refuse(value: int) -> None:
        if value:
            raise KeyError("other's subscriber failed")

    other.subscribe(refuse)
    s = Signal(0, name="s")
    double = computed(lambda: s.value * 2, name="double")
    errors: list[Exception] = []

    def write_other(value: int) -> None:
        other.value += 1  # delivered as subscribe releases the queue

    for source in (s, double):
        # Reported to the caller, the delivering call; the new observer's
        # on_error never hears of another subscriber's failure.
        with pytest.raises(SubscriberError, match="of <Signal other="):
            source.subscribe(write_other, errors.append)
        assert errors == []
        assert source.statistics().subscribers == 0  # the caller got no handle


@pytest.mark.timeout(30)
def test_a_subscriber_arriving_as_another_thread_errors_it_hears_the_error() -> None:
    # Between marking the signal stopped and recording its error, the
    # erroring thread drops the signal from its owner (under the owners'
    # lock, held here to pause it there). A subscriber arriving then must
    # hear the error, not a completion.
    from impact_rx import _disposable

    owner = Disposable()
    with owning(owner):
        s = Signal(1, name="s")
    boom = ValueError("source failed")
    heard: list[object] = []
    with _disposable._lock:
        failing = threading.Thread(target=s.on_error, args=(boom,))
        failing.start()
        stopped = threading.Event()
        for _ in range(10_000):
            if s.is_stopped:
                stopped.set()
                break
            stopped.wait(0.001)
        assert stopped.is_set()
        s.subscribe(
            heard.append,
            on_error=heard.append,
            on_completed=lambda: heard.append("completed"),
        )
    failing.join(timeout=10)
    assert not failing.is_alive()
    assert heard == [boom]


def test_a_batch_ends_on_its_value_even_if_equals_raises_comparing_it() -> None:
    # The batch compares its final value with the one subscribers last saw,
    # a pair equals never met as each write was made. An equals that raises
    # there says nothing: the value is delivered, as an == that raises
    # counts as a change, so subscribers end on .value.
    def equals(old: int, new: int) -> bool:
        if {old, new} == {0, 2}:
            raise ValueError("cannot compare 0 and 2")
        return old == new

    s = Signal(0, name="s", equals=equals)
    seen: list[int] = []
    s.subscribe(seen.append)
    with batch():
        s.value = 1
        s.value = 2
    assert seen == [0, 2]
    assert s.value == 2


_ADD_ADVICE = (
    r"Signal count: `\+` would concatenate Observables; write count\.value \+= 1"
    r" or count\.update\(lambda n: n \+ 1\)"
)


def test_adding_to_a_signal_raises_instead_of_concatenating_observables() -> None:
    count = Signal(0, name="count")

    with pytest.raises(TypeError, match=_ADD_ADVICE):
        _ = count + 1
    with pytest.raises(TypeError, match=r"reactivex\.concat"):
        _ = count + reactivex.of(1)
    assert count.value == 0


def test_augmented_adding_to_a_signal_raises_and_keeps_the_name_bound() -> None:
    count = Signal(0, name="count")
    alias = count

    with pytest.raises(TypeError, match=_ADD_ADVICE.replace(r"`\+`", r"`\+=`")):
        count += 1

    assert count is alias
    assert count.value == 0


def test_adding_a_signal_on_the_right_raises_too() -> None:
    count = Signal(0, name="count")

    with pytest.raises(TypeError, match=r"Signal count: `\+` would concatenate"):
        _ = 1 + count  # type: ignore[operator]
    with pytest.raises(TypeError, match=r"Signal count: `\+` would concatenate"):
        _ = reactivex.of(1) + count


def test_an_unnamed_signal_is_called_signal_in_the_adding_advice() -> None:
    s = Signal(0)

    with pytest.raises(TypeError, match=r"^Signal@[0-9a-f]+: .* write signal\.value"):
        _ = s + 1


def test_slicing_a_signal_still_makes_an_rx_slice() -> None:
    s = Signal(1)
    seen: list[int] = []

    s[0:2].subscribe(seen.append)
    s.value = 2
    s.value = 3

    assert seen == [1, 2]


def test_a_completed_signal_says_so_in_its_repr() -> None:
    gone = Signal(0, name="gone")
    gone.subscribe(lambda v: None)

    gone.on_completed()
    gone.value = 1  # ignored, as in Rx

    assert repr(gone) == "<Signal gone=0 (completed)>"


def test_a_failed_or_disposed_signal_says_so_in_its_repr() -> None:
    failed = Signal(0, name="failed")
    failed.on_error(ValueError("no"))
    dropped = Signal(0, name="dropped")
    dropped.dispose()

    assert repr(failed) == "<Signal failed=0 (failed: ValueError)>"
    assert repr(dropped) == "<Signal dropped=0 (disposed)>"


def test_mutating_a_signal_value_in_place_notifies_nobody() -> None:
    class Todos(Disposable):
        items = signal(factory=list)

    todos = Todos()
    seen: list[list[str]] = []
    signal_of(todos, "items").subscribe(lambda v: seen.append(list(v)))

    todos.items.append("tea")  # the same list: nobody hears of it
    todos.items = todos.items  # identical: unchanged, equals is not asked
    todos.items = [*todos.items, "cake"]

    assert seen == [[], ["tea", "cake"]]


def test_an_identical_value_is_unchanged_before_equals_is_consulted() -> None:
    asked: list[object] = []

    def never_equal(old: list[int], new: list[int]) -> bool:
        asked.append(new)
        return False

    box: list[int] = []
    s = Signal(box, equals=never_equal)
    seen: list[list[int]] = []
    s.subscribe(seen.append)

    s.value = box
    s.value = []

    assert asked == [[]]
    assert len(seen) == 2


def test_using_a_standalone_signal_descriptor_as_a_signal_explains_the_mistake() -> (
    None
):
    x: Any = signal(0)

    with pytest.raises(
        AttributeError,
        match=r"signal\(\) declares a per-instance signal on a class"
        r" \(class Counter: count = signal\(0\)\) and has no 'value'.*"
        r" For a standalone signal use Signal\(0\)",
    ):
        _ = x.value
    with pytest.raises(AttributeError, match=r"has no 'subscribe'"):
        x.subscribe(print)


def test_a_declared_signal_read_on_its_class_points_to_instances() -> None:
    class Counter(Disposable):
        count = signal(0)

    declared: Any = Counter.count

    with pytest.raises(
        AttributeError,
        match=r"Counter\.count is declared with signal\(\): each Counter has its"
        r" own.* has no 'set'.*signal_of\(counter, 'count'\)",
    ):
        declared.set(1)
    assert not hasattr(declared, "__wrapped__")
    assert not hasattr(declared, "_impact_computed")
    assert copy.copy(declared)._label == "Counter.count"


def test_batches_of_two_tasks_ending_out_of_order_still_deliver_every_write() -> None:
    # Two asyncio tasks hold batch() blocks across awaits on one thread, and
    # the first block ends while the second is open: the first gave up the
    # queue then, and the second, ending last, left the first's write queued
    # with no owner to deliver it.
    import asyncio

    x = Signal(0, name="x")
    y = Signal(0, name="y")
    seen_x: list[int] = []
    seen_y: list[int] = []
    x.subscribe(seen_x.append)
    y.subscribe(seen_y.append)

    async def main() -> None:
        a_open = asyncio.Event()
        b_open = asyncio.Event()
        a_done = asyncio.Event()

        async def first() -> None:
            with batch():
                x.value = 1
                a_open.set()
                await b_open.wait()
            a_done.set()

        async def second() -> None:
            await a_open.wait()
            with batch():
                b_open.set()
                await a_done.wait()
                y.value = 2

        await asyncio.gather(first(), second())

    asyncio.run(main())
    assert seen_x == [0, 1]
    assert seen_y == [0, 2]
    x.value = 3
    assert seen_x == [0, 1, 3]
