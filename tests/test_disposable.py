"""Disposable: callbacks newest-first, every one run, failures raised together."""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import threading

import pytest
from reactivex.disposable import Disposable as RxDisposable

from impact_rx import (
    Disposable,
    DisposeError,
    Emitter,
    Signal,
    batch,
    computed,
    effect,
    service,
)
from impact_rx._disposable import adopt, current_owner, owning


def test_callbacks_run_newest_first() -> None:
    log: list[str] = []
    d = Disposable()
    d.on_dispose(lambda: log.append("a"))
    d.on_dispose(lambda: log.append("b"))
    d.on_dispose(lambda: log.append("c"))

    d.dispose()

    assert log == ["c", "b", "a"]


def test_dispose_is_idempotent() -> None:
    calls: list[int] = []
    d = Disposable()
    d.on_dispose(lambda: calls.append(1))

    d.dispose()
    d.dispose()

    assert calls == [1]
    assert d.is_disposed


def test_every_callback_runs_even_when_some_raise_and_failures_come_together() -> None:
    log: list[str] = []
    d = Disposable()
    d.on_dispose(lambda: log.append("first"))
    d.on_dispose(lambda: (_ for _ in ()).throw(KeyError("k")))
    d.on_dispose(lambda: log.append("middle"))
    d.on_dispose(lambda: (_ for _ in ()).throw(ValueError("v")))

    with pytest.raises(
        DisposeError, match=r"2 dispose callback\(s\) of .* raised"
    ) as e:
        d.dispose()

    assert log == ["middle", "first"]
    assert [type(x) for x in e.value.exceptions] == [ValueError, KeyError]
    assert isinstance(e.value.__cause__, ValueError)
    assert e.value.owner is d


def test_remover_unregisters_a_callback() -> None:
    log: list[str] = []
    d = Disposable()
    remove = d.on_dispose(lambda: log.append("removed"))
    d.on_dispose(lambda: log.append("kept"))

    remove()
    d.dispose()

    assert log == ["kept"]


def test_rx_disposables_are_accepted() -> None:
    log: list[str] = []
    d = Disposable()
    d.on_dispose(RxDisposable(lambda: log.append("rx")))

    d.dispose()

    assert log == ["rx"]


def test_an_object_answering_every_attribute_is_disposed_as_it_says() -> None:
    from unittest.mock import Mock

    handle = Mock()
    d = Disposable()
    d.on_dispose(handle)

    d.dispose()

    handle.dispose.assert_called_once_with()


def test_registering_after_dispose_runs_the_callback_at_once() -> None:
    log: list[str] = []
    d = Disposable()
    d.dispose()

    remove = d.on_dispose(lambda: log.append("late"))
    remove()

    assert log == ["late"]


def test_a_non_callable_is_rejected_with_advice() -> None:
    d = Disposable()

    with pytest.raises(TypeError, match=r"on_dispose\(\) needs a callable .* got int"):
        d.on_dispose(3)  # type: ignore[arg-type]


def test_works_when_a_subclass_forgets_super_init() -> None:
    class Forgetful(Disposable):
        def __init__(self) -> None:
            self.x = 1

    log: list[str] = []
    f = Forgetful()
    assert not f.is_disposed
    f.on_dispose(lambda: log.append("ok"))

    f.dispose()

    assert log == ["ok"]
    assert f.is_disposed


def test_context_manager_disposes_on_exit() -> None:
    log: list[str] = []
    with Disposable() as d:
        d.on_dispose(lambda: log.append("exit"))
        assert log == []

    assert log == ["exit"]


def test_dispose_keeps_no_reference_to_callbacks() -> None:
    d = Disposable()
    d.on_dispose(lambda: None)

    d.dispose()

    assert d._impact_callbacks is None


def test_adopt_registers_with_the_current_owner_only_inside_owning() -> None:
    log: list[str] = []
    owner = Disposable()

    assert adopt(lambda: log.append("orphan")) is None
    with owning(owner):
        assert current_owner() is owner
        adopt(lambda: log.append("owned"))
        with owning(None):
            assert adopt(lambda: log.append("shielded")) is None
    assert current_owner() is None

    owner.dispose()

    assert log == ["owned"]


