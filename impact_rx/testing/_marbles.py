"""``marbles()``: cold and hot observables, expectations, and virtual time."""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import timedelta
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, final, overload

from reactivex import Observable, abc
from reactivex.disposable import CompositeDisposable, Disposable, SerialDisposable
from reactivex.scheduler import TimeoutScheduler
from typing_extensions import TypeVar

from .._errors import MarbleSyntaxError, under
from .._redact import REDACTED, looks_secret, masked, shorten
from ._arguments import check_observable
from ._diagram import Diagram, Labeler, Lane, align, shown_record, to_marbles
from ._parse import Parsed, parse, parse_subscription, parse_time, progression_frames
from ._records import Kind, Record, SubscriptionLog, values_match
from ._scheduler import MarbleScheduler

if TYPE_CHECKING:
    from .._services import ServiceProvider

__all__ = [
    "ColdObservable",
    "Expectation",
    "HotObservable",
    "InnerRecording",
    "MarbleAssertionError",
    "Marbles",
    "SubscriptionsExpectation",
    "marbles",
]

Values = Mapping[str, Any] | None
T = TypeVar("T")
# A diagram without values may hold no value marbles ("-#", "--|"): typed by
# what its context expects (a fake API's Observable[User]), else str.
Plain = TypeVar("Plain", default=str)
ErrorMarble = BaseException | type[BaseException] | None


class MarbleAssertionError(AssertionError):
    """A marble expectation failed.

    The message draws expected and actual as aligned diagrams, marks the
    frames that differ with ``^`` and lists what differs there.

    Attributes:
        diagram: The expected and actual lanes of the first failure, for
            display (``_repr_svg_``) or ``save()``; an observable named like a
            secret (``access_token``) is never drawn, as its values are not
            shown (``None`` when only such ones failed).
    """

    def __init__(self, message: str, diagram: Diagram | None = None) -> None:
        super().__init__(message)
        self.diagram = diagram


def _deliver(observer: abc.ObserverBase[Any], record: Record) -> None:
    if record.kind == "next":
        observer.on_next(record.value)
    elif record.kind == "error":
        observer.on_error(record.value)
    else:
        observer.on_completed()


def _last_frame(parsed: Parsed) -> int:
    """A diagram's last frame from its frame 0, trailing time included."""
    return max([parsed.end - 1, 0, *(r.frame for r in parsed.events)])


def _later(function: Callable[..., None], *args: Any) -> abc.ScheduledAction[Any]:
    """A scheduled action that calls ``function(*args)``."""

    def action(scheduler: abc.SchedulerBase, state: Any = None) -> None:
        function(*args)

    return action


@final
class ColdObservable(Observable[T], Generic[T]):
    """An observable that plays its diagram from each subscription.

    ``T`` is what ``values`` maps to. Without ``values`` each character
    stands for itself (``str``), or the diagram has no value at all
    (``"-#"``): it then types as what its context expects, so a fake API's
    ``Observable[User]`` accepts it.

    Attributes:
        records: The diagram's records; frames count from a subscription.
        subscriptions: One log per subscriber, frames counted from the frame
            this observable was created at.
    """

    def __init__(self, scheduler: MarbleScheduler, parsed: Parsed) -> None:
        super().__init__()
        self._scheduler = scheduler
        self._created = scheduler.frame
        self.diagram_text = parsed.text
        self.records: tuple[Record, ...] = parsed.events
        self.subscriptions: list[SubscriptionLog] = []
        # Its last frame, trailing '-' and time progressions included.
        self._last = _last_frame(parsed)

    def _subscribe_core(
        self,
        observer: abc.ObserverBase[Any],
        scheduler: abc.SchedulerBase | None = None,
    ) -> abc.DisposableBase:
        clock = self._scheduler
        start = clock.frame
        index = len(self.subscriptions)
        self.subscriptions.append(SubscriptionLog(start - self._created))
        pending = CompositeDisposable()

        clock.extend_horizon(start + self._last, subscribed_at=start, source=self)
        for record in self.records:
            pending.add(
                clock.schedule_at_frame(
                    start + record.frame,
                    _later(_deliver, observer, record),
                )
            )

        def unsubscribe() -> None:
            log = self.subscriptions[index]
            if log.unsubscribed is None:
                self.subscriptions[index] = SubscriptionLog(
                    log.subscribed, clock.frame - self._created
                )
            pending.dispose()

        return Disposable(unsubscribe)

    def __repr__(self) -> str:
        return f"<ColdObservable {self.diagram_text!r}>"


