"""ServiceProvider, service, Value and use_service: scoping, values, errors."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Annotated, Protocol, runtime_checkable

import pytest

from impact_rx import (
    CircularDependencyError,
    Disposable,
    DisposeError,
    MissingValueError,
    NoProviderError,
    ServiceNotRegisteredError,
    ServiceProvider,
    Value,
    service,
    use_service,
)

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
    def __init__(self, retries: int = 3, label: Annotated[str, Value("L")] = "x"):
        self.retries = retries
        self.label = label


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
