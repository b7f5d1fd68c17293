"""Effects, observe scopes, batch and untracked."""

from __future__ import annotations

import gc
import re
import weakref
from collections.abc import Callable
from functools import partial

import pytest

from impact_rx import (
    Computed,
    CycleError,
    Disposable,
    Signal,
    SubscriberError,
    batch,
    computed,
    effect,
    observe,
)
from impact_rx._disposable import owning
from impact_rx._effect import Effect


def test_an_effect_runs_now_and_once_per_change() -> None:
    a = Signal(1)
    seen: list[int] = []

    stop = effect(lambda: seen.append(a.value))
    a.value = 2
    a.value = 2
    a.value = 3

    assert seen == [1, 2, 3]
    stop.dispose()


def test_a_cleanup_runs_before_the_next_run_and_on_dispose() -> None:
    a = Signal(1)
    log: list[str] = []

    def run() -> object:
        value = a.value
        log.append(f"run {value}")
        return lambda: log.append(f"cleanup {value}")

    stop = effect(run)
    a.value = 2
    stop.dispose()
    stop.dispose()

    assert log == ["run 1", "cleanup 1", "run 2", "cleanup 2"]


def test_a_disposed_effect_stops_and_keeps_no_reference_to_its_function() -> None:
    a = Signal(1)
    seen: list[int] = []

    class Payload:
        pass

    payload = Payload()
    ref = weakref.ref(payload)

    def run(captured: Payload = payload) -> None:
        seen.append(a.value)

    stop = effect(run)
    stop.dispose()
    del run, payload
    gc.collect()
    a.value = 2

    assert seen == [1]
    assert ref() is None
    assert a._targets == []


def test_an_effect_that_writes_what_it_reads_does_not_retrigger_itself() -> None:
    count = Signal(0)
    runs = 0

    def bump() -> None:
        nonlocal runs
        runs += 1
        if count.value < 100:
            count.value = count.value + 1

    effect(bump)

    assert runs == 1
    assert count.value == 1
    count.value = 10
    assert runs == 2
    assert count.value == 11


def test_effects_that_keep_triggering_each_other_raise_a_cycle_error() -> None:
    ping, pong = Signal(0), Signal(0)
    first = effect(lambda: pong.set(ping.value + 1))
    runs: list[int] = []

    def second() -> None:
        runs.append(pong.value)
        ping.set(pong.value + 1)

    with pytest.raises(
        CycleError,
        match=r"ran 100 times while one change settled.*stopped \(disposed\)",
    ):
        effect(second)

    assert first.is_disposed  # the effect that hit the cap was stopped
    runs.clear()
    pong.value = 1000  # effect() raised, so its effect was not kept either
    ping.value = -5
    assert runs == []
    assert (ping.value, pong.value) == (-5, 1000)


def test_an_effect_whose_first_changes_fail_to_deliver_is_not_kept() -> None:
    source, out = Signal(1), Signal(0, name="out")
    runs: list[int] = []

    def refuse(value: int) -> None:
        if value == 1:
            raise ValueError("no")

    out.subscribe(refuse)

    def mirror() -> None:
        runs.append(source.value)
        out.value = source.value

    with pytest.raises(SubscriberError, match=r"subscriber.* of .*out.* raised"):
        effect(mirror)

    source.value = 2
    assert runs == [1]


def test_an_effect_batches_its_own_writes_for_subscribers() -> None:
    a, b = Signal(0), Signal(0)
    seen: list[tuple[int, int]] = []
    pair = computed(lambda: (a.value, b.value))
    pair.subscribe(seen.append)
    trigger = Signal(0)

    def write_both() -> None:
        value = trigger.value
        with batch():
            a.value = value
            b.value = value

    effect(write_both)
    trigger.value = 5

    assert seen == [(0, 0), (5, 5)]


def test_a_raising_effect_is_reported_and_keeps_running() -> None:
    a = Signal(0)
    seen: list[int] = []

    def fragile() -> None:
        seen.append(a.value)
        if a.value == 1:
            raise ValueError("effect failed")

    effect(fragile)
    with pytest.raises(SubscriberError, match="ValueError"):
        a.value = 1
    a.value = 2

    assert seen == [0, 1, 2]


