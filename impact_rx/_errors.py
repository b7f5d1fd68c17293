"""The exception tree of impact_rx.

Every error the library raises on purpose derives from one root, and usage
errors also derive from the builtin a caller would catch anyway::

    ImpactRxError
    ├── SubscriberError            subscribers or listeners raised; .signal, .exceptions
    ├── DisposeError               dispose callbacks raised; .exceptions
    ├── CycleError                 a computed or effect cycle
    ├── DisposedError              (also RuntimeError) use after dispose
    ├── NoProviderError            (also LookupError) use_service outside any provider
    ├── ServiceNotRegisteredError  (also LookupError)
    ├── MissingValueError          (also LookupError)
    ├── CircularDependencyError    .path
    ├── ServiceDefinitionError     (also TypeError) a constructor cannot be injected
    ├── SuspendedError             use() while pending; .suspense
    ├── SuspenseCreatedInRunError  (also RuntimeError) a run keeps making new
    │                              work to wait for; .suspense, .run
    └── MarbleSyntaxError          (also ValueError) .column

The objects involved are attributes, never only text, and messages name what
failed, on which object, and what to do next. Messages never include the
values of signals or local variables: state may hold user data.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Any

__all__ = [
    "CircularDependencyError",
    "CycleError",
    "DisposeError",
    "DisposedError",
    "ImpactRxError",
    "MarbleSyntaxError",
    "MissingValueError",
    "NoProviderError",
    "ServiceDefinitionError",
    "ServiceNotRegisteredError",
    "SubscriberError",
    "SuspendedError",
    "SuspenseCreatedInRunError",
]


class ImpactRxError(Exception):
    """The root of every error impact_rx raises on purpose."""


class SubscriberError(ImpactRxError):
    """One or more subscribers (or listeners) raised while being notified.

    Every other subscriber was still notified. The original exceptions are in
    ``exceptions`` and the first is chained as ``__cause__``.

    Attributes:
        signal: The signal, computed or emitter whose delivery failed.
        exceptions: The exceptions raised, in delivery order.
    """

    def __init__(
        self, signal: object, exceptions: Sequence[BaseException], message: str = ""
    ) -> None:
        self.signal = signal
        self.exceptions: tuple[BaseException, ...] = tuple(exceptions)
        if not message:
            count = len(self.exceptions)
            kinds = ", ".join(type(e).__name__ for e in self.exceptions)
            message = (
                f"{count} subscriber(s) of {_short(signal)} raised ({kinds})."
                " Every other subscriber was still notified;"
                " see .exceptions for the originals."
            )
        super().__init__(message)
        if self.exceptions:
            self.__cause__ = self.exceptions[0]


class DisposeError(ImpactRxError):
    """One or more dispose callbacks raised; all of them still ran.

    Attributes:
        owner: The object being disposed.
        exceptions: The exceptions raised, in the order the callbacks ran.
    """

    def __init__(
        self, owner: object, exceptions: Sequence[BaseException], message: str = ""
    ) -> None:
        self.owner = owner
        self.exceptions: tuple[BaseException, ...] = tuple(exceptions)
        if not message:
            kinds = ", ".join(type(e).__name__ for e in self.exceptions)
            message = (
                f"{len(self.exceptions)} dispose callback(s) of {_short(owner)}"
                f" raised ({kinds}). Every other callback still ran;"
                " see .exceptions for the originals."
            )
        super().__init__(message)
        if self.exceptions:
            self.__cause__ = self.exceptions[0]


class CycleError(ImpactRxError):
    """A computed read itself, or effects kept re-triggering each other."""


class DisposedError(ImpactRxError, RuntimeError):
    """An object was used after it was disposed."""


class NoProviderError(ImpactRxError, LookupError):
    """``use_service`` was called outside any ``ServiceProvider``."""


class _ResolutionError(ImpactRxError, LookupError):
    """A token that no provider in the chain could give.

    Attributes:
        token: What was asked for: a class, or a ``Value`` naming a value.
        path: The resolution path, outermost service first, ``token`` last.
        searched: The names of the providers searched, child to parent.
    """

    def __init__(
        self,
        message: str,
        *,
        token: object = None,
        path: Sequence[Any] = (),
        searched: Sequence[str] = (),
    ) -> None:
        super().__init__(message)
        self.token = token
        self.path: tuple[Any, ...] = tuple(path)
        self.searched: tuple[str, ...] = tuple(searched)


class ServiceNotRegisteredError(_ResolutionError):
    """A service was asked for that no provider in the chain can build."""


class MissingValueError(_ResolutionError):
    """A named value (``Value("NAME")``) was not provided by any provider."""


class ServiceDefinitionError(ImpactRxError, TypeError):
    """A service's constructor cannot be injected as written.

    For example an annotation names something that cannot be evaluated, or a
    parameter has neither a type annotation nor a default.

    Attributes:
        service: The class whose constructor was inspected.
    """

    def __init__(self, message: str, *, service: object = None) -> None:
        super().__init__(message)
        self.service = service


class CircularDependencyError(ImpactRxError):
    """Services depend on each other in a cycle.

    Attributes:
        path: The resolution path, first and last entries equal.
    """

    def __init__(self, message: str, path: Sequence[Any] = ()) -> None:
        super().__init__(message)
        self.path: tuple[Any, ...] = tuple(path)


class SuspendedError(ImpactRxError):
    """``Suspense.use()`` was called while the work is still pending.

    Attributes:
        suspense: The pending suspense; await it or subscribe to it.
        made_in_run: Whether the computed, effect or ``observe`` block that
            read it also created it, in this same run.
    """

    def __init__(
        self, suspense: object, message: str = "", *, made_in_run: bool = False
    ) -> None:
        self.suspense = suspense
        self.made_in_run = made_in_run
        if not message and made_in_run:
            message = (
                f"{_short(suspense)} is still pending, and it was created by"
                " the same computed, effect or observe run that reads it."
                " Reading again runs that function again, which starts new"
                " work unless it keeps this suspense for its next run:"
                " create the Suspense outside the run (in a service"
                " constructor, or with query()) and read it here."
            )
        super().__init__(
            message
            or f"{_short(suspense)} is still pending."
            " Await it or subscribe to it, then read it again."
        )


class SuspenseCreatedInRunError(ImpactRxError, RuntimeError):
    """A computed, effect or ``observe`` block keeps creating what it waits for.

    Its run created a ``Suspense`` and suspended on it, as its previous run
    did with the suspense that has settled since, while nothing else it
    reads changed: each run starts new work and waits for it, so the run
    never completes (React's "promise created in render"). The new suspense
    is cancelled, and the run does not wait for it.

    Attributes:
        suspense: The suspense the run created (now cancelled).
        run: The computed, effect or ``observe`` scope.
    """

    def __init__(self, message: str, *, suspense: object, run: object) -> None:
        super().__init__(message)
        self.suspense = suspense
        self.run = run


class MarbleSyntaxError(ImpactRxError, ValueError):
    """A marble diagram could not be parsed.

    Attributes:
        diagram: The diagram text.
        column: The zero-based column of the offending character.
    """

    def __init__(self, message: str, diagram: str = "", column: int = 0) -> None:
        self.diagram = diagram
        self.column = column
        if diagram:
            message = f"{message}\n  {diagram}\n  {under(diagram[:column])}^"
        super().__init__(message)


def under(prefix: str) -> str:
    r"""Blank space as wide on screen as ``prefix``, to put a mark below it.

    Tabs stay tabs, East Asian wide characters take two cells and
    combining marks none, so the mark lines up in a terminal.

    >>> under("a\tb") + "^"
    ' \t ^'
    >>> len(under("日本"))
    4
    """
    cells = []
    for char in prefix:
        if char == "\t":
            cells.append("\t")
        elif unicodedata.combining(char):
            continue
        elif unicodedata.east_asian_width(char) in ("W", "F"):
            cells.append("  ")
        else:
            cells.append(" ")
    return "".join(cells)


def _short(obj: object, limit: int = 80) -> str:
    """A repr of ``obj`` that never grows past ``limit`` characters."""
    try:
        text = repr(obj)
    except Exception:  # a broken __repr__ must not hide the real error
        text = f"<{type(obj).__name__} object>"
    return text if len(text) <= limit else text[: limit - 3] + "..."
