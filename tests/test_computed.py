"""Computed: lazy, cached, glitch-free derived state."""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Callable
from functools import partial

import pytest
import reactivex
from reactivex import operators as ops
from reactivex.abc import DisposableBase

from impact_rx import (
    Computed,
    CycleError,
    Disposable,
    DisposedError,
    Signal,
    SubscriberError,
    batch,
    computed,
    effect,
    signal,
    signal_of,
    untracked,
)
from impact_rx._disposable import owning


def test_a_computed_runs_nothing_until_read_and_caches_its_value() -> None:
    a = Signal(1)
    runs: list[int] = []

    def double() -> int:
        runs.append(a.value)
        return a.value * 2

    doubled = computed(double)
    assert runs == []

    assert doubled.value == 2
    assert doubled.value == 2
    assert runs == [1]

    a.value = 5
    assert runs == [1]
    assert doubled.value == 10
    assert runs == [1, 5]


def test_a_diamond_recomputes_its_sink_once_per_write_without_glitches() -> None:
    # Issue 3, case 5.
    a = Signal(0)
    b = computed(lambda: a.value + 1)
    c = computed(lambda: a.value * 2)
    runs = 0

    def join() -> tuple[int, int]:
        nonlocal runs
        runs += 1
        return (b.value, c.value)

    d = computed(join)
    seen: list[tuple[int, int]] = []
    d.subscribe(seen.append)

    for n in range(1, 1001):
        a.value = n

    assert len(seen) == 1001
    assert all(left == n + 1 and right == n * 2 for n, (left, right) in enumerate(seen))
    assert runs == 1001


def test_an_unchanged_recomputed_value_stops_propagation() -> None:
    a = Signal(1)
    parity = computed(lambda: a.value % 2)
    downstream_runs = 0

    def label() -> str:
        nonlocal downstream_runs
        downstream_runs += 1
        return "odd" if parity.value else "even"

    text = computed(label)
    seen: list[str] = []
    text.subscribe(seen.append)

    a.value = 3
    a.value = 5
    a.value = 6

    assert seen == ["odd", "even"]
    assert downstream_runs == 2


def test_a_chain_of_five_thousand_computeds_needs_no_deep_recursion() -> None:
    head = Signal(0)
    node: Signal[int] | Computed[int] = head
    for _ in range(5000):
        node = computed(partial(_plus_one, node))

    assert node.value == 5000
    head.value = 1
    assert node.value == 5001


def test_a_deep_chain_with_a_subscriber_on_the_tail_emits_each_change() -> None:
    head = Signal(0)
    node: Signal[int] | Computed[int] = head
    for _ in range(3000):
        node = computed(partial(_plus_one, node))
    seen: list[int] = []
    node.subscribe(seen.append)

    head.value = 10

    assert seen == [3000, 3010]


def _plus_one(source: Signal[int] | Computed[int]) -> int:
    return source.value + 1


def test_a_raising_function_re_raises_on_read_and_recovers() -> None:
    a = Signal(0)
    inverse = computed(lambda: 1 / a.value)

    with pytest.raises(ZeroDivisionError, match="division by zero"):
        _ = inverse.value
    with pytest.raises(ZeroDivisionError, match="division by zero"):
        _ = inverse.value

    a.value = 4
    assert inverse.value == 0.25


def test_the_observable_of_a_raising_computed_does_not_terminate() -> None:
    a = Signal(1)
    inverse = computed(lambda: 1 / a.value)
    seen: list[float] = []
    ended: list[str] = []
    inverse.subscribe(
        seen.append, lambda e: ended.append("error"), lambda: ended.append("done")
    )

    a.value = 0
    a.value = 2

    assert seen == [1.0, 0.5]
    assert ended == []


def test_recovering_to_the_value_last_emitted_emits_nothing() -> None:
    a = Signal(1)
    inverse = computed(lambda: 1 / a.value)
    seen: list[float] = []
    inverse.subscribe(seen.append)

    a.value = 0  # raises: subscribers hear nothing
    a.value = 1  # back to 1.0, which they already have
    a.value = 0
    a.value = 2

    assert seen == [1.0, 0.5]


def test_a_computed_that_reads_itself_raises_a_cycle_error() -> None:
    holder: list[Computed[int]] = []
    loop = computed(lambda: holder[0].value + 1)
    holder.append(loop)

    with pytest.raises(CycleError, match="read its own value while computing it"):
        _ = loop.value


def test_a_computed_is_an_observable_that_composes_with_rx() -> None:
    a = Signal(1)
    doubled = computed(lambda: a.value * 2)
    seen: list[int] = []

    reactivex.combine_latest(doubled, a).pipe(ops.map(sum)).subscribe(seen.append)
    a.value = 2

    assert seen[0] == 3
    assert seen[-1] == 6


def test_a_computed_emits_once_per_batch() -> None:
    a, b = Signal(1), Signal(2)
    total = computed(lambda: a.value + b.value)
    seen: list[int] = []
    total.subscribe(seen.append)

    with batch():
        a.value = 10
        b.value = 20

    assert seen == [3, 30]


