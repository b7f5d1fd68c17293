"""impact_rx: object-oriented reactive state on ReactiveX and injector.

Signals are ``BehaviorSubject``s, services live in scoped ``ServiceProvider``s,
and async work is a ``Suspense``: an observable of pending, fulfilled and
rejected. See README.md for a tour.
"""

from ._computed import Computed, computed
from ._disposable import Disposable
from ._effect import effect, observe
from ._emitter import Emitter
from ._errors import (
    CircularDependencyError,
    CycleError,
    DisposedError,
    DisposeError,
    ImpactRxError,
    MarbleSyntaxError,
    MissingValueError,
    NoProviderError,
    ServiceDefinitionError,
    ServiceNotRegisteredError,
    SubscriberError,
    SuspendedError,
)
from ._exports import publish
from ._graph import batch, untracked
from ._query import Mutation, Query, mutation, query
from ._services import ServiceProvider, Value, service, use_service
from ._signal import Signal, signal, signal_of
from ._suspense import Fulfilled, Pending, Rejected, Suspense

__all__ = [
    "CircularDependencyError",
    "Computed",
    "CycleError",
    "Disposable",
    "DisposeError",
    "DisposedError",
    "Emitter",
    "Fulfilled",
    "ImpactRxError",
    "MarbleSyntaxError",
    "MissingValueError",
    "Mutation",
    "NoProviderError",
    "Pending",
    "Query",
    "Rejected",
    "ServiceDefinitionError",
    "ServiceNotRegisteredError",
    "ServiceProvider",
    "Signal",
    "SubscriberError",
    "SuspendedError",
    "Suspense",
    "Value",
    "batch",
    "computed",
    "effect",
    "mutation",
    "observe",
    "query",
    "service",
    "signal",
    "signal_of",
    "untracked",
    "use_service",
]

publish(globals(), __all__)
