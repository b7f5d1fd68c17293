"""Records back to diagrams: ``to_marbles``, aligned lanes and ``Diagram``.

Text rendering keeps two rules: the same frame is the same column in every
lane, so two diagrams printed one above the other show at a glance where
they part; and every row reads back as a diagram of its lane, so an actual
row can be pasted into a test (the frames a group spans are left blank).
A run of quiet frames longer than ``QUIET_RUN`` in every lane is written as
a time progression such as `` 250ms ``.

>>> from impact_rx.testing import Record
>>> to_marbles([Record(2, "next", "a"), Record(3, "next", 10), Record(40, "complete")])
'--ab 36ms |'
>>> to_marbles([Record(1, "next", 10)], values={"t": 10})
'-t'
"""

from __future__ import annotations

import bisect
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, final

from .._redact import masked, shorten
from ._records import Record, values_match

__all__ = ["QUIET_RUN", "Diagram", "Labeler", "Lane", "align", "to_marbles"]

#: Quiet frames in a row that are written as a time progression instead.
QUIET_RUN = 20

_FRESH = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def _same(a: object, b: object) -> bool:
    return values_match(a, b)


class Labeler:
    """Gives every value a one-character label for a diagram.

    A value in ``values`` gets its key, a one-character letter or digit
    string is its own label, anything else gets the next free letter. Pass
    the records to be drawn so that free letters avoid the values that are
    their own labels.

    >>> labels = Labeler({"u": "user"})
    >>> labels.label("user"), labels.label("x"), labels.label(42), labels.label(42)
    ('u', 'x', 'a', 'a')
    >>> labels.legend
    {'u': 'user', 'x': 'x', 'a': 42}
    """

    def __init__(
        self, values: Mapping[str, Any] | None = None, records: Iterable[Record] = ()
    ) -> None:
        self._values = dict(values or {})
        self._used: set[str] = set(self._values)
        self._assigned: list[tuple[Any, str]] = []
        self._hashed: dict[Any, str] = {}
        self._legend: dict[str, Any] = {}
        for record in records:
            if record.kind == "next" and self._is_own_label(record.value):
                self.label(record.value)

    def _is_own_label(self, value: Any) -> bool:
        is_char = isinstance(value, str) and len(value) == 1 and value.isalnum()
        return is_char and value not in self._used

    def label(self, value: Any) -> str:
        """The label of ``value``, assigning a fresh one the first time."""
        for key, known in self._values.items():
            if _same(known, value):
                self._legend[key] = known
                return key
        try:
            return self._hashed[value]
        except (KeyError, TypeError):
            pass
        for known, key in self._assigned:
            if _same(known, value):
                return key

        key = self._fresh(value)
        self._used.add(key)
        try:
            self._hashed[value] = key
        except TypeError:  # unhashable: compared one by one
            self._assigned.append((value, key))
        self._legend[key] = value
        return key

    def _fresh(self, value: Any) -> str:
        if self._is_own_label(value):
            return str(value)
        for key in _FRESH:
            if key not in self._used:
                return key
        return "?"

    def token(self, record: Record) -> str:
        """The character a record is drawn with."""
        if record.kind == "complete":
            return "|"
        if record.kind == "error":
            return "#"
        return self.label(record.value)

    def describe(
        self, record: Record, token: str = "", *, limit: int | None = 60
    ) -> str:
        """A short human description of one record, for value tables.

        Args:
            record: The record.
            token: The character it is drawn with, when the diagram's author
                chose it; else its label.
            limit: The longest value text shown (``None``: in full).
        """
        if record.kind == "complete":
            return "| (complete)"
        return f"{self.symbol(record, token)} = {_clip(shown_record(record), limit)}"

    def symbol(self, record: Record, token: str = "") -> str:
        """The character a record is drawn with: ``token``, else its own."""
        if record.kind == "next":
            return token or self.label(record.value)
        return "|" if record.kind == "complete" else "#"

    @property
    def legend(self) -> dict[str, Any]:
        """Every label handed out so far, with its value."""
        return dict(self._legend)


def _repr(value: object) -> str:
    # As every repr of the library: a mapping's secret-named values hidden.
    try:
        return repr(masked(value))
    except Exception:  # an odd __repr__ must not break a failure report
        return f"<{type(value).__name__} whose repr raised>"


def shown_record(record: Record) -> str:
    """The text of a record's value or error, unclipped."""
    error = record.value
    if record.kind == "error" and isinstance(error, type):
        return f"any {error.__name__}"
    return _repr(error)


