"""(g) ``use_service`` of an existing instance and (h) a provider's lifetime.

(g) resolves an already built service from the current provider, against
raw ``injector.get`` of a singleton. (h) opens a provider with 10 services,
builds each of them and disposes it, against a raw ``Injector`` that binds
and builds the same 10 classes and then disposes each instance by hand.
The signal peers have no dependency injection.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from injector import Injector, singleton

from .._harness import Case, Expected, Fixture, NotAvailable, Scenario, Tally, Target
from ._common import Box, impact

__all__ = ["scenario_lifetime", "scenario_use"]

_SIZE = 10


def _classes(tally: Tally) -> list[type[Any]]:
    """Ten fresh service classes: Disposables that count their lifecycle.

    Constructions count as ``delivered`` and disposals as ``recomputes`` in
    ``tally``, one tally per fixture: the cases are timed in turn, and the
    counts over every timed step are checked afterwards.
    """
    (disposable,) = impact("Disposable")

    def count_disposal() -> None:
        tally.recomputes += 1

    def make(index: int) -> type[Any]:
        def __init__(self: Any) -> None:
            disposable.__init__(self)
            tally.delivered += 1
            self.on_dispose(count_disposal)

        return type(f"Service{index}", (disposable,), {"__init__": __init__})

    return [make(i) for i in range(_SIZE)]


def _no_di() -> Fixture:
    raise NotAvailable("no dependency injection")


# -- (g) ---------------------------------------------------------------------


def _use_injector() -> Fixture:
    tally = Tally()
    cls = _classes(tally)[0]
    injector = Injector(auto_bind=False)
    injector.binder.bind(cls, to=cls, scope=singleton)
    first, box = injector.get(cls), Box()
    get = injector.get

    def step() -> None:
        box.value = get(cls)

    return Fixture(step, tally, lambda: _same(box, first))


def _use_impact_rx() -> Fixture:
    service, provider_cls, use_service = impact(
        "service", "ServiceProvider", "use_service"
    )
    tally = Tally()
    cls = service(_classes(tally)[0])
    provider = provider_cls(services=[cls], name="bench")
    provider.__enter__()
    first, box = use_service(cls), Box()

    def step() -> None:
        box.value = use_service(cls)

    def close() -> None:
        provider.__exit__(None, None, None)
        provider.dispose()

    return Fixture(step, tally, lambda: _same(box, first), close=close)


def _same(box: Box, first: object) -> str | None:
    if box.value is not first:
        return f"resolved {box.value!r}, not the existing {first!r}"
    return None


def scenario_use() -> Scenario:
    """(g): ``use_service`` vs raw ``injector.get``."""
    no_builds = Expected(delivered=0, recomputes=0)
    return Scenario(
        key="g",
        name="use-service",
        title="use_service (existing)",
        baseline="injector.get",
        target=Target("≤ 2x injector.get", max_ratio=2.0),
        cases=(
            Case("injector.get", _use_injector, no_builds, "singleton"),
            Case("impact_rx", _use_impact_rx, no_builds, "use_service"),
            Case("reaktiv", _no_di),
            Case("observ", _no_di),
            Case("psygnal", _no_di),
        ),
    )


# -- (h) ---------------------------------------------------------------------


def _lifetime_injector() -> Fixture:
    tally = Tally()
    classes = _classes(tally)

    def step() -> None:
        injector = Injector(auto_bind=False)
        bind = injector.binder.bind
        for cls in classes:
            bind(cls, to=cls, scope=singleton)
        built = [injector.get(cls) for cls in classes]
        for obj in reversed(built):
            obj.dispose()

    return Fixture(step, tally)


def _lifetime_impact_rx() -> Fixture:
    service, provider_cls = impact("service", "ServiceProvider")
    tally = Tally()
    classes = [service(cls) for cls in _classes(tally)]
    last = Box()

    def step() -> None:
        provider = provider_cls(services=classes, name="bench")
        for cls in classes:
            provider.get(cls)
        provider.dispose()
        last.value = provider

    return Fixture(step, tally, _disposed(last))


def _disposed(last: Box) -> Callable[[], str | None]:
    def check() -> str | None:
        if not getattr(last.value, "is_disposed", True):
            return "the provider is not disposed after dispose()"
        return None

    return check


def scenario_lifetime() -> Scenario:
    """(h): create, fill and dispose a provider with 10 services."""
    built = Expected(delivered=_SIZE, recomputes=_SIZE)
    return Scenario(
        key="h",
        name="provider-lifetime",
        title="provider with 10 services",
        baseline="injector",
        cases=(
            Case("injector", _lifetime_injector, built, "bind, get, dispose by hand"),
            Case("impact_rx", _lifetime_impact_rx, built),
            Case("reaktiv", _no_di),
            Case("observ", _no_di),
            Case("psygnal", _no_di),
        ),
    )