@final
class HotObservable(Observable[T], Generic[T]):
    """An observable that plays its diagram once, to whoever listens.

    ``T`` is what ``values`` maps to, as for :class:`ColdObservable`.

    Its ``^`` (or first character) is the frame it was created at; events
    before it are in the past and reach nobody. Once it has completed or
    failed, a late subscriber gets that end at once, as from a subject.

    Attributes:
        records: The diagram's records; frame 0 is the creation frame.
        subscriptions: One log per subscriber, frames counted from the frame
            this observable was created at.
    """

    def __init__(self, scheduler: MarbleScheduler, parsed: Parsed) -> None:
        super().__init__()
        self._scheduler = scheduler
        self._created = scheduler.frame
        self._observers: list[abc.ObserverBase[Any]] = []
        self._end: Record | None = None
        self.diagram_text = parsed.text
        self.records: tuple[Record, ...] = parsed.events
        self.subscriptions: list[SubscriptionLog] = []

        scheduler.extend_horizon(self._created + _last_frame(parsed))
        for record in self.records:
            if record.frame < 0:
                continue
            scheduler.schedule_at_frame(
                self._created + record.frame,
                _later(self._emit, record),
            )

    def _emit(self, record: Record) -> None:
        if self._end is not None:
            return
        if record.kind != "next":
            self._end = record
        for observer in list(self._observers):
            _deliver(observer, record)

    def _subscribe_core(
        self,
        observer: abc.ObserverBase[Any],
        scheduler: abc.SchedulerBase | None = None,
    ) -> abc.DisposableBase:
        clock = self._scheduler
        index = len(self.subscriptions)
        self.subscriptions.append(SubscriptionLog(clock.frame - self._created))
        if self._end is not None:
            _deliver(observer, self._end)
        else:
            self._observers.append(observer)

        def unsubscribe() -> None:
            if observer in self._observers:
                self._observers.remove(observer)
            log = self.subscriptions[index]
            if log.unsubscribed is None:
                self.subscriptions[index] = SubscriptionLog(
                    log.subscribed, clock.frame - self._created
                )

        return Disposable(unsubscribe)

    def __repr__(self) -> str:
        return f"<HotObservable {self.diagram_text!r}>"


@final
class InnerRecording:
    """An observable emitted as a value, recorded from the frame it arrived.

    An expectation records inner observables when its expected ``values``
    hold a cold observable: ``values={"x": m.cold("-a|")}`` then matches an
    emitted observable that does ``-a|`` from the frame it was emitted.

    Attributes:
        source: The emitted observable.
        records: What it did, frames counted from its emission.
    """

    def __init__(
        self,
        source: Observable[Any],
        scheduler: MarbleScheduler,
        owner: CompositeDisposable,
        *,
        emitted_at: int | None = None,
    ) -> None:
        self.source = source
        self.records: list[Record] = []
        start = scheduler.frame if emitted_at is None else emitted_at

        def add(kind: Kind, value: Any) -> None:
            self.records.append(Record(scheduler.frame - start, kind, value))

        owner.add(
            source.subscribe(
                on_next=lambda v: add("next", v),
                on_error=lambda e: add("error", e),
                on_completed=lambda: add("complete", None),
                scheduler=scheduler,
            )
        )

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ColdObservable):
            return list(other.records) == self.records
        if isinstance(other, InnerRecording):
            return self.records == other.records
        return other is self.source

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        try:
            drawn = to_marbles(self.records)
        except ValueError:
            drawn = repr(self.records)
        return f"<inner {drawn!r}>"


