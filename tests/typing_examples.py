"""What users' type checkers see: ``make check`` runs ``mypy --strict`` on it.

Nothing here runs; each ``assert_type`` is checked statically, so a public
signature that loses its types fails the build.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, assert_type

from reactivex import Observable
from reactivex.abc import SchedulerBase

from impact_rx import (
    Computed,
    Mutation,
    ProviderStatistics,
    ServiceProvider,
    Signal,
    Source,
    Suspense,
    Value,
    computed,
    mutation,
    signal,
)
from impact_rx.debug import statistics
from impact_rx.testing import ColdObservable, HotObservable, marbles


class Greeter(Protocol):
    def greet(self) -> str: ...


def resolving(provider: ServiceProvider) -> None:
    assert_type(provider.get(ServiceProvider), ServiceProvider)
    # Protocols and abstract classes resolve without a type: ignore.
    assert_type(provider.get(Greeter), Greeter)
    assert_type(provider.get(SchedulerBase), SchedulerBase)
    assert_type(provider.get(Value("USER")), object)


def deriving(count: Signal[int]) -> None:
    assert_type(count.value, int)
    doubled = computed(lambda: count.value * 2)
    assert_type(doubled, Computed[int])
    assert_type(doubled.value, int)
    rounded = computed(equals=lambda old, new: round(old) == round(new))(
        lambda: count.value / 3
    )
    assert_type(rounded, Computed[float])


def adding_a_number_to_a_signal(count: Signal[int]) -> None:
    # Rx's ``+`` is concat: it raises TypeError at run time, and a type
    # checker flags it too (the ignore would be reported unused otherwise).
    _ = count + 1  # type: ignore[operator]


def adding_a_number_to_a_computed(doubled: Computed[int]) -> None:
    _ = doubled + 1  # type: ignore[operator]


def adding_to_a_signal_in_place(count: Signal[int]) -> None:
    count += 1  # type: ignore[arg-type]


class Countdown:
    left: signal[int] = signal(5)

    @computed
    def remaining(self) -> int:
        return self.left - 1


def assigning_a_computed_property(t: Countdown) -> None:
    t.left = 4
    assert_type(t.remaining, int)
    # A computed property cannot be assigned (AttributeError at run time).
    t.remaining = 4  # type: ignore[assignment]


def exported_types(provider: ServiceProvider, work: Source[int]) -> None:
    assert_type(statistics(provider), ProviderStatistics)
    assert_type(Suspense.from_(work), Suspense[int])


def marble_observables() -> None:
    with marbles() as m:
        assert_type(m.cold("-a|"), ColdObservable[str])
        assert_type(m.cold("-a|", {"a": 1}), ColdObservable[int])
        assert_type(m.hot("-a", values={"a": 1.5}), HotObservable[float])


def a_fake_api_that_only_fails_or_completes() -> None:
    # A diagram without values may have no value marbles at all: where an
    # Observable of users is expected, it is one (without context, of str).
    with marbles() as m:

        def down() -> Observable[Greeter]:
            return m.cold("-#", error=ConnectionError("down"))

        def empty() -> Observable[Greeter]:
            return m.hot("--|")

        assert_type(down(), Observable[Greeter])
        assert_type(empty(), Observable[Greeter])


def applying_a_mutation(run: Callable[[str], Source[int]]) -> None:
    def apply(arg: str, result: int) -> None: ...

    assert_type(mutation(run, on_success=apply), Mutation[str, int])
    mutation(run, on_success=lambda arg, result: result + len(arg))
    # The hook takes the argument and the result, in that order.
    mutation(run, on_success=lambda result: None)  # type: ignore[arg-type,misc]