def test_a_late_subscriber_gets_the_last_emitted_value_then_changes() -> None:
    a = Signal(1)
    doubled = computed(lambda: a.value * 2)
    first: list[int] = []
    second: list[int] = []
    doubled.subscribe(first.append)

    def join_late(value: int) -> None:
        if value == 4 and not second:
            doubled.subscribe(second.append)

    a.subscribe(lambda v: join_late(doubled.value))
    a.value = 2
    a.value = 3

    assert first == [2, 4, 6]
    assert second[-1] == 6


def test_a_subscriber_of_a_computed_that_raises_is_isolated() -> None:
    a = Signal(1, name="a")
    doubled = computed(lambda: a.value * 2, name="doubled")
    seen: list[int] = []

    def raising(value: int) -> None:
        if value > 2:
            raise ValueError("bad subscriber")

    doubled.subscribe(raising)
    doubled.subscribe(seen.append)

    with pytest.raises(SubscriberError, match="<Computed doubled") as info:
        a.value = 2

    assert seen == [2, 4]
    assert info.value.signal is doubled


def test_untracked_reads_do_not_become_dependencies() -> None:
    a, b = Signal(1), Signal(10)
    runs = 0

    def total() -> int:
        nonlocal runs
        runs += 1
        return a.value + untracked(lambda: b.value) + b.peek()

    summed = computed(total)
    assert summed.value == 21
    b.value = 20
    assert summed.value == 21
    assert runs == 1


def test_dependencies_follow_the_branch_that_ran() -> None:
    flag, left, right = Signal(True), Signal("l"), Signal("r")
    runs = 0

    def pick() -> str:
        nonlocal runs
        runs += 1
        return left.value if flag.value else right.value

    picked = computed(pick)
    assert picked.value == "l"
    right.value = "R"
    assert picked.value == "l"
    assert runs == 1

    flag.value = False
    assert picked.value == "R"
    left.value = "L"
    assert picked.value == "R"
    assert runs == 2


def test_a_computed_made_in_a_constructor_is_disposed_with_its_owner() -> None:
    owner = Disposable()
    a = Signal(1)
    with owning(owner):
        doubled = computed(lambda: a.value * 2)
    done: list[bool] = []
    doubled.subscribe(on_completed=lambda: done.append(True))

    owner.dispose()

    assert done == [True]
    assert doubled.is_disposed
    assert a._targets == []


class Person(Disposable):
    first = signal("Ada")
    last = signal("Lovelace")

    @computed
    def full(self) -> str:
        return f"{self.first} {self.last}"


def test_computed_on_a_method_is_a_cached_per_instance_property() -> None:
    ada, grace = Person(), Person()
    grace.first = "Grace"
    grace.last = "Hopper"

    assert ada.full == "Ada Lovelace"
    assert grace.full == "Grace Hopper"
    full = signal_of(ada, "full")
    assert isinstance(full, Computed)
    assert full is signal_of(ada, "full")
    assert full.name == "Person.full"


def test_a_computed_property_cannot_be_assigned() -> None:
    person = Person()

    with pytest.raises(AttributeError, match=r"Person.full is a computed value"):
        person.full = "x"


def test_disposing_the_instance_disposes_its_computed_properties() -> None:
    person = Person()
    full = signal_of(person, "full")
    assert person.full == "Ada Lovelace"

    person.dispose()

    assert isinstance(full, Computed)
    assert full.is_disposed


def test_statistics_count_recomputes_and_changes() -> None:
    a = Signal(1, name="a")
    parity = computed(lambda: a.value % 2, name="parity")
    parity.subscribe(lambda v: None)

    a.value = 3
    a.value = 4

    stats = parity.statistics()
    assert (stats.name, stats.subscribers, stats.recomputes, stats.writes) == (
        "parity",
        1,
        3,
        2,
    )


def test_the_repr_shows_name_value_and_subscribers() -> None:
    a = Signal(1)
    doubled = computed(lambda: a.value * 2, name="doubled")

    assert repr(doubled) == "<Computed doubled=(not computed yet) (0 subscribers)>"
    doubled.subscribe(lambda v: None)
    assert repr(doubled) == "<Computed doubled=2 (1 subscriber)>"


def test_a_computed_read_from_another_thread_gets_a_fresh_value() -> None:
    a = Signal(1)
    doubled = computed(lambda: a.value * 2)
    results: list[int] = []

    def read() -> None:
        a.value = 21
        results.append(doubled.value)

    thread = threading.Thread(target=read)
    thread.start()
    thread.join()

    assert results == [42]


def test_an_effect_sees_a_diamond_settled() -> None:
    a = Signal(1)
    b = computed(lambda: a.value + 1)
    c = computed(lambda: a.value * 10)
    seen: list[tuple[int, int]] = []
    effect(lambda: seen.append((b.value, c.value)))

    a.value = 2

    assert seen == [(2, 10), (3, 20)]


