"""Jupyter displays: rich reprs and a live view that updates in place.

Signals, computeds, suspenses, queries, mutations and providers define
``_repr_html_`` by calling :func:`html_repr`, so a notebook shows them as
small cards: a signal's name, value and subscriber count; a suspense's
status badge and its value or reason; a query's state and current suspense;
a mutation's status and data; a provider's tree of child providers and live
services with their signals. Every piece
of text is HTML-escaped, values are cut short, a
:class:`~impact_rx.session.Secret` shows masked, and the value of a signal
whose name looks secret (``token``, ``password``, ...) is not shown at all.

:func:`live` keeps one output cell showing the latest value of a signal or
any Observable while the kernel runs, as an ipywidgets view when the
``notebook`` extra is installed, else through an updatable display.

Example:
    >>> html = html_repr(["<b>", 1])
    >>> "&lt;b&gt;" in html, "<b>" in html
    (True, False)
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from functools import cache
from html import escape
from typing import Any, final

import reactivex
from reactivex import abc as rx_abc

from ._disposable import Disposable
from ._errors import DisposedError
from ._graph import untracked
from ._redact import REDACTED, looks_secret
from .debug import short_repr, value_text

__all__ = ["LiveView", "html_repr", "live"]

_STYLE = 'style="font-family:monospace"'
_MUTED = 'style="color:#6b7280"'
_BADGES = {
    "pending": "#b45309",
    "fulfilled": "#15803d",
    "rejected": "#b91c1c",
    "disposed": "#6b7280",
    "completed": "#6b7280",
    "error": "#b91c1c",
    "fetching": "#b45309",
    "refetching": "#b45309",
    "idle": "#6b7280",
}
_MAX_DEPTH = 8
_MAX_FIELDS = 8


def html_repr(obj: object) -> str:
    """An HTML card for ``obj``: what its ``_repr_html_`` returns.

    Knows signals and computeds, suspenses, queries, mutations and service
    providers; anything else is shown as its escaped, shortened ``repr``.

    Args:
        obj: The object to show.

    Returns:
        An HTML fragment; every piece of text in it is escaped. Nothing it
        reads becomes a dependency of a running computed or effect.
    """
    return _card(untracked(lambda: _body(obj)))


def _body(obj: object, *, depth: int = 0) -> str:
    for name, render in _RENDERERS:
        cls = _lookup(name)
        if cls is not None and isinstance(obj, cls):
            return render(obj, depth)
    return _code(short_repr(obj))


def _card(body: str) -> str:
    return f'<div class="impact-rx" {_STYLE}>{body}</div>'


def _code(text: str) -> str:
    return f"<code>{escape(text)}</code>"


def _muted(text: str) -> str:
    return f"<span {_MUTED}>{escape(text)}</span>"


def _badge(status: str) -> str:
    color = _BADGES.get(status, "#6b7280")
    return (
        f'<span style="background:{color};color:white;border-radius:3px;'
        f'padding:0 4px">{escape(status)}</span>'
    )


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


@cache
def _lookup(qualified: str) -> type[Any] | None:
    module, _, name = qualified.rpartition(".")
    try:
        found = getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None
    return found if isinstance(found, type) else None


# Signal and Computed ------------------------------------------------------


def _signal_body(obj: Any, depth: int = 0) -> str:
    return _signal_line(obj, _peek(obj))


def _computed_body(obj: Any, depth: int = 0) -> str:
    return _signal_line(obj, lambda: None, shown=_shown(_name_of(obj, ""), obj))


def _shown(label: str, obj: Any) -> str:
    """The value cell of a signal, or of a computed without running it."""
    display = getattr(obj, "_display", None)
    if not callable(display):
        return _value_cell(label, _peek(obj))
    # Never ``peek()``: a display must not run the computed's function (user
    # code), so a computed not computed yet, or stale, says so, as its repr.
    kind, held = display()
    if kind == "value":
        return _value_cell(label, lambda: held)
    if kind == "raised":
        return f"{_badge('error')} {_code(type(held).__name__)}"
    return _badge(kind)


def _signal_line(
    obj: Any, value: Callable[[], object], *, shown: str | None = None
) -> str:
    label = _name_of(obj, "")
    if shown is None:
        shown = _value_cell(label, value)
    subscribers = _subscriber_count(obj)
    parts = [_muted(type(obj).__name__)]
    if label:
        parts.append(f"<b>{escape(label)}</b>")
    parts.append(f"= {shown}")
    if subscribers is not None:
        parts.append(_muted(f"· {_plural(subscribers, 'subscriber')}"))
    return " ".join(parts)


def _value_cell(label: str, value: Callable[[], object]) -> str:
    try:
        return _code(value_text(label, value()))
    except DisposedError:  # a disposed computed has no value to show
        return _badge("disposed")
    except Exception as exc:  # a computed whose function raises
        return f"{_badge('error')} {_code(type(exc).__name__)}"


def _peek(obj: Any) -> Callable[[], object]:
    peek = getattr(obj, "peek", None)
    if callable(peek):
        return peek  # type: ignore[no-any-return]
    return lambda: obj.value


def _subscriber_count(obj: Any) -> int | None:
    stats = getattr(obj, "statistics", None)
    if callable(stats):
        try:
            count = getattr(stats(), "subscribers", None)
        except Exception:
            count = None
        if isinstance(count, int):
            return count
    observers = getattr(obj, "observers", None)
    return len(observers) if isinstance(observers, list | tuple) else None


# Suspense -----------------------------------------------------------------


def _suspense_body(obj: Any, depth: int = 0) -> str:
    status = str(getattr(obj, "status", "pending"))
    parts = [_muted(type(obj).__name__), _badge(status)]
    if status == "fulfilled":
        # Named by its query or mutation: a load_token's value is a secret.
        parts.append(_code(value_text(getattr(obj, "_label", None), obj.value)))
    elif status == "rejected":
        parts.append(_code(_reason_text(getattr(obj, "_label", None), obj.reason)))
    return " ".join(parts)


def _reason_text(label: str | None, reason: object) -> str:
    """An error's short repr; its kind alone under a secret-looking label."""
    if looks_secret(label):  # the error may echo the secret it was sent
        return f"{type(reason).__name__}({REDACTED})"
    return short_repr(reason)


