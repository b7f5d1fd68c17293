"""What an observable did, frame by frame: the records marble tests compare."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, final

__all__ = ["Kind", "Record", "SubscriptionLog", "errors_match", "values_match"]

Kind = Literal["next", "error", "complete"]


def values_match(expected: object, actual: object) -> bool:
    """Whether two marble values are the same: ``==``, made total.

    A value matches itself even when ``==`` says otherwise (``nan``), as in
    a list; an element-by-element ``==`` (a numpy array's) matches when all
    its elements do; an ``==`` that raises means no match.

    >>> values_match(1, 1.0), values_match("a", "b")
    (True, False)
    >>> nan = float("nan")
    >>> values_match(nan, nan)
    True
    """
    if expected is actual:
        return True
    try:
        result: Any = expected == actual
    except Exception:
        return False
    try:
        return bool(result)
    except Exception:  # element-by-element results are ambiguous as one truth
        pass
    try:
        return bool(result.all())
    except Exception:
        return False


def errors_match(expected: object, actual: object) -> bool:
    """Whether two error marbles stand for the same error.

    Exceptions match when they have the same type and the same ``args``, so
    ``ValueError("x")`` never matches ``KeyError("x")``. An exception *class*
    on either side matches any exception of exactly that type.

    >>> errors_match(ValueError("x"), ValueError("x"))
    True
    >>> errors_match(ValueError("x"), KeyError("x"))
    False
    >>> errors_match(ValueError, ValueError("anything"))
    True
    """
    expected_type = expected if isinstance(expected, type) else type(expected)
    actual_type = actual if isinstance(actual, type) else type(actual)
    if expected_type is not actual_type:
        return False

    if isinstance(expected, type) or isinstance(actual, type):
        return True

    return bool(getattr(expected, "args", ()) == getattr(actual, "args", ()))


@final
@dataclass(frozen=True, eq=False, slots=True)
class Record:
    """One notification at one frame: a value, an error or the completion.

    Frames count milliseconds of virtual time from the subscription (or from
    the frame a diagram calls 0). Records compare values with ``==`` and
    errors with :func:`errors_match`.

    Attributes:
        frame: The frame the notification arrived at.
        kind: ``"next"``, ``"error"`` or ``"complete"``.
        value: The value of a ``next``, the exception of an ``error``, else
            ``None``.

    >>> Record(3, "next", "a") == Record(3, "next", "a")
    True
    >>> Record(3, "error", ValueError("x")) == Record(3, "error", ValueError("x"))
    True
    >>> Record(4, "complete")
    Record(4, 'complete')
    """

    frame: int
    kind: Kind
    value: Any = None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Record):
            return NotImplemented
        if self.frame != other.frame or self.kind != other.kind:
            return False
        if self.kind == "next":
            return values_match(self.value, other.value)
        if self.kind == "error":
            return errors_match(self.value, other.value)
        return True

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        if self.kind == "complete":
            return f"Record({self.frame}, 'complete')"
        return f"Record({self.frame}, {self.kind!r}, {self.value!r})"


@final
@dataclass(frozen=True, slots=True)
class SubscriptionLog:
    """When one subscriber subscribed to a marble observable, and when it left.

    Attributes:
        subscribed: The frame of the subscription.
        unsubscribed: The frame of the unsubscription, or ``None`` while
            still subscribed.
    """

    subscribed: int
    unsubscribed: int | None = None