@final
class Expectation:
    """What an observable did since :meth:`Marbles.expect` subscribed to it.

    Attributes:
        subscribed_at: The virtual frame :meth:`Marbles.expect` was called
            at: the expected diagram's frame 0, and the subscription's
            unless a subscription diagram put it later.
        records: What arrived so far, frames counted from ``subscribed_at``.
    """

    def __init__(
        self,
        owner: Marbles,
        observable: Observable[Any],
        subscription: SubscriptionLog | None = None,
    ) -> None:
        self._owner = owner
        clock = owner.scheduler
        self.subscribed_at = clock.frame
        # Named first in each report: several failing expectations read alike.
        self._call = f"m.expect({_shown(observable, 80)}) at {_call_site()}"
        # A signal or query named like a secret (access_token): its values,
        # and the values expected of it, are never shown in a report.
        name = getattr(observable, "name", None)
        self._secret = isinstance(name, str) and looks_secret(name)
        self.records: list[Record] = []
        self._expected: Parsed | None = None
        self._values: dict[str, Any] = {}
        self._delay = 0 if subscription is None else subscription.subscribed
        self._unsubscribed = None if subscription is None else subscription.unsubscribed
        self._record_inner = False
        self._inner = CompositeDisposable()
        self._subscription = SerialDisposable()

        def subscribe() -> None:
            self._subscription.disposable = observable.subscribe(
                on_next=lambda v: self._add("next", v),
                on_error=lambda e: self._add("error", e),
                on_completed=lambda: self._add("complete", None),
                scheduler=clock,
            )

        if self._delay:
            clock.extend_horizon(self.subscribed_at + self._delay)
            self._subscription.disposable = clock.schedule_at_frame(
                self.subscribed_at + self._delay,
                lambda _s, _st: subscribe(),
                first=True,
            )
        else:
            subscribe()
        if self._unsubscribed is not None:
            self._unsubscribe_at(self._unsubscribed)

    def _unsubscribe_at(self, frame: int) -> None:
        clock = self._owner.scheduler
        clock.extend_horizon(self.subscribed_at + frame)
        clock.schedule_at_frame(
            self.subscribed_at + frame,
            lambda _s, _st: self._subscription.dispose(),
            first=True,
        )

    def _add(self, kind: Kind, value: Any) -> None:
        frame = self._owner.scheduler.frame - self.subscribed_at
        if self._record_inner and kind == "next" and isinstance(value, Observable):
            value = InnerRecording(value, self._owner.scheduler, self._inner)
        self.records.append(Record(frame, kind, value))

    def to_be(
        self, diagram: str, values: Values = None, error: ErrorMarble = None
    ) -> None:
        """Expect the observable to do what ``diagram`` draws.

        Frame 0 of the diagram is the subscription (or the diagram's ``^``);
        a ``!`` unsubscribes at the start of its frame. The check runs at
        ``flush()`` or when the ``marbles()`` block ends.

        Args:
            diagram: The expected marbles.
            values: What each value character stands for (compared with ``==``).
            error: What ``#`` stands for: an exception (same type and args
                expected) or an exception class (any instance of exactly it).

        Raises:
            MarbleSyntaxError: The diagram breaks the grammar.
            TypeError: The diagram is no string, or ``values`` no mapping.
            RuntimeError: ``to_be`` was already called on this expectation.
        """
        if self._expected is not None:
            raise RuntimeError(
                f"to_be() was already called for the expectation subscribed at"
                f" frame {self.subscribed_at}. Call marbles().expect(...) again"
                " for a second check."
            )
        parsed = parse(diagram, kind="expected", values=values, error=error)
        self._expected = parsed
        self._values = dict(values or {})

        clock = self._owner.scheduler
        clock.extend_horizon(self.subscribed_at + parsed.end - 1)
        self._watch_inner(parsed)

        if parsed.unsubscribed is not None:
            if self._unsubscribed is None or parsed.unsubscribed < self._unsubscribed:
                self._unsubscribed = parsed.unsubscribed
            self._unsubscribe_at(parsed.unsubscribed)

    def _watch_inner(self, parsed: Parsed) -> None:
        """Record emitted observables when cold diagrams are expected values."""
        clock = self._owner.scheduler
        for record in parsed.events:
            if isinstance(record.value, ColdObservable):
                self._record_inner = True
                inner_end = record.value._last
                clock.extend_horizon(self.subscribed_at + record.frame + inner_end)
        if not self._record_inner:
            return

        for index, record in enumerate(self.records):
            value = record.value
            if record.kind == "next" and isinstance(value, Observable):
                recording = InnerRecording(
                    value,
                    self._owner.scheduler,
                    self._inner,
                    emitted_at=self.subscribed_at + record.frame,
                )
                self.records[index] = Record(record.frame, "next", recording)

    @property
    def expected(self) -> tuple[Record, ...] | None:
        """The records the diagram given to :meth:`to_be` stands for."""
        return None if self._expected is None else self._expected.events

    @property
    def diagram(self) -> Diagram:
        """The expected and actual lanes on one axis, differing frames marked."""
        lanes = []
        expected = self._expected
        if expected is not None:
            lanes.append(
                Lane(
                    "expected",
                    expected.events,
                    None,
                    expected.unsubscribed,
                    0,
                    expected.end,
                    expected.tokens,
                )
            )
        ends = [r.frame + 1 for r in self.records]
        ends += [
            f + 1 for f in (self._delay or None, self._unsubscribed) if f is not None
        ]
        end = max([*ends, expected.end] if expected else ends, default=0)
        lanes.append(
            Lane(
                "actual",
                tuple(self.records),
                self._delay or None,
                self._unsubscribed,
                0,
                end,
                _letters_taken(self.records, expected),
            )
        )
        title = f"frame 0 = subscription at virtual frame {self.subscribed_at}"
        if self._delay:
            title = (
                f"frame 0 = virtual frame {self.subscribed_at};"
                f" subscribed at frame {self._delay}"
            )
        return Diagram(tuple(lanes), self._values, title, self.differing_frames())

    def differing_frames(self) -> tuple[int, ...]:
        """The frames where expected and actual records differ, in order."""
        expected = _by_frame(self.expected or ())
        actual = _by_frame(self.records)
        frames = sorted(expected.keys() | actual.keys())
        return tuple(f for f in frames if expected.get(f, []) != actual.get(f, []))

    def dispose(self) -> None:
        """Unsubscribe from the observable and the inner ones recorded."""
        self._subscription.dispose()
        self._inner.dispose()

    def verify(self) -> str | None:
        """Compare; the failure report, or ``None`` when expected matches actual."""
        if self._expected is None:
            return (
                f"{self._call}:\nmarbles().expect(...) subscribed at frame"
                f" {self.subscribed_at} was never given a diagram."
                " Call .to_be(diagram) on it."
            )
        if list(self._expected.events) == self.records:
            return None
        return f"{self._call}:\n{_report(self)}"