def test_an_effect_whose_first_run_raises_is_not_kept() -> None:
    a = Signal(0)

    with pytest.raises(ValueError, match="first run failed"):
        effect(lambda: (a.value, (_ for _ in ()).throw(ValueError("first run failed"))))

    assert a._targets == []


def test_an_effect_whose_first_writes_fail_reports_them_though_its_cleanup_raises() -> (
    None
):
    count = Signal(0, name="count")

    def refuse(value: int) -> None:
        if value:
            raise KeyError("refused")

    count.subscribe(refuse)

    def body() -> Callable[[], None]:
        count.value = 1

        def cleanup() -> None:
            raise RuntimeError("cleanup failed")

        return cleanup

    with pytest.raises(SubscriberError, match=r"KeyError, RuntimeError") as caught:
        effect(body)
    assert [type(exc) for exc in caught.value.exceptions] == [KeyError, RuntimeError]
    assert isinstance(caught.value.__cause__, KeyError)


def test_an_effect_made_in_a_constructor_is_disposed_with_its_owner() -> None:
    owner = Disposable()
    a = Signal(0)
    seen: list[int] = []
    with owning(owner):
        effect(lambda: seen.append(a.value))

    owner.dispose()
    a.value = 1

    assert seen == [0]


def test_observe_calls_back_once_per_settled_change_until_disposed() -> None:
    a, b = Signal(1), Signal(2)
    total = computed(lambda: a.value + b.value)
    calls: list[int] = []

    with observe(lambda: calls.append(total.peek())) as scope:
        assert total.value == 3

    a.value = 10
    with batch():
        a.value = 20
        b.value = 30
    scope.dispose()
    a.value = 0

    assert calls == [12, 50]


def test_observe_records_only_what_the_block_read() -> None:
    a, b = Signal(1), Signal(2)
    calls: list[str] = []

    with observe(lambda: calls.append("changed")) as scope:
        _ = a.value
    _ = b.value
    b.value = 3

    assert calls == []
    assert scope.sources == (a,)


def test_an_effect_reading_a_deep_chain_runs_once_per_write() -> None:
    head = Signal(0)
    nodes: list[Signal[int] | Computed[int]] = [head]
    for _ in range(2000):
        nodes.append(computed(partial(_plus_one, nodes[-1])))
    seen: list[int] = []
    tail = nodes[-1]
    effect(lambda: seen.append(tail.value))

    head.value = 5

    assert seen == [2000, 2005]


def _plus_one(source: Signal[int] | Computed[int]) -> int:
    return source.value + 1


def test_an_effect_that_disposes_itself_is_left_unlinked() -> None:
    a = Signal(0)
    holder: list[Effect] = []

    def once() -> None:
        if a.value and holder:
            holder[0].dispose()

    holder.append(effect(once))
    a.value = 1

    assert a._targets == []
    assert holder[0].is_disposed


def test_a_raising_effect_is_reported_as_itself_naming_the_write_it_reacted_to() -> (
    None
):
    a = Signal(1, name="a")

    def eff() -> None:
        if a.value == 2:
            raise ValueError("bad")

    running = effect(eff)

    with pytest.raises(
        SubscriberError,
        match=r"^effect .*eff raised ValueError while reacting to a write to a\.",
    ) as info:
        a.value = 2
    assert isinstance(info.value.__cause__, ValueError)
    assert info.value.exceptions == (info.value.__cause__,)
    assert info.value.signal is running
    running.dispose()


def test_a_raising_effect_names_the_computed_whose_change_triggered_it() -> None:
    a = Signal(1)
    doubled = Computed(lambda: a.value * 2, name="doubled")

    def eff() -> None:
        if doubled.value == 4:
            raise KeyError("bad")

    running = effect(eff)

    with pytest.raises(
        SubscriberError, match=r"raised KeyError while reacting to a change of doubled"
    ):
        a.value = 2
    running.dispose()


