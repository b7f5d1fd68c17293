"""Suspense: states, sources, ownership, cancellation and virtual time."""

from __future__ import annotations

import asyncio
import concurrent.futures
import gc
import inspect
import logging
import threading
import warnings
from collections.abc import Callable
from typing import Any

import pytest
import reactivex
from hypothesis import given
from hypothesis import strategies as st
from reactivex.disposable import Disposable as RxDisposable
from reactivex.subject import Subject
from reactivex.testing import ReactiveTest, TestScheduler

from impact_rx import (
    Disposable,
    Fulfilled,
    Pending,
    Rejected,
    ServiceProvider,
    Signal,
    SubscriberError,
    SuspendedError,
    Suspense,
    computed,
    effect,
    query,
    service,
)
from impact_rx._disposable import owning
from impact_rx.testing import Marbles, marbles, suspense_values

on_next = ReactiveTest.on_next
on_completed = ReactiveTest.on_completed


def record(suspense: Suspense[Any]) -> list[object]:
    events: list[object] = []
    suspense.subscribe(events.append, events.append, lambda: events.append("|"))
    return events


# -- states ----------------------------------------------------------------


def test_rejected_states_are_equal_when_type_and_args_match() -> None:
    assert Rejected(ValueError("a", 1)) == Rejected(ValueError("a", 1))
    assert Rejected(ValueError("a")) != Rejected(ValueError("b"))
    assert Rejected(ValueError("a")) != Rejected(KeyError("a"))
    assert hash(Rejected(ValueError("a"))) == hash(Rejected(ValueError("a")))
    assert hash(Rejected(ValueError(["unhashable"]))) == hash(
        Rejected(ValueError(["unhashable"]))
    )


def test_states_are_frozen_and_have_short_reprs() -> None:
    assert repr(Pending()) == "Pending()"
    assert repr(Fulfilled(42)) == "Fulfilled(42)"
    assert repr(Rejected(ValueError("no"))) == "Rejected(ValueError('no'))"
    assert len(repr(Fulfilled("x" * 500))) < 80
    with pytest.raises(AttributeError, match="value"):
        Fulfilled(1).value = 2  # type: ignore[misc]


def test_suspense_reprs_name_the_status_and_truncate_the_value() -> None:
    assert repr(Suspense.resolve(42)) == "Suspense<fulfilled: 42>"
    assert repr(Suspense.reject(KeyError("k"))) == "Suspense<rejected: KeyError('k')>"
    assert repr(Suspense.from_(reactivex.never())) == "Suspense<pending>"
    assert len(repr(Suspense.resolve("y" * 1000))) < 90


# -- synchronous reads -------------------------------------------------------


def test_use_while_pending_raises_suspended_error_carrying_the_suspense() -> None:
    subject: Subject[int] = Subject()
    suspense = Suspense.from_(subject)

    with pytest.raises(SuspendedError, match="is still pending") as info:
        suspense.use()
    assert info.value.suspense is suspense

    subject.on_next(7)
    assert suspense.use() == 7
    assert (suspense.status, suspense.value, suspense.reason) == ("fulfilled", 7, None)


def test_use_of_a_rejected_suspense_raises_the_reason() -> None:
    suspense = Suspense.reject(LookupError("no user"))

    with pytest.raises(LookupError, match="no user"):
        suspense.use()
    assert suspense.status == "rejected"
    assert suspense.value is None


# -- the Observable of states -------------------------------------------------


def test_subscribing_emits_the_current_state_then_the_settled_one_then_completes() -> (
    None
):
    subject: Subject[str] = Subject()
    suspense = Suspense.from_(subject)
    events = record(suspense)

    subject.on_next("a")
    subject.on_next("b")

    assert events == [Pending(), Fulfilled("a"), "|"]
    assert record(suspense) == [Fulfilled("a"), "|"]


def test_an_observable_source_is_subscribed_once_at_creation() -> None:
    subscriptions: list[int] = []

    def subscribe(observer: Any, scheduler: Any = None) -> Any:
        subscriptions.append(1)
        return reactivex.never().subscribe(observer)

    suspense = Suspense.from_(reactivex.create(subscribe))
    for _ in range(3):
        record(suspense)

    assert subscriptions == [1]


def test_an_empty_observable_rejects_naming_the_source() -> None:
    suspense = Suspense.from_(reactivex.empty())

    assert suspense.status == "rejected"
    with pytest.raises(Exception, match="completed without a value"):
        suspense.use()


def test_the_source_subscription_ends_when_the_first_value_arrives() -> None:
    subject: Subject[int] = Subject()
    Suspense.from_(subject)

    subject.on_next(1)

    assert not subject.observers


