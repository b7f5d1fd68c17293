"""How a constructor's parameters become tokens, and how a token is found.

Private helpers of :mod:`impact_rx._services`: reading a service's
constructor (``Value`` names, ``X | None``, dataclasses, postponed
annotations), the per-thread resolution path that detects cycles, the
injector subclass that resolves a token from the provider that registered it,
and the messages that explain a failed lookup.
"""

from __future__ import annotations

import contextlib
import difflib
import inspect
import logging
import threading
import types
import typing
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Final, TypeVar, Union, final

import injector
import typing_extensions

from . import _graph
from ._disposable import Disposable, owning
from ._errors import (
    CircularDependencyError,
    DisposedError,
    DisposeError,
    MissingValueError,
    ServiceDefinitionError,
    ServiceNotRegisteredError,
)

if TYPE_CHECKING:
    from ._services import ServiceProvider

__all__ = ["Value", "is_service", "mark_service"]

T = TypeVar("T")

log = logging.getLogger("impact_rx.services")

# injector's module-wide re-entrant lock: every resolution holds it, which
# makes creation thread-safe (and serialises it; see _services' docstring).
lock: Final = injector.lock

_SERVICE_MARK: Final = "__impact_rx_service__"
_BUILTIN_SCALARS: Final = (str, bytes, int, float, complex, bool, list, dict, set)


@final
@dataclass(frozen=True, slots=True)
class Value:
    """Names a value to inject: ``Annotated[User | None, Value("USER")]``.

    The provider chain supplies it from ``values={"USER": user}``. A named
    value is either provided (``None`` included) or missing: its type is not
    consulted, so ``User | None`` does not make it optional. Give the
    parameter a default to make it optional.

    Example:
        >>> Value("USER")
        Value('USER')
    """

    name: str

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise TypeError(
                f"Value() needs a non-empty string name, got {self.name!r}."
                ' Write Value("USER") and provide values={"USER": ...}.'
            )

    def __repr__(self) -> str:
        return f"Value({self.name!r})"


def mark_service(cls: type) -> None:
    """Mark ``cls`` itself (not its subclasses) as a service."""
    setattr(cls, _SERVICE_MARK, cls)


def is_service(obj: object) -> bool:
    """Whether ``obj`` is a class decorated with ``@service`` itself."""
    return isinstance(obj, type) and obj.__dict__.get(_SERVICE_MARK) is obj


def describe(token: object) -> str:
    """A short name for a token in messages: a class name or ``Value('X')``."""
    if isinstance(token, type):
        return token.__qualname__
    return repr(token)


# ---------------------------------------------------------------- parameters


@dataclass(frozen=True, slots=True)
class Parameter:
    """One injectable parameter of a constructor."""

    name: str
    token: object
    has_default: bool
    # The classes a named value must be an instance of, read from its
    # annotation (``Annotated[User | None, Value("USER")]``); ``None`` when
    # the annotation cannot be checked with ``isinstance`` (``Any``, a
    # Protocol, a TypeVar).
    accepts: tuple[type, ...] | None = None
    declared: str = ""


_parameters_cache: weakref.WeakKeyDictionary[type, tuple[Parameter, ...]] = (
    weakref.WeakKeyDictionary()
)


def parameters_of(cls: type) -> tuple[Parameter, ...]:
    """The injectable parameters of ``cls.__init__``, read once per class.

    Raises:
        ServiceDefinitionError: an annotation cannot be evaluated or names
            something no provider could ever give.
    """
    cached = _parameters_cache.get(cls)
    if cached is not None:
        return cached

    init = typing.cast(Any, cls).__init__
    if init is object.__init__:
        found: tuple[Parameter, ...] = ()
    else:
        found = tuple(_read_parameters(cls, init))

    _parameters_cache[cls] = found
    return found


