"""ServiceProvider lifecycles: disposal, ownership, async close, threads, time."""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import logging
import re
import threading
import weakref

import pytest
from reactivex.abc import SchedulerBase
from reactivex.scheduler import TimeoutScheduler
from reactivex.scheduler.eventloop import AsyncIOThreadSafeScheduler
from reactivex.testing import TestScheduler

from impact_rx import (
    Disposable,
    DisposedError,
    DisposeError,
    ServiceProvider,
    service,
)
from impact_rx._disposable import adopt, current_owner
from impact_rx._services import ProviderStatistics


class Boom(Exception):
    pass


@service
class Counter(Disposable):
    def __init__(self) -> None:
        self.count = 0


@service
class Helper(Disposable):
    pass


# ------------------------------------------------------------------ disposal

order: list[str] = []


@service
class Database(Disposable):
    def __init__(self) -> None:
        self.on_dispose(lambda: order.append("Database"))


@service
class Repository(Disposable):
    def __init__(self, db: Database) -> None:
        self.on_dispose(lambda: order.append("Repository"))


@service
class Screen(Disposable):
    def __init__(self) -> None:
        self.on_dispose(lambda: order.append("Screen"))


def test_dispose_runs_children_then_dependents_before_their_dependencies() -> None:
    order.clear()
    root = ServiceProvider([Database, Repository], name="root")
    child = ServiceProvider([Screen], parent=root, name="child")
    root.on_dispose(lambda: order.append("root callback"))
    child.get(Screen)
    root.get(Repository)  # Database completes first, then Repository

    assert root.instances() == (root.get(Database), root.get(Repository))
    root.dispose()

    assert order == ["Screen", "Repository", "Database", "root callback"]
    assert child.is_disposed
    assert root.children == ()


def test_a_disposed_provider_keeps_no_reference_to_what_it_built() -> None:
    app = ServiceProvider([Repository, Database])
    ref = weakref.ref(app.get(Repository))
    app.dispose()
    gc.collect()

    assert ref() is None
    assert app.instances() == ()


class Resource:
    """A plain service: not a Disposable, but with its own dispose()."""

    def __init__(self) -> None:
        self.owner: object = current_owner()
        adopt(lambda: order.append("adopted by Resource"))

    def dispose(self) -> None:
        order.append("Resource.dispose")


def test_a_plain_service_gets_a_hidden_owner_disposed_after_its_own_dispose() -> None:
    order.clear()
    with ServiceProvider([Resource]) as app:
        resource = app.get(Resource)
        assert type(resource.owner) is Disposable

    assert order == ["Resource.dispose", "adopted by Resource"]


def test_a_disposable_service_is_the_owner_while_its_constructor_runs() -> None:
    @service
    class Owner(Disposable):
        def __init__(self) -> None:
            self.owner = current_owner()

    with ServiceProvider([Owner]) as app:
        owner = app.get(Owner)
        assert owner.owner is owner
    assert current_owner() is None


class AsyncClient(Disposable):
    def __init__(self) -> None:
        self.steps: list[str] = []
        self.on_dispose(lambda: self.steps.append("dispose"))

    async def aclose(self) -> None:
        await asyncio.sleep(0)
        self.steps.append("aclose")


async def test_async_with_awaits_each_service_aclose_before_disposing_it() -> None:
    async with ServiceProvider([AsyncClient]) as app:
        client = app.get(AsyncClient)

    assert client.steps == ["aclose", "dispose"]
    assert app.is_disposed
    await app.aclose()  # idempotent


async def test_aclose_disposes_children_first_and_reports_every_failure() -> None:
    class FailingClose(Disposable):
        async def aclose(self) -> None:
            raise Boom("aclose failed")

    root = ServiceProvider([FailingClose], name="root")
    child = ServiceProvider([AsyncClient], parent=root)
    root.get(FailingClose)
    client = child.get(AsyncClient)

    with pytest.raises(
        DisposeError, match=r"^Disposing root raised 1 error\(s\) \(Boom\)"
    ):
        await root.aclose()
    assert client.steps == ["aclose", "dispose"]