def test_on_virtual_time_a_cold_source_records_pending_then_fulfilled_at_frame_3() -> (
    None
):
    scheduler = TestScheduler()
    observer = scheduler.create_observer()
    source = reactivex.from_marbles("---a|", timespan=1)

    def start(*_: object) -> None:
        Suspense.from_(source, scheduler=scheduler).subscribe(observer)

    scheduler.schedule_absolute(0, start)
    scheduler.start()

    assert observer.messages == [
        on_next(0, Pending()),
        on_next(3, Fulfilled("a")),
        on_completed(3),
    ]


def test_on_virtual_time_a_cold_error_records_rejected_with_the_same_error() -> None:
    scheduler = TestScheduler()
    observer = scheduler.create_observer()
    source = reactivex.from_marbles("--#", timespan=1, error=ValueError("boom"))

    def start(*_: object) -> None:
        Suspense.from_(source, scheduler=scheduler).subscribe(observer)

    scheduler.schedule_absolute(0, start)
    scheduler.start()

    assert observer.messages == [
        on_next(0, Pending()),
        on_next(2, Rejected(ValueError("boom"))),
        on_completed(2),
    ]


def test_a_raising_subscriber_does_not_stop_the_others() -> None:
    subject: Subject[int] = Subject()
    suspense = Suspense.from_(subject)
    seen: list[object] = []

    def explode(state: object) -> None:
        if state != Pending():
            raise RuntimeError("subscriber broke")

    suspense.subscribe(explode)
    suspense.subscribe(seen.append)

    with pytest.raises(SubscriberError, match="1 subscriber"):
        subject.on_next(5)
    assert seen == [Pending(), Fulfilled(5)]


def test_an_effect_that_raises_on_the_settled_state_does_not_stop_subscribers() -> None:
    subject: Subject[int] = Subject()
    suspense = Suspense.from_(subject)
    seen: list[object] = []

    def explode() -> None:
        if suspense.state != Pending():
            raise RuntimeError("effect broke")

    running = effect(explode)
    suspense.subscribe(seen.append, on_completed=lambda: seen.append("done"))

    with pytest.raises(SubscriberError, match="1 subscriber") as caught:
        subject.on_next(5)

    assert seen == [Pending(), Fulfilled(5), "done"]  # told, as the error says
    (reported,) = caught.value.exceptions  # the effect, reported to the suspense
    assert isinstance(reported, SubscriberError)
    assert repr(reported.exceptions) == "(RuntimeError('effect broke'),)"
    running.dispose()


def test_a_query_settles_when_an_effect_reading_its_suspense_raises() -> None:
    subject: Subject[int] = Subject()
    users = query(lambda: subject)

    def explode() -> None:
        if users.suspense.state != Pending():
            raise RuntimeError("effect broke")

    running = effect(explode)

    with pytest.raises(SubscriberError, match="1 subscriber"):
        subject.on_next(5)

    assert (users.state, users.value) == ("idle", 5)  # not "fetching" forever
    running.dispose()


# -- coroutines and asyncio ---------------------------------------------------


async def test_three_subscribers_to_one_coroutine_run_it_once() -> None:
    runs: list[int] = []

    async def fetch() -> str:
        runs.append(1)
        await asyncio.sleep(0)
        return "ada"

    suspense = Suspense.from_(fetch())
    recordings = [record(suspense) for _ in range(3)]

    assert await suspense == "ada"
    assert runs == [1]
    assert recordings == [[Pending(), Fulfilled("ada"), "|"]] * 3


async def test_awaiting_a_rejected_suspense_raises_the_reason() -> None:
    async def fail() -> None:
        raise PermissionError("denied")

    suspense = Suspense.from_(fail())

    with pytest.raises(PermissionError, match="denied"):
        await suspense
    assert suspense.state == Rejected(PermissionError("denied"))


async def test_an_asyncio_future_settles_the_suspense() -> None:
    future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    suspense = Suspense.from_(future)
    assert suspense.status == "pending"

    future.set_result(3)

    assert await suspense == 3


async def test_a_done_task_settles_the_suspense_at_once() -> None:
    async def work() -> int:
        return 9

    task = asyncio.ensure_future(work())
    await task

    assert Suspense.from_(task).use() == 9


async def test_cancel_cancels_the_task_and_rejects_with_cancelled_error() -> None:
    started = asyncio.Event()

    async def slow() -> int:
        started.set()
        await asyncio.Event().wait()
        return 1

    task = asyncio.ensure_future(slow())
    suspense = Suspense.from_(task)
    events = record(suspense)
    await started.wait()

    assert suspense.cancel() is True
    assert suspense.cancel() is False
    await asyncio.wait([task])

    assert task.cancelled()
    assert events == [Pending(), Rejected(asyncio.CancelledError()), "|"]
    with pytest.raises(asyncio.CancelledError):
        suspense.use()


