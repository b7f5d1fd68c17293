"""Query (stale-while-revalidate) and mutation (optimistic writes)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import gc
import threading
import weakref
from collections.abc import Callable
from typing import Any

import pytest
import reactivex
from reactivex import operators as ops
from reactivex.disposable import Disposable as RxDisposable
from reactivex.subject import Subject
from reactivex.testing import TestScheduler

from impact_rx import (
    Disposable,
    DisposedError,
    DisposeError,
    Fulfilled,
    Mutation,
    Pending,
    Rejected,
    ServiceProvider,
    Signal,
    SubscriberError,
    SuspendedError,
    Suspense,
    computed,
    effect,
    mutation,
    query,
    service,
    signal,
    signal_of,
)
from impact_rx._disposable import owning
from impact_rx.testing import marbles


class Fetches:
    """A fetch function whose answers the test releases one by one."""

    def __init__(self) -> None:
        self.subjects: list[Subject[str]] = []

    def __call__(self) -> reactivex.Observable[str]:
        subject: Subject[str] = Subject()
        self.subjects.append(subject)
        return subject

    def answer(self, value: str) -> None:
        self.subjects[-1].on_next(value)

    def fail(self, error: Exception) -> None:
        self.subjects[-1].on_error(error)


def collect(source: reactivex.Observable[Any]) -> list[Any]:
    seen: list[Any] = []
    source.subscribe(seen.append)
    return seen


# -- query --------------------------------------------------------------------


def test_a_query_fetches_at_once_and_is_fetching_until_the_value_lands() -> None:
    fetches = Fetches()
    q = query(fetches)

    assert (q.state, q.suspense.status, len(fetches.subjects)) == (
        "fetching",
        "pending",
        1,
    )
    with pytest.raises(SuspendedError, match="still pending"):
        q.use()

    fetches.answer("v1")

    assert (q.state, q.value, q.use(), q.error) == ("idle", "v1", "v1", None)


def test_a_refetch_keeps_the_old_value_readable_until_the_new_one_lands() -> None:
    fetches = Fetches()
    q = query(fetches)
    fetches.answer("v1")
    old = q.suspense

    refetch = q.invalidate()

    assert (q.state, q.value, q.suspense) == ("refetching", "v1", old)
    assert refetch.status == "pending"

    fetches.answer("v2")

    assert (q.state, q.value, refetch.value) == ("idle", "v2", "v2")
    assert q.suspense is refetch


async def test_invalidating_during_a_slow_refetch_starts_no_concurrent_fetch() -> None:
    versions = iter(["v1", "v2", "v3"])
    gates: list[asyncio.Event] = []
    running = 0
    most_running = 0

    async def fetch() -> str:
        nonlocal running, most_running
        running += 1
        most_running = max(most_running, running)
        gate = asyncio.Event()
        gates.append(gate)
        await gate.wait()
        running -= 1
        return next(versions)

    q = query(fetch)
    await asyncio.sleep(0)
    gates[-1].set()
    assert await q == "v1"

    refetch = q.invalidate()
    await asyncio.sleep(0)
    follow_up = q.invalidate()
    again = q.invalidate()
    await asyncio.sleep(0)

    assert (q.state, q.value, len(gates)) == ("refetching", "v1", 2)
    assert follow_up is again

    gates[-1].set()
    assert await refetch == "v2"
    await asyncio.sleep(0)

    assert (q.state, q.value, len(gates)) == ("refetching", "v2", 3)

    gates[-1].set()
    assert await follow_up == "v3"
    assert (q.state, q.value, most_running) == ("idle", "v3", 1)


def test_a_failed_refetch_keeps_the_old_value_and_exposes_the_error() -> None:
    fetches = Fetches()
    q = query(fetches)
    fetches.answer("v1")

    refetch = q.invalidate()
    fetches.fail(ConnectionError("offline"))

    assert (q.state, q.value, q.suspense.status) == ("idle", "v1", "fulfilled")
    assert refetch.state == Rejected(ConnectionError("offline"))
    assert repr(q.error) == "ConnectionError('offline')"

    q.invalidate()
    fetches.answer("v2")

    assert (q.value, q.error) == ("v2", None)


def test_a_failed_first_fetch_is_replaced_by_a_successful_refetch() -> None:
    fetches = Fetches()
    q = query(fetches)
    fetches.fail(ConnectionError("offline"))

    with pytest.raises(ConnectionError, match="offline"):
        q.use()

    q.invalidate()
    assert q.state == "refetching"
    fetches.answer("v1")

    assert (q.use(), q.error) == ("v1", None)


def test_a_fetch_that_raises_rejects_instead_of_raising() -> None:
    def fetch() -> reactivex.Observable[str]:
        raise ValueError("bad request")

    q = query(fetch)

    assert q.suspense.state == Rejected(ValueError("bad request"))
    assert q.state == "idle"


def test_states_and_suspenses_stream_every_change() -> None:
    fetches = Fetches()
    q = query(fetches)
    states = collect(q.states)
    values = collect(q.suspenses)

    fetches.answer("v1")
    q.invalidate()
    fetches.answer("v2")

    assert states == ["fetching", "idle", "refetching", "idle"]
    assert [s.state for s in values] == [Fulfilled("v1"), Fulfilled("v2")]


def test_a_query_follows_virtual_time() -> None:
    scheduler = TestScheduler()
    answers = iter(["a", "b"])

    def fetch() -> reactivex.Observable[str]:
        return reactivex.timer(3.0, scheduler=scheduler).pipe(
            ops.map(lambda _: next(answers))
        )

    q = query(fetch, scheduler=scheduler)
    scheduler.advance_to(2.0)
    assert q.state == "fetching"
    scheduler.advance_to(3.0)
    assert (q.state, q.value) == ("idle", "a")

    q.invalidate()
    scheduler.advance_to(5.0)
    assert (q.state, q.value) == ("refetching", "a")
    scheduler.advance_to(6.0)
    assert (q.state, q.value) == ("idle", "b")


async def test_disposing_the_owner_cancels_the_fetch_in_flight() -> None:
    owner = Disposable()
    started = asyncio.Event()

    async def fetch() -> str:
        started.set()
        await asyncio.Event().wait()
        return "never"

    with owning(owner):
        q = query(fetch)
    states = collect(q.states)
    await started.wait()

    owner.dispose()
    await asyncio.sleep(0)

    assert q.is_disposed
    assert q.suspense.state == Rejected(asyncio.CancelledError())
    assert states == ["fetching"]
    with pytest.raises(DisposedError, match="cannot refetch"):
        q.invalidate()


def test_a_query_made_inside_an_owner_is_not_owned_by_a_later_owner() -> None:
    fetches = Fetches()
    q = query(fetches)
    fetches.answer("v1")
    other = Disposable()

    with owning(other):
        refetch = q.invalidate()
    other.dispose()

    assert refetch.status == "pending"
    fetches.answer("v2")
    assert q.value == "v2"


async def test_a_query_is_awaitable_like_top_level_await_in_jupyter() -> None:
    async def fetch() -> int:
        return 42

    q = query(fetch)

    assert await q == 42
    assert repr(q) == "Query<idle: Suspense<fulfilled: 42>>"


# -- mutation -----------------------------------------------------------------


def runs() -> tuple[list[Subject[str]], Callable[[str], reactivex.Observable[str]]]:
    subjects: list[Subject[str]] = []

    def run(arg: str) -> reactivex.Observable[str]:
        subject: Subject[str] = Subject()
        subjects.append(subject)
        return subject

    return subjects, run


def test_a_pending_mutation_exposes_its_optimistic_data_and_suspense() -> None:
    _, run = runs()
    m = mutation(run)

    suspense = m.mutate("ada")

    assert (m.status, m.data, m.suspense) == ("pending", "ada", suspense)
    assert suspense.state == Pending()


def test_a_successful_mutation_resets_to_idle() -> None:
    subjects, run = runs()
    m = mutation(run)
    statuses = collect(m.statuses)

    suspense = m.mutate("ada")
    subjects[-1].on_next("saved")

    assert (m.status, m.data, m.suspense, m.reason) == ("idle", None, None, None)
    assert suspense.use() == "saved"
    assert statuses == ["idle", "pending", "idle"]


def test_a_failed_mutation_keeps_its_data_and_reason_and_can_retry() -> None:
    subjects, run = runs()
    m = mutation(run)

    first = m.mutate("ada")
    subjects[-1].on_error(PermissionError("read only"))

    assert (m.status, m.data, m.suspense) == ("rejected", "ada", first)
    assert isinstance(m.reason, PermissionError)

    second = m.retry()
    assert (m.status, m.data, len(subjects)) == ("pending", "ada", 2)
    subjects[-1].on_next("saved")

    assert (m.status, second.value) == ("idle", "saved")


def test_retry_without_a_failure_is_refused() -> None:
    _, run = runs()
    m = mutation(run)

    with pytest.raises(RuntimeError, match="no failed run to retry"):
        m.retry()


def test_a_newer_mutate_supersedes_a_pending_one() -> None:
    subjects, run = runs()
    m = mutation(run)

    first = m.mutate("a")
    m.mutate("b")
    subjects[0].on_error(ValueError("late failure"))

    assert (m.status, m.data) == ("pending", "b")
    assert first.status == "rejected"


def test_reset_forgets_a_failure() -> None:
    subjects, run = runs()
    m = mutation(run)
    m.mutate("a")
    subjects[-1].on_error(ValueError("no"))

    m.reset()

    assert (m.status, m.data, m.reason) == ("idle", None, None)


async def test_disposing_the_owner_cancels_a_pending_mutation_silently() -> None:
    owner = Disposable()
    started = asyncio.Event()

    async def save(name: str) -> str:
        started.set()
        await asyncio.Event().wait()
        return name

    with owning(owner):
        m = mutation(save)
    suspense = m.mutate("ada")
    states = collect(suspense)
    await started.wait()

    owner.dispose()
    await asyncio.sleep(0)

    assert states == [Pending()]
    assert m.is_disposed
    with pytest.raises(DisposedError, match="cannot run"):
        m.mutate("bob")


async def test_a_mutation_of_a_coroutine_function_awaits_to_its_result() -> None:
    async def save(name: str) -> str:
        await asyncio.sleep(0)
        return name.upper()

    m = mutation(save)

    assert await m.mutate("ada") == "ADA"
    assert m.status == "idle"
    assert isinstance(Suspense.resolve(1), Suspense)


# -- tracking -------------------------------------------------------------------


def test_an_effect_sees_a_refetch_as_refetching_then_the_new_value() -> None:
    fetches = Fetches()
    q = query(fetches)
    fetches.answer("v1")
    seen: list[tuple[str, str | None]] = []

    running = effect(lambda: seen.append((q.state, q.value)))
    q.invalidate()
    fetches.answer("v2")
    running.dispose()

    assert seen == [("idle", "v1"), ("refetching", "v1"), ("idle", "v2")]


def test_a_computed_over_a_mutation_follows_its_status_and_data() -> None:
    subjects, run = runs()
    m = mutation(run)
    label = computed(lambda: f"{m.status}:{m.data}")
    labels = collect(label)

    m.mutate("ada")
    subjects[-1].on_error(ValueError("no"))
    m.retry()
    subjects[-1].on_next("ok")

    assert labels == [
        "idle:None",
        "pending:ada",
        "rejected:ada",
        "pending:ada",
        "idle:None",
    ]


# -- more transitions -------------------------------------------------------------


def test_an_invalidation_during_the_first_fetch_refetches_once_it_lands() -> None:
    fetches = Fetches()
    q = query(fetches)

    follow_up = q.invalidate()
    assert (q.state, len(fetches.subjects)) == ("fetching", 1)

    fetches.answer("v1")
    assert (q.state, q.value, len(fetches.subjects)) == ("refetching", "v1", 2)

    fetches.answer("v2")
    assert (q.state, q.value, follow_up.value) == ("idle", "v2", "v2")


def test_invalidations_from_many_threads_start_one_fetch_and_one_follow_up() -> None:
    futures: list[concurrent.futures.Future[int]] = []
    lock = threading.Lock()

    def fetch() -> concurrent.futures.Future[int]:
        future: concurrent.futures.Future[int] = concurrent.futures.Future()
        with lock:
            futures.append(future)
        return future

    q = query(fetch)
    futures[0].set_result(0)
    barrier = threading.Barrier(8)

    def invalidate() -> None:
        barrier.wait()
        q.invalidate()

    threads = [threading.Thread(target=invalidate) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert (len(futures), q.state) == (2, "refetching")
    futures[1].set_result(1)
    assert (len(futures), q.state, q.value) == (3, "refetching", 1)
    futures[2].set_result(2)
    assert (len(futures), q.state, q.value) == (3, "idle", 2)


def test_a_mutation_whose_run_raises_is_rejected_and_keeps_its_data() -> None:
    def run(name: str) -> reactivex.Observable[str]:
        raise PermissionError(f"cannot rename to {name}")

    m = mutation(run)
    suspense = m.mutate("ada")

    assert (m.status, m.data) == ("rejected", "ada")
    assert suspense.state == Rejected(PermissionError("cannot rename to ada"))


# -- Jupyter ----------------------------------------------------------------------

JUPYTER_CELLS = [
    """\