def _letters_taken(records: Sequence[Record], expected: Parsed | None) -> list[str]:
    """Draw an actual value equal to an expected one with the letter written.

    The letter written at the same frame wins (two letters may stand for
    equal values), else the first one written for an equal value; ``""``
    leaves the record to the labeler.
    """
    if expected is None:
        return []
    written = [
        (record, token)
        for record, token in zip(expected.events, expected.tokens, strict=True)
        if record.kind == "next"
    ]
    tokens = []
    for record in records:
        token = ""
        if record.kind == "next":
            same = [(e, t) for e, t in written if values_match(e.value, record.value)]
            here = [t for e, t in same if e.frame == record.frame]
            token = (here or [t for _, t in same] or [""])[0]
        tokens.append(token)
    return tokens


def _by_frame(records: Iterable[Record]) -> dict[int, list[Record]]:
    grouped: dict[int, list[Record]] = {}
    for record in records:
        grouped.setdefault(record.frame, []).append(record)
    return grouped


def _report(expectation: Expectation) -> str:
    diagram = expectation.diagram
    labels = diagram.labels()
    rows, columns = align(diagram.lanes, labels)
    expected_lane, actual_lane = diagram.lanes

    expected_at = _drawn_by_frame(expected_lane, labels)
    actual_at = _drawn_by_frame(actual_lane, labels)
    differing = diagram.marked
    carets = ""
    for frame in sorted(differing, key=columns.__getitem__):
        # ``under`` keeps tabs and wide labels lined up on screen.
        carets += under(rows[0][: columns[frame]])[len(carets) :] + "^"

    def describe(drawn: list[tuple[Record, str]], limit: int | None = 60) -> str:
        described = (
            f"{labels.symbol(r, t)} = {REDACTED}"
            if expectation._secret and r.kind != "complete"
            else labels.describe(r, t, limit=limit)
            for r, t in drawn
        )
        return ", ".join(described) or "nothing"

    lines = [
        "The marbles differ from the expected diagram.",
        _frame_zero(expectation) + " one frame is 1 ms.",
    ]
    written = expectation._expected.text if expectation._expected else ""
    if written.replace(" ", "") != rows[0].replace(" ", ""):
        # As typed, when drawn otherwise; its first mark under the drawn one
        # (a leading time progression is drawn after a space).
        indent = len(rows[0]) - len(rows[0].lstrip(" "))
        lines.append(f"  written   {' ' * indent}{written.lstrip(' ')}")
    lines += [
        f"  expected  {rows[0]}",
        f"  actual    {rows[1]}",
        f"            {carets}",
    ]
    for frame in differing:
        wanted, got = expected_at.get(frame, []), actual_at.get(frame, [])
        # Clipped texts that read the same would hide the difference.
        alike = _alike(wanted, got)
        limit = None if alike else 60
        lines.append(
            f"  frame {frame}: expected {describe(wanted, limit)};"
            f" actual {describe(got, limit)}"
        )
        if alike and expectation._secret:
            lines.append(
                f"  frame {frame}: the values differ; they are not shown:"
                " the observable's name looks secret."
            )
        elif alike:
            lines.append(f"  frame {frame}: {_first_difference(*alike)}")
    if not expectation._secret:
        lines += _relabelled(actual_at, expectation._values)
    # Only frames at or after where time stopped can be blamed on it.
    stop = expectation._owner.scheduler.frame - expectation.subscribed_at
    if any(f >= stop and expected_at.get(f) for f in differing):
        lines += _not_run(expectation)
    return "\n".join(lines)