def _read_parameters(cls: type, init: Any) -> Iterator[Parameter]:
    where = f"{cls.__qualname__}.__init__"
    try:
        signature = inspect.signature(init)
        hints = typing.get_type_hints(
            init, localns={cls.__name__: cls}, include_extras=True
        )
    except Exception as exc:  # NameError, TypeError, SyntaxError from strings
        raise ServiceDefinitionError(
            f"Cannot read the type annotations of {where}: {exc}."
            " Annotations are evaluated in the module's namespace when the service"
            " is first built (always so under `from __future__ import annotations`):"
            " define or import every name they use at module level.",
            service=cls,
        ) from exc

    for param in list(signature.parameters.values())[1:]:
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        has_default = param.default is not param.empty
        if param.name not in hints:
            if has_default:
                continue
            raise ServiceDefinitionError(
                f"Parameter {param.name!r} of {where} has no type annotation,"
                " so nothing can be injected into it."
                " Annotate it with a service class, or name a value with"
                f' Annotated[T, Value("NAME")], or give it a default.',
                service=cls,
            )
        if param.kind is param.POSITIONAL_ONLY:
            raise ServiceDefinitionError(
                f"Parameter {param.name!r} of {where} is positional-only."
                " Injection passes arguments by name: remove the `/`.",
                service=cls,
            )
        try:
            token = token_of(hints[param.name], where=where, param=param.name, cls=cls)
        except ServiceDefinitionError:
            # An option such as `names: list[str] = ()` keeps its default; a
            # misplaced Value means to inject, so it is reported anyway.
            if has_default and not _misplaces_a_value(hints[param.name]):
                continue
            raise
        if isinstance(token, Value):
            hint = hints[param.name]
            if typing.get_origin(hint) is Annotated:
                hint = hint.__origin__
            accepts = _classes_of(hint)
            yield Parameter(param.name, token, has_default, accepts, _type_text(hint))
        else:
            yield Parameter(param.name, token, has_default)


def _classes_of(hint: Any) -> tuple[type, ...] | None:
    """The classes ``isinstance`` can check a value of type ``hint`` against.

    ``float`` also takes ``int`` (and ``complex`` both), as type checkers
    read them; ``list[int]`` checks ``list``. ``None`` when it cannot be
    checked: ``Any``, a Protocol, a TypeVar, a ``Literal``, a string. A
    ``TypedDict`` checks ``dict``.
    """
    if hint is None or hint is type(None):
        return (type(None),)
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        found: list[type] = []
        for member in typing.get_args(hint):
            classes = _classes_of(member)
            if classes is None:
                return None
            found += classes
        return tuple(found)
    if origin is not None:
        hint = origin
    if not isinstance(hint, type) or hint is typing.Any:
        return None
    if getattr(hint, "_is_protocol", False):
        return None
    if typing_extensions.is_typeddict(hint):
        return (dict,)  # isinstance() refuses a TypedDict; its values are dicts
    return {float: (float, int), complex: (complex, float, int)}.get(hint, (hint,))


def token_of(hint: Any, *, where: str, param: str, cls: type) -> object:
    """The token to look up for a parameter annotation.

    ``Annotated[T, Value("N")]`` gives ``Value("N")``; ``X | None`` gives the
    token of ``X``; any other class gives itself.
    """
    if typing.get_origin(hint) is Annotated:
        for meta in hint.__metadata__:
            if isinstance(meta, Value):
                return meta
        if isinstance(hint.__origin__, Value):  # Annotated[Value("N"), T]
            raise _value_in_place_of_a_type(
                hint, hint.__origin__, hint.__metadata__, where, param, cls
            )
        return token_of(hint.__origin__, where=where, param=param, cls=cls)

    if isinstance(hint, Value):  # `owner: Value("OWNER")`
        raise _value_in_place_of_a_type(hint, hint, (), where, param, cls)

    if typing.get_origin(hint) in (Union, types.UnionType):
        members = [m for m in typing.get_args(hint) if m is not type(None)]
        if len(members) == 1:
            return token_of(members[0], where=where, param=param, cls=cls)
        raise ServiceDefinitionError(
            f"Parameter {param!r} of {where} is annotated with a union ({hint})."
            " A provider gives one thing per token: annotate it with one class,"
            ' or name a value with Annotated[..., Value("NAME")].',
            service=cls,
        )

    if isinstance(hint, type) and typing.get_origin(hint) is None:
        return hint

    raise ServiceDefinitionError(
        f"Parameter {param!r} of {where} is annotated with {hint!r},"
        " which is not a class, so no provider can register it."
        f' Name it as a value with Annotated[{_type_text(hint)}, Value("NAME")]'
        ' and provide values={"NAME": ...}.',
        service=cls,
    )