def test_threads_writing_and_reading_leave_computeds_and_effects_consistent() -> None:
    a, b = Signal(0), Signal(0)
    total = computed(lambda: a.value + b.value)
    doubled = computed(lambda: total.value * 2)
    seen: list[int] = []
    effect(lambda: seen.append(doubled.value))
    errors: list[BaseException] = []

    def work(signal: Signal[int], offset: int) -> None:
        try:
            for n in range(2000):
                signal.value = offset + n
                _ = doubled.value
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=work, args=(signal, offset))
        for signal, offset in ((a, 0), (b, 10_000), (a, 20_000), (b, 30_000))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert doubled.value == 2 * (a.value + b.value)
    assert seen[-1] == doubled.value


def test_an_unwatched_computed_is_freed_with_its_last_reference() -> None:
    a = Signal(1)
    doubled = computed(lambda: a.value * 2)
    assert doubled.value == 2
    ref = weakref.ref(doubled)

    del doubled
    gc.collect()

    assert ref() is None
    assert not a._targets


def test_a_computed_is_linked_only_while_something_watches_it() -> None:
    a = Signal(1)
    inner = computed(lambda: a.value + 1)
    outer = computed(lambda: inner.value * 10)
    assert outer.value == 20
    assert not a._targets

    subscription = outer.subscribe(lambda v: None)
    assert a._targets == [inner]
    a.value = 2
    assert outer.value == 30

    subscription.dispose()
    assert not a._targets
    a.value = 3
    assert outer.value == 40


def test_an_effect_links_what_it_reads_and_unlinks_it_when_disposed() -> None:
    a = Signal(1)
    doubled = computed(lambda: a.value * 2)
    seen: list[int] = []

    running = effect(lambda: seen.append(doubled.value))
    a.value = 2
    running.dispose()
    a.value = 3

    assert seen == [2, 4]
    assert not a._targets
    assert doubled.value == 6


def test_the_repr_tells_a_computed_never_run_from_a_stale_one() -> None:
    a = Signal(1)
    runs: list[int] = []
    doubled = computed(lambda: runs.append(a.value) or a.value * 2, name="doubled")

    assert repr(doubled) == "<Computed doubled=(not computed yet) (0 subscribers)>"
    assert doubled.value == 2
    assert repr(doubled) == "<Computed doubled=2 (0 subscribers)>"
    a.value = 5
    assert repr(doubled) == "<Computed doubled=(stale) (0 subscribers)>"
    assert runs == [1]  # the reprs ran nothing


def test_a_computed_is_stale_only_when_what_it_reads_moved() -> None:
    a = Signal(1, name="a")
    unrelated = Signal(0, name="unrelated")
    runs: list[int] = []
    doubled = computed(lambda: runs.append(a.value) or a.value * 2, name="doubled")
    quadrupled = computed(lambda: doubled.value * 2, name="quadrupled")
    assert quadrupled.value == 4

    unrelated.value = 1  # any write moves the graph, not what they read

    assert repr(doubled) == "<Computed doubled=2 (0 subscribers)>"
    assert repr(quadrupled) == "<Computed quadrupled=4 (0 subscribers)>"
    a.value = 2  # read through doubled: quadrupled may have moved too
    assert repr(quadrupled) == "<Computed quadrupled=(stale) (0 subscribers)>"
    assert runs == [1]  # the reprs ran nothing


def test_an_unnamed_computed_is_named_after_its_function() -> None:
    def doubled() -> int:
        raise AssertionError("not run by repr")

    node = Computed(doubled)

    assert repr(node) == (
        "<Computed test_an_unnamed_computed_is_named_after_its_function"
        ".<locals>.doubled=(not computed yet) (0 subscribers)>"
    )


def test_a_self_reading_computed_names_its_function_in_the_cycle_error() -> None:
    def loop() -> int:
        return node.value + 1

    node: Computed[int] = Computed(loop)

    with pytest.raises(CycleError, match=r"<Computed .*\.loop=\(not computed yet\)"):
        _ = node.value


def test_a_computed_named_like_a_secret_hides_its_value() -> None:
    token = Signal("abc")
    node = Computed(lambda: token.value.upper(), name="session_token")

    assert node.value == "ABC"
    assert repr(node) == "<Computed session_token=<redacted> (0 subscribers)>"


def test_a_suspended_computed_raises_to_readers_and_emits_once_it_has_a_value() -> None:
    from reactivex.subject import Subject

    from impact_rx import SuspendedError, Suspense

    work: Subject[int] = Subject()
    pending = Suspense.from_(work)
    doubled = Computed(lambda: pending.use() * 2, name="doubled")
    seen: list[int] = []
    doubled.subscribe(seen.append)

    with pytest.raises(SuspendedError, match="is still pending") as info:
        _ = doubled.value
    assert info.value.suspense is pending
    assert seen == []

    work.on_next(21)

    assert seen == [42]
    assert doubled.value == 42


