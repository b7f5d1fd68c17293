"""ServiceProvider, service, Value and use_service: scoping, values, errors."""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import logging
import re
import threading
import weakref
from typing import Annotated, Protocol, runtime_checkable

import pytest
from reactivex.abc import SchedulerBase
from reactivex.scheduler import TimeoutScheduler
from reactivex.scheduler.eventloop import AsyncIOThreadSafeScheduler
from reactivex.testing import TestScheduler

from impact_rx import (
    CircularDependencyError,
    Disposable,
    DisposedError,
    DisposeError,
    ImpactRxError,
    MissingValueError,
    NoProviderError,
    ServiceDefinitionError,
    ServiceNotRegisteredError,
    ServiceProvider,
    Value,
    service,
    use_service,
)
from impact_rx._disposable import adopt, current_owner
from impact_rx._services import ProviderStatistics

# Classes live at module level: this module uses `from __future__ import
# annotations`, so constructor annotations are strings evaluated in the
# module's namespace when a service is first built.


@dataclasses.dataclass(frozen=True)
class User:
    name: str


@runtime_checkable
class AuthApi(Protocol):
    def who(self) -> str: ...


class NotCheckable(Protocol):
    def who(self) -> str: ...


class RealApi:
    def who(self) -> str:
        return "real"


class FakeApi:
    def who(self) -> str:
        return "fake"


@service
class Counter(Disposable):
    def __init__(self) -> None:
        self.count = 0


@service
class NeedsText(Disposable):
    def __init__(self, text: str) -> None:
        self.text = text


@service
class Greeter(Disposable):
    def __init__(self, name: Annotated[str, Value("NAME")]) -> None:
        self.name = name


@service
class TwoNames(Disposable):
    def __init__(
        self, a: Annotated[str, Value("A")], b: Annotated[str, Value("B")]
    ) -> None:
        self.a = a
        self.b = b


@service
class Session(Disposable):
    def __init__(
        self, user: Annotated[User | None, Value("USER")], api: AuthApi
    ) -> None:
        self.user = user
        self.api = api


@service
@dataclasses.dataclass
class DataSession:
    api: AuthApi
    user: Annotated[User | None, Value("USER")]


@service
class Helper(Disposable):
    made = 0

    def __init__(self) -> None:
        Helper.made += 1


@service
class UsesHelper(Disposable):
    def __init__(self, helper: Helper) -> None:
        self.helper = helper


class Plain:
    """Not marked @service and not a Disposable."""


@service
class NeedsPlain(Disposable):
    def __init__(self, plain: Plain) -> None:
        self.plain = plain


@service
class WithDefault(Disposable):
    def __init__(
        self,
        retries: int = 3,
        label: Annotated[str, Value("L")] = "x",
        names: list[str] | None = None,
    ) -> None:
        self.retries = retries
        self.label = label
        self.names = names


# ---------------------------------------------------------------- issue cases


def test_a_missing_str_raises_instead_of_injecting_an_empty_string() -> None:
    with (
        ServiceProvider([NeedsText], name="app") as app,
        pytest.raises(
            ServiceNotRegisteredError,
            match=r"No provider gives str, needed by NeedsText\."
            r" Resolution path: NeedsText -> str\. Searched, child to parent: app\."
            r'.*Annotated\[str, Value\("NAME"\)\]',
        ) as caught,
    ):
        app.get(NeedsText)

    assert caught.value.token is str
    assert caught.value.path == (NeedsText, str)
    assert caught.value.searched == ("app",)
    assert isinstance(caught.value, LookupError)


def test_a_root_service_never_sees_a_value_only_a_child_provides() -> None:
    expected = (
        r"No provider gives Value\('NAME'\), needed by Greeter\."
        r" Resolution path: Greeter -> Value\('NAME'\)\."
        r" Searched, child to parent: root\."
        r" Greeter is built by root, so its dependencies come from root"
        r" and its parents, never from a child such as child;"
        r" register Greeter on child as well to build one there\."
        r" Provide it with values=\{'NAME': \.\.\.\} on root"
    )
    with (
        ServiceProvider([Greeter], name="root"),
        ServiceProvider(values={"NAME": "Ada"}, name="child") as child,
        pytest.raises(MissingValueError, match=expected) as caught,
    ):
        child.get(Greeter)

    assert caught.value.token == Value("NAME")
    assert caught.value.searched == ("root",)