def _value_in_place_of_a_type(
    hint: Any,
    value: Value,
    metadata: Sequence[object],
    where: str,
    param: str,
    cls: type,
) -> ServiceDefinitionError:
    """The error for a ``Value`` written where the parameter's type belongs.

    The advice names the real type when the annotation gives one after the
    ``Value`` (``Annotated[Value("N"), str]``), else ``YourType``.
    """
    types_given = [m for m in metadata if _is_type(m)]
    real = _type_text(types_given[0]) if types_given else "YourType"
    written = (
        repr(value)
        if hint is value
        else f"Annotated[{', '.join(_type_text(a) for a in (value, *metadata))}]"
    )
    return ServiceDefinitionError(
        f"Parameter {param!r} of {where} is annotated with {written},"
        " which puts a Value where the type belongs."
        " A Value goes after the type: write"
        f' {param}: Annotated[{real}, Value("{value.name}")]'
        f' and provide values={{"{value.name}": ...}}.',
        service=cls,
    )


def _misplaces_a_value(hint: Any) -> bool:
    """Whether ``hint`` is ``Value("N")`` or ``Annotated[Value("N"), ...]``."""
    if typing.get_origin(hint) is Annotated:
        hint = hint.__origin__
    return isinstance(hint, Value)


def _is_type(obj: object) -> bool:
    return isinstance(obj, type) or typing.get_origin(obj) is not None


def _type_text(obj: object) -> str:
    """An annotation as it is written in source: ``str``, ``list[int]``."""
    if obj is type(None):
        return "None"
    if isinstance(obj, type) and typing.get_origin(obj) is None:
        return obj.__qualname__
    if typing.get_origin(obj) in (Union, types.UnionType):
        return " | ".join(_type_text(a) for a in typing.get_args(obj))
    return repr(obj).replace("typing.", "")


# ------------------------------------------------------------ resolution path


@dataclass(frozen=True, slots=True)
class Frame:
    """A service under construction: its class and the injector building it.

    ``fresh`` holds the unregistered services built for its injections, to
    dispose should it never complete.
    """

    injector: ProviderInjector
    token: type
    fresh: list[object] = field(default_factory=list)


class _PathState(threading.local):
    def __init__(self) -> None:
        self.frames: list[Frame] = []
        self.origin: ServiceProvider | None = None
        # The graph's tracker as each frame's constructor began: the run
        # (computed, effect, observe block) that asked for the service.
        self.runs: list[object] = []


_path = _PathState()


def depth() -> int:
    """How many constructors are running on this thread."""
    return len(_path.frames)


def building_during(tracker: object) -> bool:
    """Whether a constructor runs on this thread, started during ``tracker``'s run.

    What it creates is the service's, not that run's: a service built on
    first use inside a computed, effect or observe block.
    """
    return any(run is tracker for run in _path.runs)


# The innermost provider entered with `with` in this context, or the one whose
# service's constructor is running.
current: ContextVar[ServiceProvider | None] = ContextVar(
    "impact_rx_provider", default=None
)


@contextmanager
def building_in(provider: ServiceProvider) -> Iterator[None]:
    """Make ``provider`` current while one of its services is constructed.

    ``use_service`` in a constructor then resolves from the provider that
    builds the service, as its injected parameters do, and a provider created
    there becomes a child of it.
    """
    token = current.set(provider)
    try:
        yield
    finally:
        current.reset(token)