def _clip(text: str, limit: int | None = 60) -> str:
    if limit is None or len(text) <= limit:
        return text
    return shorten(text, limit)


@final
@dataclass(frozen=True)
class Lane:
    """One stream in a diagram.

    Attributes:
        name: The lane's label, e.g. ``"expected"`` or ``"actual"``.
        records: What the stream did; frames share one axis across lanes.
        subscribed: Frame of the subscription (drawn ``^``), or ``None``.
        unsubscribed: Frame of the unsubscription (drawn ``!``), or ``None``.
        start: The first frame drawn.
        end: The frame after the last one drawn (``None``: just after the
            last mark).
        tokens: The character to draw each record with, in the order of
            ``records`` (an expected diagram's own letters); ``""`` or a
            missing entry leaves it to the labeler.
    """

    name: str
    records: Sequence[Record] = ()
    subscribed: int | None = None
    unsubscribed: int | None = None
    start: int = 0
    end: int | None = None
    tokens: Sequence[str] = ()

    def token(self, index: int, labels: Labeler) -> str:
        """The character record ``index`` is drawn with."""
        if index < len(self.tokens) and self.tokens[index]:
            return self.tokens[index]
        return labels.token(self.records[index])

    def marks_by_frame(self, labels: Labeler) -> dict[int, list[str]]:
        """The characters drawn at each frame, in order."""
        marks: dict[int, list[str]] = {}
        if self.subscribed is not None:
            marks.setdefault(self.subscribed, []).append("^")
        for index, record in enumerate(self.records):
            marks.setdefault(record.frame, []).append(self.token(index, labels))
        if self.unsubscribed is not None:
            marks.setdefault(self.unsubscribed, []).append("!")
        return marks

    def stop(self) -> int | None:
        """The frame after which the lane is silent: its end or ``!``."""
        stops = [r.frame for r in self.records if r.kind != "next"]
        if self.unsubscribed is not None:
            stops.append(self.unsubscribed)
        return min(stops) if stops else None

    def last_frame(self) -> int:
        """The frame after the lane's last drawn frame."""
        if self.end is not None:
            return self.end
        frames = [r.frame for r in self.records]
        frames += [f for f in (self.subscribed, self.unsubscribed) if f is not None]
        return max(frames, default=self.start - 1) + 1


def _cell(tokens: list[str]) -> str:
    if not tokens:
        return "-"
    if len(tokens) == 1:
        return tokens[0]
    return "(" + "".join(tokens) + ")"


def align(lanes: Sequence[Lane], labels: Labeler) -> tuple[list[str], dict[int, int]]:
    """Draw lanes one per row so that one frame is one column in all of them.

    Each row also reads back as a diagram of its lane: as in the grammar, a
    group such as ``(ab)`` spans one frame per character, so the frames it
    covers are drawn blank in its row (spaces take no time) instead of ``-``.

    Returns:
        The rows (trailing spaces stripped) and the column of each frame
        that has a mark in some lane.
    """
    marks = [lane.marks_by_frame(labels) for lane in lanes]
    stops = [lane.stop() for lane in lanes]
    lasts = [lane.last_frame() for lane in lanes]
    lo = min((lane.start for lane in lanes), default=0)
    hi = max(lasts, default=0)
    rows = [""] * len(lanes)
    # Frames a lane's last group still covers: drawn blank, not as '-'.
    covered = [0] * len(lanes)
    columns: dict[int, int] = {}

    busy = sorted({f for m in marks for f in m})
    frame = lo
    while frame < hi:
        following = bisect.bisect_left(busy, frame)
        quiet_until = busy[following] if following < len(busy) else hi
        span = quiet_until - frame
        if span >= QUIET_RUN:
            gaps = []
            for i, lane in enumerate(lanes):
                shown = _showing(lane.start, lasts[i], stops[i], frame)
                passed = span - min(covered[i], span)
                covered[i] -= span - passed
                gaps.append(f" {passed}ms " if shown and passed else "")
            width = max(len(g) for g in gaps)
            for i, gap in enumerate(gaps):
                rows[i] += gap.ljust(width)
            frame = quiet_until
            continue

        cells = []
        for i, lane in enumerate(lanes):
            tokens = marks[i].get(frame, [])
            if tokens:
                cells.append(_cell(tokens))
                covered[i] = len(cells[-1]) - 1
            elif covered[i]:
                cells.append("")
                covered[i] -= 1
            elif _showing(lane.start, lasts[i], stops[i], frame):
                cells.append("-")
            else:
                cells.append(" ")
        width = max(len(c) for c in cells)
        if any(frame in m for m in marks):
            columns[frame] = len(rows[0])
        for i, cell in enumerate(cells):
            rows[i] += cell.ljust(width)
        frame += 1

    return [row.rstrip() for row in rows], columns


