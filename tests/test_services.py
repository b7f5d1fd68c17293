"""ServiceProvider, service, Value and use_service: scoping, values, errors."""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Protocol, TypedDict, runtime_checkable

import pytest
from reactivex.abc import SchedulerBase
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
    computed,
    service,
    use_service,
)
from impact_rx._disposable import adopt

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


class Counts(Disposable):
    def __init__(self, start: int) -> None:
        self.start = start


def test_a_builtin_type_asked_for_directly_is_never_made_up() -> None:
    with (
        ServiceProvider([], name="app") as app,
        pytest.raises(
            ServiceNotRegisteredError,
            match=r"^No provider gives int\. .* A value of type int is never made"
            r" up: provide it by name, values=\{\"NAME\": \.\.\.\}, and ask for"
            r' app\.get\(Value\("NAME"\)\)\.$',
        ),
    ):
        app.get(int)


def test_a_builtin_type_as_a_constructor_parameter_is_never_made_up() -> None:
    with (
        ServiceProvider([Counts], name="app") as app,
        pytest.raises(
            ServiceNotRegisteredError,
            match=r"^No provider gives int, needed by Counts\. .* A value of type"
            r" int is never made up: name parameter 'start' of Counts\.__init__"
            r' as a value, Annotated\[int, Value\("NAME"\)\], and provide'
            r' values=\{"NAME": \.\.\.\}\.$',
        ),
    ):
        app.get(Counts)


class Welcome(Disposable):
    def __init__(self, user: Annotated[str, Value("USER")]) -> None:
        self.user = user


@pytest.mark.parametrize(
    ("given", "hint"),
    [
        ({"USR": "ada"}, r" Did you mean 'USR' \(given on app\)\?$"),
        ({"user": "ada"}, r" Did you mean 'user' \(given on app\)\?$"),
        ({"USERS": "ada", "USR": "ada"}, r" Did you mean 'USERS' or 'USR' \(given"),
    ],
    ids=["typo", "case", "two"],
)
def test_a_missing_value_names_the_near_miss_keys_that_were_given(
    given: dict[str, object], hint: str
) -> None:
    with (
        ServiceProvider([Welcome], given, name="app") as app,
        pytest.raises(MissingValueError, match=r"values=\{'USER': \.\.\.\}.*" + hint),
    ):
        app.get(Welcome)


def test_a_near_miss_key_on_a_parent_is_named_with_its_provider() -> None:
    with (
        ServiceProvider(values={"USR": "ada"}, name="root"),
        ServiceProvider([Welcome], {"OTHER": 1}, name="app") as app,
        pytest.raises(
            MissingValueError, match=r" Did you mean 'USR' \(given on root\)\?$"
        ),
    ):
        app.get(Welcome)


def test_a_missing_value_with_no_near_miss_suggests_none() -> None:
    with (
        ServiceProvider([Welcome], {"THEME": "dark"}, name="app") as app,
        pytest.raises(
            MissingValueError, match=r"^No provider gives Value\('USER'\)"
        ) as caught,
    ):
        app.get(Welcome)

    assert "Did you mean" not in str(caught.value)


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


class ValueForType(Disposable):
    def __init__(self, owner: Value("OWNER")) -> None:  # type: ignore[valid-type]
        self.owner = owner


class ValueForTypeWithDefault(Disposable):
    def __init__(self, owner: Value("OWNER") = "nobody") -> None:  # type: ignore[valid-type]
        self.owner = owner


class ValueBeforeType(Disposable):
    def __init__(
        self,
        owner: Annotated[Value("OWNER"), str],  # type: ignore[valid-type]
    ) -> None:
        self.owner = owner