def test_sibling_providers_each_build_their_own_instance_and_share_it_below() -> None:
    with ServiceProvider(name="root") as root:
        left = ServiceProvider([Counter], parent=root, name="left")
        right = ServiceProvider([Counter], parent=root, name="right")
        grandchild = ServiceProvider(parent=left, name="grandchild")

        assert left.get(Counter) is not right.get(Counter)
        assert grandchild.get(Counter) is left.get(Counter)
        assert left.instances() == (left.get(Counter),)
        assert grandchild.instances() == ()


def test_named_values_resolve_to_their_own_values_and_none_is_a_value() -> None:
    values: dict[object, object] = {
        "A": "a",
        "B": "b",
        "USER": None,
        AuthApi: RealApi(),
    }
    with ServiceProvider([TwoNames, Session], values) as app:
        two = app.get(TwoNames)
        session = app.get(Session)

    assert (two.a, two.b) == ("a", "b")
    assert session.user is None
    assert session.api.who() == "real"


@service
class GetsItself(Disposable):
    def __init__(self, provider: ServiceProvider) -> None:
        provider.get(GetsItself)


def test_a_constructor_getting_its_own_class_raises_a_cycle_not_recursion() -> None:
    with (
        ServiceProvider([GetsItself], name="app") as app,
        pytest.raises(
            CircularDependencyError,
            match=r"Circular dependency on app: GetsItself -> GetsItself\."
            r" Each of these services needs the next one",
        ) as caught,
    ):
        app.get(GetsItself)

    assert caught.value.path == (GetsItself, GetsItself)
    assert not isinstance(caught.value, RecursionError)


log: list[str] = []


@service
class Noisy(Disposable):
    def __init__(self) -> None:
        self.on_dispose(lambda: log.append("noisy first"))
        self.on_dispose(self._fail)
        self.on_dispose(lambda: log.append("noisy last"))

    def _fail(self) -> None:
        raise RuntimeError("cleanup failed")


@service
class Quiet(Disposable):
    def __init__(self) -> None:
        self.on_dispose(lambda: log.append("quiet"))


def test_a_raising_dispose_callback_does_not_stop_the_others() -> None:
    log.clear()
    app = ServiceProvider([Quiet, Noisy], name="app")
    app.get(Quiet)
    app.get(Noisy)

    with pytest.raises(
        DisposeError, match=r"^Disposing app raised 1 error\(s\) \(DisposeError\)\."
    ) as caught:
        app.dispose()
    app.dispose()  # a second dispose is a no-op

    assert log == ["noisy last", "noisy first", "quiet"]
    [inner] = caught.value.exceptions
    assert isinstance(inner, DisposeError)
    assert [str(e) for e in inner.exceptions] == ["cleanup failed"]
    assert app.is_disposed


# ------------------------------------------------------------------- scoping


@service
class Root(Disposable):
    def __init__(self, counter: Counter) -> None:
        self.counter = counter


def test_dependencies_resolve_from_the_registering_provider_upwards() -> None:
    with (
        ServiceProvider([Counter, Root], name="root") as root,
        ServiceProvider([Counter], name="child") as child,
    ):
        assert child.get(Root).counter is root.get(Counter)
        assert child.get(Counter) is not root.get(Counter)


def test_an_unregistered_service_is_built_per_injection_and_owned_by_the_builder() -> (
    None
):
    with (
        ServiceProvider([UsesHelper], name="root") as root,
        ServiceProvider([UsesHelper], name="child") as child,
    ):
        a = root.get(UsesHelper)
        b = child.get(UsesHelper)

        assert a.helper is not b.helper
        assert root.instances() == (a.helper, a)
        assert child.instances() == (b.helper, b)
    assert a.helper.is_disposed and b.helper.is_disposed


def test_an_unregistered_service_is_not_built_by_a_direct_get() -> None:
    with (
        ServiceProvider(name="app") as app,
        pytest.raises(
            ServiceNotRegisteredError,
            match=r"No provider gives Helper\. Resolution path: Helper\."
            r".* Register it with services=\[Helper\]",
        ),
    ):
        app.get(Helper)