def _alike(
    expected: list[tuple[Record, str]], actual: list[tuple[Record, str]]
) -> tuple[str, str] | None:
    """The first differing pair of values whose clipped texts read the same."""
    for (wanted, _), (got, _) in zip(expected, actual, strict=False):
        if wanted == got or wanted.kind != got.kind or wanted.kind == "complete":
            continue
        texts = shown_record(wanted), shown_record(got)
        if shorten(texts[0], 60) == shorten(texts[1], 60):
            return texts
    return None


def _first_difference(expected: str, actual: str) -> str:
    """Where two value texts part, with a little of each around it."""
    if expected == actual:
        return (
            "the values print the same but are not equal (==); give them a"
            " __repr__ that shows what __eq__ compares."
        )
    at = next(
        (i for i, (e, a) in enumerate(zip(expected, actual, strict=False)) if e != a),
        min(len(expected), len(actual)),
    )
    start = max(0, at - 10)

    def around(text: str) -> str:
        lead = "..." if start else ""
        return lead + shorten(text[start:], 30)

    return (
        f"the values first differ at character {at}:"
        f" expected {around(expected)}, actual {around(actual)}"
    )


def _drawn_by_frame(lane: Lane, labels: Labeler) -> dict[int, list[tuple[Record, str]]]:
    grouped: dict[int, list[tuple[Record, str]]] = {}
    for index, record in enumerate(lane.records):
        drawn = (record, lane.token(index, labels))
        grouped.setdefault(record.frame, []).append(drawn)
    return grouped


def _relabelled(
    actual_at: Mapping[int, list[tuple[Record, str]]], values: Mapping[str, Any]
) -> list[str]:
    """Say why a one-character actual value is drawn with another letter."""
    notes: dict[str, str] = {}
    for drawn in actual_at.values():
        for record, token in drawn:
            value = record.value
            if (
                record.kind == "next"
                and isinstance(value, str)
                and len(value) == 1
                and value != token
                and value in values
            ):
                notes.setdefault(
                    value,
                    f"  (actual {value!r} is drawn as {token}: {value} stands for"
                    f" {_shown(values[value])} in the values given to to_be)",
                )
    return list(notes.values())


def _shown(value: object, limit: int = 60) -> str:
    try:
        text = repr(masked(value))
    except Exception:  # an odd __repr__ must not break a failure report
        text = f"<{type(value).__name__}>"
    return shorten(text, limit)


def _call_site() -> str:
    """``file:line`` of the first caller outside this package, for reports."""
    here = os.path.dirname(__file__)
    frame = sys._getframe(1)
    while frame.f_back is not None and (
        os.path.dirname(frame.f_code.co_filename) == here
    ):
        frame = frame.f_back
    path = frame.f_code.co_filename
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        relative = path
    if not relative.startswith(os.pardir):
        path = relative
    return f"{path}:{frame.f_lineno}"


def _not_run(expectation: Expectation) -> list[str]:
    """Say where virtual time stopped when work was left for later."""
    clock = expectation._owner.scheduler
    following = clock.next_frame()
    if following is None:
        return []
    at = expectation.subscribed_at
    return [
        f"Virtual time stopped at frame {clock.frame - at}, the end of the"
        f" longest diagram; work due later (the next at frame {following - at})"
        " was not run. Draw the expected diagram up to then (a time"
        " progression such as ' 5ms ' counts frames), or m.advance() before"
        " checking."
    ]


def _frame_zero(expectation: Expectation) -> str:
    at = expectation.subscribed_at
    if expectation._delay:
        return (
            f"Frame 0 is virtual frame {at}; it subscribed at frame"
            f" {expectation._delay} (^);"
        )
    return f"Frame 0 is its subscription at virtual frame {at};"


