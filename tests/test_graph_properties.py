"""Random graphs of signals, computeds and effects against a plain model.

After every step: each subscriber and effect saw at most one new value per
write (or batch) and it is the model's value (no glitch), each computed ran
at most once per write, and every last value seen equals the current value.
Disposing everything leaves no observer behind.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    rule,
)

from impact_rx import Computed, Signal, batch, computed, effect
from impact_rx._effect import Effect


@dataclass
class Node:
    """A signal or computed, with how the model computes it."""

    index: int
    reactive: Signal[int] | Computed[int]
    inputs: tuple[Node, ...] = ()
    modulus: int = 0
    runs: int = 0

    def model(self, values: dict[int, int]) -> int:
        if not self.inputs:
            return values[self.index]
        total = sum(node.model(values) for node in self.inputs) + self.index
        return total % self.modulus if self.modulus else total


@dataclass
class Watch:
    """A subscription or an effect, and what it saw."""

    nodes: tuple[Node, ...]
    seen: list[tuple[int, ...]] = field(default_factory=list)
    stop: Callable[[], None] | None = None


class GraphMachine(RuleBasedStateMachine):
    nodes = Bundle("nodes")
    signals = Bundle("signals")
    watches = Bundle("watches")

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[int, int] = {}
        self.all_nodes: list[Node] = []
        self.all_watches: list[Watch] = []
        self.marks: dict[int, int] = {}

    # -- building ------------------------------------------------------------

    @initialize(target=signals, initial=st.integers(-3, 3))
    def first_signal(self, initial: int) -> Node:
        return self._new_signal(initial)

    @initialize(target=nodes, initial=st.integers(-3, 3))
    def second_signal(self, initial: int) -> Node:
        return self._new_signal(initial)

    @rule(target=signals, initial=st.integers(-3, 3))
    def add_signal(self, initial: int) -> Node:
        return self._new_signal(initial)

    def _new_signal(self, initial: int) -> Node:
        index = len(self.all_nodes)
        node = Node(index, Signal(initial, name=f"s{index}"))
        self.values[index] = initial
        self.all_nodes.append(node)
        return node

    @rule(target=nodes, source=signals)
    def signal_is_a_node(self, source: Node) -> Node:
        return source

    @rule(
        target=nodes,
        inputs=st.lists(nodes, min_size=1, max_size=3),
        modulus=st.sampled_from([0, 2, 3]),
    )
    def add_computed(self, inputs: list[Node], modulus: int) -> Node:
        index = len(self.all_nodes)
        node = Node(index, Signal(0), tuple(inputs), modulus)

        def fn() -> int:
            node.runs += 1
            total = sum(source.reactive.value for source in node.inputs) + index
            return total % modulus if modulus else total

        node.reactive = computed(fn, name=f"c{index}")
        self.all_nodes.append(node)
        return node

    @rule(target=nodes, start=nodes, length=st.integers(1, 40))
    def add_chain(self, start: Node, length: int) -> Node:
        """A chain of one-source computeds, past the graph's recursion limit."""
        node = start
        for _ in range(length):
            node = self.add_computed([node], 0)
        return node

    @rule(node=nodes)
    def read(self, node: Node) -> None:
        assert node.reactive.value == node.model(self.values)

    @rule(target=watches, node=nodes)
    def subscribe(self, node: Node) -> Watch:
        watch = Watch((node,))
        subscription = node.reactive.subscribe(lambda v: watch.seen.append((v,)))
        watch.stop = subscription.dispose
        self.all_watches.append(watch)
        return watch

    @rule(target=watches, sources=st.lists(nodes, min_size=1, max_size=3))
    def add_effect(self, sources: list[Node]) -> Watch:
        watch = Watch(tuple(sources))
        running: Effect = effect(
            lambda: watch.seen.append(tuple(n.reactive.value for n in sources))
        )
        watch.stop = running.dispose
        self.all_watches.append(watch)
        return watch

    @rule(watch=consumes(watches))
    def stop_watching(self, watch: Watch) -> None:
        assert watch.stop is not None
        watch.stop()
        watch.stop = None

    # -- writing -------------------------------------------------------------

    def _before_write(self) -> None:
        self.marks = {id(w): len(w.seen) for w in self.all_watches}
        for node in self.all_nodes:
            node.runs = 0

    def _after_write(self) -> None:
        for watch in self.all_watches:
            if watch.stop is None:
                continue
            new = watch.seen[self.marks[id(watch)] :]
            assert len(new) <= 1, f"{len(new)} notifications for one write: {new}"
            if new:
                assert new[0] == self.expected(watch), "a glitch"
        for node in self.all_nodes:
            assert node.runs <= 1, f"c{node.index} ran {node.runs} times"

    def expected(self, watch: Watch) -> tuple[int, ...]:
        return tuple(node.model(self.values) for node in watch.nodes)

    @rule(target=signals, signal=signals, value=st.integers(-3, 3))
    def write(self, signal: Node, value: int) -> Node:
        self._before_write()
        _write(signal, value)
        self.values[signal.index] = value
        self._after_write()
        return signal

    @rule(
        writes=st.lists(st.tuples(signals, st.integers(-3, 3)), min_size=1),
        nested=st.booleans(),
    )
    def write_in_a_batch(self, writes: list[tuple[Node, int]], nested: bool) -> None:
        self._before_write()
        with batch():
            for signal, value in writes:
                if nested:
                    with batch():
                        _write(signal, value)
                else:
                    _write(signal, value)
                self.values[signal.index] = value
        self._after_write()

    # -- checks ----------------------------------------------------------------

    @invariant()
    def every_value_equals_the_model(self) -> None:
        # Dependents first, so a read refreshes its stale sources itself; every
        # third node is left unread, to go stale across several writes.
        for node in reversed(self.all_nodes):
            if node.index % 3:
                assert node.reactive.peek() == node.model(self.values)

    @invariant()
    def every_watcher_last_saw_the_current_value(self) -> None:
        for watch in self.all_watches:
            if watch.stop is not None and watch.seen:
                assert watch.seen[-1] == self.expected(watch)

    def teardown(self) -> None:
        for watch in self.all_watches:
            if watch.stop is not None:
                watch.stop()
                watch.stop = None
        for node in self.all_nodes:
            if isinstance(node.reactive, Computed):
                node.reactive.dispose()
        for node in self.all_nodes:
            reactive: Any = node.reactive
            assert reactive.statistics().subscribers == 0
            assert not reactive._targets


def _write(node: Node, value: int) -> None:
    assert isinstance(node.reactive, Signal)
    node.reactive.on_next(value)


# IMPACT_RX_EXAMPLES=1000 hunts longer.
GraphMachine.TestCase.settings = settings(
    max_examples=int(os.environ.get("IMPACT_RX_EXAMPLES", "60")),
    stateful_step_count=40,
    deadline=None,
)
test_random_graphs_stay_glitch_free_and_consistent = GraphMachine.TestCase