async def test_disposing_the_owner_while_pending_cancels_the_task_silently() -> None:
    owner = Disposable()
    started = asyncio.Event()

    async def slow() -> int:
        started.set()
        await asyncio.Event().wait()
        return 1

    task = asyncio.ensure_future(slow())
    with owning(owner):
        suspense = Suspense.from_(task)
    events = record(suspense)
    await started.wait()

    owner.dispose()
    await asyncio.wait([task])
    await asyncio.sleep(0)

    assert task.cancelled()
    assert events == [Pending()]
    assert record(suspense) == ["|"]
    assert suspense.is_disposed
    with pytest.raises(asyncio.CancelledError):
        await suspense


async def test_a_settled_suspense_leaves_its_owner_and_survives_its_disposal() -> None:
    owner = Disposable()
    with owning(owner):
        suspense = Suspense.from_(asyncio.sleep(0, result="done"))

    assert await suspense == "done"
    owner.dispose()

    assert not suspense.is_disposed
    assert record(suspense) == [Fulfilled("done"), "|"]


async def test_a_suspense_passed_to_on_dispose_is_disposed_with_the_owner() -> None:
    owner = Disposable()
    suspense = Suspense.from_(reactivex.never())
    owner.on_dispose(suspense)

    owner.dispose()

    assert suspense.is_disposed
    assert suspense.state == Rejected(asyncio.CancelledError())


async def test_an_unobserved_rejection_is_never_reported_when_collected(
    caplog: pytest.LogCaptureFixture,
) -> None:
    loop = asyncio.get_running_loop()
    reports: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: reports.append(context))

    async def fail() -> None:
        raise ValueError("nobody looks")

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        suspense = Suspense.from_(fail())
        for _ in range(3):
            await asyncio.sleep(0)
        assert suspense.status == "rejected"
        del suspense
        gc.collect()

    loop.set_exception_handler(None)
    assert reports == []
    assert "never retrieved" not in caplog.text


async def test_a_disposed_suspense_still_retrieves_the_late_task_exception() -> None:
    loop = asyncio.get_running_loop()
    reports: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: reports.append(context))
    started = asyncio.Event()

    async def stubborn() -> int:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            raise ValueError("failed while cancelled") from None
        return 1

    task = asyncio.ensure_future(stubborn())
    suspense = Suspense.from_(task)
    await started.wait()
    suspense.dispose()
    await asyncio.wait([task])
    del task, suspense
    gc.collect()

    loop.set_exception_handler(None)
    assert reports == []


def test_a_coroutine_without_a_running_loop_is_refused_and_closed() -> None:
    async def work() -> int:
        return 1

    coroutine = work()
    with pytest.raises(RuntimeError, match="no asyncio loop is running"):
        Suspense.from_(coroutine)

    # Closed, so no "coroutine was never awaited" warning follows.
    assert inspect.getcoroutinestate(coroutine) == "CORO_CLOSED"


def test_an_unsupported_source_is_refused_with_advice() -> None:
    with pytest.raises(TypeError, match=r"got int\. Wrap a plain value"):
        Suspense.from_(42)  # type: ignore[call-overload]


def test_from_a_suspense_returns_it_unchanged() -> None:
    suspense = Suspense.resolve(1)

    assert Suspense.from_(suspense) is suspense


# -- threads ------------------------------------------------------------------


def test_a_concurrent_future_completed_on_another_thread_settles_once() -> None:
    future: concurrent.futures.Future[str] = concurrent.futures.Future()
    suspense = Suspense.from_(future)
    events = record(suspense)

    thread = threading.Thread(target=future.set_result, args=("from thread",))
    thread.start()
    thread.join()

    assert events == [Pending(), Fulfilled("from thread"), "|"]


def test_cancel_cancels_a_concurrent_future_that_has_not_started() -> None:
    future: concurrent.futures.Future[str] = concurrent.futures.Future()
    suspense = Suspense.from_(future)

    suspense.cancel()

    assert future.cancelled()
    assert suspense.state == Rejected(asyncio.CancelledError())


def test_subscribers_racing_a_settle_on_another_thread_see_states_in_order() -> None:
    for _ in range(50):
        future: concurrent.futures.Future[int] = concurrent.futures.Future()
        suspense = Suspense.from_(future)
        barrier = threading.Barrier(2)

        def settle(
            f: concurrent.futures.Future[int] = future,
            b: threading.Barrier = barrier,
        ) -> None:
            b.wait()
            f.set_result(1)

        thread = threading.Thread(target=settle)
        thread.start()
        barrier.wait()
        recordings = [record(suspense) for _ in range(20)]
        thread.join()

        for events in recordings:
            assert events in ([Pending(), Fulfilled(1), "|"], [Fulfilled(1), "|"])