def _read_while_another_thread_delivers(read: Callable[[], object]) -> list[object]:
    """Run ``read`` on a second thread while this thread is inside a delivery."""
    outcome: list[object] = []
    done = threading.Event()

    def other() -> None:
        try:
            outcome.append(read())
        except Exception as exc:
            outcome.append(exc)
        done.set()

    def subscriber(value: int) -> None:
        if value:
            threading.Thread(target=other).start()
            assert done.wait(30), "the reading thread never finished"

    trigger = Signal(0)
    trigger.subscribe(subscriber)
    trigger.value = 1
    return outcome


def test_a_chain_5000_deep_read_from_a_thread_during_a_delivery_works() -> None:
    a = Signal(0)
    node: Signal[int] | Computed[int] = a
    for _ in range(5_000):
        node = computed(partial(lambda source: source.value + 1, node))
    assert node.value == 5_000
    a.value = 1

    assert _read_while_another_thread_delivers(lambda: node.value) == [5_001]


def test_a_deep_diamond_read_from_a_thread_during_a_delivery_runs_each_once() -> None:
    a = Signal(1)
    layer: list[Signal[int] | Computed[int]] = [a]
    runs = [0]

    def add(sources: list[Signal[int] | Computed[int]]) -> int:
        runs[0] += 1
        return sum(source.value for source in sources)

    for _ in range(25):  # without sharing, 3**25 runs: a hang
        layer = [computed(partial(add, list(layer))) for _ in range(3)]
    sink = computed(partial(add, layer))
    assert sink.value == 3**25
    a.value = 2
    runs[0] = 0

    assert _read_while_another_thread_delivers(lambda: sink.value) == [2 * 3**25]
    assert runs[0] == 76


def test_a_self_reading_computed_read_during_a_delivery_raises_cycle_error() -> None:
    holder: list[Computed[int]] = []
    looped = computed(lambda: holder[0].value + 1, name="looped")
    holder.append(looped)

    (outcome,) = _read_while_another_thread_delivers(lambda: looped.value)

    assert isinstance(outcome, CycleError)
    assert "looped" in str(outcome)


def test_a_subscriber_always_rewriting_a_computed_source_ends_in_cycle_error() -> None:
    a = Signal(0)
    doubled = computed(lambda: a.value * 2, name="doubled")
    seen: list[int] = []

    def bump(value: int) -> None:
        seen.append(value)
        if value:
            a.value = a.peek() + 1

    doubled.subscribe(bump)
    with pytest.raises(CycleError, match=r"doubled.* ran 100 times while one change"):
        a.value = 1

    assert len(seen) == 101  # the initial value, then 100 runs
    seen.clear()
    with pytest.raises(CycleError, match="ran 100 times"):
        a.value = 1_000  # still subscribed: the next change is caught again
    assert len(seen) == 100


def test_a_computed_subscribe_whose_delivery_raises_leaves_nothing_watched() -> None:
    a = Signal(0)
    doubled = computed(lambda: a.value * 2)
    other = Signal(0, name="other")

    def fail(value: int) -> None:
        if value:
            raise ValueError("other's subscriber failed")

    other.subscribe(fail)

    def write_other(value: int) -> None:
        other.value += 1

    with pytest.raises(SubscriberError, match="of <Signal other=1"):
        doubled.subscribe(write_other)

    assert doubled.statistics().subscribers == 0
    assert not a._targets


# -- the inline refresh of an unwatched node with one source ------------------


def test_a_one_source_computed_that_starts_reading_another_tracks_it() -> None:
    flag = Signal(0)
    other = Signal(10)
    runs = []

    def pick() -> int:
        runs.append(flag.value)
        return flag.value if flag.value < 2 else flag.value + other.value

    picked = computed(pick)
    for value in (0, 1):  # one source: refreshed inline
        flag.value = value
        assert picked.value == value
    flag.value = 2  # now it reads other too
    assert picked.value == 12
    other.value = 20
    assert picked.value == 22
    assert picked.value == 22  # cached: no run without a write
    assert runs == [0, 1, 2, 2]
    assert picked.statistics().recomputes == 4


def test_an_unwatched_one_source_computed_subscribed_later_is_notified() -> None:
    source = Signal(1)
    doubled = computed(lambda: source.value * 2)
    for value in (2, 3):
        source.value = value
        assert doubled.value == value * 2
    seen: list[int] = []
    subscription = doubled.subscribe(seen.append)
    source.value = 4
    subscription.dispose()
    source.value = 5
    assert seen == [6, 8]
    assert doubled.value == 10


def test_an_unwatched_one_source_computed_reraises_then_recovers() -> None:
    source = Signal(1)

    def inverse() -> float:
        return 1 / source.value

    inverted = computed(inverse)
    source.value = 2
    assert inverted.value == 0.5
    source.value = 0
    with pytest.raises(ZeroDivisionError, match="division by zero"):
        _ = inverted.value
    with pytest.raises(ZeroDivisionError, match="division by zero"):
        _ = inverted.value
    source.value = 4
    assert inverted.value == 0.25