def _query_body(obj: Any, depth: int = 0) -> str:
    parts = [_muted(type(obj).__name__), _badge(str(obj.state))]
    return " ".join(parts) + " " + _suspense_body(obj.suspense)


def _mutation_body(obj: Any, depth: int = 0) -> str:
    status = str(obj.status)
    parts = [_muted(type(obj).__name__), _badge(status)]
    if status != "idle":
        data = value_text(getattr(obj, "_label", None), obj.data)
        parts.append(f"{_muted('data')} {_code(data)}")
    if status == "rejected":
        parts.append(_code(_reason_text(getattr(obj, "_label", None), obj.reason)))
    return " ".join(parts)


# ServiceProvider ----------------------------------------------------------


def _provider_body(obj: Any, depth: int = 0) -> str:
    name = getattr(obj, "name", None)
    title = [_muted(type(obj).__name__)]
    if name:
        title.append(f"<b>{escape(str(name))}</b>")
    if getattr(obj, "is_disposed", False):
        title.append(_badge("disposed"))
        return " ".join(title)

    services = list(_safe_list(obj, "instances"))
    children = list(_safe_list(obj, "children"))
    title.append(
        _muted(
            f"· {_plural(len(services), 'service')},"
            f" {_plural(len(children), 'child provider')}"
        )
    )
    items = [f"<li>{_service_line(s)}</li>" for s in services]
    if depth < _MAX_DEPTH:
        items += [f"<li>{_provider_body(c, depth + 1)}</li>" for c in children]
    elif children:
        items.append(f"<li>{_muted('…')}</li>")
    listing = f'<ul style="margin:0">{"".join(items)}</ul>' if items else ""
    return " ".join(title) + listing


def _safe_list(obj: Any, attribute: str) -> list[Any]:
    found = getattr(obj, attribute, ())
    try:
        return list(found() if callable(found) else found)
    except Exception:
        return []


def _service_line(service: object) -> str:
    line = f"<b>{escape(type(service).__name__)}</b> {_muted(f'#{id(service):x}')}"
    kinds = _signal_types()
    # Redacted when either the attribute or the signal's own name looks secret.
    fields = [
        f"{escape(attr)} = {_shown(f'{attr} {_name_of(held, attr)}', held)}"
        for attr, held in list(getattr(service, "__dict__", {}).items())
        if isinstance(held, kinds)
    ]
    if len(fields) > _MAX_FIELDS:
        fields[_MAX_FIELDS:] = ["…"]
    return line + (f" {_muted('·')} " + ", ".join(fields) if fields else "")


def _name_of(obj: object, fallback: str) -> str:
    name = getattr(obj, "name", None)
    return name if isinstance(name, str) and name else fallback


_RENDERERS: tuple[tuple[str, Callable[[Any, int], str]], ...] = (
    ("impact_rx._signal.Signal", _signal_body),
    ("impact_rx._computed.Computed", _computed_body),
    ("impact_rx._suspense.Suspense", _suspense_body),
    ("impact_rx._query.Query", _query_body),
    ("impact_rx._query.Mutation", _mutation_body),
    ("impact_rx._services.ServiceProvider", _provider_body),
)


# live ---------------------------------------------------------------------