def _showing(start: int, last: int, stop: int | None, frame: int) -> bool:
    if frame < start or frame >= last:
        return False
    return stop is None or frame < stop


def to_marbles(
    records: Iterable[Record], *, values: Mapping[str, Any] | None = None
) -> str:
    """Write records as a diagram that reads back to the same records.

    Values found in ``values`` are written with their key, one-character
    strings as themselves, anything else with a free letter. Records before
    frame 0 (a hot observable's past) put ``^`` at frame 0. Long quiet runs
    become time progressions.

    Args:
        records: Records in frame order, e.g. from :func:`record`.
        values: Labels for values, as given to ``cold`` or ``to_be``.

    Returns:
        The diagram.

    Raises:
        ValueError: A group is wider than the gap to the next frame with
            events, so one-character-per-frame cannot draw it: RxJS's rule
            that ``(ab)`` takes four frames.

    >>> to_marbles(
    ...     [Record(0, "next", "a"), Record(0, "next", "b"), Record(4, "complete")]
    ... )
    '(ab)|'
    """
    ordered = sorted(records, key=lambda r: r.frame)
    labels = Labeler(values, ordered)
    marks: dict[int, list[str]] = {}
    for record in ordered:
        marks.setdefault(record.frame, []).append(labels.token(record))
    if marks and min(marks) < 0:
        marks.setdefault(0, []).insert(0, "^")

    text = ""
    position = min(0, min(marks, default=0))
    for frame in sorted(marks):
        if frame < position:
            raise ValueError(
                f"Cannot draw the events at frame {frame} one character per"
                " frame: the group before it is wider than the gap."
                " Compare the records themselves, or spread the events apart."
            )
        gap = frame - position
        if gap >= QUIET_RUN:
            text += f" {gap}ms "
        else:
            text += "-" * gap
        cell = _cell(marks[frame])
        text += cell
        position = frame + len(cell)
    return text.strip()


@final
@dataclass(frozen=True)
class Diagram:
    """Streams drawn on one time axis: text with ``str()``, SVG in Jupyter.

    Build one from records (:meth:`from_records`), or read
    ``Expectation.diagram`` and ``MarbleAssertionError.diagram``, which hold
    the expected and actual lanes.

    Attributes:
        lanes: The streams, top to bottom.
        values: Labels for values, shared by all lanes.
        title: A caption drawn above the lanes.
        marked: Frames to flag across all lanes, e.g. where expected and
            actual differ.

    >>> print(Diagram.from_records([Record(1, "next", "a"), Record(3, "complete")]))
    actual  -a-|
    """

    lanes: tuple[Lane, ...]
    values: Mapping[str, Any] = field(default_factory=dict)
    title: str = ""
    marked: tuple[int, ...] = ()

    @classmethod
    def from_records(
        cls,
        records: Iterable[Record],
        *,
        name: str = "actual",
        values: Mapping[str, Any] | None = None,
        title: str = "",
    ) -> Diagram:
        """A one-lane diagram of what an observable did.

        Records before frame 0 (a hot diagram's past) are drawn too, with
        ``^`` at frame 0 as in the diagram (and in :func:`to_marbles`).
        """
        kept = tuple(records)
        start = min([0, *(r.frame for r in kept)])
        subscribed = 0 if start < 0 else None
        lane = Lane(name, kept, subscribed, start=start)
        return cls((lane,), dict(values or {}), title)

    def labels(self) -> Labeler:
        """A fresh labeler for this diagram's values and records."""
        records = [r for lane in self.lanes for r in lane.records]
        return Labeler(self.values, records)

    def __str__(self) -> str:
        rows, _ = align(self.lanes, self.labels())
        width = max((len(lane.name) for lane in self.lanes), default=0)
        lines = [
            f"{lane.name.ljust(width)}  {row}"
            for lane, row in zip(self.lanes, rows, strict=True)
        ]
        if self.title:
            lines.insert(0, self.title)
        return "\n".join(line.rstrip() for line in lines)

    def to_svg(self) -> str:
        """The diagram as a standalone SVG document."""
        from ._svg import render_svg

        return render_svg(self)

    def _repr_svg_(self) -> str:
        return self.to_svg()

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the diagram as SVG to ``path``."""
        with open(path, "w", encoding="utf-8") as file:
            file.write(self.to_svg())