class _Unequal:
    """A value whose ``==`` raises, or answers with something not a bool."""

    def __init__(self, answer: object) -> None:
        self.answer = answer

    def __eq__(self, other: object) -> bool:
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer  # type: ignore[return-value]

    __hash__ = object.__hash__


@pytest.mark.parametrize("answer", [ValueError("no"), "yes", True])
def test_an_unwatched_computed_compares_results_by_the_default_rule(
    answer: object,
) -> None:
    source = Signal(0)
    made = computed(lambda: (source.value, _Unequal(answer))[1])
    source.value = 1
    first = made.value
    version = made.statistics().writes
    source.value = 2
    second = made.value
    # Only a plain True keeps the old result; a raise or a non-bool is a change.
    if answer is True:
        assert second is first
        assert made.statistics().writes == version
    else:
        assert second is not first
        assert made.statistics().writes == version + 1


def test_a_computed_suspended_on_an_untracked_suspense_recomputes() -> None:
    from reactivex.subject import Subject

    from impact_rx import SuspendedError, Suspense, untracked

    work: Subject[int] = Subject()
    pending = Suspense.from_(work)
    doubled = Computed(lambda: untracked(pending.use) * 2, name="doubled")
    with pytest.raises(SuspendedError, match="is still pending"):
        _ = doubled.value
    work.on_next(21)
    assert doubled.value == 42


def test_an_unwatched_computed_that_starts_reading_another_signal_follows_it() -> None:
    a = Signal(1, name="a")
    b = Signal(10, name="b")
    pick = Computed(lambda: a.value if a.value < 5 else a.value + b.value)
    assert pick.value == 1
    a.value = 2  # one source: recomputed on the solo path
    assert pick.value == 2
    a.value = 6  # now it reads b too
    assert pick.value == 16
    b.value = 20
    assert pick.value == 26
    a.value = 3  # and drops b again
    b.value = 30
    assert pick.value == 3


def test_another_threads_reads_during_a_recompute_are_not_dependencies() -> None:
    from thread_helpers import wait_for

    source = Signal(1, name="source")
    other = Signal(100, name="other")
    runs: list[int] = []

    def fn() -> int:
        wait_for(lambda: other.value)  # read by another thread meanwhile
        runs.append(source.value)
        return source.value * 2

    doubled = Computed(fn, name="doubled")
    assert doubled.value == 2
    source.value = 2  # the solo path
    assert doubled.value == 4
    other.value = 200
    assert doubled.value == 4
    assert runs == [1, 2]


def test_computed_with_options_only_is_a_decorator() -> None:
    class Meter(Disposable):
        reading = signal(1.0)

        @computed(equals=lambda old, new: round(old) == round(new))
        def rounded(self) -> float:
            return self.reading

    a = Signal(10)
    tens = computed(name="tens", equals=lambda old, new: old // 10 == new // 10)(
        lambda: a.value
    )
    seen: list[int] = []
    tens.subscribe(seen.append)
    a.value = 15  # same ten: equal, nothing emitted
    a.value = 21
    meter = Meter()
    assert meter.rounded == 1.0
    meter.reading = 1.2

    assert seen == [10, 21]
    assert tens.name == "tens"
    assert meter.rounded == 1.0  # 1.2 counts as equal to 1.0: kept


def test_computed_refuses_a_value_that_is_not_a_function() -> None:
    with pytest.raises(TypeError, match=r"computed\(\) takes a function, got int"):
        computed(3)  # type: ignore[call-overload]


def test_reading_a_computed_disposed_before_it_ever_ran_raises_disposed_error() -> None:
    never = computed(lambda: 1, name="never")
    never.dispose()

    with pytest.raises(
        DisposedError,
        match=r"computed never was disposed before it ever ran, so it has no"
        r" value: a disposed computed stops following its sources\. Read the"
        r" signals it reads directly, or read it before it \(or its owner\)"
        r" is disposed\.",
    ):
        _ = never.value
    with pytest.raises(DisposedError, match=r"computed never was disposed before"):
        never.peek()
    assert repr(never) == "<Computed never=(disposed) (0 subscribers)>"


class Counter(Disposable):
    count = signal(0)

    @computed
    def double(self) -> int:
        return self.count * 2


def test_reading_a_disposed_computed_raises_instead_of_a_stale_value() -> None:
    counter = Counter()
    assert counter.double == 0
    counter.count = 5

    counter.dispose()

    assert counter.count == 5
    with pytest.raises(
        DisposedError,
        match=r"computed Counter\.double was disposed, so its last value may be"
        r" stale: a disposed computed stops following its sources\. Read the"
        r" signals it reads directly, or read it before it \(or its owner\)"
        r" is disposed\.",
    ):
        _ = counter.double
    with pytest.raises(DisposedError, match=r"Counter\.double was disposed"):
        signal_of(counter, "double").peek()


def test_a_disposed_computed_that_had_failed_raises_disposed_error() -> None:
    a = Signal(0)
    inverse = computed(lambda: 1 / a.value, name="inverse")
    with pytest.raises(ZeroDivisionError):
        _ = inverse.value

    inverse.dispose()

    with pytest.raises(DisposedError, match=r"computed inverse was disposed"):
        _ = inverse.value


