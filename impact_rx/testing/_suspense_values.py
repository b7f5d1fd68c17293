"""Shorthand for suspense states in marble diagrams.

``Pending``, ``Fulfilled`` and ``Rejected`` compare by value (a ``Rejected``
by its exception's type and args), so they work as marble values directly::

    m.expect(suspense).to_be("p--(f|)", values=suspense_values(value=user))
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from .._suspense import Fulfilled, Pending, Rejected

__all__ = ["fulfilled", "pending", "rejected", "suspense_values"]

T = TypeVar("T")

# The suspense module is imported on use, so importing the toolkit stays light.


def pending() -> Pending:
    """The ``Pending()`` state."""
    from .._suspense import Pending

    return Pending()


def fulfilled(value: T) -> Fulfilled[T]:
    """The ``Fulfilled(value)`` state."""
    from .._suspense import Fulfilled

    return Fulfilled(value)


def rejected(reason: BaseException) -> Rejected:
    """The ``Rejected(reason)`` state; equal to any with the same type and args."""
    from .._suspense import Rejected

    return Rejected(reason)


def suspense_values(
    *, value: Any = None, error: BaseException | None = None, **more: Any
) -> dict[str, Any]:
    """Marble values for a suspense: ``p`` pending, ``f`` fulfilled, ``r`` rejected.

    Args:
        value: The value ``f`` stands for.
        error: The exception ``r`` stands for; without it there is no ``r``.
        **more: Further single-character names and their values.

    Returns:
        A mapping to pass as ``values=``.

    >>> suspense_values(value=42, error=KeyError("k"))
    {'p': Pending(), 'f': Fulfilled(42), 'r': Rejected(KeyError('k'))}
    """
    states: dict[str, Any] = {"p": pending(), "f": fulfilled(value)}
    if error is not None:
        states["r"] = rejected(error)
    states.update(more)
    return states
