"""Services whose annotations are evaluated eagerly (no postponed annotations).

The other services tests use ``from __future__ import annotations``; this
module does not, so both ways of writing a service are covered.
"""

import dataclasses
from typing import Annotated, Optional

from impact_rx import Disposable, ServiceProvider, Value, service


def test_a_local_dataclass_service_gets_services_and_optional_values() -> None:
    @dataclasses.dataclass(frozen=True)
    class User:
        name: str

    @service
    class Api(Disposable):
        pass

    @service
    @dataclasses.dataclass
    class Session:
        api: Api
        user: Annotated[Optional[User], Value("USER")]  # noqa: UP045
        guest: Annotated[User | None, Value("GUEST")]

    ada = User("ada")
    with ServiceProvider([Api, Session], {"USER": ada, "GUEST": None}) as app:
        session = app.get(Session)

        assert session.api is app.get(Api)
        assert session.user is ada
        assert session.guest is None


def test_a_local_service_may_need_another_local_service() -> None:
    @service
    class Inner(Disposable):
        pass

    @service
    class Outer(Disposable):
        def __init__(self, inner: Inner) -> None:
            self.inner = inner

    with ServiceProvider([Outer]) as app:
        outer = app.get(Outer)

        assert isinstance(outer.inner, Inner)
        assert app.instances() == (outer.inner, outer)