def test_a_raising_observe_callback_is_reported_as_the_callback() -> None:
    a = Signal(1, name="a")

    def rerender() -> None:
        raise RuntimeError("render failed")

    with observe(rerender) as scope:
        _ = a.value

    with pytest.raises(
        SubscriberError,
        match=r"^observe callback .*rerender raised RuntimeError"
        r" while reacting to a write to a\.",
    ):
        a.value = 2
    scope.dispose()


def test_an_effect_reading_a_pending_suspense_waits_for_it_without_an_error() -> None:
    from reactivex.subject import Subject

    from impact_rx import Suspense

    work: Subject[str] = Subject()
    user = Suspense.from_(work)
    seen: list[str] = []

    running = effect(lambda: seen.append(user.use()))
    assert seen == []
    assert not running.is_disposed

    work.on_next("ada")

    assert seen == ["ada"]
    running.dispose()


def test_an_effect_that_suspends_on_a_rerun_reports_nothing_and_resumes() -> None:
    from reactivex.subject import Subject

    from impact_rx import Suspense

    first: Subject[int] = Subject()
    second: Subject[int] = Subject()
    current = Signal(Suspense.from_(first), name="current")
    doubled = Computed(lambda: current.value.use() * 2, name="doubled")
    seen: list[int] = []
    running = effect(lambda: seen.append(doubled.value))

    first.on_next(1)
    current.value = Suspense.from_(second)  # pending again: no SubscriberError
    second.on_next(5)

    assert seen == [2, 10]
    running.dispose()


def test_an_effect_on_a_marble_suspense_runs_once_it_settles_in_virtual_time() -> None:
    from impact_rx import Suspense
    from impact_rx.testing import marbles

    seen: list[tuple[int, str]] = []
    with marbles() as m:
        profile = Suspense.from_(m.cold("---a|", {"a": "ada"}), scheduler=m.scheduler)
        running = effect(lambda: seen.append((m.scheduler.frame, profile.use())))
        m.flush()

    assert seen == [(3, "ada")]
    running.dispose()


def test_an_observe_callback_always_rewriting_its_input_ends_in_cycle_error() -> None:
    a = Signal(0)
    calls: list[int] = []

    def rerender() -> None:
        calls.append(a.peek())
        a.value = a.peek() + 1

    with observe(rerender) as scope:
        a.value  # noqa: B018 - recorded

    with pytest.raises(CycleError, match="ran 100 times while one change settled"):
        a.value = 1

    assert len(calls) == 100
    scope.dispose()


def test_an_effect_suspended_on_an_untracked_suspense_still_wakes() -> None:
    from reactivex.subject import Subject

    from impact_rx import Suspense, untracked

    work: Subject[str] = Subject()
    user = Suspense.from_(work)
    runs: list[str] = []
    running = effect(lambda: runs.append(untracked(user.use)))
    assert runs == []
    work.on_next("ada")
    assert runs == ["ada"]
    running.dispose()


def test_an_observe_block_suspended_on_an_untracked_suspense_is_called_back() -> None:
    from reactivex.subject import Subject

    from impact_rx import SuspendedError, Suspense, untracked

    work: Subject[str] = Subject()
    user = Suspense.from_(work)
    renders: list[str] = []

    def render() -> None:
        with scope:
            renders.append(untracked(user.use))

    scope = observe(render)
    with pytest.raises(SuspendedError, match=r"is still pending"):
        render()
    work.on_next("ada")

    assert renders == ["ada"]
    scope.dispose()


def test_effect_refuses_a_value_that_is_not_a_function() -> None:
    with pytest.raises(TypeError, match=r"effect\(\) takes a function to run, got int"):
        effect(3)  # type: ignore[arg-type]


def test_observe_refuses_a_callback_that_is_not_a_function() -> None:
    with pytest.raises(
        TypeError, match=r"observe\(\) takes the function to call back, got str"
    ):
        observe("rerender")  # type: ignore[arg-type]