@final
class SubscriptionsExpectation:
    """Subscription logs of a cold or hot observable, checked at flush."""

    def __init__(self, logs: list[SubscriptionLog]) -> None:
        self._logs = logs
        self._expected: tuple[SubscriptionLog, ...] | None = None
        self._diagrams: tuple[str, ...] = ()
        self._call = f"m.expect_subscriptions(...) at {_call_site()}"

    def to_be(self, *diagrams: str | Sequence[str]) -> None:
        """Expect one subscription per diagram, in subscription order.

        Each diagram draws one subscriber: ``^`` where it subscribed and
        ``!`` where it left (no ``!``: still subscribed), frames counted
        from the frame the observable was created at. No diagram at all
        expects no subscription. The diagrams may also come as one list,
        as RxJS's ``expectSubscriptions(...).toBe([...])`` takes them.

        Raises:
            MarbleSyntaxError: A diagram breaks the grammar or has no ``^``.
            TypeError: A diagram is not a string.
        """
        if len(diagrams) == 1 and isinstance(diagrams[0], list | tuple):
            diagrams = tuple(diagrams[0])
        for diagram in diagrams:
            if not isinstance(diagram, str):
                raise TypeError(
                    "expect_subscriptions(...).to_be() takes diagrams as strings,"
                    f" got {type(diagram).__name__}. Pass one diagram per"
                    " subscriber, such as '^--!', or one list of them."
                )
        texts = tuple(d for d in diagrams if isinstance(d, str))
        self._expected = tuple(parse_subscription(d) for d in texts)
        self._diagrams = texts

    def verify(self) -> str | None:
        """The failure report, or ``None`` when the logs match."""
        if self._expected is None:
            return (
                f"{self._call}:\nmarbles().expect_subscriptions(...) was never"
                " given a diagram. Call .to_be('^--!') on it."
            )
        actual = tuple(self._logs)
        if actual == self._expected:
            return None
        lines = [
            f"{self._call}:",
            "The subscriptions differ from the expected ones"
            " (frames count from the observable's creation; one frame is 1 ms).",
        ]
        count = max(len(self._expected), len(actual), 1)
        for i in range(count):
            wanted = self._expected[i] if i < len(self._expected) else None
            got = actual[i] if i < len(actual) else None
            if count > 1:
                lines.append(f"  subscriber {i + 1}:")
            lines += _subscription_rows(wanted, got)
        return "\n".join(lines)


def _subscription_rows(
    expected: SubscriptionLog | None, actual: SubscriptionLog | None
) -> list[str]:
    """One subscriber's expected and actual rows, differing frames marked."""
    logs = [log for log in (expected, actual) if log is not None]
    lanes = [Lane("", (), log.subscribed, log.unsubscribed, 0, None) for log in logs]
    drawn, columns = align(lanes, Labeler()) if lanes else ([], {})
    rows = iter(drawn)
    expected_row = "(none)" if expected is None else next(rows)
    actual_row = "(none)" if actual is None else next(rows)
    differing: set[int] = set()
    for field in ("subscribed", "unsubscribed"):
        frames: set[int | None] = {
            getattr(log, field) if log else None for log in (expected, actual)
        }
        if len(frames) > 1:
            differing |= {f for f in frames if f is not None}
    carets = ""
    for column in sorted(columns[f] for f in differing):
        carets = carets.ljust(column) + "^"
    lines = [f"  expected  {expected_row}", f"  actual    {actual_row}"]
    if carets:
        lines.append(f"            {carets}")
    return lines