async def test_a_suspense_settled_on_another_thread_wakes_its_awaiter() -> None:
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        gate = threading.Event()
        future = pool.submit(lambda: gate.wait() and "woke")
        suspense = Suspense.from_(future)
        gate.set()

        assert await suspense == "woke"


def test_no_logging_happens_for_ordinary_use(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        Suspense.reject(ValueError("quiet")).cancel()

    assert caplog.records == []


# -- with services and marbles ---------------------------------------------------


async def test_disposing_the_provider_cancels_a_suspense_its_service_made() -> None:
    started = asyncio.Event()

    async def load() -> str:
        started.set()
        await asyncio.Event().wait()
        return "never"

    @service
    class Loader(Disposable):
        def __init__(self) -> None:
            self.profile = Suspense.from_(load())

    provider = ServiceProvider([Loader])
    loader = provider.get(Loader)
    events = record(loader.profile)
    await started.wait()

    provider.dispose()
    await asyncio.sleep(0)

    assert events == [Pending()]
    assert loader.profile.state == Rejected(asyncio.CancelledError())


def test_a_cold_source_in_marbles_fulfils_at_its_frame() -> None:
    with marbles() as m:
        suspense = Suspense.from_(m.cold("---a|"), scheduler=m.scheduler)
        m.expect(suspense).to_be("p--(f|)", values=suspense_values(value="a"))


def test_a_cold_error_in_marbles_rejects_with_the_same_error() -> None:
    boom = ValueError("boom")
    with marbles() as m:
        source = m.cold("--#", error=boom)
        suspense = Suspense.from_(source, scheduler=m.scheduler)
        m.expect(suspense).to_be("p-(r|)", values=suspense_values(error=boom))


def test_the_html_repr_is_the_notebook_card() -> None:
    html = Suspense.resolve(42)._repr_html_()

    assert "fulfilled" in html
    assert "42" in html


# -- tracking -------------------------------------------------------------------


def test_an_effect_reading_a_pending_suspense_reruns_when_it_settles() -> None:
    subject: Subject[str] = Subject()
    suspense = Suspense.from_(subject)
    seen: list[object] = []

    running = effect(lambda: seen.append((suspense.status, suspense.value)))
    subject.on_next("ada")
    running.dispose()

    assert seen == [("pending", None), ("fulfilled", "ada")]


def test_a_computed_over_use_recovers_once_the_suspense_fulfils() -> None:
    subject: Subject[int] = Subject()
    suspense = Suspense.from_(subject)
    doubled = computed(lambda: suspense.use() * 2)

    with pytest.raises(SuspendedError, match="still pending"):
        _ = doubled.value
    subject.on_next(21)

    assert doubled.value == 42


def test_a_disposed_suspense_reaches_no_effect() -> None:
    suspense = Suspense.from_(reactivex.never())
    seen: list[str] = []
    running = effect(lambda: seen.append(suspense.status))

    suspense.dispose()
    running.dispose()

    assert seen == ["pending"]


def test_a_subscriber_that_cancels_on_pending_sees_pending_then_the_rejection() -> None:
    suspense = Suspense.from_(reactivex.never())
    seen: list[object] = []

    def on_state(state: object) -> None:
        seen.append(state)
        if state == Pending():
            suspense.cancel()

    suspense.subscribe(on_state, on_completed=lambda: seen.append("|"))

    assert seen == [Pending(), Rejected(asyncio.CancelledError()), "|"]


async def test_a_subscriber_raising_when_a_task_settles_is_logged_not_lost(
    caplog: pytest.LogCaptureFixture,
) -> None:
    loop = asyncio.get_running_loop()
    reports: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: reports.append(context))
    future: asyncio.Future[int] = loop.create_future()
    suspense = Suspense.from_(future)
    seen: list[object] = []

    def explode(state: object) -> None:
        if state != Pending():
            raise RuntimeError("subscriber broke")

    suspense.subscribe(explode)
    suspense.subscribe(seen.append)
    with caplog.at_level(logging.ERROR, logger="impact_rx.suspense"):
        future.set_result(1)
        await asyncio.sleep(0)

    loop.set_exception_handler(None)
    assert seen == [Pending(), Fulfilled(1)]
    assert reports == []
    assert [r.getMessage() for r in caplog.records] == [
        "Subscribers of a suspense raised when it became fulfilled;"
        " the others were still notified."
    ]


# -- every interleaving ------------------------------------------------------------

OPERATIONS = ["subscribe", "unsubscribe", "fulfil", "reject", "cancel", "dispose"]