def test_a_class_not_marked_service_is_never_auto_built() -> None:
    with (
        ServiceProvider([NeedsPlain], name="app") as app,
        pytest.raises(
            ServiceNotRegisteredError,
            match=r"No provider gives Plain, needed by NeedsPlain\..*"
            r" Register it with services=\[Plain\], or give an instance with"
            r" values=\{Plain: instance\}",
        ),
    ):
        app.get(NeedsPlain)


def test_a_parameter_default_is_kept_unless_a_provider_gives_the_token() -> None:
    with ServiceProvider([WithDefault]) as app:
        assert (app.get(WithDefault).retries, app.get(WithDefault).label) == (3, "x")
        assert app.get(WithDefault).names is None  # not injectable: default kept
    with ServiceProvider([WithDefault], {"L": "given", int: 5}) as app:
        assert (app.get(WithDefault).retries, app.get(WithDefault).label) == (
            5,
            "given",
        )


def test_registering_a_class_twice_on_one_provider_raises() -> None:
    with pytest.raises(ValueError, match=r"Counter is registered twice on twice\."):
        ServiceProvider([Counter, Counter], name="twice")
    with pytest.raises(ValueError, match=r"RealApi is registered twice on mixed\."):
        ServiceProvider([RealApi], {RealApi: RealApi()}, name="mixed")


def test_a_class_value_is_checked_with_isinstance_at_registration() -> None:
    with pytest.raises(
        TypeError,
        match=r"values=\{AuthApi: \.\.\.\} on app needs an instance of AuthApi,"
        r" got str\.",
    ):
        ServiceProvider(values={AuthApi: "nope"}, name="app")


def test_a_protocol_value_key_must_be_runtime_checkable() -> None:
    with pytest.raises(
        TypeError,
        match=r"NotCheckable is a Protocol that is not @runtime_checkable\."
        r" Decorate NotCheckable with @typing\.runtime_checkable\.",
    ):
        ServiceProvider(values={NotCheckable: RealApi()}, name="app")


def test_a_dataclass_service_gets_services_and_named_values() -> None:
    user = User("ada")
    with ServiceProvider([DataSession], {AuthApi: RealApi(), "USER": user}) as app:
        built = app.get(DataSession)

    assert built.user is user
    assert built.api.who() == "real"


# --------------------------------------------------------------- use_service


def test_use_service_resolves_from_the_innermost_entered_provider() -> None:
    with ServiceProvider([Counter], name="outer") as outer:
        with ServiceProvider([Counter], name="inner") as inner:
            assert inner.parent is outer
            assert use_service(Counter) is inner.get(Counter)
        assert use_service(Counter) is outer.get(Counter)


def test_use_service_outside_any_provider_raises() -> None:
    with pytest.raises(
        NoProviderError,
        match=r"use_service\(Counter\) was called outside any ServiceProvider\.",
    ):
        use_service(Counter)


def test_use_service_of_a_class_that_is_not_disposable_raises_type_error() -> None:
    with (
        ServiceProvider([Plain]),
        pytest.raises(
            TypeError, match=r"use_service\(Plain\) needs a Disposable service"
        ),
    ):
        use_service(Plain)  # type: ignore[type-var]


async def test_asyncio_tasks_inherit_the_entered_provider() -> None:
    async with ServiceProvider([Counter]) as app:
        found = await asyncio.create_task(_use_counter())
        assert found is app.get(Counter)


async def _use_counter() -> Counter:
    return use_service(Counter)


def test_an_explicit_parent_wins_over_the_entered_provider() -> None:
    other = ServiceProvider(name="other")
    with ServiceProvider(name="entered"):
        child = ServiceProvider(parent=other)
    assert child.parent is other
    other.dispose()


# -------------------------------------------------------------------- errors


@service
class Ping(Disposable):
    def __init__(self, pong: Pong) -> None:
        self.pong = pong


@service
class Pong(Disposable):
    def __init__(self, ping: Ping) -> None:
        self.ping = ping


