"""impact_rx: object-oriented reactive state on ReactiveX and injector.

Signals are ``BehaviorSubject``s, services live in scoped ``ServiceProvider``s,
and async work is a ``Suspense``: an observable of pending, fulfilled and
rejected. See README.md for a tour.
"""

from ._computed import Computed, ComputedProperty, computed
from ._disposable import Disposable
from ._effect import Effect, Observation, effect, observe
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
    SuspenseCreatedInRunError,
)
from ._exports import publish
from ._graph import batch, untracked
from ._query import Mutation, Query, mutation, query
from ._services import (
    ProviderStatistics,
    ServiceProvider,
    Value,
    service,
    use_service,
)
from ._signal import Signal, SignalStatistics, signal, signal_of
from ._suspense import Fulfilled, Pending, Rejected, Source, Suspense
from ._version import installed_version as _installed_version

__all__ = [
    "CircularDependencyError",
    "Computed",
    "ComputedProperty",
    "CycleError",
    "Disposable",
    "DisposeError",
    "DisposedError",
    "Effect",
    "Emitter",
    "Fulfilled",
    "ImpactRxError",
    "MarbleSyntaxError",
    "MissingValueError",
    "Mutation",
    "NoProviderError",
    "Observation",
    "Pending",
    "ProviderStatistics",
    "Query",
    "Rejected",
    "ServiceDefinitionError",
    "ServiceNotRegisteredError",
    "ServiceProvider",
    "Signal",
    "SignalStatistics",
    "Source",
    "SubscriberError",
    "SuspendedError",
    "Suspense",
    "SuspenseCreatedInRunError",
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

#: The installed version (``"0+unknown"`` when the package is not installed).
__version__: str = _installed_version()

publish(globals(), __all__)
del publish  # a helper: not for tab completion (and Rx has a publish)
del _installed_version