import asyncio
from impact_rx import Suspense, mutation, query

versions = iter(["v1", "v2"])

async def fetch():
    await asyncio.sleep(0)
    return next(versions)

q = query(fetch)  # the kernel's loop is running: no asyncio.run
""",
    "assert await q == 'v1'",
    """\
refetch = q.invalidate()
assert (q.state, q.value) == ("refetching", "v1")
assert await refetch == "v2"
assert (q.state, q.value) == ("idle", "v2")
""",
    """\
async def save(name):
    await asyncio.sleep(0)
    return name.upper()

m = mutation(save)
assert await m.mutate("ada") == "ADA"
assert m.status == "idle"
s = Suspense.from_(save("bob"))
s
""",
    "assert s.use() == 'BOB'",
]


@pytest.mark.timeout(120)
def test_query_mutation_and_suspense_work_with_top_level_await_in_jupyter() -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(code) for code in JUPYTER_CELLS]

    nbclient.NotebookClient(notebook, kernel_name="python3", timeout=60).execute()

    shown = notebook.cells[3].outputs[0]["data"]
    assert "Suspense<" in shown["text/plain"]
    assert "text/html" in shown


async def test_a_query_made_by_a_service_is_disposed_with_its_provider() -> None:
    started = asyncio.Event()

    async def fetch() -> str:
        started.set()
        await asyncio.Event().wait()
        return "never"

    @service
    class Profiles(Disposable):
        def __init__(self) -> None:
            self.current = query(fetch)
            self.rename = mutation(fetch_rename)

    async def fetch_rename(name: str) -> str:
        return name

    provider = ServiceProvider([Profiles])
    profiles = provider.get(Profiles)
    await started.wait()

    provider.dispose()

    assert profiles.current.is_disposed
    assert profiles.rename.is_disposed
    assert profiles.current.suspense.state == Rejected(asyncio.CancelledError())


def test_query_and_mutation_render_as_notebook_cards() -> None:
    q = query(lambda: reactivex.of(1))
    m: Mutation[int, int] = mutation(lambda arg: reactivex.of(arg))

    query_card, mutation_card = q._repr_html_(), m._repr_html_()

    assert ">Query</span>" in query_card
    assert ">fulfilled</span> <code>1</code>" in query_card
    assert ">Mutation</span>" in mutation_card
    assert "idle" in mutation_card


async def test_awaiting_a_refetch_settled_on_a_thread_sees_the_query_updated() -> None:
    versions = iter([1, 2])

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        q = query(lambda: pool.submit(lambda: next(versions)))
        assert await q.suspense == 1
        refetch = q.invalidate()

        assert await refetch == 2
        assert (q.state, q.value) == ("idle", 2)


# -- review -------------------------------------------------------------------


def test_query_and_mutation_refuse_a_fetch_that_is_not_callable() -> None:
    with pytest.raises(TypeError, match=r"query\(\) takes a callable fetch, got int"):
        query(5)  # type: ignore[arg-type]
    with pytest.raises(
        TypeError, match=r"mutation\(\) takes a callable run, got NoneType"
    ):
        mutation(None)  # type: ignore[arg-type]


def test_disposing_a_mutation_cancels_superseded_and_reset_runs_too() -> None:
    runs: list[Subject[str]] = []

    def run(arg: str) -> reactivex.Observable[str]:
        subject: Subject[str] = Subject()
        runs.append(subject)
        return subject

    m = mutation(run)
    first = m.mutate("a")
    second = m.mutate("b")
    m.reset()
    third = m.mutate("c")

    m.dispose()

    assert [len(s.observers) for s in runs] == [0, 0, 0]
    assert (first.is_disposed, second.is_disposed, third.is_disposed) == (
        True,
        True,
        True,
    )


def test_a_settled_mutation_run_is_not_kept_by_the_mutation() -> None:
    m = mutation(lambda arg: reactivex.of(arg))
    runs = [weakref.ref(m.mutate(n)) for n in range(3)]
    gc.collect()

    assert [run() for run in runs] == [None, None, None]


def test_a_follow_up_refetch_is_seen_by_its_subscribers_after_the_query_updated() -> (
    None
):
    fetches = Fetches()
    q = query(fetches)
    follow_up = q.invalidate()  # during the first fetch
    seen: list[tuple[Any, Any, str]] = []
    follow_up.subscribe(lambda state: seen.append((state, q.value, q.state)))

    fetches.answer("a")
    fetches.answer("b")

    assert seen == [(Pending(), None, "fetching"), (Fulfilled("b"), "b", "idle")]


class Api:
    def fetch(self) -> reactivex.Observable[str]:
        return reactivex.never()

    def run(self, arg: str) -> reactivex.Observable[str]:
        return reactivex.never()


def test_a_disposed_query_or_mutation_keeps_no_reference_to_its_function() -> None:
    api = Api()
    gone = weakref.ref(api)
    q = query(api.fetch)
    m = mutation(api.run)
    m.mutate("a")

    q.dispose()
    m.dispose()
    del api
    gc.collect()

    assert gone() is None
    assert (q.is_disposed, m.is_disposed) == (True, True)


def test_a_query_whose_fetch_cannot_be_stopped_still_disposes_fully() -> None:
    def stop() -> None:
        raise RuntimeError("cannot stop")

    q = query(lambda: reactivex.create(lambda o, s: RxDisposable(stop)))
    states: list[Any] = []
    q.states.subscribe(states.append, on_completed=lambda: states.append("done"))

    with pytest.raises(DisposeError, match=r"1 dispose callback\(s\) of .* raised"):
        q.dispose()

    assert q.is_disposed
    assert states == ["fetching", "done"]


def test_a_query_disposed_as_its_follow_up_starts_does_not_leave_it_pending() -> None:
    fetches = Fetches()
    q = query(fetches)
    follow_up = q.invalidate()  # during the first fetch
    q.states.subscribe(lambda state: q.dispose() if state == "refetching" else None)

    fetches.answer("a")

    assert q.is_disposed
    assert follow_up.is_disposed
    assert follow_up.state == Rejected(asyncio.CancelledError())
    assert len(fetches.subjects) == 1  # the follow-up fetch never started


# -- optimistic data, then the saved value: no flicker ------------------------


class _Basket(Disposable):
    """The README user's pattern: optimistic data shown until the save lands."""

    saved: signal[tuple[str, ...]] = signal(())

    def __init__(self, run: Callable[[str], reactivex.Observable[str]]) -> None:
        self.adding = mutation(run)

    @computed
    def shown(self) -> tuple[str, ...]:
        pending = self.adding.data
        return (*self.saved, pending) if pending is not None else self.saved

    def land(self, item: str) -> None:
        self.saved = (*self.saved, item)


