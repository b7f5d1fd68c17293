"""Issue 9's scenarios, in table order."""

from __future__ import annotations

from .._harness import Scenario
from . import diamond, graphs, memory, services, suspense, writes

__all__ = ["all_scenarios", "select"]


def all_scenarios() -> list[Scenario]:
    """Every scenario, (a) to (i)."""
    return [
        writes.scenario("a", 1, 1.5),
        writes.scenario("b", 10, 1.3),
        diamond.scenario(),
        graphs.scenario_chain(),
        graphs.scenario_fanout(),
        memory.scenario_signal(),
        memory.scenario_derived(),
        services.scenario_use(),
        services.scenario_lifetime(),
        suspense.scenario(),
    ]


def select(names: list[str]) -> list[Scenario]:
    """The scenarios named by key (``c``; ``f`` means ``f1`` and ``f2``) or name.

    Raises:
        ValueError: a name matches no scenario.
    """
    scenarios = all_scenarios()
    if not names:
        return scenarios
    chosen: list[Scenario] = []
    for name in names:
        matches = [
            s for s in scenarios if name in (s.key, s.name) or s.key[:-1] == name
        ]
        if not matches:
            known = ", ".join(f"{s.key} ({s.name})" for s in scenarios)
            raise ValueError(f"No scenario is called {name!r}. Known: {known}.")
        chosen.extend(s for s in matches if s not in chosen)
    return [s for s in scenarios if s in chosen]