async def test_a_cancelled_aclose_still_disposes_everything_then_raises() -> None:
    entered = asyncio.Event()

    class Hangs(Disposable):
        async def aclose(self) -> None:
            entered.set()
            await asyncio.Event().wait()

    root = ServiceProvider([AsyncClient, Hangs])
    child = ServiceProvider([AsyncClient], parent=root)
    first = root.get(AsyncClient)
    hangs = root.get(Hangs)
    inner = child.get(AsyncClient)

    task = asyncio.create_task(root.aclose())
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError, match=r"^$"):
        await task

    assert inner.steps == ["aclose", "dispose"]
    assert hangs.is_disposed
    assert first.steps == ["dispose"]  # disposed without awaiting its aclose
    assert root.is_disposed and root.instances() == ()


def test_a_sync_dispose_warns_about_each_aclose_it_cannot_await(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = ServiceProvider([AsyncClient], name="app")
    client = app.get(AsyncClient)
    with caplog.at_level(logging.WARNING, logger="impact_rx.services"):
        app.dispose()

    assert client.steps == ["dispose"]
    assert [r.getMessage() for r in caplog.records] == [
        "AsyncClient.aclose() was not awaited: app was disposed with dispose();"
        " use `await provider.aclose()` or `async with`"
    ]


# ------------------------------------------------------------------- threads


started = threading.Event()
release = threading.Event()


@service
class Slow(Disposable):
    built = 0

    def __init__(self) -> None:
        Slow.built += 1
        started.set()
        release.wait(timeout=10)


def test_sixty_four_threads_asking_for_one_slow_service_get_one_instance() -> None:
    Slow.built = 0
    started.clear()
    release.clear()
    barrier = threading.Barrier(65)
    found: list[Slow] = []

    def ask(app: ServiceProvider) -> None:
        barrier.wait()
        found.append(app.get(Slow))

    with ServiceProvider([Slow]) as app:
        threads = [threading.Thread(target=ask, args=(app,)) for _ in range(64)]
        for thread in threads:
            thread.start()
        barrier.wait()
        assert started.wait(timeout=10)
        release.set()
        for thread in threads:
            thread.join()

    assert Slow.built == 1
    assert len(found) == 64
    assert all(s is found[0] for s in found)


# ----------------------------------------------------------------- scheduler


@service
class Ticker(Disposable):
    def __init__(self, scheduler: SchedulerBase) -> None:
        self.scheduler = scheduler


def test_a_provider_injects_its_scheduler_and_children_inherit_it() -> None:
    virtual = TestScheduler()
    with (
        ServiceProvider([Ticker], scheduler=virtual) as root,
        ServiceProvider() as child,
    ):
        assert root.scheduler is virtual
        assert child.scheduler is virtual
        assert child.get(Ticker).scheduler is virtual


def test_a_service_gets_the_scheduler_of_the_provider_that_built_it() -> None:
    outer, inner = TestScheduler(), TestScheduler()
    with (
        ServiceProvider([Ticker], scheduler=outer) as root,
        ServiceProvider(scheduler=inner) as child,
    ):
        assert child.get(Ticker).scheduler is outer
        assert root.get(SchedulerBase) is outer


def test_without_a_loop_the_default_scheduler_is_the_timeout_scheduler() -> None:
    with ServiceProvider() as app:
        assert app.scheduler is TimeoutScheduler.singleton()


async def test_inside_a_running_loop_the_default_scheduler_drives_that_loop() -> None:
    async with ServiceProvider() as app:
        assert isinstance(app.scheduler, AsyncIOThreadSafeScheduler)
        ran = asyncio.Event()
        app.scheduler.schedule(lambda _s, _t: ran.set())
        await asyncio.wait_for(ran.wait(), timeout=10)


# ---------------------------------------------------- tracing, introspection


def test_resolution_is_traced_at_debug_indented_by_depth(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with (
        caplog.at_level(logging.DEBUG, logger="impact_rx.services"),
        ServiceProvider([Database, Repository], name="app") as app,
    ):
        app.get(Repository)
        app.get(Repository)

    messages = [r.getMessage() for r in caplog.records]
    assert messages[:5] == [
        "Repository: building in app",
        "  Database: building in app",
        "  Database: built in app",
        "Repository: built in app",
        "Repository: shared from app",
    ]


def test_a_provider_describes_itself() -> None:
    with ServiceProvider([Counter, Database], {"NAME": "x"}) as app:
        assert re.fullmatch(r"ServiceProvider#\d+", app.name)
        child = ServiceProvider(name="child")
        app.get(Counter)

        assert app.children == (child,)
        assert child.parent is app
        assert repr(app) == f"<ServiceProvider {app.name} services=2 instances=1>"
        stats = app.statistics()
        assert stats == ProviderStatistics(
            name=app.name,
            services=2,
            values=1,
            instances=1,
            children=1,
            constructions=1,
            disposed=False,
        )
        with pytest.raises(
            dataclasses.FrozenInstanceError, match=r"cannot assign to field 'instances'"
        ):
            stats.instances = 3  # type: ignore[misc]
        assert isinstance(app._repr_html_(), str)

    assert app.statistics().disposed
    assert repr(child) == "<ServiceProvider child disposed>"


@service
class PlainHelper:
    """An unregistered plain service, built per injection."""

    def __init__(self) -> None:
        adopt(lambda: order.append("adopted by PlainHelper"))

    def dispose(self) -> None:
        order.append("PlainHelper.dispose")


@service
class FailsAfterInjection(Disposable):
    def __init__(self, helper: Helper, plain: PlainHelper) -> None:
        self.on_dispose(lambda: order.append("FailsAfterInjection"))
        helper.on_dispose(lambda: order.append("Helper"))
        raise Boom("dependent failed")


def test_a_failed_dependent_disposes_the_unregistered_services_built_for_it() -> None:
    order.clear()
    with ServiceProvider([FailsAfterInjection]) as app:
        with pytest.raises(Boom, match=r"^dependent failed\n"):
            app.get(FailsAfterInjection)

        assert app.instances() == ()
        assert order == [
            "FailsAfterInjection",
            "PlainHelper.dispose",
            "adopted by PlainHelper",
            "Helper",
        ]


# ------------------------------------------- review: disposal while building


@service
class DisposesItsProvider(Disposable):
    def __init__(self, provider: ServiceProvider) -> None:
        self.on_dispose(lambda: order.append("DisposesItsProvider"))
        provider.dispose()


def test_a_provider_disposed_by_a_constructor_disposes_the_new_instance_too() -> None:
    order.clear()
    app = ServiceProvider([DisposesItsProvider], name="app")

    with pytest.raises(
        DisposedError,
        match=r"app was disposed while DisposesItsProvider was being built",
    ):
        app.get(DisposesItsProvider)

    assert order == ["DisposesItsProvider"]
    assert app.instances() == ()
    assert app.statistics().instances == 0


made: list[Disposable] = []


@service
class Made(Disposable):
    def __init__(self) -> None:
        made.append(self)


@service
class NeedsMade(Disposable):
    def __init__(self, dep: Made) -> None:
        made.append(self)


def test_threads_resolving_while_the_root_is_disposed_leave_nothing_undisposed() -> (
    None
):
    for _ in range(30):
        made.clear()

        assert _race_resolving_and_disposing() == []
        assert [m for m in made if not m.is_disposed] == []


def _race_resolving_and_disposing() -> list[BaseException]:
    root = ServiceProvider([Made], name="root")
    start = threading.Barrier(5)
    failures: list[BaseException] = []

    def resolve() -> None:
        start.wait()
        try:
            ServiceProvider([NeedsMade], parent=root, name="child").get(NeedsMade)
        except DisposedError:
            pass
        except BaseException as exc:  # pragma: no cover - the failure
            failures.append(exc)

    def dispose() -> None:
        start.wait()
        root.dispose()

    threads = [threading.Thread(target=resolve) for _ in range(4)]
    threads.append(threading.Thread(target=dispose))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failures