def test_concurrent_registration_and_dispose_lose_no_callback() -> None:
    d = Disposable()
    ran = []
    lock = threading.Lock()
    barrier = threading.Barrier(8)

    def register() -> None:
        barrier.wait()
        for _ in range(500):
            d.on_dispose(lambda: (lock.acquire(), ran.append(1), lock.release()))

    threads = [threading.Thread(target=register) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    d.dispose()

    assert len(ran) == 4000


def test_a_subclass_made_directly_owns_what_its_constructor_creates() -> None:
    @service
    class Store(Disposable):
        def __init__(self) -> None:
            self.made = Signal(1, name="made")
            self.events = Emitter[int]()
            self.double = computed(lambda: self.made.value * 2)
            self.runs: list[int] = []
            self.watch = effect(lambda: self.runs.append(self.made.value))

    store = Store()
    assert current_owner() is None  # the constructor's ownership ended with it
    store.dispose()

    assert store.made.is_stopped
    assert store.watch.is_disposed
    store.made.value = 5
    assert store.runs == [1]


def test_an_object_made_in_another_constructor_is_disposed_with_its_maker() -> None:
    class Part(Disposable):
        def __init__(self) -> None:
            self.level = Signal(0)

    class Whole(Disposable):
        def __init__(self) -> None:
            self.part = Part()
            self.spare = Part()

    whole = Whole()
    whole.spare.dispose()  # leaves its maker: the maker keeps no reference
    assert len(whole._impact_callbacks or {}) == 1
    whole.dispose()

    assert whole.part.is_disposed
    assert whole.part.level.is_stopped


def test_a_subclass_constructor_keeps_its_signature_for_injection() -> None:
    class Greeter(Disposable):
        def __init__(self, name: str, times: int = 1) -> None:
            self.name = name

    assert list(inspect.signature(Greeter.__init__).parameters) == [
        "self",
        "name",
        "times",
    ]
    assert Greeter.__init__.__qualname__.endswith("Greeter.__init__")


def test_a_plain_subscription_made_in_a_constructor_is_owned_only_via_on_dispose() -> (
    None
):
    source = Signal(0, name="source")

    class Listener(Disposable):
        def __init__(self) -> None:
            self.kept: list[int] = []
            self.owned: list[int] = []
            source.subscribe(self.kept.append)  # a reactivex subscription
            self.on_dispose(source.subscribe(self.owned.append))

    listener = Listener()
    listener.dispose()
    source.value = 1

    assert listener.kept == [0, 1]  # nothing adopts a plain subscription
    assert listener.owned == [0]
    assert len(source.observers) == 1


def _maker_reacting_to(x: Signal[int], made: list[object]) -> object:
    """An effect outside any constructor that makes things when ``x`` moves."""

    def react() -> None:
        if x.value:
            made.append(Signal(x.value, name="made"))
            made.append(effect(lambda: None))

    return effect(react)


def test_what_a_reaction_makes_during_a_constructor_is_not_its_owners() -> None:
    x = Signal(0, name="x")
    made: list[object] = []
    maker = _maker_reacting_to(x, made)

    class Writer(Disposable):
        def __init__(self) -> None:
            x.value = 1  # an unrelated effect reacts while this runs

    Writer().dispose()

    made_signal, made_effect = made
    assert isinstance(made_signal, Signal) and not made_signal.is_stopped
    assert not made_effect.is_disposed  # type: ignore[attr-defined]
    maker.dispose()  # type: ignore[attr-defined]


def test_what_a_reaction_makes_during_a_constructors_batch_is_not_its_owners() -> None:
    x = Signal(0, name="x")
    heard = Emitter[int](name="heard")
    made: list[object] = []
    maker = _maker_reacting_to(x, made)
    heard.on(lambda v: made.append(Signal(v, name="from_event")))

    class Writer(Disposable):
        def __init__(self) -> None:
            with batch():
                x.value = 2
            heard.emit(3)
            self.own = Signal(4, name="own")  # still made by the constructor

    writer = Writer()
    own = writer.own
    writer.dispose()

    assert [m.is_stopped for m in made if isinstance(m, Signal)] == [False, False]
    assert own.is_stopped  # what the constructor itself made is still owned
    maker.dispose()  # type: ignore[attr-defined]


async def test_a_task_started_in_a_constructor_owns_nothing_it_makes_later() -> None:
    # The task copies the constructor's context, owner included: what it made
    # after the constructor returned was adopted, and once the service was
    # disposed, making a Signal there raised AttributeError.
    gate = asyncio.Event()
    made: list[Signal[int]] = []

    class Poller(Disposable):
        def __init__(self) -> None:
            self.task = asyncio.get_running_loop().create_task(self.poll())

        async def poll(self) -> None:
            made.append(Signal(1, name="early"))
            await gate.wait()
            made.append(Signal(2, name="late"))

    poller = Poller()
    await asyncio.sleep(0)
    poller.dispose()
    gate.set()
    await poller.task

    assert [s.is_stopped for s in made] == [False, False]
    assert current_owner() is None


async def test_a_write_in_a_task_a_constructor_started_adopts_no_reaction() -> None:
    x = Signal(0, name="x")
    made: list[object] = []
    maker = _maker_reacting_to(x, made)

    class Writer(Disposable):
        def __init__(self) -> None:
            self.task = asyncio.get_running_loop().create_task(self.write())

        async def write(self) -> None:
            x.value = 1  # after the constructor returned

    writer = Writer()
    await writer.task
    writer.dispose()

    made_signal, made_effect = made
    assert isinstance(made_signal, Signal) and not made_signal.is_stopped
    assert not made_effect.is_disposed  # type: ignore[attr-defined]
    maker.dispose()  # type: ignore[attr-defined]


def test_a_thread_run_in_a_constructors_context_owns_what_it_makes_meanwhile() -> None:
    # Made while the constructor runs: the constructor's, as documented.
    made: list[Signal[int]] = []

    class Builder(Disposable):
        def __init__(self) -> None:
            context = contextvars.copy_context()
            worker = threading.Thread(
                target=context.run, args=(lambda: made.append(Signal(1)),)
            )
            worker.start()
            worker.join(10)

    Builder().dispose()

    assert [s.is_stopped for s in made] == [True]


def test_what_a_constructor_makes_after_disposing_its_object_is_made_whole() -> None:
    # Adopted by a disposed owner, each object was ended inside its own
    # constructor, before it was whole: AttributeError.
    class Quitter(Disposable):
        def __init__(self) -> None:
            self.dispose()  # gives up early, then carries on
            self.signal = Signal(1, name="late")
            self.double = computed(lambda: self.signal.value * 2)
            self.effect = effect(lambda: None)
            self.emitter = Emitter[int](name="late")

    quitter = Quitter()

    assert not quitter.signal.is_stopped
    assert quitter.double.value == 2
    assert not quitter.effect.is_disposed
    quitter.effect.dispose()
