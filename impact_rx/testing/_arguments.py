"""Checks of what the marble toolkit is handed, before anything subscribes."""

from __future__ import annotations

from typing import Any

__all__ = ["check_observable"]


def check_observable(obj: object, call: str) -> None:
    """Refuse ``obj`` unless it can be subscribed to.

    A value read through a descriptor (``session.state``) is the signal's
    current value, not the signal: the message points at ``signal_of``.
    Only the type is named, never the value, which may hold user data.

    Raises:
        TypeError: ``obj`` has no ``subscribe`` method.

    >>> check_observable([1, 2], "record()")
    Traceback (most recent call last):
      ...
    TypeError: record() takes an Observable, got list. ...
    """
    subscribe: Any = getattr(obj, "subscribe", None)
    if callable(subscribe):
        return
    raise TypeError(
        f"{call} takes an Observable, got {type(obj).__name__}."
        " To watch a descriptor signal such as session.state, pass its stream:"
        ' signal_of(obj, "name"). For fixed values, pass reactivex.of(...)'
        " or a marble source such as m.cold(...)."
    )
