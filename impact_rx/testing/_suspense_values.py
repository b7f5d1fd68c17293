"""Shorthand for suspense states in marble diagrams.

``Pending``, ``Fulfilled`` and ``Rejected`` compare by value (a ``Rejected``
by its exception's type and args), so they work as marble values directly::

    m.expect(suspense).to_be("p--(f|)", values=suspense_values(value=user))
"""

from __future__ import annotations

from typing import Any

__all__ = ["fulfilled", "pending", "rejected", "suspense_values"]

# TODO(#7): type these as Suspense states once impact_rx._suspense has landed;
# it is imported lazily so the toolkit works while it is being written.


def pending() -> Any:
    """The ``Pending()`` state."""
    from .._suspense import Pending

    return Pending()


def fulfilled(value: Any) -> Any:
    """The ``Fulfilled(value)`` state."""
    from .._suspense import Fulfilled

    return Fulfilled(value)


def rejected(reason: BaseException) -> Any:
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
    """
    states: dict[str, Any] = {"p": pending(), "f": fulfilled(value)}
    if error is not None:
        states["r"] = rejected(error)
    states.update(more)
    return states