def test_a_disposed_computeds_reprs_say_disposed_and_do_not_raise() -> None:
    from impact_rx.notebook import html_repr

    counter = Counter()
    assert counter.double == 0
    double = signal_of(counter, "double")

    counter.dispose()

    assert repr(double) == "<Computed Counter.double=(disposed) (0 subscribers)>"
    html = html_repr(double)
    assert "<b>Counter.double</b>" in html
    assert "disposed</span>" in html
    assert "DisposedError" not in html


def test_a_computed_property_first_read_after_its_owner_was_disposed_raises() -> None:
    class Cart(Disposable):
        items = signal(("pen",))

        @computed
        def size(self) -> int:
            return len(self.items)

    cart = Cart()
    cart.dispose()

    with pytest.raises(DisposedError, match=r"Cart\.size was disposed before it"):
        _ = cart.size


def test_assigning_a_computeds_value_says_which_computed_and_what_to_write() -> None:
    a = Signal(1)
    doubled = computed(lambda: a.value * 2, name="doubled")

    with pytest.raises(
        AttributeError, match=r"computed doubled is read-only.*write the signals"
    ):
        doubled.value = 3  # type: ignore[misc]
    assert doubled.value == 2


def test_the_computed_class_refuses_a_value_that_is_not_a_function() -> None:
    with pytest.raises(TypeError, match=r"Computed\(\) takes a function, got int"):
        Computed(3)  # type: ignore[arg-type]


def test_a_computed_refuses_options_of_the_wrong_type() -> None:
    with pytest.raises(TypeError, match=r"computed\(\) takes equals= as a function"):
        computed(lambda: 1, equals=5)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match=r"Computed\(\) takes name= as a str, got int"):
        Computed(lambda: 1, name=5)  # type: ignore[arg-type]


def test_a_one_argument_function_used_as_a_computed_says_it_made_a_decorator() -> None:
    a = Signal(2)
    doubled = computed(lambda v: v * a.value)

    with pytest.raises(
        AttributeError,
        match=r"computed\(\) made a method decorator.*has no 'value'"
        r".*a function of no arguments",
    ):
        _ = doubled.value  # type: ignore[attr-defined]
    with pytest.raises(AttributeError, match=r"has no 'subscribe'"):
        doubled.subscribe(print)  # type: ignore[attr-defined]


def test_a_computed_property_on_a_class_without_a_dict_says_what_to_add() -> None:
    class Slotted:
        __slots__ = ()

        @computed
        def size(self) -> int:
            return 1

    with pytest.raises(
        TypeError, match=r"computed Slotted\.size needs instances with a __dict__"
    ):
        _ = Slotted().size


def test_a_computed_whose_equals_raises_keeps_raising_it_until_its_inputs_change() -> (
    None
):
    def same(old: int, new: int) -> bool:
        if new == 3:
            raise ValueError("equals broke")
        return old == new

    a = Signal(1)
    copy = computed(lambda: a.value, equals=same)
    assert copy.value == 1

    a.value = 3
    for _ in range(2):  # never the stale 1
        with pytest.raises(ValueError, match=r"equals broke"):
            _ = copy.value
    a.value = 4
    assert copy.value == 4


def test_a_watched_computed_whose_equals_raises_emits_nothing_and_recovers() -> None:
    def same(old: int, new: int) -> bool:
        if new == 3:
            raise ValueError("equals broke")
        return old == new

    a = Signal(1)
    copy = computed(lambda: a.value, equals=same, name="copy")
    seen: list[int] = []
    copy.subscribe(seen.append)

    a.value = 3  # as for a raising function: subscribers are not told
    with pytest.raises(ValueError, match=r"equals broke"):
        _ = copy.value
    a.value = 4

    assert seen == [1, 4]


def test_a_watched_computed_recovering_where_equals_raises_delivers_its_value() -> None:
    def same(old: int, new: int) -> bool:
        if old == 1:
            raise ValueError("equals broke")
        return old == new

    a = Signal(1)
    copy = computed(lambda: a.value, equals=same, name="copy")
    seen: list[int] = []
    sub = copy.subscribe(seen.append)
    a.value = 3  # equals(1, 3) raises: the computed fails, nobody is told
    with pytest.raises(ValueError, match=r"equals broke"):
        _ = copy.value
    a.value = 4  # recovered; equals(1, 4), last delivered against new, raises
    assert (seen, copy.value) == ([1, 4], 4)
    sub.dispose()


def test_a_computed_property_overridden_in_a_subclass_can_read_the_parents() -> None:
    class Base(Disposable):
        count = signal(1)

        @computed
        def total(self) -> int:
            return self.count * 10

    class Child(Base):
        @computed
        def total(self) -> int:
            return super().total + 1

    child = Child()
    assert child.total == 11
    child.count = 2
    assert child.total == 21
    assert signal_of(child, "total").name == "Child.total"
    assert Base().total == 10
    with pytest.raises(AttributeError, match=r"signals and computeds: count, total\.$"):
        signal_of(child, "totl")