def test_services_injecting_each_other_raise_a_cycle_with_the_path() -> None:
    with (
        ServiceProvider([Ping, Pong], name="app") as app,
        pytest.raises(
            CircularDependencyError,
            match=r"^Circular dependency on app: Ping -> Pong -> Ping\.",
        ) as caught,
    ):
        app.get(Ping)

    assert caught.value.path == (Ping, Pong, Ping)


@service
class AsksForPing(Disposable):
    def __init__(self, provider: ServiceProvider) -> None:
        provider.get(GetsBack)


@service
class GetsBack(Disposable):
    def __init__(self, provider: ServiceProvider) -> None:
        provider.get(AsksForPing)


def test_a_cycle_through_get_inside_constructors_names_the_whole_path() -> None:
    with (
        ServiceProvider([AsksForPing, GetsBack], name="app") as app,
        pytest.raises(
            CircularDependencyError,
            match=r"AsksForPing -> GetsBack -> AsksForPing\.",
        ) as caught,
    ):
        app.get(AsksForPing)

    assert caught.value.path == (AsksForPing, GetsBack, AsksForPing)


def test_a_lookup_error_names_every_provider_searched_from_child_to_parent() -> None:
    with (
        ServiceProvider(name="root"),
        ServiceProvider(name="mid"),
        ServiceProvider() as leaf,
        pytest.raises(
            ServiceNotRegisteredError,
            match=r"Searched, child to parent: ServiceProvider#\d+, mid, root\.",
        ) as caught,
    ):
        leaf.get(Counter)

    assert caught.value.searched[1:] == ("mid", "root")
    assert caught.value.searched[0] == leaf.name


def test_a_missing_value_is_missing_even_when_its_type_admits_none() -> None:
    with (
        ServiceProvider([Session], {AuthApi: RealApi()}, name="app") as app,
        pytest.raises(
            MissingValueError,
            match=r"No provider gives Value\('USER'\), needed by Session\."
            r" Resolution path: Session -> Value\('USER'\)\..*"
            r" Provide it with values=\{'USER': \.\.\.\} on app or one of its"
            r" parents \(None is a value too\)\.",
        ),
    ):
        app.get(Session)


def test_an_annotation_that_cannot_be_evaluated_raises_a_definition_error() -> None:
    class Later:
        pass

    @service
    class Broken(Disposable):
        def __init__(self, later: Later) -> None:
            self.later = later

    with (
        ServiceProvider([Broken]) as app,
        pytest.raises(
            ServiceDefinitionError,
            match=r"Cannot read the type annotations of .*Broken\.__init__:"
            r" name 'Later' is not defined\..* define or import every name",
        ) as caught,
    ):
        app.get(Broken)

    assert caught.value.service is Broken
    assert isinstance(caught.value, TypeError)
    assert isinstance(caught.value.__cause__, NameError)


class Untyped(Disposable):
    def __init__(self, thing) -> None:  # type: ignore[no-untyped-def]
        self.thing = thing


class Unioned(Disposable):
    def __init__(self, thing: Counter | Helper) -> None:
        self.thing = thing


class Generic(Disposable):
    def __init__(self, names: list[str]) -> None:
        self.names = names


@pytest.mark.parametrize(
    ("cls", "message"),
    [
        (Untyped, r"Parameter 'thing' of Untyped\.__init__ has no type annotation"),
        (Unioned, r"Parameter 'thing' of Unioned\.__init__ is annotated with a union"),
        (
            Generic,
            r"Parameter 'names' of Generic\.__init__ is annotated with"
            r" list\[str\], which is not a class.*"
            r' Name it as a value with Annotated\[list\[str\], Value\("NAME"\)\]',
        ),
    ],
)
def test_a_constructor_that_cannot_be_injected_raises_a_definition_error(
    cls: type, message: str
) -> None:
    with (
        ServiceProvider([cls]) as app,
        pytest.raises(ServiceDefinitionError, match=message),
    ):
        app.get(cls)


class Boom(Exception):
    pass


disposed: list[str] = []


@service
class FailsHalfway(Disposable):
    def __init__(self) -> None:
        self.on_dispose(lambda: disposed.append("own callback"))
        adopt(lambda: disposed.append("adopted"))
        raise Boom("constructor failed")