def test_applying_a_mutation_result_in_its_suspense_subscriber_does_not_flicker() -> (
    None
):
    with marbles() as m:
        basket = _Basket(lambda item: m.cold("--a|", {"a": item}))

        def add(item: str) -> None:
            def apply(state: object) -> None:
                if isinstance(state, Fulfilled):
                    basket.land(state.value)

            basket.adding.mutate(item).subscribe(apply)

        m.hot("-t", {"t": "tea"}).subscribe(add)
        # Optimistic ('tea',) at frame 1 stays ('tea',) once saved at
        # frame 3: no () in between, so nothing more is emitted.
        m.expect(signal_of(basket, "shown")).to_be("ab---", {"a": (), "b": ("tea",)})
    assert (basket.saved, basket.adding.status) == (("tea",), "idle")


def test_a_mutation_settles_its_status_and_data_with_its_subscribers_writes() -> None:
    with marbles() as m:
        basket = _Basket(lambda item: m.cold("--a|", {"a": item}))
        labels = computed(lambda: (basket.adding.status, basket.shown))

        def add(item: str) -> None:
            def apply(state: object) -> None:
                if isinstance(state, Fulfilled):
                    basket.land(state.value)

            basket.adding.mutate(item).subscribe(apply)

        m.hot("-t", {"t": "tea"}).subscribe(add)
        m.expect(labels).to_be(
            "ab-c",
            {
                "a": ("idle", ()),
                "b": ("pending", ("tea",)),
                "c": ("idle", ("tea",)),
            },
        )