@final
class Marbles:
    """A marble test on virtual time; use it through :func:`marbles`.

    Once its ``with`` block has ended, building sources, expecting, moving
    time and making providers raise ``RuntimeError``.

    Attributes:
        scheduler: The virtual-time scheduler every observable and service
            in the test should run on.
    """

    def __init__(self) -> None:
        self.scheduler = MarbleScheduler()
        self._expectations: list[Expectation] = []
        self._subscription_checks: list[SubscriptionsExpectation] = []
        self._all: list[Expectation] = []
        self._providers: list[ServiceProvider] = []
        self._closed = False
        self._undo_default_timers: Callable[[], None] = lambda: None

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError(
                "This marbles() block has ended: its expectations were checked"
                " and its providers disposed. Start a new `with marbles() as m:`"
                " block for more."
            )

    @overload
    def cold(
        self, diagram: str, values: None = None, error: ErrorMarble = None
    ) -> ColdObservable[Plain]: ...

    @overload
    def cold(
        self, diagram: str, values: Mapping[str, T], error: ErrorMarble = None
    ) -> ColdObservable[T]: ...

    def cold(
        self, diagram: str, values: Values = None, error: ErrorMarble = None
    ) -> ColdObservable[Any]:
        """A cold observable: each subscriber sees the diagram from frame 0.

        Args:
            diagram: Marbles without ``^`` or ``!``.
            values: What each value character stands for; a character not
                in it stands for itself.
            error: The exception ``#`` raises (default ``Exception("error")``);
                a class is instantiated without arguments.

        Raises:
            MarbleSyntaxError: The diagram breaks the grammar.
            TypeError: The diagram is no string, or ``values`` no mapping.
        """
        self._check_open()
        return ColdObservable(
            self.scheduler, parse(diagram, kind="cold", values=values, error=error)
        )

    @overload
    def hot(
        self, diagram: str, values: None = None, error: ErrorMarble = None
    ) -> HotObservable[Plain]: ...

    @overload
    def hot(
        self, diagram: str, values: Mapping[str, T], error: ErrorMarble = None
    ) -> HotObservable[T]: ...

    def hot(
        self, diagram: str, values: Values = None, error: ErrorMarble = None
    ) -> HotObservable[Any]:
        """A hot observable: it plays the diagram once, whoever listens.

        Its ``^`` (or its first character when it has none) is the current
        frame; events before ``^`` are in the past.

        Raises:
            MarbleSyntaxError: The diagram breaks the grammar.
            TypeError: The diagram is no string, or ``values`` no mapping.
        """
        self._check_open()
        return HotObservable(
            self.scheduler, parse(diagram, kind="hot", values=values, error=error)
        )

    def expect(
        self, observable: Observable[Any], subscription: str | None = None
    ) -> Expectation:
        """Subscribe to ``observable`` now; finish with ``.to_be(diagram)``.

        Args:
            observable: What to watch.
            subscription: As RxJS's ``expectObservable(obs, "^--!")``: a
                subscription diagram whose ``^`` puts the subscription
                later (none: now) and whose ``!`` ends it, counted from
                now. The expected diagram's frame 0 stays now.

        Raises:
            TypeError: ``observable`` cannot be subscribed to, such as a
                signal's value read through its descriptor (pass
                ``signal_of(obj, "name")``), or ``subscription`` is no string.
            MarbleSyntaxError: ``subscription`` breaks the grammar or has
                no ``^``.
        """
        self._check_open()
        check_observable(observable, "marbles().expect()")
        log = (
            None
            if subscription is None
            else parse_subscription(subscription, require_caret=False)
        )
        if subscription is not None:
            # Its trailing frames count toward the flush horizon too.
            drawn = parse(subscription, kind="subscription", require_caret=False)
            last = (drawn.subscribed or 0) + drawn.end - 1
            self.scheduler.extend_horizon(self.scheduler.frame + last)
        expectation = Expectation(self, observable, log)
        self._expectations.append(expectation)
        self._all.append(expectation)
        return expectation

    def expect_subscriptions(
        self, logs: list[SubscriptionLog]
    ) -> SubscriptionsExpectation:
        """Check a cold or hot observable's ``subscriptions`` at flush.

        >>> with marbles() as m:
        ...     source = m.cold("--a--b--|")
        ...     m.expect(source).to_be("--a--b--|")
        ...     m.expect_subscriptions(source.subscriptions).to_be("^-------!")
        """
        self._check_open()
        check = SubscriptionsExpectation(logs)
        self._subscription_checks.append(check)
        return check

    def time(self, diagram: str) -> int:
        """The frames up to ``|`` in ``diagram``: ``m.time("---|") == 3``.

        Raises:
            MarbleSyntaxError: The diagram breaks the grammar or has no ``|``.
        """
        return parse_time(diagram)

    def advance(self, time: int | str | timedelta) -> None:
        """Run virtual time forward without checking expectations.

        Args:
            time: Frames (``int``), a time progression (``"10ms"``,
                ``"1.5s"``, ``"5f"``) or a ``timedelta``.

        Raises:
            MarbleSyntaxError: ``time`` is a string but no time progression.
            ValueError: ``time`` is negative.
        """
        self._check_open()
        frames = _frames(time, self.scheduler)
        if frames < 0:
            raise ValueError(
                f"Cannot advance virtual time by {frames} frames."
                " Virtual time only moves forward; pass a positive span."
            )
        self.scheduler.advance_to_frame(self.scheduler.frame + frames)

    def flush(self) -> None:
        """Run virtual time to the end of every diagram, then check.

        Work due up to the horizon runs: the last frame of every cold, hot
        and expected diagram in play, trailing ``-`` and time progressions
        included. A cold observable subscribed at or before the horizon
        extends it to its own last frame, again and again until it stops
        growing. Later work stays scheduled, so an ``interval`` cannot keep
        it going, and an endless ``repeat()`` of a cold observable raises
        once it has grown the horizon ``MAX_HORIZON_EXTENSIONS`` (1,000)
        times. Then every pending ``to_be`` is checked.

        Raises:
            MarbleAssertionError: An expectation failed; all failures are in
                the message.
            RuntimeError: Something rescheduled itself endlessly at one frame,
                or re-subscribed a cold observable endlessly at the horizon
                (end such an expectation with ``!``).
        """
        __tracebackhide__ = True  # pytest shows the test's line, not this one
        self._check_open()
        self.scheduler.run_to_horizon()

        expectations, self._expectations = self._expectations, []
        checks, self._subscription_checks = self._subscription_checks, []
        failures: list[str] = []
        diagram = None
        for expectation in expectations:
            report = expectation.verify()
            if report is not None:
                failures.append(report)
                if not expectation._secret:  # its drawing describes each value
                    diagram = diagram or expectation.diagram
        failures += [r for r in (c.verify() for c in checks) if r is not None]
        if failures:
            raise MarbleAssertionError("\n\n".join(failures), diagram)

    def provider(
        self,
        services: Iterable[type] = (),
        values: Mapping[Any, Any] | None = None,
        *,
        parent: ServiceProvider | None = None,
        name: str | None = None,
    ) -> ServiceProvider:
        """A ``ServiceProvider`` whose services run on this test's virtual time.

        Its services receive :attr:`scheduler` as their ``SchedulerBase``, so
        their timers, retries and timeouts run in frames. The provider is
        disposed when the ``marbles()`` block ends, after the checks; use it
        as a context manager as well when code inside calls ``use_service``.

        Args:
            services: The service classes it registers.
            values: Named values and instances, as for ``ServiceProvider``.
            parent: The parent provider (default: the enclosing one).
            name: Its label in errors and reprs.
        """
        self._check_open()
        from .._services import ServiceProvider

        provider = ServiceProvider(
            services=list(services),
            values=dict(values or {}),
            parent=parent,
            scheduler=self.scheduler,
            name=name,
        )
        self._providers.append(provider)
        return provider

    def dispose(self) -> None:
        """Unsubscribe every expectation, then dispose the providers made here.

        Raises:
            DisposeError: A provider's dispose callbacks raised.
        """
        for expectation in self._all:
            expectation.dispose()
        providers, self._providers = self._providers, []
        for provider in reversed(providers):
            provider.dispose()

    def __enter__(self) -> Marbles:
        self._undo_default_timers = _default_timers_on(self.scheduler)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        __tracebackhide__ = True  # pytest shows the test's line, not this one
        try:
            if exc_type is None:
                self.flush()
        finally:
            self._closed = True
            try:
                self.dispose()
            finally:
                self._undo_default_timers()

    def __repr__(self) -> str:
        return f"<Marbles frame={self.scheduler.frame}>"

    def __del__(self) -> None:
        # A test that builds expectations without the ``with`` block and
        # never flushes would pass however wrong it is: say so.
        unchecked = len(getattr(self, "_expectations", ())) + len(
            getattr(self, "_subscription_checks", ())
        )
        if unchecked and not getattr(self, "_closed", True):
            warnings.warn(
                f"A marbles() test was dropped with {unchecked} expectation(s)"
                " never checked. Use `with marbles() as m:`, or call m.flush()"
                " before the test ends.",
                RuntimeWarning,
                stacklevel=2,
            )


