"""Services in scoped providers: Impact's ``ServiceProvider`` on ``injector``.

A service is a class whose constructor asks for what it needs by type. A
:class:`ServiceProvider` registers services and values; nested providers see
their ancestors' services, and :func:`use_service` resolves from the innermost
provider entered with ``with``:

>>> from typing import Annotated
>>> from impact_rx import Disposable, ServiceProvider, Value, service, use_service
>>> @service
... class Greeter(Disposable):
...     def __init__(self, name: Annotated[str, Value("NAME")]) -> None:
...         self.name = name
...     def greet(self) -> str:
...         return f"Hello, {self.name}!"
>>> with ServiceProvider([Greeter], {"NAME": "Ada"}, name="app") as app:
...     use_service(Greeter).greet()
'Hello, Ada!'

The rules:

- **One instance per registering provider.** A registered service is built
  on first use and shared by that provider's descendants. A child that
  registers the same class gets its own instance. Built on first use inside
  a computed, effect or observe block, its construction is not part of that
  run: what the constructor reads is no dependency of the run.
- **Dependencies resolve upwards from the registering provider**, never from
  a child: a service registered on the root that needs value ``"USER"`` does
  not see a ``"USER"`` that only a child provides.
- **Nothing is made up.** A parameter gets a registered service, a value, or
  — only when the class is marked ``@service`` and injected into another
  service's constructor — a new instance for that one injection, owned by the
  provider that built the dependent. A missing ``str`` is an error, never
  ``""``. A parameter with a default keeps it unless a provider gives the
  token.
- **Ownership.** While a constructor runs, the instance is the current owner
  (:func:`impact_rx._disposable.owning`): the signals, computeds, effects,
  emitters, suspenses and other ``Disposable`` objects made there are
  disposed with it. A plain Rx subscription is not owned: hand it to
  ``self.on_dispose(...)``. A service that is not a ``Disposable`` gets a
  hidden owner, disposed after its own ``dispose()`` method if it has one. An
  exception in a constructor passes through unchanged, after the half-built
  instance is disposed.
- **Disposal** (``dispose()``, the end of ``with``) disposes child providers
  first (newest first), then the provider's instances newest-first by the
  time their construction *completed*, so a dependent goes before what it
  depends on, then callbacks given to ``on_dispose``. Every step runs; the
  failures are raised together as one ``DisposeError``. Afterwards every use
  raises ``DisposedError`` and the provider holds no reference to what it
  built. A constructor that disposes its own provider gets its new instance
  disposed too, and the ``get`` raises ``DisposedError``.
- **Async cleanup.** ``await provider.aclose()`` (and the end of
  ``async with``) does the same, and before disposing a service it awaits the
  service's ``aclose()`` method if it has one. A plain ``dispose()`` cannot
  await: it logs a warning for each service whose ``aclose()`` it skipped.
- **Time.** Each provider binds ``reactivex.abc.SchedulerBase``: its
  ``scheduler=``, else its parent's, else one driving the running asyncio
  loop (thread-safely), else the ``TimeoutScheduler``. A service built by a
  provider receives that provider's scheduler.

Test overrides: open a child provider that registers the service under test
and gives fakes for what it needs. The child's service sees the fakes; the
parent's services are untouched:

>>> from typing import Protocol, runtime_checkable
>>> @runtime_checkable
... class Clock(Protocol):
...     def now(self) -> int: ...
>>> class SystemClock:
...     def now(self) -> int:
...         return 1_700_000_000
>>> @service
... class Stamp(Disposable):
...     def __init__(self, clock: Clock) -> None:
...         self.at = clock.now()
>>> class FrozenClock:
...     def now(self) -> int:
...         return 0
>>> with ServiceProvider([Stamp], {Clock: SystemClock()}) as app:
...     with ServiceProvider([Stamp], {Clock: FrozenClock()}) as test:
...         (app.get(Stamp).at, test.get(Stamp).at)
(1700000000, 0)

Threads: creation is thread-safe, because every resolution holds injector's
module-wide lock. That lock also serialises resolution across threads, so a
constructor must not block on work scheduled elsewhere (another thread, the
event loop) that itself resolves a service: it would wait forever. Start such
work from the constructor, and let it finish later.

Tracing: the ``impact_rx.services`` logger records, at DEBUG, what each
resolution gave and from which provider, indented by depth.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import logging
import typing
from collections.abc import Callable, Iterable, Mapping
from contextvars import Token
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Final, Self, TypeVar, final, overload

import injector
from reactivex.abc import SchedulerBase
from reactivex.scheduler import TimeoutScheduler
from reactivex.scheduler.eventloop import AsyncIOThreadSafeScheduler

from ._disposable import Disposable
from ._errors import DisposedError, DisposeError, NoProviderError
from ._resolution import (
    ProviderInjector,
    ProviderScope,
    Value,
    describe,
    dispose_instance,
    lock,
    mark_service,
    request_from,
)
from ._resolution import (
    current as _current,
)

__all__ = [
    "ProviderStatistics",
    "ServiceProvider",
    "Value",
    "service",
    "use_service",
]

T = TypeVar("T")
C = TypeVar("C", bound=type)
D = TypeVar("D", bound=Disposable)

log = logging.getLogger("impact_rx.services")

_numbers = itertools.count(1)
_OPEN: Final = "open"
_DISPOSING: Final = "disposing"
_DISPOSED: Final = "disposed"


def service(cls: C) -> C:
    """Mark a class as a service: injectable by the types of its constructor.

    A service is usually registered on a provider (``services=[Cls]``). A
    class marked ``@service`` that no provider registers is still built,
    once per injection, when another service's constructor asks for it.
    Services should usually subclass ``Disposable``; ``use_service`` requires
    it.

    Example:
        >>> @service
        ... class Counter:
        ...     def __init__(self) -> None:
        ...         self.count = 0
        >>> ServiceProvider([Counter]).get(Counter).count
        0

    Raises:
        TypeError: ``cls`` is not a class.
    """
    if not isinstance(cls, type):
        raise TypeError(
            f"@service decorates a class, got {type(cls).__name__}."
            " Put @service on the line above `class ...:`."
        )
    mark_service(cls)
    return cls


@final
@dataclass(frozen=True, slots=True)
class ProviderStatistics:
    """A snapshot of a provider, for reprs and notebooks.

    Attributes:
        name: The provider's name.
        services: How many classes it registers.
        values: How many values it provides (named and by class).
        instances: How many services it has built and still holds.
        children: How many live child providers it has.
        constructions: How many constructors it has completed, ever.
        disposed: Whether it has been disposed.
    """

    name: str
    services: int
    values: int
    instances: int
    children: int
    constructions: int
    disposed: bool


@dataclass(slots=True)
class _Built:
    instance: object
    companion: Disposable | None


@final
class ServiceProvider(Disposable):
    """A scoped container of services and values.

    Args:
        services: Classes to register; each is built once, on first use, and
            shared by this provider's descendants.
        values: Values to provide: a string key names a value for
            ``Annotated[T, Value("NAME")]``; a class key gives that instance
            for the class (checked with ``isinstance``, so a Protocol key
            must be ``@runtime_checkable``).
        parent: The parent provider; by default the one entered with
            ``with`` around this call, if any.
        scheduler: The ``SchedulerBase`` its services receive; by default the
            parent's, else one driving the running asyncio loop, else the
            ``TimeoutScheduler``.
        name: A label for errors and reprs; by default ``ServiceProvider#N``.

    Raises:
        ValueError: a class is registered twice (as a service or a value).
        TypeError: an argument is of the wrong kind (``services`` not an
            iterable of concrete classes, ``values`` not a mapping, ``parent``
            not a provider, ``scheduler`` not a ``SchedulerBase``), a value
            does not match its class key, or a key is neither a string nor a
            class.
        DisposedError: ``parent`` has been disposed.

    Example:
        >>> @service
        ... class Counter:
        ...     def __init__(self) -> None:
        ...         self.count = 0
        >>> with ServiceProvider([Counter], name="root") as root:
        ...     with ServiceProvider(name="child") as child:
        ...         child.get(Counter) is root.get(Counter)
        True
        >>> root
        <ServiceProvider root disposed>
    """

    def __init__(
        self,
        services: Iterable[type] = (),
        values: Mapping[Any, object] | None = None,
        *,
        parent: ServiceProvider | None = None,
        scheduler: SchedulerBase | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__()
        self._number = next(_numbers)
        self._name = name if name is not None else f"ServiceProvider#{self._number}"
        _check_arguments(self._name, services, values, parent, scheduler)
        if parent is None:
            parent = _current.get()
        self._parent = parent
        self._state = _OPEN
        self._children: dict[int, ServiceProvider] = {}
        self._built: list[_Built] = []
        self._constructions = 0
        self._entered: list[Token[ServiceProvider | None]] = []
        self._value_names: tuple[str, ...] = ()  # for near-miss hints

        if parent is not None:
            parent._check_usable()
        self._scheduler = scheduler or _default_scheduler(parent)
        self._injector: ProviderInjector | None = ProviderInjector(
            self, parent._injector if parent is not None else None
        )
        self._services, self._value_count = self._register(services, values or {})

        if parent is not None:
            with lock:
                parent._check_usable()
                parent._children[self._number] = self

    # ------------------------------------------------------------ registration

    def _register(
        self, services: Iterable[type], values: Mapping[Any, object]
    ) -> tuple[tuple[type, ...], int]:
        binder = self._alive_injector().binder
        registered: list[type] = []

        for cls in services:
            if not isinstance(cls, type):
                raise TypeError(
                    f"services= of {self._name} takes classes, got {cls!r}."
                    " Pass a value in values= instead."
                )
            self._check_new_key(cls, registered)
            _check_buildable(cls, self._name)
            binder.bind(cls, to=injector.ClassProvider(cls), scope=ProviderScope)
            registered.append(cls)

        names: set[Value] = set()
        for key, value in values.items():
            if key == "":
                raise TypeError(
                    f"values= of {self._name} has an empty name ''."
                    ' Name each value, as in values={"USER": user}.'
                )
            if isinstance(key, (str, Value)):
                token: Any = Value(key) if isinstance(key, str) else key
                if token in names:
                    raise ValueError(
                        f"Value {token.name!r} is given twice on {self._name}."
                        f' Give it once, as "{token.name}" or {token!r}.'
                    )
                names.add(token)
            elif isinstance(key, type):
                self._check_new_key(key, registered)
                _check_instance(key, value, self._name)
                token = key
                registered.append(key)
            else:
                raise TypeError(
                    f"values= of {self._name} takes string or class keys,"
                    f" got {type(key).__name__} {key!r}."
                    ' Use "NAME" for Annotated[T, Value("NAME")], or the class.'
                )
            binder.bind(token, to=injector.InstanceProvider(value))

        binder.bind(
            typing.cast(Any, SchedulerBase),
            to=injector.InstanceProvider(self._scheduler),
        )
        binder.bind(ServiceProvider, to=injector.InstanceProvider(self))
        self._value_names = tuple(token.name for token in names)
        services_only = tuple(c for c in registered if c not in values)
        return services_only, len(values)

    def _check_new_key(self, cls: type, registered: list[type]) -> None:
        if cls in registered:
            raise ValueError(
                f"{describe(cls)} is registered twice on {self._name}."
                " Register each class once per provider, as a service or a value;"
                " a child provider may register it again to get its own."
            )
        if cls in (SchedulerBase, ServiceProvider):
            raise ValueError(
                f"{describe(cls)} cannot be registered on {self._name}:"
                " every provider binds it itself."
                " Pass scheduler= to choose the scheduler."
            )

    # ----------------------------------------------------------- introspection

    @property
    def name(self) -> str:
        """The label used in errors and reprs."""
        return self._name

    @property
    def parent(self) -> ServiceProvider | None:
        """The parent provider, or ``None`` for a root."""
        return self._parent

    @property
    def children(self) -> tuple[ServiceProvider, ...]:
        """The live (not disposed) child providers, oldest first."""
        with lock:
            return tuple(self._children.values())

    @property
    def scheduler(self) -> SchedulerBase:
        """The scheduler this provider's services receive."""
        return self._scheduler

    @property
    def is_disposed(self) -> bool:
        """Whether disposal has started."""
        return self._state != _OPEN

    def instances(self) -> tuple[object, ...]:
        """The services this provider has built, oldest first (a snapshot)."""
        with lock:
            return tuple(b.instance for b in self._built)

    def statistics(self) -> ProviderStatistics:
        """A small snapshot of this provider's state."""
        with lock:
            return ProviderStatistics(
                name=self._name,
                services=len(self._services),
                values=self._value_count,
                instances=len(self._built),
                children=len(self._children),
                constructions=self._constructions,
                disposed=self.is_disposed,
            )

    def __repr__(self) -> str:
        if self.is_disposed:
            return f"<ServiceProvider {self._name} disposed>"
        return (
            f"<ServiceProvider {self._name} services={len(self._services)}"
            f" instances={len(self._built)}>"
        )

    def _repr_html_(self) -> str:
        from .notebook import html_repr  # type: ignore[import-not-found,unused-ignore]

        return html_repr(self)  # type: ignore[no-any-return,unused-ignore]

    # -------------------------------------------------------------- resolving

    @overload
    def get(self, token: type[T]) -> T: ...

    @overload
    def get(self, token: Value) -> object: ...

    @overload
    def get(self, token: Callable[..., T]) -> T: ...  # a Protocol or ABC

    def get(self, token: type[T] | Value | Callable[..., T]) -> T | object:
        """Resolve a service or value from this provider and its ancestors.

        Args:
            token: A class (a Protocol or abstract class too, when an
                instance was registered for it), or ``Value("NAME")`` for a
                named value.

        Raises:
            ServiceNotRegisteredError: no provider in the chain gives it.
            MissingValueError: a named value is missing.
            CircularDependencyError: constructors need each other in a cycle.
            ServiceDefinitionError: a constructor cannot be injected as
                written.
            DisposedError: this provider has been disposed (also when a
                constructor it ran disposed it: that instance is disposed too).
            TypeError: ``token`` is neither a class nor a ``Value``.
        """
        if not isinstance(token, (type, Value)):
            raise TypeError(
                f"{self._name}.get() takes a class or Value('NAME'),"
                f" got {type(token).__name__} {token!r}."
                + (
                    f" For a named value write {self._name}.get(Value({token!r}))."
                    if isinstance(token, str)
                    else " Pass the service class, or Value(...) for a named value."
                )
            )
        injector_ = self._alive_injector(token)
        with lock, request_from(self):
            return injector_.resolve(token)

    def _check_usable(self, token: object = None) -> None:
        if self._state != _OPEN:
            asked = (
                f", so it cannot give {describe(token)}" if token is not None else ""
            )
            raise DisposedError(
                f"{self._name} has been disposed and cannot be used{asked}."
                " Create a new ServiceProvider."
            )

    def _alive_injector(self, token: object = None) -> ProviderInjector:
        self._check_usable(token)
        injector_ = self._injector
        if injector_ is None:  # pragma: no cover - disposed between the lines
            raise DisposedError(f"{self._name} has been disposed and cannot be used.")
        return injector_

    def _record(self, instance: object, companion: Disposable | None) -> None:
        """Own a service whose constructor just completed (the lock is held)."""
        self._built.append(_Built(instance, companion))
        self._constructions += 1

    def _forget(self, instance: object) -> Disposable | None:
        """Stop owning ``instance``; return its hidden owner (the lock is held)."""
        for index, built in enumerate(self._built):
            if built.instance is instance:
                del self._built[index]
                return built.companion
        return None

    # --------------------------------------------------------------- contexts

    def __enter__(self) -> Self:
        self._check_usable()
        self._entered.append(_current.set(self))
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._leave()
        self.dispose()

    async def __aenter__(self) -> Self:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._leave()
        await self.aclose()

    def _leave(self) -> None:
        if not self._entered:
            return
        token = self._entered.pop()
        try:
            _current.reset(token)
        except ValueError:  # exited in another context than it was entered in
            _current.set(self._parent)

    # ---------------------------------------------------------------- dispose

    def dispose(self) -> None:
        """Dispose children, then own services newest-first, then callbacks.

        Idempotent. A service's ``aclose()`` is not awaited here (a warning is
        logged); use ``await aclose()`` for those.

        Raises:
            DisposeError: one or more steps raised; all of them still ran.
        """
        if not self._begin_dispose():
            return

        errors: list[Exception] = []
        for child in reversed(self.children):
            _collect(errors, child.dispose)
        for built in self._take_built():
            if _has_aclose(built.instance):
                log.warning(
                    "%s.aclose() was not awaited: %s was disposed with dispose();"
                    " use `await provider.aclose()` or `async with`",
                    type(built.instance).__qualname__,
                    self._name,
                )
            _collect(errors, dispose_instance, built.instance, built.companion)
        self._finish_dispose(errors)

    async def aclose(self) -> None:
        """Like :meth:`dispose`, awaiting each service's ``aclose()`` first.

        If the awaiting task is cancelled, the rest is disposed without
        awaiting and the cancellation is raised afterwards.

        Raises:
            DisposeError: one or more steps raised; all of them still ran.
        """
        if not self._begin_dispose():
            return

        errors: list[Exception] = []
        stop: list[BaseException] = []
        for child in reversed(self.children):
            if stop:
                _collect(errors, child.dispose)
            else:
                await _close(child.aclose, errors, stop, fallback=child.dispose)
        for built in self._take_built():
            if _has_aclose(built.instance) and not stop:
                await _close(typing.cast(Any, built.instance).aclose, errors, stop)
            _collect(errors, dispose_instance, built.instance, built.companion)
        if stop:  # cancelled: report the errors as context, then stop
            try:
                self._finish_dispose(errors)
            finally:
                raise stop[0]
        self._finish_dispose(errors)

    def _begin_dispose(self) -> bool:
        with lock:
            if self._state != _OPEN:
                return False
            self._state = _DISPOSING
            return True

    def _take_built(self) -> list[_Built]:
        """Forget every instance and binding; return the instances newest first."""
        with lock:
            built, self._built = self._built, []
            if self._injector is not None:
                self._injector.forget()
            self._injector = None
            self._state = _DISPOSED
            if self._parent is not None:
                self._parent._children.pop(self._number, None)
        log.debug("%s: disposing %d service(s)", self._name, len(built))
        return built[::-1]

    def _finish_dispose(self, errors: list[Exception]) -> None:
        try:
            super().dispose()
        except DisposeError as exc:
            errors.extend(typing.cast(list[Exception], list(exc.exceptions)))
        if errors:
            kinds = ", ".join(type(e).__name__ for e in errors)
            raise DisposeError(
                self,
                errors,
                f"Disposing {self._name} raised {len(errors)} error(s) ({kinds})."
                " Every child, service and callback was still disposed;"
                " see .exceptions for the originals.",
            )