def test_computed_refuses_an_async_function_whose_value_would_be_a_coroutine() -> None:
    async def load() -> int:
        return 1

    with pytest.raises(TypeError, match=r"computed\(\) runs .*load is async"):
        computed(load)
    with pytest.raises(TypeError, match=r"Computed\(\) runs .*load is async"):
        Computed(load)

    with pytest.raises(TypeError, match=r"computed\(\) runs .*fetch is async"):

        class Shop:
            @computed
            async def fetch(self) -> int:
                return 1


def test_a_watched_computed_reading_its_source_only_untracked_drops_it() -> None:
    a = Signal(1, name="a")
    tracked = Signal(True, name="tracked")
    runs: list[int] = []

    def read() -> int:
        runs.append(a.peek())
        if tracked.peek():
            return a.value
        return untracked(lambda: a.value)

    last = computed(read)
    seen: list[int] = []
    sub = last.subscribe(seen.append)
    tracked.value = False
    a.value = 2  # its one source moved: it runs, and reads a untracked only
    a.value = 3  # no dependency any more: nothing runs
    assert (seen, last.value, runs) == ([1, 2], 2, [1, 2])
    assert last.statistics().recomputes == 2
    sub.dispose()


def test_an_unwatched_computed_reading_its_source_only_untracked_drops_it() -> None:
    a = Signal(1, name="a")
    tracked = Signal(True, name="tracked")
    last = computed(lambda: a.value if tracked.peek() else a.peek())
    assert last.value == 1
    tracked.value = False
    a.value = 2
    assert last.value == 2
    a.value = 3
    assert last.value == 2


def test_a_watched_computed_raising_before_reading_its_source_drops_it() -> None:
    a = Signal(1, name="a")
    fail = Signal(False, name="fail")

    def read() -> int:
        if fail.peek():
            raise ValueError("refused before reading a")
        return a.value

    checked = computed(read)
    sub = checked.subscribe(lambda _: None)
    fail.value = True
    a.value = 2
    with pytest.raises(ValueError, match="refused before reading a"):
        _ = checked.value
    fail.value = False
    a.value = 3  # no dependency: the failure stands, as after any other run
    with pytest.raises(ValueError, match="refused before reading a"):
        _ = checked.value
    assert checked.statistics().recomputes == 2
    sub.dispose()


def test_a_computed_a_watcher_now_reads_through_another_still_follows_writes() -> None:
    flag, a = Signal(False, name="flag"), Signal(1, name="a")
    inner = computed(lambda: a.value * 10, name="inner")
    outer = computed(lambda: inner.value + 1, name="outer")
    seen: list[int] = []
    stop = effect(lambda: seen.append(outer.value if flag.value else inner.value))
    flag.value = True  # the effect drops inner and reads it through outer
    a.value = 2
    assert (seen, outer.value, inner.value) == ([10, 11, 21], 21, 20)
    stop.dispose()


@pytest.mark.parametrize("escape", [RecursionError, KeyboardInterrupt])
def test_a_subscription_whose_first_value_escapes_leaves_the_computed_unwatched(
    escape: type[BaseException],
) -> None:
    # RecursionError (and any BaseException) is never cached as the
    # computed's error: it escapes subscribe(). The computed must not stay
    # linked into its source, watched by nobody and never freed.
    source = Signal(0, name="source")
    failing = [False]

    def read() -> int:
        value = source.value
        if failing[0]:
            failing[0] = False
            raise escape("too deep")
        return value

    node = computed(read, name="node")
    assert node.value == 0
    source.value = 1
    failing[0] = True
    with pytest.raises(escape, match="too deep"):
        node.subscribe(lambda _: None)
    assert not source._targets
    assert node.value == 1
    seen: list[int] = []
    subscription = node.subscribe(seen.append)
    source.value = 2
    subscription.dispose()
    assert seen == [1, 2]
    assert not source._targets
    ref = weakref.ref(node)
    del node
    gc.collect()
    assert ref() is None


def test_adding_to_a_computed_raises_instead_of_concatenating_observables() -> None:
    a = Signal(1)
    double = computed(lambda: a.value * 2, name="double")

    with pytest.raises(
        TypeError,
        match=r"Computed double: `\+` would concatenate Observables; write"
        r" double\.value \+ 1 for a sum \(a computed is read-only",
    ):
        _ = double + 1
    with pytest.raises(TypeError, match=r"Computed double: `\+=` would concatenate"):
        double += 1
    with pytest.raises(TypeError, match=r"Computed double: `\+` would concatenate"):
        _ = 1 + double  # type: ignore[operator]
    assert isinstance(double, Computed)


