"""Helpers for tests where one thread waits for another while it delivers."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from impact_rx import Signal


def wait_for(work: Callable[[], Any]) -> Any:
    """Run ``work`` on another thread and wait for its result."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = work()
        except BaseException as exc:  # handed back to the waiting thread
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive(), "the other thread waited for this one"
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def while_delivering(work: Callable[[], Any]) -> Any:
    """Run ``work`` on another thread while this thread delivers a write."""
    trigger = Signal(0, name="trigger")
    result: list[Any] = []

    def subscriber(value: int) -> None:
        if value:
            result.append(wait_for(work))

    subscription = trigger.subscribe(subscriber)
    try:
        trigger.value = 1
    finally:
        subscription.dispose()
    return result[0]