@contextmanager
def request_from(provider: ServiceProvider) -> Iterator[None]:
    """Remember the provider an outermost ``get`` was called on, for messages."""
    outermost = _path.origin is None
    if outermost:
        _path.origin = provider
    try:
        yield
    finally:
        if outermost:
            _path.origin = None


def _trace(token: object, what: str, *args: object) -> None:
    """Log a resolution step at DEBUG, indented by depth; free when off."""
    if log.isEnabledFor(logging.DEBUG):
        log.debug("%s%s: " + what, "  " * depth(), describe(token), *args)


def _path_text(tokens: Sequence[object]) -> str:
    return " -> ".join(describe(t) for t in tokens)


def _a(noun: str) -> str:
    """``noun`` with its indefinite article: ``"an int"``, ``"a str"``."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def _noted_path(note: str) -> str:
    """The resolution path a constructor's note names, with a trailing ``->``.

    ``"A -> B"`` gives ``"A -> B ->"``, so that the path of the service
    being built, ``"A"``, prefixes it, and ``"AB"``'s does not.
    """
    return note.rpartition(" Resolution path: ")[2].removesuffix(".") + " ->"


# ------------------------------------------------------------------ injector

_MISSING: Final = object()
_NOTE: Final = "Raised by the constructor of "
# Resolution errors (from ``use_service`` in a constructor) name their path.
_SAYS_ITS_PATH: Final = (
    MissingValueError,
    ServiceNotRegisteredError,
    CircularDependencyError,
    ServiceDefinitionError,
)


class ProviderScope(injector.Scope):
    """One instance per registering provider: the injector's cache of services."""

    def configure(self) -> None:
        self.instances: dict[object, object] = {}

    def get(self, key: type[T], provider: injector.Provider[T]) -> injector.Provider[T]:
        if key in self.instances:
            return injector.InstanceProvider(typing.cast(T, self.instances[key]))
        instance = provider.get(self.injector)
        self.instances[key] = instance
        return injector.InstanceProvider(instance)