def test_a_run_that_settles_at_once_goes_straight_to_its_outcome() -> None:
    saved = mutation(lambda item: reactivex.of(item))
    refused = mutation(lambda item: reactivex.throw(ValueError("full")))
    labels = collect(computed(lambda: (saved.status, saved.data)))
    statuses = collect(refused.statuses)

    saved.mutate("tea")
    refused.mutate("cake")

    # No optimistic "pending" for one change before the outcome: the result
    # was there before mutate() returned, so nothing can show it flickering.
    assert labels == [("idle", None)]
    assert statuses == ["idle", "rejected"]
    assert refused.data == "cake"
    assert refused.suspense is not None
    assert refused.suspense.state == Rejected(ValueError("full"))
    assert refused.retry().state == Rejected(ValueError("full"))


class _Shelf(Disposable):
    """Optimistic data applied by on_success, however the caller waits."""

    saved: signal[tuple[str, ...]] = signal(())

    def __init__(self, run: Callable[[str], Any]) -> None:
        self.adding = mutation(run, on_success=self.land)

    @computed
    def shown(self) -> tuple[str, ...]:
        pending = self.adding.data
        return (*self.saved, pending) if pending is not None else self.saved

    def land(self, item: str, saved_as: str) -> None:
        self.saved = (*self.saved, saved_as)