def use_service(cls: type[D]) -> D:
    """The instance of ``cls`` from the innermost provider entered with ``with``.

    Providers entered in this context (a thread, or an asyncio task and the
    tasks it starts) are searched, innermost first. They are carried by
    contextvars, so a new thread or a pool worker starts with none: submit
    ``contextvars.copy_context().run`` with the work, or pass the provider.

    Raises:
        TypeError: ``cls`` is not a ``Disposable`` subclass: whatever a
            consumer holds must be disposable.
        NoProviderError: no provider is entered here.
        ServiceNotRegisteredError: no provider in the chain registers ``cls``.
        DisposedError: the innermost provider has been disposed.
    """
    if not isinstance(cls, type):
        raise TypeError(
            "use_service() takes a Disposable service class,"
            f" got {type(cls).__name__} {cls!r}."
            " Pass the class itself: use_service(MyService)."
        )
    if not issubclass(cls, Disposable):
        raise TypeError(
            f"use_service({describe(cls)}) needs a Disposable service:"
            " whatever a consumer holds must be disposable."
            f" Make {describe(cls)} subclass impact_rx.Disposable,"
            " or resolve it with provider.get()."
        )
    provider = _current.get()
    if provider is None:
        raise NoProviderError(
            f"use_service({describe(cls)}) was called outside any ServiceProvider."
            " Call it inside `with ServiceProvider([...]) as provider:`"
            " (or `async with`), or use provider.get()."
            " A provider entered with `with` is carried by contextvars, so it"
            " does not follow into other threads, such as a thread pool's"
            " workers: run the work in a copy of the caller's context,"
            " executor.submit(contextvars.copy_context().run, fn),"
            f" or pass the provider along and call provider.get({describe(cls)})."
        )
    return provider.get(cls)