class ProviderInjector(injector.Injector):
    """The injector of one ``ServiceProvider``.

    A token is looked up from this injector up its parents, and a service is
    built by the injector that registered it, so its dependencies never come
    from a child.
    """

    def __init__(
        self, provider: ServiceProvider, parent: ProviderInjector | None
    ) -> None:
        super().__init__(auto_bind=False, parent=parent)
        self.provider = provider

    def forget(self) -> None:
        """Drop the cached services, so a disposed provider keeps none alive."""
        if self.binder.has_binding_for(ProviderScope):
            scope_binding, _ = self.binder.get_binding(ProviderScope)
            typing.cast(
                ProviderScope, scope_binding.provider.get(self)
            ).instances.clear()

    def lineage(self) -> Iterator[ProviderInjector]:
        """This injector, then its parents."""
        current: injector.Injector | None = self
        while isinstance(current, ProviderInjector):
            yield current
            current = current.parent

    def get(
        self,
        interface: type[T],
        scope: injector.ScopeDecorator | type[injector.Scope] | None = None,
    ) -> T:
        """Resolve ``interface`` from this provider and its ancestors."""
        with lock:
            return typing.cast(T, self.resolve(interface))

    def find(self, token: object) -> tuple[injector.Binding, ProviderInjector] | None:
        """The binding of ``token`` and the injector holding it, if any."""
        try:
            binding, binder = self.binder.get_binding(typing.cast(Any, token))
        except injector.UnsatisfiedRequirement:
            return None
        owner = binder.injector
        if not isinstance(owner, ProviderInjector):  # pragma: no cover - defensive
            return None
        return binding, owner

    def resolve(
        self,
        token: object,
        *,
        injected: bool = False,
        optional: bool = False,
        parameter: str | None = None,
    ) -> object:
        """Give ``token``: a value, a cached service, or a newly built one.

        Args:
            token: A class or a ``Value``.
            injected: The token is a constructor parameter, so an unregistered
                ``@service`` class is built for this injection.
            optional: Return ``_MISSING`` instead of raising when nothing
                provides the token (the parameter has a default).
            parameter: The name of the constructor parameter it is for, if
                any, for the message when nothing provides it.
        """
        self.provider._check_usable(token)

        found = self.find(token)
        if found is None:
            if injected and is_service(token):
                _trace(token, "new for this injection, owned by %s", self.provider.name)
                fresh: object = self.create_object(typing.cast(type, token))
                if _path.frames:
                    _path.frames[-1].fresh.append(fresh)
                return fresh
            if optional:
                _trace(token, "not provided, default kept")
                return _MISSING
            raise self.not_found(token, parameter=parameter)

        binding, owner = found
        if not isinstance(binding.provider, injector.ClassProvider):
            _trace(token, "value from %s", owner.provider.name)
            return binding.provider.get(owner)

        scope_binding, _ = owner.binder.get_binding(binding.scope)
        scope = typing.cast(ProviderScope, scope_binding.provider.get(owner))
        shared = token in scope.instances
        _trace(
            token, "shared from %s" if shared else "building in %s", owner.provider.name
        )
        return scope.get(typing.cast(type, token), binding.provider).get(owner)

    def create_object(self, cls: type[T], additional_kwargs: Any = None) -> T:
        """Build ``cls`` with this injector, owning what its ``__init__`` makes.

        The instance is the current owner while its constructor runs. If the
        constructor raises, the exception passes through unchanged after the
        half-built instance is disposed, and so are the unregistered services
        built for its injections: nothing else would ever use them.
        """
        frames = _path.frames
        for index, frame in enumerate(frames):
            if frame.injector is self and frame.token is cls:
                raise self.cycle([f.token for f in frames[index:]] + [cls])

        params = parameters_of(cls)
        frame = Frame(self, cls)
        frames.append(frame)
        _path.runs.append(_graph.run_tracker())
        try:
            # Untracked: a service built on first use inside a computed,
            # effect or observe block is not part of that run's reads, or the
            # run would re-run whenever what the constructor (or one of its
            # dependencies') read changes. The constructor's own effects and
            # computeds track as ever: each run records its own reads.
            instance, companion = _graph.untracked(lambda: self._construct(cls, params))
        except BaseException:
            for orphan in reversed(frame.fresh):
                _dispose_half_built(orphan, self.provider._forget(orphan))
            raise
        finally:
            frames.pop()
            _path.runs.pop()

        self.provider._record(instance, companion)
        _trace(cls, "built in %s", self.provider.name)
        return instance

    def _construct(
        self, cls: type[T], params: tuple[Parameter, ...]
    ) -> tuple[T, Disposable | None]:
        """A new ``cls`` and its companion (for a non-``Disposable``), or raise."""
        kwargs = self._arguments(cls, params)
        instance = cls.__new__(cls)
        companion = None if isinstance(instance, Disposable) else Disposable()
        try:
            with (
                owning(companion or typing.cast(Disposable, instance)),
                building_in(self.provider),
            ):
                try:
                    cls.__init__(instance, **kwargs)
                except Exception as exc:
                    self._note_constructor(exc, cls)
                    raise
                if self.provider.is_disposed:
                    raise self.disposed_while_building(cls)
        except BaseException:
            _dispose_half_built(instance, companion)
            raise
        return instance, companion

    def _arguments(self, cls: type, params: tuple[Parameter, ...]) -> dict[str, object]:
        kwargs: dict[str, object] = {}
        for param in params:
            value = self.resolve(
                param.token,
                injected=True,
                optional=param.has_default,
                parameter=param.name,
            )
            if value is _MISSING:
                continue
            if param.accepts is not None and not isinstance(value, param.accepts):
                raise self._wrong_value(cls, param, value)
            kwargs[param.name] = value
        return kwargs

    def _wrong_value(self, cls: type, param: Parameter, value: object) -> TypeError:
        """The error for a named value that is not of its declared type.

        Names the value's type, never the value: it may be a secret.
        """
        tokens = [f.token for f in _path.frames] + [param.token]
        name = getattr(param.token, "name", "")
        return TypeError(
            f"{describe(param.token)} is {_a(type(value).__qualname__)}, but"
            f" {cls.__qualname__}.__init__ declares its parameter"
            f" {param.name!r} as {param.declared}. Provide a value of that"
            f" type: values={{{name!r}: ...}}."
            f" Resolution path: {_path_text(tokens)}."
        )

    def _note_constructor(self, exc: BaseException, cls: type) -> None:
        """Say which service's constructor raised, once, keeping ``exc`` as is."""
        if isinstance(exc, _SAYS_ITS_PATH):
            return
        tokens = [f.token for f in _path.frames]
        path = _path_text(tokens)
        notes = getattr(exc, "__notes__", None)
        if isinstance(notes, list):
            ours = [n for n in notes if isinstance(n, str) and n.startswith(_NOTE)]
            if any(_noted_path(note).startswith(f"{path} ->") for note in ours):
                return  # a dependency's constructor: its note says it all
            # The same exception raised again (a computed's cached error) by
            # another constructor: the note its last failure got is stale.
            if ours:  # in place, and safe if another thread did it first
                notes[:] = [n for n in notes if n not in ours]
        note = (
            f"{_NOTE}{describe(cls)}, built by provider {self.provider.name!r}."
            f" Resolution path: {path}."
        )
        # An error whose __notes__ is no list refuses notes: keep it as it is.
        with contextlib.suppress(TypeError):
            exc.add_note(note)

    # ---------------------------------------------------------------- errors

    def searched(self) -> list[str]:
        """The names of the providers a lookup from here searches, in order."""
        return [i.provider.name for i in self.lineage()]

    def not_found(self, token: object, *, parameter: str | None = None) -> LookupError:
        """The error for a token that no provider from here upwards gives.

        Args:
            token: What was asked for.
            parameter: The parameter of the service being built that asked,
                or ``None`` for a direct ``get``.
        """
        tokens = [f.token for f in _path.frames] + [token]
        asker = None
        if parameter is not None and _path.frames:
            asker = f"{parameter!r} of {describe(_path.frames[-1].token)}.__init__"
        searched = self.searched()
        needed_by = f", needed by {describe(tokens[-2])}" if len(tokens) > 1 else ""
        message = (
            f"No provider gives {describe(token)}{needed_by}."
            f" Resolution path: {_path_text(tokens)}."
            f" Searched, child to parent: {', '.join(searched)}."
            f"{self._scoping_hint(tokens)}"
            f" {_how_to_provide(token, self.provider.name, asker)}"
            f"{self._near_misses(token)}"
        )
        kind = (
            MissingValueError if isinstance(token, Value) else ServiceNotRegisteredError
        )
        return kind(message, token=token, path=tokens, searched=searched)

    def _near_misses(self, token: object) -> str:
        """`` Did you mean 'USR' (given on app)?`` for a value name with a typo.

        Names are compared ignoring case, so ``"user"`` is offered for
        ``Value("USER")``; only names are shown, never values.
        """
        if not isinstance(token, Value):
            return ""
        given: dict[str, list[str]] = {}
        for injector_ in self.lineage():
            provider = injector_.provider
            for name in provider._value_names:
                given.setdefault(name, []).append(provider.name)
        folded: dict[str, list[str]] = {}
        for name in given:
            folded.setdefault(name.casefold(), []).append(name)

        close = difflib.get_close_matches(token.name.casefold(), list(folded), n=3)
        names = [name for key in close for name in folded[key]]
        if not names:
            return ""
        where = sorted(
            {p for name in names for p in given[name]}, key=self.searched().index
        )
        return (
            f" Did you mean {' or '.join(repr(n) for n in names)}"
            f" (given on {', '.join(where)})?"
        )

    def _scoping_hint(self, tokens: list[object]) -> str:
        origin = _path.origin
        if origin is None or len(tokens) < 2:
            return ""
        ancestor = origin.parent
        while ancestor is not None and ancestor is not self.provider:
            ancestor = ancestor.parent
        if ancestor is None:
            return ""
        dependent = describe(tokens[-2])
        return (
            f" {dependent} is built by {self.provider.name}, so its dependencies"
            f" come from {self.provider.name} and its parents, never from a child"
            f" such as {origin.name}; register {dependent} on {origin.name} as well"
            " to build one there."
        )

    def disposed_while_building(self, cls: type) -> DisposedError:
        """The error for a service whose provider was disposed by its build."""
        name = self.provider.name
        return DisposedError(
            f"{name} was disposed while {describe(cls)} was being built"
            f" (by its constructor or one it called), so the new {describe(cls)}"
            " was disposed too. Dispose the provider from outside the"
            " constructors it runs."
        )

    def cycle(self, tokens: Sequence[object]) -> CircularDependencyError:
        """The error for a service that needs itself, directly or not."""
        return CircularDependencyError(
            f"Circular dependency on {self.provider.name}: {_path_text(tokens)}."
            " Each of these services needs the next one to be built first."
            " Break the cycle: let one of them take what it needs later, in a"
            " method, or split the shared part into its own service.",
            tokens,
        )


