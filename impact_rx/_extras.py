"""What an optional dependency's absence says: which extra to install.

The core needs only ``reactivex`` and ``injector``; ``httpx`` comes with the
``http`` extra. A module that needs an extra imports it under a guard that
turns the bare ``ModuleNotFoundError`` into advice, chained to it:

>>> try:
...     import not_installed_anywhere  # type: ignore[import-not-found]
... except ModuleNotFoundError as exc:
...     print(missing_extra(exc, needed_by="impact_rx.example", extra="http"))
... # doctest: +NORMALIZE_WHITESPACE
impact_rx.example needs not_installed_anywhere, which the core install leaves
out. Install the http extra: pip install 'impact_rx[http]'.
"""

from __future__ import annotations

__all__ = ["MissingExtraError", "missing_extra"]


class MissingExtraError(ImportError):
    """An optional dependency is not installed; the message says which extra.

    A command catches it to print the advice alone, without a traceback.
    """


def missing_extra(
    error: ModuleNotFoundError, *, needed_by: str, extra: str
) -> ImportError:
    """The ``ImportError`` to raise, ``from error``, for a missing extra.

    Args:
        error: What the guarded import raised.
        needed_by: The module or command that needs it, as a user names it.
        extra: The extra that installs it.
    """
    module = (error.name or "an optional dependency").partition(".")[0]
    return MissingExtraError(
        f"{needed_by} needs {module}, which the core install leaves out."
        f" Install the {extra} extra: pip install 'impact_rx[{extra}]'.",
        name=error.name,
    )