def test_a_raising_cleanup_is_named_as_the_cleanup_and_the_effect_still_runs() -> None:
    a = Signal(0, name="a")
    runs: list[int] = []

    def track() -> Callable[[], None]:
        runs.append(a.value)

        def cleanup() -> None:
            raise RuntimeError("cleanup broke")

        return cleanup

    running = effect(track)
    with pytest.raises(
        SubscriberError,
        match=r"the cleanup of effect .*track raised RuntimeError while reacting"
        r" to a write to a; the effect still ran",
    ) as caught:
        a.value = 1

    assert runs == [0, 1]
    assert isinstance(caught.value.__cause__, RuntimeError)
    assert not running.is_disposed


def test_a_cleanup_and_a_run_that_both_raise_are_both_reported() -> None:
    a = Signal(0, name="a")

    def track() -> Callable[[], None]:
        if a.value:
            raise ValueError("run broke")

        def cleanup() -> None:
            raise RuntimeError("cleanup broke")

        return cleanup

    effect(track)
    with pytest.raises(
        SubscriberError,
        match=r"the cleanup of effect .*track raised RuntimeError while reacting"
        r" to a write to a, then its run raised ValueError",
    ) as caught:
        a.value = 1

    assert [type(e) for e in caught.value.exceptions] == [RuntimeError, ValueError]


def test_disposing_an_effect_whose_cleanup_raises_stops_it_and_raises_that() -> None:
    a = Signal(0)
    runs: list[int] = []

    def track() -> Callable[[], None]:
        runs.append(a.value)

        def cleanup() -> None:
            raise RuntimeError("cleanup broke")

        return cleanup

    running = effect(track)
    with pytest.raises(RuntimeError, match=r"cleanup broke"):
        running.dispose()
    a.value = 1

    assert runs == [0]
    assert running.is_disposed
    assert running.sources == ()


def test_what_a_subscriber_reads_on_its_first_value_is_no_dependency_of_an_effect() -> (
    None
):
    from reactivex import operators as ops

    from impact_rx import Suspense

    source = Signal(1, name="source")
    other = Signal(10, name="other")
    doubled = computed(lambda: source.value * 2, name="doubled")
    runs: list[int] = []

    def subscribe() -> Callable[[], None]:
        runs.append(source.value)
        first = source.subscribe(lambda v: other.value)
        second = doubled.pipe(ops.map(lambda v: v + other.value)).subscribe(
            lambda v: None
        )
        third = Suspense.resolve("ada").subscribe(lambda state: other.value)

        def cleanup() -> None:
            first.dispose()
            second.dispose()
            third.dispose()

        return cleanup

    running = effect(subscribe)
    assert running.sources == (source,)
    other.value = 11

    assert runs == [1]
    running.dispose()


def test_what_a_subscriber_reads_on_its_first_value_is_no_source_of_a_scope() -> None:
    source = Signal(1, name="source")
    other = Signal(10, name="other")
    calls: list[str] = []

    with observe(lambda: calls.append("changed")) as scope:
        _ = source.value
        subscription = other.subscribe(lambda v: source.peek() + other.value)

    assert scope.sources == (source,)
    other.value = 11
    assert calls == []
    subscription.dispose()
    scope.dispose()


def test_untracked_refuses_a_value_that_is_not_a_function() -> None:
    from impact_rx import untracked

    with pytest.raises(TypeError, match=r"untracked\(\) takes a function to call"):
        untracked(Signal(1).value)  # type: ignore[arg-type]


def test_entering_an_observe_scope_inside_its_own_block_is_refused() -> None:
    a = Signal(1, name="a")
    calls: list[str] = []
    scope = observe(lambda: calls.append("changed"))

    with scope:
        _ = a.value
        with pytest.raises(RuntimeError, match=r"entered again inside its own block"):
            scope.__enter__()

    assert scope.sources == (a,)
    a.value = 2
    assert calls == ["changed"]
    scope.dispose()


def test_effect_and_observe_refuse_an_async_function_whose_body_would_never_run() -> (
    None
):
    async def load() -> None:
        return None

    with pytest.raises(TypeError, match=r"effect\(\) runs .*load is async"):
        effect(load)
    with pytest.raises(TypeError, match=r"observe\(\) calls .*load is async"):
        observe(load)


