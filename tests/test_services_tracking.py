"""Building a service on first use inside a run is not part of that run's reads.

A computed, effect or observe block that calls ``use_service(X)`` for the
first time builds ``X`` there. What ``X``'s constructor (or the constructor
of a dependency it resolves) reads belongs to the service, not to the run:
the run must not re-run when the service's internal state changes. What the
run itself reads, before or after ``use_service``, is tracked as usual; and
what the constructor's own effects and computeds read is theirs.
"""

from __future__ import annotations

from impact_rx import (
    Disposable,
    ServiceProvider,
    Signal,
    computed,
    effect,
    observe,
    service,
    use_service,
)

inside = Signal(0, name="inside")  # read by constructors only
outside = Signal(0, name="outside")  # read by the runs themselves


@service
class Reader(Disposable):
    def __init__(self) -> None:
        super().__init__()
        self.seen = inside.value


@service
class Dependent(Disposable):
    def __init__(self, reader: Reader) -> None:
        super().__init__()
        self.reader = reader
        self.also_seen = inside.value + 100


@service
class Reactive(Disposable):
    """A service that keeps its own effect and computed on ``inside``."""

    def __init__(self) -> None:
        super().__init__()
        self.log: list[int] = []
        self.watch = effect(lambda: self.log.append(inside.value))
        self.doubled = computed(lambda: inside.value * 2)
        self.first_double = self.doubled.value


def reset() -> None:
    inside.value = 0
    outside.value = 0


def test_an_effect_building_a_service_does_not_rerun_on_what_the_constructor_read() -> (
    None
):
    reset()
    runs: list[tuple[int, int]] = []
    with ServiceProvider([Reader]):
        watch = effect(lambda: runs.append((use_service(Reader).seen, outside.value)))
        inside.value = 1
        assert runs == [(0, 0)]
        outside.value = 1  # what the effect itself reads after use_service
        assert runs == [(0, 0), (0, 1)]
        watch.dispose()


def test_a_dependency_built_for_the_service_is_not_read_by_the_run() -> None:
    reset()
    runs: list[int] = []
    with ServiceProvider([Dependent, Reader]):
        watch = effect(lambda: runs.append(use_service(Dependent).also_seen))
        inside.value = 5
        assert runs == [100]
        watch.dispose()


def test_a_computed_building_a_service_ignores_its_constructor_reads() -> None:
    reset()
    calls: list[int] = []

    def total() -> int:
        calls.append(1)
        return outside.value + use_service(Reader).seen

    with ServiceProvider([Reader]):
        sum_ = computed(total)
        assert sum_.value == 0
        inside.value = 3
        assert sum_.value == 0 and len(calls) == 1  # cached: not a dependency
        outside.value = 10  # read before use_service: still tracked
        assert sum_.value == 10 and len(calls) == 2


def test_an_observe_block_building_a_service_is_not_called_back_for_its_reads() -> None:
    reset()
    renders: list[str] = []
    with ServiceProvider([Reader]):
        with observe(lambda: renders.append("render")) as scope:
            use_service(Reader)
            _ = outside.value
        inside.value = 1
        assert renders == []
        outside.value = 1
        assert renders == ["render"]
        scope.dispose()


def test_the_constructors_own_effect_and_computed_still_track_inside_it() -> None:
    reset()
    runs: list[int] = []
    with ServiceProvider([Reactive]):
        watch = effect(lambda: runs.append(len(use_service(Reactive).log)))
        reactive = use_service(Reactive)
        assert reactive.log == [0] and reactive.first_double == 0
        inside.value = 4
        assert reactive.log == [0, 4]  # the service's effect re-ran
        assert reactive.doubled.value == 8  # its computed follows inside
        assert runs == [1]  # the outer effect did not
        watch.dispose()