def _default_timers_on(scheduler: MarbleScheduler) -> Callable[[], None]:
    """Make ``scheduler`` reactivex's default for timed work; return the undo.

    Operators and factories given no scheduler (``timer``, ``delay``,
    ``debounce``, ``interval``, ...) ask ``TimeoutScheduler.singleton()``
    when they are subscribed, as RxJS's ``run`` makes its ``asyncScheduler``
    virtual. The undo puts back whatever was there, so blocks nest.
    """
    saved = TimeoutScheduler.__dict__["singleton"]

    def singleton(cls: type[TimeoutScheduler]) -> abc.SchedulerBase:
        return scheduler

    setattr(TimeoutScheduler, "singleton", classmethod(singleton))  # noqa: B010

    def undo() -> None:
        setattr(TimeoutScheduler, "singleton", saved)  # noqa: B010

    return undo


def _frames(time: int | str | timedelta, scheduler: MarbleScheduler) -> int:
    if isinstance(time, timedelta):
        return scheduler.to_frames(time)
    if isinstance(time, str):
        frames = progression_frames(time.strip())
        if frames is None:
            raise MarbleSyntaxError(
                f"{time!r} is not a time progression."
                " Write a whole number of frames such as '10ms', '1.5s', '2m' or '5f'.",
                time,
                0,
            )
        return frames
    return time


def marbles() -> Marbles:
    """Start a marble test: ``with marbles() as m: ...``.

    Leaving the block without an error flushes and checks every
    expectation; leaving it either way unsubscribes them and disposes the
    providers made with ``m.provider(...)``. Inside the block, reactivex's
    default scheduler for timed work (``TimeoutScheduler.singleton()``) is
    ``m.scheduler``, so a timer given no scheduler runs on virtual time too,
    in every thread.
    """
    return Marbles()