def test_on_success_applies_the_result_in_the_same_change_as_the_reset() -> None:
    with marbles() as m:
        shelf = _Shelf(lambda item: m.cold("--a|", {"a": item.upper()}))
        m.hot("-t", {"t": "tea"}).subscribe(shelf.adding.mutate)
        m.expect(signal_of(shelf, "shown")).to_be(
            "ab-c--", {"a": (), "b": ("tea",), "c": ("TEA",)}
        )
    assert (shelf.saved, shelf.adding.status) == (("TEA",), "idle")


async def test_on_success_does_not_flicker_when_the_caller_awaits() -> None:
    async def save(item: str) -> str:
        await asyncio.sleep(0)
        return item

    shelf = _Shelf(save)
    shown = collect(signal_of(shelf, "shown"))

    assert await shelf.adding.mutate("tea") == "tea"

    assert shown == [(), ("tea",)]  # never () in between, never doubled


def test_on_success_applies_a_superseded_run_and_one_that_answered_at_once() -> None:
    subjects, run = runs()
    applied: list[tuple[str, str]] = []
    m = mutation(run, on_success=lambda arg, value: applied.append((arg, value)))
    now = mutation(reactivex.of, on_success=lambda arg, value: applied.append(arg))

    m.mutate("first")
    first = subjects[-1]
    m.mutate("second")
    first.on_next("saved first")  # superseded: the state stays "pending"
    assert (m.status, m.data) == ("pending", "second")
    subjects[-1].on_next("saved second")
    now.mutate("at once")

    assert applied == [
        ("first", "saved first"),
        ("second", "saved second"),
        "at once",
    ]