def _default_scheduler(parent: ServiceProvider | None) -> SchedulerBase:
    if parent is not None:
        return parent.scheduler
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return TimeoutScheduler.singleton()
    return AsyncIOThreadSafeScheduler(loop)


def _check_arguments(
    name: str,
    services: object,
    values: object,
    parent: object,
    scheduler: object,
) -> None:
    """Refuse arguments of the wrong kind before anything is registered."""
    if isinstance(services, (type, str, bytes)) or not isinstance(services, Iterable):
        if isinstance(services, type):
            shown = describe(services)
            advice = f" Write services=[{shown}]."
        else:
            shown = f"{type(services).__name__} {services!r}"
            advice = " Write services=[SomeService, ...]."
        raise TypeError(
            f"services= of {name} takes an iterable of classes, got {shown}.{advice}"
        )
    if values is not None and not isinstance(values, Mapping):
        raise TypeError(
            f"values= of {name} takes a mapping, got {type(values).__name__}."
            ' Write values={"NAME": ...} for named values, or {Cls: instance}.'
        )
    if parent is not None and not isinstance(parent, ServiceProvider):
        raise TypeError(
            f"parent= of {name} takes a ServiceProvider,"
            f" got {type(parent).__name__} {parent!r}."
            " Pass the provider object, or leave parent= out inside its `with`."
        )
    if scheduler is not None and not isinstance(scheduler, SchedulerBase):
        raise TypeError(
            f"scheduler= of {name} takes a reactivex SchedulerBase,"
            f" got {type(scheduler).__name__}."
            " Pass e.g. reactivex.testing.TestScheduler() or leave it out."
        )