@given(st.lists(st.sampled_from(OPERATIONS), max_size=12))
def test_any_sequence_of_operations_matches_the_transition_table(
    operations: list[str],
) -> None:
    subject: Subject[int] = Subject()
    suspense = Suspense.from_(subject)
    model: object = Pending()
    disposed = False
    recordings: list[tuple[list[object], list[object]]] = []  # (seen, expected)
    subscriptions: list[Any] = []

    for operation in operations:
        if operation == "subscribe":
            seen = record(suspense)
            expected: list[object] = ["|"] if disposed else [model]
            if not disposed and model != Pending():
                expected.append("|")
            recordings.append((seen, expected))
            subscriptions.append(suspense.subscribe(lambda _: None))
        elif operation == "unsubscribe" and recordings:
            seen, expected = recordings.pop()
            subscriptions.pop().dispose()
            assert seen == expected
        elif operation in ("fulfil", "reject", "cancel") and model == Pending():
            settled: object = {
                "fulfil": Fulfilled(1),
                "reject": Rejected(ValueError("no")),
                "cancel": Rejected(asyncio.CancelledError()),
            }[operation]
            if not disposed:
                model = settled
                for _, expected in recordings:
                    if expected == [Pending()]:
                        expected.extend([settled, "|"])
            if operation == "fulfil":
                subject.on_next(1)
            elif operation == "reject":
                subject.on_error(ValueError("no"))
            else:
                suspense.cancel()
        elif operation == "dispose":
            if model == Pending():
                model = Rejected(asyncio.CancelledError())
            disposed = True
            suspense.dispose()

    assert suspense.state == model
    for seen, expected in recordings:
        assert seen == expected


# -- review: bad input ----------------------------------------------------------


def test_reject_refuses_a_reason_that_is_not_an_exception_instance() -> None:
    with pytest.raises(
        TypeError, match=r"Suspense\.reject\(\) takes an exception instance, got str"
    ):
        Suspense.reject("no user")  # type: ignore[arg-type]
    with pytest.raises(
        TypeError, match=r"got the class ValueError.*ValueError\(\.\.\.\)"
    ):
        Suspense.reject(ValueError)  # type: ignore[arg-type]


async def test_from_a_coroutine_function_says_to_call_it() -> None:
    async def fetch_user() -> str:
        return "ada"

    with pytest.raises(
        TypeError, match=r"got the coroutine function fetch_user.*fetch_user\(\)"
    ):
        Suspense.from_(fetch_user)  # type: ignore[call-overload]


# -- review: a task on a loop in another thread --------------------------------


def _loop_in_a_thread() -> tuple[asyncio.AbstractEventLoop, threading.Thread]:
    loop = asyncio.new_event_loop()
    loop.set_debug(True)  # refuses non-thread-safe calls from other threads
    thread = threading.Thread(target=loop.run_forever)
    thread.start()
    return loop, thread


def _stop(loop: asyncio.AbstractEventLoop, thread: threading.Thread) -> None:
    loop.call_soon_threadsafe(loop.stop)
    thread.join()
    loop.close()


@pytest.mark.parametrize("end", ["cancel", "dispose"])
def test_ending_a_suspense_from_another_thread_cancels_its_task_on_its_loop(
    end: str,
) -> None:
    loop, thread = _loop_in_a_thread()
    try:

        async def forever() -> str:
            await asyncio.Event().wait()
            return "never"

        async def start() -> tuple[Suspense[str], asyncio.Task[str]]:
            task = asyncio.create_task(forever())
            return Suspense.from_(task), task

        suspense, task = asyncio.run_coroutine_threadsafe(start(), loop).result(5)
        seen: list[Any] = []
        suspense.subscribe(seen.append)

        if end == "cancel":
            assert suspense.cancel() is True
        else:
            suspense.dispose()

        async def outcome() -> bool:
            await asyncio.wait([task])
            return task.cancelled()

        assert asyncio.run_coroutine_threadsafe(outcome(), loop).result(5) is True
        expected = [Pending(), Rejected(asyncio.CancelledError())]
        assert seen == (expected if end == "cancel" else expected[:1])
    finally:
        _stop(loop, thread)


class WorkError(Exception):
    pass


def _unstoppable() -> reactivex.Observable[str]:
    def stop() -> None:
        raise WorkError("cannot stop")

    return reactivex.create(lambda observer, scheduler: RxDisposable(stop))


def test_a_cancel_whose_work_raises_still_rejects_for_every_subscriber() -> None:
    suspense = Suspense.from_(_unstoppable())
    seen: list[Any] = []
    suspense.subscribe(seen.append, on_completed=lambda: seen.append("done"))

    with pytest.raises(WorkError, match=r"cannot stop"):
        suspense.cancel()

    assert seen == [Pending(), Rejected(asyncio.CancelledError()), "done"]
    assert suspense.status == "rejected"