def test_what_on_success_raises_reaches_whoever_settled_the_run() -> None:
    subjects, run = runs()

    def broken(arg: str, value: str) -> None:
        raise RuntimeError("apply broke")

    m = mutation(run, on_success=broken)
    m.mutate("tea")

    with pytest.raises(SubscriberError) as caught:
        subjects[-1].on_next("saved")

    assert "apply broke" in repr(caught.value.exceptions)
    assert m.status == "idle"  # the reset still happened


def test_on_success_must_be_callable() -> None:
    with pytest.raises(TypeError, match=r"mutation\(\) takes a callable on_success"):
        mutation(lambda arg: reactivex.of(arg), on_success="land")  # type: ignore[arg-type]


def test_on_success_at_once_is_no_dependency_of_the_caller() -> None:
    saved: Signal[tuple[str, ...]] = Signal((), name="saved")
    item = Signal("tea", name="item")
    calls: list[str] = []

    def save(name: str) -> reactivex.Observable[str]:
        calls.append(name)
        return reactivex.of(name.upper())

    def land(name: str, result: str) -> None:
        saved.value = (*saved.value, result)  # reads saved, then writes it

    adding = mutation(save, on_success=land)
    running = effect(lambda: adding.mutate(item.value))

    saved.value = ()  # what the hook read is not what the effect reads

    assert calls == ["tea"]  # saved once, not again at each write to saved
    item.value = "cake"
    assert (calls, saved.value) == (["tea", "cake"], ("CAKE",))
    running.dispose()


def test_an_async_on_success_is_refused_with_advice() -> None:
    async def land(item: str, saved_as: str) -> None:
        pass  # would never run: nothing awaits what on_success returns

    with pytest.raises(TypeError, match=r"mutation\(\) calls on_success synchronously"):
        mutation(lambda item: reactivex.of(item), on_success=land)


def test_a_subscriber_a_pending_status_attaches_hears_after_the_reset() -> None:
    subjects, run = runs()
    adding = mutation(run)
    heard: list[tuple[object, str]] = []

    def on_status(status: str) -> None:
        suspense = adding.suspense
        if status == "pending" and suspense is not None:
            suspense.subscribe(
                lambda state: (
                    heard.append((state, adding.status)) if state != Pending() else None
                )
            )

    adding.statuses.subscribe(on_status)
    adding.mutate("tea")
    subjects[-1].on_next("TEA")

    assert heard == [(Fulfilled("TEA"), "idle")]  # as for the caller's subscriber