def _how_to_provide(token: object, provider: str, parameter: str | None) -> str:
    if isinstance(token, Value):
        return (
            f"Provide it with values={{{token.name!r}: ...}} on {provider}"
            " or one of its parents (None is a value too)."
        )
    name = describe(token)
    if token in _BUILTIN_SCALARS and parameter is not None:
        return (
            f"A value of type {name} is never made up: name parameter {parameter}"
            f' as a value, Annotated[{name}, Value("NAME")],'
            ' and provide values={"NAME": ...}.'
        )
    if token in _BUILTIN_SCALARS:
        return (
            f"A value of type {name} is never made up: provide it by name,"
            f' values={{"NAME": ...}}, and ask for {provider}.get(Value("NAME")).'
        )
    if is_service(token):
        return (
            f"Register it with services=[{name}] on one of these providers"
            " (an unregistered @service is built only when injected into another"
            " service's constructor)."
        )
    if getattr(token, "_is_protocol", False) or inspect.isabstract(token):
        return (
            f"{name} is a Protocol or abstract class: give an implementation with"
            f" values={{{name}: instance}} on one of these providers."
        )
    return (
        f"Register it with services=[{name}], or give an instance with"
        f" values={{{name}: instance}}, on one of these providers."
    )


def _dispose_half_built(instance: object, companion: Disposable | None) -> None:
    """Dispose what a failed construction leaves behind, keeping its exception."""
    try:
        dispose_instance(instance, companion)
    except Exception:
        # The constructor's own exception is what the caller must see.
        log.warning(
            "Disposing a half-built %s after its constructor raised also failed",
            type(instance).__qualname__,
            exc_info=True,
        )


def dispose_instance(instance: object, companion: Disposable | None) -> None:
    """Dispose a built service; a non-``Disposable`` one through its companion.

    A service that is not a ``Disposable`` still owns what its constructor
    made, through a hidden companion; its own ``dispose()`` method, if it has
    one, runs first.
    """
    if companion is None:
        typing.cast(Disposable, instance).dispose()
        return

    errors: list[Exception] = []
    dispose = getattr(instance, "dispose", None)
    if callable(dispose):
        try:
            dispose()
        except Exception as exc:
            errors.append(exc)
    try:
        companion.dispose()
    except Exception as exc:
        errors.append(exc)
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise DisposeError(instance, errors)