@final
class LiveView(Disposable):
    """A notebook output that follows a signal or Observable; dispose to stop.

    Attributes:
        value: The latest value received (``None`` before the first).
        updates: How many values were received, the first one included (a
            signal's current value is the first): the view says "values".
    """

    def __init__(self, source: rx_abc.ObservableBase[Any], *, widget: bool) -> None:
        super().__init__()
        self.value: object = None
        self.updates = 0
        self._source = source
        self._status = ""
        self._error: Exception | None = None
        self._show: Callable[[str], None] | None = None
        # Subscribed first, so the first card shows the current state (a
        # signal's value, an error at once), not an empty one: a renderer
        # without widgets shows the widget's text as it was when displayed.
        subscription = source.subscribe(
            on_next=self._on_next,
            on_error=self._on_error,
            on_completed=self._on_completed,
        )
        self.on_dispose(subscription)
        self.on_dispose(self._forget)
        if _in_kernel():
            shown = _widget_output(self._render()) if widget else None
            self._show = shown or _display_output()
        else:  # a terminal or a script: one plain line per change
            self._show = self._print_line
        self._update()  # also what arrived, from another thread, meanwhile

    def _on_next(self, value: object) -> None:
        self.value = value
        self.updates += 1
        self._update()

    def _on_error(self, error: Exception) -> None:
        self._status, self._error = "error", error
        self._update()

    def _on_completed(self) -> None:
        self._status = "completed"
        self._update()

    def _update(self) -> None:
        if self._show is not None:
            self._show(self._render())

    def _forget(self) -> None:
        self._show = None

    def _print_line(self, html: str) -> None:
        if self.updates or self._status:  # nothing worth a line before that
            print(repr(self))

    def _name(self) -> str:
        return _name_of(self._source, "")

    def _value_text(self) -> str | None:
        """The latest value's short text; ``None`` before the first value."""
        if not self.updates:
            return None
        return value_text(self._name(), self.value)

    def _error_text(self) -> str:
        """The error's short repr, or ``<redacted>`` for a secret-named source."""
        return value_text(self._name(), self._error)

    def _render(self) -> str:
        source = self._source
        if any(isinstance(source, c) for c in _signal_types()):
            body = _signal_line(source, lambda: self.value)
        else:
            parts = [_muted(type(source).__name__)]
            if self._name():
                parts.append(f"<b>{escape(self._name())}</b>")
            shown = self._value_text()
            parts.append("= " + (_muted("no value") if shown is None else _code(shown)))
            body = " ".join(parts)
        body += " " + _muted(f"· {_plural(self.updates, 'value')}")
        if self._status:
            body += f" {_badge(self._status)}"
            if self._error is not None:
                body += f" {_code(self._error_text())}"
        return _card(body)

    def __repr__(self) -> str:
        state = "disposed" if self.is_disposed else self._status or "live"
        if self._error is not None:
            state = f"{state} {self._error_text()}"
        name = self._name()
        label = f"{type(self._source).__name__} {name}".rstrip()
        shown = self._value_text()
        return (
            f"<LiveView of {label}: {'no value' if shown is None else shown},"
            f" {_plural(self.updates, 'value')}, {state}>"
        )


def _signal_types() -> tuple[type[Any], ...]:
    found = (
        _lookup(name)
        for name, render in _RENDERERS
        if render in (_signal_body, _computed_body)
    )
    return tuple(c for c in found if c is not None)


def live(source: rx_abc.ObservableBase[Any], *, widget: bool = True) -> LiveView:
    """Show ``source``'s latest value in one output that updates in place.

    The view displays itself where ``live`` is called; keep the handle
    (``view = live(count)``) to stop it later. Each value the source emits
    replaces the shown one while the kernel runs, from any thread;
    completion and errors are shown as badges.

    Args:
        source: A signal, a computed or any Observable.
        widget: Use an ipywidgets view when ipywidgets is installed (the
            ``notebook`` extra); ``False`` uses an updatable display instead.

    Returns:
        The view; ``dispose()`` it (or leave a ``with`` block) to unsubscribe.

    Raises:
        TypeError: ``source`` is not an Observable.
    """
    if not isinstance(source, reactivex.Observable | rx_abc.ObservableBase):
        raise TypeError(
            f"live() needs a signal, computed or Observable,"
            f" got {type(source).__name__}."
            " To follow a signal declared on a class (counter.n), pass its"
            ' stream: live(signal_of(counter, "n")). For a fixed value,'
            " pass reactivex.of(value) or wrap it in a Signal."
        )
    return LiveView(source, widget=widget)


def _widget_output(first: str) -> Callable[[str], None] | None:
    try:
        widgets: Any = importlib.import_module("ipywidgets")
    except ImportError:
        return None

    view = widgets.HTML(value=first)
    _ipython_display().display(view)

    def show(html: str) -> None:
        view.value = html

    return show


def _display_output() -> Callable[[str], None]:
    ipython = _ipython_display()
    handle: Any = None
    shown = False

    def show(html: str) -> None:
        nonlocal handle, shown
        if not shown:
            shown = True
            handle = ipython.display(ipython.HTML(html), display_id=True)
        elif handle is not None:  # None outside a kernel: nothing to update
            handle.update(ipython.HTML(html))

    return show


def _in_kernel() -> bool:
    """Whether this runs in a Jupyter kernel, where outputs can update."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return getattr(shell, "kernel", None) is not None


def _ipython_display() -> Any:
    try:
        return importlib.import_module("IPython.display")
    except ImportError as exc:
        raise ImportError(
            "live() shows values in Jupyter and needs IPython."
            " Install the notebook extra: pip install 'impact_rx[notebook]'."
        ) from exc