def test_a_constructor_exception_passes_unchanged_and_the_half_built_is_disposed() -> (
    None
):
    disposed.clear()
    with ServiceProvider([FailsHalfway]) as app:
        with pytest.raises(Boom, match=r"^constructor failed$") as caught:
            app.get(FailsHalfway)
        assert app.instances() == ()

    assert type(caught.value) is Boom
    assert disposed == ["adopted", "own callback"]


def test_registration_rejects_keys_that_are_neither_strings_nor_classes() -> None:
    with pytest.raises(
        TypeError, match=r"values= of app takes string or class keys, got int 3\."
    ):
        ServiceProvider(values={3: "three"}, name="app")
    with pytest.raises(TypeError, match=r"services= of app takes classes, got 'x'\."):
        ServiceProvider(["x"], name="app")  # type: ignore[list-item]
    with pytest.raises(ValueError, match=r"Pass scheduler= to choose the scheduler\."):
        ServiceProvider(values={SchedulerBase: TestScheduler()}, name="app")


def test_a_value_needs_a_non_empty_name() -> None:
    with pytest.raises(TypeError, match=r"Value\(\) needs a non-empty string name"):
        Value("")


def test_a_named_value_can_be_read_with_get() -> None:
    with ServiceProvider(values={"USER": None, "NAME": "Ada"}) as app:
        assert app.get(Value("NAME")) == "Ada"
        assert app.get(Value("USER")) is None


def test_every_use_after_dispose_raises_disposed_error() -> None:
    app = ServiceProvider([Counter], name="app")
    app.dispose()

    with pytest.raises(
        DisposedError, match=r"^app has been disposed and cannot be used"
    ):
        app.get(Counter)
    with pytest.raises(DisposedError, match=r"app has been disposed"):
        ServiceProvider(parent=app)
    with pytest.raises(DisposedError, match=r"app has been disposed"), app:
        pass
    assert isinstance(DisposedError("x"), RuntimeError)


def test_use_service_in_a_disposed_provider_raises_disposed_error() -> None:
    with ServiceProvider([Counter], name="app") as app:
        app.dispose()
        with pytest.raises(DisposedError, match=r"app has been disposed"):
            use_service(Counter)


def test_use_service_in_a_new_thread_has_no_provider() -> None:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            use_service(Counter)
        except NoProviderError as exc:
            errors.append(exc)

    with ServiceProvider([Counter]):
        thread = threading.Thread(target=run)
        thread.start()
        thread.join()

    assert len(errors) == 1
    assert isinstance(errors[0], ImpactRxError) and isinstance(errors[0], LookupError)


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
        assert root.get(SchedulerBase) is outer  # type: ignore[type-abstract]


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
        with pytest.raises(dataclasses.FrozenInstanceError):
            stats.instances = 3  # type: ignore[misc]
        assert isinstance(app._repr_html_(), str)

    assert app.statistics().disposed
    assert repr(child) == "<ServiceProvider child disposed>"


@service
class UsesInside(Disposable):
    def __init__(self) -> None:
        self.counter = use_service(Counter)
        self.sub = ServiceProvider(name="made inside")


def test_use_service_in_a_constructor_resolves_from_the_building_provider() -> None:
    with (
        ServiceProvider([Counter, UsesInside], name="root") as root,
        ServiceProvider([Counter], name="child") as child,
    ):
        built = child.get(UsesInside)

        assert built.counter is root.get(Counter)
        assert built.sub.parent is root
        assert use_service(Counter) is child.get(Counter)


def test_a_value_key_may_also_be_written_as_value() -> None:
    with ServiceProvider([Greeter], {Value("NAME"): "Ada"}) as app:
        assert app.get(Greeter).name == "Ada"
    with pytest.raises(ValueError, match=r"Value 'NAME' is given twice on app\."):
        ServiceProvider(values={"NAME": 1, Value("NAME"): 2}, name="app")


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
        with pytest.raises(Boom, match=r"^dependent failed$"):
            app.get(FailsAfterInjection)

        assert app.instances() == ()
        assert order == [
            "FailsAfterInjection",
            "PlainHelper.dispose",
            "adopted by PlainHelper",
            "Helper",
        ]