def test_a_cycle_through_two_computeds_names_the_path() -> None:
    holder: list[Computed[int]] = []
    p = computed(lambda: holder[0].value + 1, name="p")
    q = computed(lambda: p.value + 1, name="q")
    holder.append(q)

    with pytest.raises(CycleError, match=r"computed cycle p -> q -> p:") as caught:
        _ = p.value

    assert "Remove the self-reference" not in str(caught.value)
    with pytest.raises(CycleError, match=r"computed cycle p -> q -> p:"):
        _ = q.value  # the same failure, cached


def test_a_cycle_through_three_computeds_names_the_path_from_the_reader() -> None:
    holder: list[Computed[int]] = []
    a = computed(lambda: holder[0].value, name="a")
    b = computed(lambda: a.value, name="b")
    c = computed(lambda: b.value, name="c")
    holder.append(c)

    with pytest.raises(CycleError, match=r"computed cycle c -> b -> a -> c:"):
        _ = c.value


def test_a_cycle_read_while_another_thread_delivers_names_the_path() -> None:
    holder: list[Computed[int]] = []
    p = computed(lambda: holder[0].value + 1, name="p")
    q = computed(lambda: p.value + 1, name="q")
    holder.append(q)

    from thread_helpers import while_delivering

    def read() -> object:
        try:
            return p.value
        except CycleError as exc:
            return str(exc)

    assert str(while_delivering(read)).startswith("computed cycle p -> q -> p:")


class Totals(Disposable):
    count = signal(2)

    def __init__(self) -> None:
        self.saved: list[object] = []
        # Registered before the computed below exists: it is made on first
        # read, in the effect's first run.
        self.on_dispose(lambda: self.saved.append(("saved", self.double)))

        def show() -> Callable[[], None]:
            self.saved.append(self.double)
            return lambda: self.saved.append(("cleanup", self.double))

        self.shown = effect(show, name="show")

    @computed
    def double(self) -> int:
        return self.count * 2


def test_an_owners_cleanups_read_its_computed_properties_before_they_end() -> None:
    # A computed property is made on first read, after the callbacks and
    # effects the constructor registered: ended last, so they still read it.
    totals = Totals()
    totals.count = 3

    totals.dispose()

    assert totals.saved == [4, ("cleanup", 6), 6, ("cleanup", 6), ("saved", 6)]
    with pytest.raises(DisposedError, match=r"Totals\.double was disposed"):
        _ = totals.double


def test_a_subscriber_disposed_by_an_earlier_one_mid_delivery_hears_no_more() -> None:
    a = Signal(1, name="a")
    plus = computed(lambda: a.value + 1, name="plus")
    first: list[int] = []
    later: list[int] = []
    handles: list[DisposableBase] = []

    def dispose_the_next(value: int) -> None:
        first.append(value)
        if value == 4:
            handles[0].dispose()

    plus.subscribe(dispose_the_next)
    handles.append(plus.subscribe(later.append))
    a.value = 2
    a.value = 3  # ``later`` is disposed while 4 is being delivered
    a.value = 4

    assert first == [2, 3, 4, 5]
    assert later == [2, 3]


def test_every_raising_subscriber_of_a_pushed_computed_is_reported_in_order() -> None:
    a = Signal(1, name="a")
    plus = computed(lambda: a.value + 1, name="plus")
    seen: list[tuple[str, int]] = []

    def raising(label: str) -> Callable[[int], None]:
        def receive(value: int) -> None:
            seen.append((label, value))
            if value > 2:
                raise ValueError(f"{label} failed on {value}")

        return receive

    def ok(label: str) -> Callable[[int], None]:
        return lambda value: seen.append((label, value))

    for subscriber in (ok("a"), raising("b"), ok("c"), raising("d"), ok("e")):
        plus.subscribe(subscriber)
    seen.clear()

    with pytest.raises(SubscriberError, match="<Computed plus") as info:
        a.value = 2

    assert seen == [("a", 3), ("b", 3), ("c", 3), ("d", 3), ("e", 3)]
    assert [str(exc) for exc in info.value.exceptions] == [
        "b failed on 3",
        "d failed on 3",
    ]
    assert plus.value == 3


def test_a_computed_unsubscribed_by_another_ones_subscriber_in_a_pass_stays_fresh() -> (
    None
):
    a = Signal(1, name="a")
    runs: list[str] = []

    def first_fn() -> int:
        runs.append("first")
        return a.value + 1

    def second_fn() -> int:
        runs.append("second")
        return a.value * 10

    first = computed(first_fn, name="first")
    second = computed(second_fn, name="second")
    heard: list[int] = []
    handles: list[DisposableBase] = []

    def unsubscribe_second(value: int) -> None:
        if value == 3:
            handles[0].dispose()

    first.subscribe(unsubscribe_second)
    handles.append(second.subscribe(heard.append))
    runs.clear()

    a.value = 2  # ``second`` loses its subscriber before its turn in the pass

    assert heard == [10]
    assert runs == ["first", "second"]  # each ran once for the write
    assert second.value == 20
    a.value = 3  # unwatched now: nothing marks it, a read validates it
    assert heard == [10]
    assert second.value == 30
    assert runs == ["first", "second", "first", "second"]
