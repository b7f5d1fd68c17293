"""``Emitter`` for the session until core's ``impact_rx._emitter`` lands.

TODO(#2): core's ``Emitter`` (DESIGN §4) is being written concurrently; this
module uses it once it exists and otherwise falls back to a plain Subject
with ``emit`` and ``on``. Delete this module when ``impact_rx._emitter`` is
on main and import ``Emitter`` from there.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from reactivex.subject import Subject

__all__ = ["Emitter"]

T = TypeVar("T")


class _SubjectEmitter(Subject[T]):
    """Hot, no replay: ``emit(v)`` and ``on(listener)`` on a Subject."""

    def emit(self, value: T) -> None:
        self.on_next(value)

    def on(self, listener: Callable[[T], Any]) -> Callable[[], None]:
        return self.subscribe(listener).dispose


if TYPE_CHECKING:
    Emitter = _SubjectEmitter
else:
    try:
        Emitter = importlib.import_module("impact_rx._emitter").Emitter
    except ModuleNotFoundError:
        Emitter = _SubjectEmitter