def test_a_live_effect_of_a_partial_is_not_shown_as_disposed() -> None:
    a = Signal(1)
    running = effect(partial(lambda step: a.value + step, 1))

    assert re.fullmatch(r"<Effect partial@[0-9a-f]+ \(1 source\)>", repr(running))
    running.dispose()
    assert re.fullmatch(r"<Effect partial@[0-9a-f]+ \(disposed\)>", repr(running))


def test_a_batch_whose_block_raises_keeps_and_delivers_its_writes() -> None:
    count = Signal(0, name="count")
    seen: list[int] = []
    count.subscribe(seen.append)

    with pytest.raises(ValueError, match="block failed"), batch():
        count.value = 1
        count.value = 2
        raise ValueError("block failed")

    assert seen == [0, 2]
    assert count.value == 2


def test_a_batch_whose_block_and_delivery_raise_reports_the_delivery() -> None:
    count = Signal(0, name="count")

    def refuse(value: int) -> None:
        if value:
            raise KeyError("refused")

    count.subscribe(refuse)
    with pytest.raises(SubscriberError, match="KeyError") as caught, batch():
        count.value = 1
        raise ValueError("block failed")

    assert isinstance(caught.value.__context__, ValueError)
    assert count.value == 1


def test_disposing_an_effect_whose_cleanup_writes_then_raises_reports_both() -> None:
    count = Signal(0, name="count")

    def refuse(value: int) -> None:
        if value:
            raise KeyError("refused")

    count.subscribe(refuse)

    def body() -> Callable[[], None]:
        def cleanup() -> None:
            count.value = 1  # delivered once the cleanup is done
            raise RuntimeError("cleanup failed")

        return cleanup

    running = effect(body)
    with pytest.raises(SubscriberError, match=r"RuntimeError, KeyError") as caught:
        running.dispose()
    assert [type(exc) for exc in caught.value.exceptions] == [RuntimeError, KeyError]
    assert running.is_disposed


def test_an_effect_that_reads_a_computed_then_writes_still_follows_it() -> None:
    # The write after the read moved the write count, so the computed was
    # linked while stale and no later mark reached the effect.
    a = Signal(0, name="a")
    other = Signal(0, name="other")
    doubled = computed(lambda: a.value * 2, name="doubled")
    seen: list[int] = []

    def body() -> None:
        seen.append(doubled.value)
        other.value += 1

    stop = effect(body)
    a.value = 5
    a.value = 6

    assert seen == [0, 10, 12]
    assert other.value == 3
    stop.dispose()


def test_an_effect_that_reads_a_chain_of_computeds_then_writes_still_follows_it() -> (
    None
):
    a = Signal(1, name="a")
    other = Signal(0, name="other")
    doubled = computed(lambda: a.value * 2, name="doubled")
    plus_one = computed(lambda: doubled.value + 1, name="plus_one")
    seen: list[int] = []

    def body() -> None:
        seen.append(plus_one.value)
        other.value = plus_one.value

    stop = effect(body)
    a.value = 2

    assert seen == [3, 5]
    assert other.value == 5
    stop.dispose()


def test_an_observe_block_that_reads_a_computed_then_writes_is_called_back() -> None:
    a = Signal(0, name="a")
    other = Signal(0, name="other")
    doubled = computed(lambda: a.value * 2, name="doubled")
    calls: list[int] = []

    with observe(lambda: calls.append(doubled.value)) as scope:
        _ = doubled.value
        other.value = 1
    a.value = 5

    assert calls == [10]
    scope.dispose()


def test_effects_cycling_through_a_computed_end_in_cycle_error() -> None:
    a = Signal(0, name="a")
    b = Signal(0, name="b")
    doubled = computed(lambda: a.value * 2, name="doubled")
    first = effect(lambda: b.set(doubled.value + 1))

    with pytest.raises(CycleError, match="ran 100 times"):
        effect(lambda: a.set(b.value))
    first.dispose()