async def test_a_dispose_whose_work_raises_still_wakes_its_awaiters() -> None:
    suspense = Suspense.from_(_unstoppable())
    waiting = asyncio.ensure_future(_await(suspense))
    await asyncio.sleep(0)

    with pytest.raises(WorkError, match=r"cannot stop"):
        suspense.dispose()

    with pytest.raises(asyncio.CancelledError, match=r"^\nThe suspense was pending"):
        await waiting
    assert suspense.is_disposed


async def _await(suspense: Suspense[str]) -> str:
    return await suspense


def test_settle_cancel_and_dispose_racing_on_threads_end_in_one_state() -> None:
    for _ in range(50):
        _race_settle_cancel_and_dispose()


def _race_settle_cancel_and_dispose() -> None:
    subject: Subject[int] = Subject()
    suspense = Suspense.from_(subject)
    seen: list[list[Any]] = [[] for _ in range(3)]
    start = threading.Barrier(6)

    def watch(log: list[Any]) -> None:
        start.wait()
        suspense.subscribe(log.append)

    def end(action: Any) -> None:
        start.wait()
        action()

    actions = (lambda: subject.on_next(1), suspense.cancel, suspense.dispose)
    threads = [threading.Thread(target=watch, args=(log,)) for log in seen]
    threads += [threading.Thread(target=end, args=(a,)) for a in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    final = suspense.state
    assert final in (Fulfilled(1), Rejected(asyncio.CancelledError()))
    for log in seen:
        assert log in ([], [Pending()], [final], [Pending(), final])


# -- a suspense created inside the run that reads it ---------------------------


def test_an_effect_creating_its_suspense_in_each_run_is_stopped_with_advice() -> None:
    from impact_rx import SuspenseCreatedInRunError

    started: list[int] = []
    seen: list[int] = []
    with marbles() as m:

        def work() -> reactivex.Observable[int]:
            started.append(m.scheduler.frame)
            return m.cold("-a|", {"a": 1})

        def show_answer() -> None:
            source = reactivex.defer(lambda _: work())
            seen.append(Suspense.from_(source, scheduler=m.scheduler).use())

        running = effect(show_answer)
        with pytest.raises(
            SubscriberError, match=r"subscriber\(s\) of Suspense"
        ) as caught:
            m.flush()
        m.flush()  # nothing left to run: the loop is over

    reported = caught.value.exceptions[0]  # the effect, reported to the suspense
    assert isinstance(reported, SubscriberError)
    assert str(reported).startswith("effect test_an_effect_creating_its_suspense")
    error = reported.exceptions[0]
    assert isinstance(error, SuspenseCreatedInRunError)
    assert isinstance(error, RuntimeError)
    with pytest.raises(SuspenseCreatedInRunError) as again:
        raise error
    again.match(
        r"effect .*show_answer created Suspense<pending> during its own run"
        r" and suspended on it, as its previous run did\."
    )
    again.match(r"Create the Suspense outside the run .*service constructor.*query\(\)")
    assert error.suspense.status == "rejected"  # its work was cancelled
    assert error.run is running
    assert started == [0, 1]
    assert seen == []
    running.dispose()


def test_a_computed_creating_its_suspense_in_each_run_raises_advice() -> None:
    from impact_rx import SuspenseCreatedInRunError

    started: list[int] = []
    with marbles() as m:

        def work() -> reactivex.Observable[str]:
            started.append(m.scheduler.frame)
            return m.cold("-a|", {"a": "ada"})

        name = computed(
            lambda: Suspense.from_(
                reactivex.defer(lambda _: work()), scheduler=m.scheduler
            ).use(),
            name="name",
        )
        with pytest.raises(
            SuspendedError,
            match=r"created by the same computed, effect or observe run that reads it",
        ):
            name.value  # noqa: B018
        m.flush()
        with pytest.raises(
            SuspenseCreatedInRunError,
            match=r"computed name created Suspense<pending> during its own run",
        ):
            name.value  # noqa: B018
        m.flush()
        with pytest.raises(SuspenseCreatedInRunError):
            name.value  # noqa: B018

    assert started == [0, 2]


def _cached_loads(
    m: Marbles, cache: dict[str, Suspense[str]]
) -> Callable[[str], Suspense[str]]:
    """A load per key, made once and kept in ``cache``: ``-x|`` with x = KEY."""

    def load(k: str) -> Suspense[str]:
        if k not in cache:
            cache[k] = Suspense.from_(
                m.cold("-x|", {"x": k.upper()}), scheduler=m.scheduler
            )
        return cache[k]

    return load


def test_a_run_that_keeps_the_suspense_it_created_for_its_next_run_is_fine() -> None:
    cache: dict[str, Suspense[str]] = {}
    with marbles() as m:
        wanted = Signal("a", name="wanted")

        load = _cached_loads(m, cache)

        seen: list[str] = []
        running = effect(lambda: seen.append(load(wanted.value).use()))
        m.flush()
        wanted.value = "b"
        m.flush()

    assert seen == ["A", "B"]
    running.dispose()


def test_an_effect_creating_a_task_suspense_in_each_run_stops_after_two_loads(
    caplog: pytest.LogCaptureFixture,
) -> None:
    loads: list[int] = []

    async def load() -> int:
        loads.append(len(loads))
        return 42

    async def main() -> None:
        running = effect(lambda: print(Suspense.from_(load()).use()))
        for _ in range(10):  # let the loop run the tasks and their callbacks
            await asyncio.sleep(0)
        running.dispose()

    with caplog.at_level(logging.ERROR, logger="impact_rx.suspense"):
        asyncio.run(main())

    assert loads == [0]  # the second task was cancelled before it started
    [record] = caplog.records
    assert record.exc_info is not None
    effect_error = record.exc_info[1].exceptions[0]  # type: ignore[union-attr]
    assert "SuspenseCreatedInRunError" in str(effect_error)
    assert "created Suspense<pending> during its own run" in str(
        effect_error.exceptions[0]
    )


def test_a_suspense_cancelled_by_its_providers_disposal_says_which_owner() -> None:
    @service
    class Profile(Disposable):
        def __init__(self) -> None:
            self.loading: Suspense[str] = Suspense.from_(Subject())

    provider = ServiceProvider([Profile], name="app")
    profile = provider.get(Profile)
    provider.dispose()

    reason = profile.loading.reason
    assert type(reason) is asyncio.CancelledError
    assert profile.loading.state == Rejected(asyncio.CancelledError())  # as before
    assert reason.__notes__ == [
        "The suspense was pending when its owner, the Profile built by provider"
        " 'app', was disposed, which cancelled it."
    ]


def test_a_suspense_disposed_by_hand_says_so() -> None:
    suspense = Suspense.from_(reactivex.never())
    suspense.dispose()

    assert suspense.reason is not None
    assert suspense.reason.__notes__ == [
        "The suspense was pending when it was disposed, which cancelled it."
    ]


def test_an_observe_block_creating_its_suspense_in_each_render_raises_advice() -> None:
    from impact_rx import SuspenseCreatedInRunError, observe

    renders: list[str] = []
    with marbles() as m:

        def render() -> None:
            with scope:
                work = m.cold("-a|", {"a": "ada"})
                renders.append(Suspense.from_(work, scheduler=m.scheduler).use())

        scope = observe(render)
        with pytest.raises(SuspendedError, match=r"Reading again runs that function"):
            render()
        with pytest.raises(SubscriberError) as caught:
            m.flush()

    assert renders == []
    error = caught.value
    while not isinstance(error, SuspenseCreatedInRunError):
        assert error.__cause__ is not None or error.__context__ is not None
        error = error.__cause__ or error.__context__  # type: ignore[assignment]
    assert str(error).startswith(
        "observe block test_an_observe_block_creating_its_suspense_in_each_render"
    )
    scope.dispose()


def test_a_suspense_made_in_a_run_is_not_kept_alive_by_that_check() -> None:
    from impact_rx._suspense import _made_in_run

    gc.collect()
    before = len(_made_in_run)
    with marbles() as m:
        loads = computed(
            lambda: Suspense.from_(m.cold("-a|"), scheduler=m.scheduler).use()
        )
        with pytest.raises(SuspendedError):
            loads.value  # noqa: B018
        assert len(_made_in_run) == before + 1
        m.flush()
        loads.dispose()
    del loads
    gc.collect()

    assert len(_made_in_run) == before


def test_a_computed_loading_a_new_key_after_the_last_load_settled_waits() -> None:
    # The suspense made for "a" settled, then the key moved before anyone
    # read the computed again: the run for "b" makes new work because its
    # input changed, not because it keeps making what it waits for.
    cache: dict[str, Suspense[str]] = {}
    with marbles() as m:
        key = Signal("a", name="key")

        load = _cached_loads(m, cache)

        profile = computed(lambda: load(key.value).use(), name="profile")
        with pytest.raises(SuspendedError):
            profile.value  # noqa: B018
        m.flush()
        key.value = "b"
        with pytest.raises(SuspendedError) as waiting:
            profile.value  # noqa: B018
        m.flush()

        assert waiting.value.suspense is cache["b"]
        assert profile.value == "B"
        assert cache["b"].state == Fulfilled("B")


def test_a_suspense_a_service_makes_while_a_run_builds_it_is_not_made_in_the_run() -> (
    None
):
    # The service is built on first use, inside the computed's run: its
    # constructor, not the run, made the suspense, as the advice asks.
    with marbles() as m:

        @service
        class Profile(Disposable):
            def __init__(self) -> None:
                self.name = Suspense.from_(
                    m.cold("-x|", {"x": "Ada"}), scheduler=m.scheduler
                )

        provider = m.provider([Profile])
        name = computed(lambda: provider.get(Profile).name.use(), name="name")
        with pytest.raises(SuspendedError) as waiting:
            name.value  # noqa: B018
        m.flush()

        assert not waiting.value.made_in_run
        assert str(waiting.value).startswith("Suspense<pending> is still pending.")
        assert name.value == "Ada"


def test_an_observe_block_rendering_a_new_key_after_the_last_load_settled_waits() -> (
    None
):
    from impact_rx import observe

    cache: dict[str, Suspense[str]] = {}
    with marbles() as m:
        key = Signal("a", name="key")

        load = _cached_loads(m, cache)

        changes: list[str] = []
        scope = observe(lambda: changes.append("changed"))  # the UI renders later

        def render() -> str:
            with scope:
                return load(key.value).use()

        with pytest.raises(SuspendedError):
            render()
        m.flush()  # "A" arrives
        key.value = "b"  # and the key moves before the UI renders again
        with pytest.raises(SuspendedError) as waiting:
            render()
        m.flush()

        assert waiting.value.suspense is cache["b"]
        assert render() == "B"
        assert cache["b"].state == Fulfilled("B")
    scope.dispose()


def test_an_effect_creating_its_suspense_in_each_run_under_untracked_is_stopped() -> (
    None
):
    from impact_rx import SuspenseCreatedInRunError, untracked

    runs: list[int] = []
    with marbles() as m:

        def show() -> None:
            runs.append(m.scheduler.frame)
            work = m.cold("-a|", {"a": "ada"})
            # Untracked, the suspense is still what the run waits for.
            untracked(lambda: Suspense.from_(work, scheduler=m.scheduler).use())

        with pytest.raises(SubscriberError) as caught:
            running = effect(show, name="show")
            m.advance("20ms")

    assert runs == [0, 1]
    assert isinstance(
        caught.value.exceptions[0].exceptions[0], SuspenseCreatedInRunError
    )
    running.dispose()


def test_a_run_making_its_suspense_each_time_is_caught_though_its_status_is_read() -> (
    None
):
    from impact_rx import SuspenseCreatedInRunError

    with marbles() as m:
        name = computed(
            lambda: Suspense.from_(
                m.cold("-a|", {"a": "ada"}), scheduler=m.scheduler
            ).use(),
            name="name",
        )
        with pytest.raises(SuspendedError) as waiting:
            name.value  # noqa: B018
        # Outside any run: a UI showing what it waits for is no later run
        # that kept the suspense.
        assert waiting.value.suspense.status == "pending"
        m.flush()
        with pytest.raises(SuspenseCreatedInRunError):
            name.value  # noqa: B018


async def test_what_an_effect_raises_as_a_query_settles_on_the_loop_is_logged_naming_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    loop = asyncio.get_running_loop()
    answer: asyncio.Future[str] = loop.create_future()

    def load_user() -> asyncio.Future[str]:
        return answer

    users = query(load_user)

    def show() -> None:
        if users.value is not None:
            raise RuntimeError("show broke")

    shown = effect(show)
    with caplog.at_level(logging.ERROR, logger="impact_rx.suspense"):
        answer.set_result("ada")
        await asyncio.sleep(0)
    shown.dispose()

    assert [r.getMessage() for r in caplog.records] == [
        "Subscribers of the suspense of query"
        " test_what_an_effect_raises_as_a_query_settles_on_the_loop_is_logged_naming_it"
        ".<locals>.load_user raised when it became fulfilled;"
        " the others were still notified."
    ]
    assert "RuntimeError: show broke" in caplog.text  # the traceback, chained


def test_a_suspense_a_service_made_is_logged_naming_the_service(
    caplog: pytest.LogCaptureFixture,
) -> None:
    done: concurrent.futures.Future[int] = concurrent.futures.Future()

    @service
    class Loader(Disposable):
        def __init__(self) -> None:
            self.loading: Suspense[int] = Suspense.from_(done)

    with ServiceProvider([Loader], name="app") as app:
        loader = app.get(Loader)
        loader.loading.subscribe(
            lambda state: (
                (_ for _ in ()).throw(RuntimeError("x")) if state != Pending() else None
            )
        )
        with caplog.at_level(logging.ERROR, logger="impact_rx.suspense"):
            done.set_result(1)  # as a worker thread would: nobody to raise to

    assert [r.getMessage() for r in caplog.records] == [
        "Subscribers of a suspense made by the Loader built by provider 'app'"
        " raised when it became fulfilled; the others were still notified."
    ]