def _check_buildable(cls: type, provider: str) -> None:
    if getattr(cls, "_is_protocol", False) or inspect.isabstract(cls):
        name = describe(cls)
        raise TypeError(
            f"{name} cannot be registered in services= of {provider}:"
            " it is a Protocol or abstract class, so it cannot be built."
            f" Give an implementation with values={{{name}: instance}},"
            " or register a concrete subclass."
        )


def _check_instance(cls: type, value: object, provider: str) -> None:
    name = describe(cls)
    try:
        matches = isinstance(value, cls)
    except TypeError as exc:
        raise TypeError(
            f"values={{{name}: ...}} on {provider} cannot be checked:"
            f" {name} is a Protocol that is not @runtime_checkable."
            f" Decorate {name} with @typing.runtime_checkable."
        ) from exc
    if not matches:
        raise TypeError(
            f"values={{{name}: ...}} on {provider} needs an instance of {name},"
            f" got {type(value).__qualname__}."
            f" Pass an object that implements {name}."
        )


def _has_aclose(instance: object) -> bool:
    return inspect.iscoroutinefunction(getattr(instance, "aclose", None))


async def _close(
    aclose: Any,
    errors: list[Exception],
    stop: list[BaseException],
    fallback: Any = None,
) -> None:
    """Await ``aclose()``, collecting its error, or recording a cancellation."""
    try:
        await aclose()
    except Exception as exc:
        errors.append(exc)
    except BaseException as exc:  # cancelled: the caller disposes the rest
        stop.append(exc)
        if fallback is not None:
            _collect(errors, fallback)


def _collect(errors: list[Exception], step: Any, *args: object) -> None:
    try:
        step(*args)
    except Exception as exc:
        errors.append(exc)