def test_an_effect_whose_first_run_escapes_while_linking_is_not_kept() -> None:
    # The effect reads a computed, then writes what the computed reads:
    # linking the computed refreshes it, and that refresh fails with a
    # RecursionError, which is never cached. The effect is not kept (the
    # caller got no handle), so nothing stays linked to it.
    source = Signal(0, name="source")
    failing = [False]

    def read() -> int:
        value = source.value
        if failing[0]:
            raise RecursionError("too deep")
        return value

    node = computed(read, name="node")

    def body() -> None:
        assert node.value == 0
        failing[0] = True
        source.update(lambda n: n + 1)

    with pytest.raises(RecursionError, match="too deep"):
        effect(body)
    assert not node._targets
    assert not source._targets


def test_an_effect_run_escaping_while_linking_is_unlinked_by_dispose() -> None:
    source = Signal(0, name="source")
    go = Signal(False, name="go")
    failing = [False]

    def read() -> int:
        value = source.value
        if failing[0]:
            raise RecursionError("too deep")
        return value

    node = computed(read, name="node")

    def body() -> None:
        if go.value:
            assert node.value == 0
            failing[0] = True
            source.update(lambda n: n + 1)

    running = effect(body)
    with pytest.raises(RecursionError, match="too deep"):
        go.value = True
    running.dispose()
    assert not node._targets
    assert not source._targets
    assert not go._targets


def test_an_observe_scope_keeps_following_a_computed_after_another_source_moved() -> (
    None
):
    # The callback reads nothing; the scope stopped checking its sources at
    # the first that moved, so the computed after it stayed dirty, and a
    # dirty node passes no later write on.
    total = Signal(0, name="total")
    doubled = computed(lambda: total.value * 2, name="doubled")
    label = Signal("a", name="label")
    calls: list[int] = []

    with observe(lambda: calls.append(1)) as scope:
        _ = label.value
        _ = doubled.value
    with batch():
        total.value = 1
        label.value = "b"
    total.value = 2
    total.value = 3

    assert calls == [1, 1, 1]
    scope.dispose()


def test_an_effect_takes_a_name_for_its_repr_and_keeps_it_when_disposed() -> None:
    a = Signal(1)
    saving = effect(lambda: a.value, name="autosave")

    assert repr(saving) == "<Effect autosave (1 source)>"
    assert saving.name == "autosave"
    saving.dispose()
    assert repr(saving) == "<Effect autosave (disposed)>"


def test_an_unnamed_effect_is_named_after_its_function() -> None:
    a = Signal(1)

    def autosave() -> None:
        _ = a.value

    saving = effect(autosave)

    assert saving.name is not None
    assert saving.name.endswith("autosave")
    saving.dispose()


def test_a_named_effect_is_named_in_its_subscriber_error() -> None:
    a = Signal(1, name="a")

    def fail() -> None:
        if a.value > 1:
            raise ValueError("no")

    failing = effect(fail, name="autosave")

    with pytest.raises(
        SubscriberError,
        match=r"^effect autosave raised ValueError while reacting to a write to a\.",
    ):
        a.value = 2
    failing.dispose()


def test_a_named_effect_is_named_in_its_cycle_error() -> None:
    a = Signal(0, name="a")
    looping = effect(lambda: a.set(a.value + 1), name="bump")

    with pytest.raises(CycleError, match=r"^<Effect bump(_too)? .*ran 100 times"):
        effect(lambda: a.set(a.value + 1), name="bump_too")
    looping.dispose()


def test_effect_refuses_a_name_that_is_not_a_string() -> None:
    with pytest.raises(TypeError, match=r"effect\(\) takes name= as a str, got int"):
        effect(lambda: None, name=3)  # type: ignore[arg-type]


def test_the_batch_docstring_says_once_that_a_batch_is_not_a_transaction() -> None:
    doc = batch.__doc__ or ""

    assert "not a transaction" in doc
    assert doc.count("rolls nothing back") + doc.count("leaves its writes") == 1
    assert doc.count("__context__") == 1