@pytest.mark.parametrize(
    ("cls", "advice"),
    [
        (ValueForType, r'Annotated\[YourType, Value\("OWNER"\)\]'),
        (ValueBeforeType, r'Annotated\[str, Value\("OWNER"\)\]'),
        (ValueForTypeWithDefault, r'Annotated\[YourType, Value\("OWNER"\)\]'),
    ],
    ids=["value-alone", "value-before-the-type", "with-a-default"],
)
def test_a_value_written_in_place_of_a_type_gets_advice_with_the_type_first(
    cls: type, advice: str
) -> None:
    with (
        ServiceProvider([cls]) as app,
        pytest.raises(
            ServiceDefinitionError,
            match=rf"Parameter 'owner' of {cls.__name__}\.__init__ is annotated"
            rf" with .*Value\('OWNER'\).*, which puts a Value where the type"
            rf" belongs\. A Value goes after the type: write owner: {advice}"
            r' and provide values=\{"OWNER": \.\.\.\}\.$',
        ),
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
        with pytest.raises(Boom, match=r"^constructor failed\n") as caught:
            app.get(FailsHalfway)
        assert app.instances() == ()

    assert type(caught.value) is Boom
    assert str(caught.value) == "constructor failed"
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


def test_use_service_in_a_pool_worker_says_providers_stay_in_their_context() -> None:
    with ServiceProvider([Counter]) as app, ThreadPoolExecutor(1) as pool:
        with pytest.raises(
            NoProviderError,
            match=r"use_service\(Counter\) was called outside any ServiceProvider\..*"
            r" A provider entered with `with` is carried by contextvars, so it"
            r" does not follow into other threads, such as a thread pool's"
            r" workers: run the work in a copy of the caller's context,"
            r" executor\.submit\(contextvars\.copy_context\(\)\.run, fn\),"
            r" or pass the provider along and call provider\.get\(Counter\)\.$",
        ):
            pool.submit(use_service, Counter).result()

        carried = pool.submit(contextvars.copy_context().run, use_service, Counter)

        assert carried.result() is app.get(Counter)


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


def test_a_missing_protocol_is_to_be_given_as_a_value_not_registered() -> None:
    with (
        ServiceProvider([Session], {"USER": None}, name="app") as app,
        pytest.raises(
            ServiceNotRegisteredError,
            match=r"No provider gives AuthApi, needed by Session\..*"
            r" AuthApi is a Protocol or abstract class: give an implementation"
            r" with values=\{AuthApi: instance\} on one of these providers\.$",
        ),
    ):
        app.get(Session)


# ------------------------------------------------------- review: bad input


def test_a_single_class_given_as_services_is_refused_with_advice() -> None:
    with pytest.raises(
        TypeError, match=r"services= of app takes an iterable of classes, got Counter"
    ) as caught:
        ServiceProvider(Counter, name="app")  # type: ignore[arg-type]

    assert "services=[Counter]" in str(caught.value)


def test_values_that_are_not_a_mapping_are_refused_with_advice() -> None:
    with pytest.raises(
        TypeError, match=r"values= of app takes a mapping, got list"
    ) as caught:
        ServiceProvider([], [("NAME", "Ada")], name="app")  # type: ignore[arg-type]

    assert 'values={"NAME": ...}' in str(caught.value)


def test_a_parent_that_is_not_a_provider_is_refused() -> None:
    with pytest.raises(
        TypeError, match=r"parent= of app takes a ServiceProvider, got str 'root'"
    ):
        ServiceProvider(parent="root", name="app")  # type: ignore[arg-type]


def test_a_scheduler_that_is_not_a_scheduler_is_refused() -> None:
    with pytest.raises(
        TypeError, match=r"scheduler= of app takes a reactivex SchedulerBase, got int"
    ):
        ServiceProvider(scheduler=5, name="app")  # type: ignore[arg-type]


def test_a_protocol_or_abstract_class_cannot_be_registered_as_a_service() -> None:
    with pytest.raises(
        TypeError, match=r"AuthApi cannot be registered in services= of app:"
    ) as caught:
        ServiceProvider([AuthApi], name="app")

    assert "values={AuthApi: instance}" in str(caught.value)


def test_get_of_a_string_says_to_name_the_value() -> None:
    app = ServiceProvider([], {"NAME": "Ada"}, name="app")

    with pytest.raises(
        TypeError,
        match=r"app\.get\(\) takes a class or Value\('NAME'\), got str 'NAME'",
    ) as caught:
        app.get("NAME")  # type: ignore[call-overload]

    assert "app.get(Value('NAME'))" in str(caught.value)


def test_get_of_something_that_is_no_token_is_refused() -> None:
    app = ServiceProvider(name="app")

    with pytest.raises(TypeError, match=r"app\.get\(\) takes a class or Value"):
        app.get(42)  # type: ignore[call-overload]


def test_use_service_of_something_that_is_not_a_class_says_what_it_got() -> None:
    with pytest.raises(
        TypeError, match=r"use_service\(\) takes a Disposable service class, got str"
    ):
        use_service("Counter")  # type: ignore[type-var]


def test_use_after_dispose_names_what_was_asked_for() -> None:
    app = ServiceProvider([Counter], name="app")
    app.dispose()

    with pytest.raises(
        DisposedError, match=r"^app has been disposed and cannot be used.*Counter"
    ):
        app.get(Counter)
    with pytest.raises(DisposedError, match=r"Value\('NAME'\)"):
        app.get(Value("NAME"))


def test_an_empty_value_name_is_refused_naming_the_provider() -> None:
    with pytest.raises(TypeError, match=r"values= of app has an empty name ''"):
        ServiceProvider([], {"": 1}, name="app")


def test_a_string_given_as_services_is_refused() -> None:
    with pytest.raises(
        TypeError, match=r"services= of app takes an iterable of classes, got str"
    ):
        ServiceProvider("Counter", name="app")  # type: ignore[arg-type]


@service
class Database(Disposable):
    def __init__(self) -> None:
        raise RuntimeError("db down")


@service
class Repository(Disposable):
    def __init__(self, db: Database) -> None:
        self.db = db


def test_a_constructor_exception_gets_a_note_naming_the_service_and_the_path() -> None:
    with (
        ServiceProvider([Database, Repository], name="app") as app,
        pytest.raises(RuntimeError, match=r"^db down\nRaised by") as caught,
    ):
        app.get(Repository)

    assert type(caught.value) is RuntimeError
    assert caught.value.args == ("db down",)
    assert caught.value.__notes__ == [
        "Raised by the constructor of Database, built by provider 'app'."
        " Resolution path: Repository -> Database."
    ]


@service
class NeedsAnInt(Disposable):
    def __init__(self, count: Annotated[int, Value("COUNT")]) -> None:
        self.count = count


def test_a_named_value_of_the_declared_type_or_a_subclass_is_injected() -> None:
    with ServiceProvider([NeedsAnInt], {"COUNT": True}) as app:
        assert app.get(NeedsAnInt).count is True


def test_a_named_value_of_another_type_names_the_value_and_the_parameter() -> None:
    with (
        ServiceProvider([NeedsAnInt], {"COUNT": "3"}, name="app") as app,
        pytest.raises(
            TypeError,
            match=(
                r"^Value\('COUNT'\) is a str, but NeedsAnInt.__init__ declares its"
                r" parameter 'count' as int\. Provide a value of that type:"
                r" values=\{'COUNT': \.\.\.\}\. Resolution path: NeedsAnInt ->"
                r" Value\('COUNT'\)\.$"
            ),
        ),
    ):
        app.get(NeedsAnInt)


class Settings(TypedDict):
    port: int


@service
class NeedsSettings(Disposable):
    def __init__(self, settings: Annotated[Settings, Value("SETTINGS")]) -> None:
        self.settings = settings


def test_a_named_value_declared_as_a_typeddict_is_checked_as_a_dict() -> None:
    # isinstance() refuses a TypedDict class: the check must not crash on it.
    with ServiceProvider([NeedsSettings], {"SETTINGS": {"port": 80}}) as app:
        assert app.get(NeedsSettings).settings == {"port": 80}
    with (
        ServiceProvider([NeedsSettings], {"SETTINGS": [("port", 80)]}) as app,
        pytest.raises(
            TypeError, match=r"^Value\('SETTINGS'\) is a list, but .* as Settings\."
        ),
    ):
        app.get(NeedsSettings)


failing_setting = computed(lambda: int("x"), name="failing_setting")


@service
class FirstReader(Disposable):
    def __init__(self) -> None:
        self.setting = failing_setting.value


@service
class SecondReader(Disposable):
    def __init__(self) -> None:
        self.setting = failing_setting.value


def test_an_error_raised_again_by_another_constructor_names_that_constructor() -> None:
    # A computed raises the same exception object on each read: the note
    # the first constructor's failure added must not name it for the second.
    with ServiceProvider([FirstReader, SecondReader], name="app") as app:
        with pytest.raises(ValueError):
            app.get(FirstReader)
        with pytest.raises(ValueError) as caught:
            app.get(SecondReader)

    assert caught.value.__notes__ == [
        "Raised by the constructor of SecondReader, built by provider 'app'."
        " Resolution path: SecondReader."
    ]


class TupleNotes(Exception):
    """An exception whose ``__notes__`` is a tuple: ``add_note`` refuses it."""


@service
class RaisesTupleNotes(Disposable):
    def __init__(self) -> None:
        error = TupleNotes("down")
        error.__notes__ = ("its own",)  # type: ignore[assignment]
        raise error


def test_a_constructor_error_that_takes_no_note_is_raised_as_it_is() -> None:
    with (
        ServiceProvider([RaisesTupleNotes], name="app") as app,
        pytest.raises(TupleNotes, match=r"^down") as caught,
    ):
        app.get(RaisesTupleNotes)

    assert caught.value.__notes__ == ("its own",)


@service
class NeedsAName(Disposable):
    def __init__(self, name: Annotated[str, Value("NAME")]) -> None:
        self.name = name


def test_a_named_value_of_another_type_is_named_with_its_article() -> None:
    with (
        ServiceProvider([NeedsAName], {"NAME": 7}) as app,
        pytest.raises(TypeError, match=r"^Value\('NAME'\) is an int, but NeedsAName"),
    ):
        app.get(NeedsAName)
