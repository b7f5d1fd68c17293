"""Helpers shared by the scenarios: sinks, counters and impact_rx look-ups."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._harness import NotAvailable, Tally

__all__ = ["DEEP_RECURSION", "Box", "impact", "sink"]

# Raw Rx pushes through one Python frame stack per operator, and reaktiv and
# observ pull lazily by recursion: a chain of 1,000 needs a higher limit.
DEEP_RECURSION = 20_000


class Box:
    """The last value a sink received (a slot, so storing is cheap)."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value: Any = None


def sink(tally: Tally) -> tuple[Callable[[Any], None], Box]:
    """A subscriber that records the last value and counts deliveries."""
    box = Box()

    def receive(value: Any) -> None:
        box.value = value
        tally.delivered += 1

    return receive, box


def impact(*names: str) -> tuple[Any, ...]:
    """The named exports of impact_rx, or :class:`NotAvailable` if missing."""
    try:
        import impact_rx
    except Exception as exc:  # the package may be mid-edit by its owners
        raise NotAvailable(f"impact_rx does not import ({exc})") from exc
    found = []
    for name in names:
        obj = getattr(impact_rx, name, None)
        if obj is None:
            raise NotAvailable(f"impact_rx.{name} has not landed yet")
        found.append(obj)
    return tuple(found)
