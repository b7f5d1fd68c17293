"""The marble grammar: one character per frame, read into records.

=========  ============================================================
``-``      one frame (1 ms of virtual time) passes
``a``      a value: a letter or digit, looked up in ``values=`` (else the
           character itself); it takes one frame
``|``      completion                     ``#``  error (``error=``)
``^``      subscription point of a hot or expected diagram: frame 0;
           frames before it are negative
``!``      unsubscription (expected and subscription diagrams)
``(ab)``   events in the same frame, the frame of ``(``; as in RxJS the
           group still takes one frame per character, ``(ab)`` four
`` ``      spaces align diagrams and take no time
``10ms``   a time progression between spaces (or a diagram's ends):
           ``f`` frames, ``ms``, ``s``, ``m`` minutes; decimals allowed
           while the span is whole frames (``1.5s``, not ``1.5ms``)
=========  ============================================================

>>> for record in parse("-a-(bc)-|").events:
...     print(record)
Record(1, 'next', 'a')
Record(3, 'next', 'b')
Record(3, 'next', 'c')
Record(8, 'complete')
>>> [r.frame for r in parse("a 1.5s b").events]
[0, 1501]
>>> [r.frame for r in parse("-x-^-y", kind="hot").events]
[-2, 2]
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, final

from .._errors import MarbleSyntaxError
from ._records import Kind, Record, SubscriptionLog

__all__ = [
    "DiagramKind",
    "Parsed",
    "default_error",
    "parse",
    "parse_subscription",
    "parse_time",
    "progression_frames",
]

DiagramKind = Literal["cold", "hot", "expected", "subscription", "time"]

_PROGRESSION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|f)(?= |$)")
_UNIT_FRAMES = {
    "f": Decimal(1),
    "ms": Decimal(1),
    "s": Decimal(1000),
    "m": Decimal(60000),
}

_NO_SUBSCRIPTION_POINT = {
    "cold": " A cold observable starts when subscribed;"
    " only hot, expected and subscription diagrams mark a subscription point.",
    "time": " A time diagram measures a span; mark its end with '|'.",
}
_NO_UNSUBSCRIPTION = (
    " Only expected and subscription diagrams mark an unsubscription;"
    " to stop a subscriber, put '!' in the diagram passed to to_be()."
)


def default_error() -> Exception:
    """The exception ``#`` stands for when no ``error=`` is given."""
    return Exception("error")


def progression_frames(text: str) -> int | None:
    """The frames a time progression such as ``10ms`` spans, else ``None``.

    >>> progression_frames("1.5s"), progression_frames("3f"), progression_frames("x")
    (1500, 3, None)
    """
    match = _PROGRESSION.fullmatch(text)
    if match is None:
        return None
    frames = Decimal(match.group(1)) * _UNIT_FRAMES[match.group(2)]
    return int(frames) if frames == frames.to_integral_value() else None


@final
@dataclass(frozen=True, slots=True)
class Parsed:
    """A diagram read into records.

    Frames count from the diagram's frame 0: its ``^`` when it has one, else
    its first character.

    Attributes:
        text: The diagram as written.
        events: The notifications, in diagram order.
        subscribed: Frame of ``^`` counted from the first character, or ``None``.
        unsubscribed: Frame of ``!``, or ``None``.
        start: Frame of the first character (``-subscribed`` or 0).
        end: The frame just after the diagram's last frame.
        tokens: The character written for each event, in the same order.
    """

    text: str
    events: tuple[Record, ...]
    subscribed: int | None
    unsubscribed: int | None
    start: int
    end: int
    tokens: tuple[str, ...] = ()


@dataclass(slots=True)
class _Reader:
    """The parser's position while it walks one diagram."""

    text: str
    kind: DiagramKind
    require_caret: bool = True
    frame: int = 0
    group_column: int | None = None
    group_frame: int = 0
    group_width: int = 0
    group_size: int = 0
    end_column: int | None = None
    subscription_column: int | None = None
    subscription_frame: int | None = None
    unsubscription_column: int | None = None
    unsubscription_frame: int | None = None

    def fail(self, column: int, message: str) -> MarbleSyntaxError:
        return MarbleSyntaxError(message, self.text, column)

    def here(self) -> int:
        return self.group_frame if self.group_column is not None else self.frame

    def take_frame(self) -> None:
        if self.group_column is None:
            self.frame += 1
        else:
            self.group_size += 1


def parse(
    text: str,
    *,
    kind: DiagramKind = "cold",
    values: Mapping[str, Any] | None = None,
    error: BaseException | type[BaseException] | None = None,
    require_caret: bool = True,
) -> Parsed:
    """Read a marble diagram.

    Args:
        text: The diagram.
        kind: Which marks are allowed: ``cold`` (values, ``|``, ``#``),
            ``hot`` (also ``^``), ``expected`` (also ``!``),
            ``subscription`` (only ``-``, ``^``, ``!``) or ``time``.
        values: What each value character stands for.
        error: What ``#`` stands for (default: ``Exception("error")``).
        require_caret: Whether a subscription diagram must mark ``^``;
            without it, one without ``^`` subscribes at frame 0.

    Returns:
        The records and marks of the diagram.

    Raises:
        MarbleSyntaxError: The diagram breaks the grammar; the message marks
            the column.
        TypeError: The diagram is not a string, or ``values`` not a mapping.
        ValueError: A key of ``values`` is not one letter or digit.
    """
    _check_types(text, values, kind)
    reader = _Reader(text, kind, require_caret)
    events: list[tuple[int, Record]] = []
    lookup = values or {}
    _check_keys(lookup, kind)
    failure = default_error() if error is None else error

    column = 0
    while column < len(text):
        char = text[column]
        if char == " ":
            column += 1
            continue

        progression = _progression_at(reader, column)
        if progression is not None:
            column = progression
            continue

        _read_mark(reader, column, events, lookup, failure)
        column += 1

    return _finish(reader, events)


_EXAMPLES: dict[DiagramKind, str] = {
    "cold": "-a-b-|",
    "hot": "-a-^-b-|",
    "expected": "-a-b-|",
    "subscription": "^---!",
    "time": "---|",
}


def _check_types(text: object, values: object, kind: DiagramKind) -> None:
    if not isinstance(text, str):
        raise TypeError(
            f"The {kind} diagram must be a string of marbles,"
            f" got {type(text).__name__}."
            f" Write it as text, such as {_EXAMPLES[kind]!r}."
        )
    if values is not None and not isinstance(values, Mapping):
        raise TypeError(
            f"The values of the {kind} diagram are a mapping from marble"
            f" characters to values, got {type(values).__name__}."
            " Write values={'a': 1}."
        )


def _check_keys(values: Mapping[Any, Any], kind: DiagramKind) -> None:
    for key in values:
        if not (isinstance(key, str) and len(key) == 1 and key.isalnum()):
            raise ValueError(
                f"The values of the {kind} diagram have the key {key!r}, which no"
                " diagram can write. Use single letters or digits as keys,"
                " as they appear in the diagram."
            )


def _read_mark(
    reader: _Reader,
    column: int,
    events: list[tuple[int, Record]],
    lookup: Mapping[str, Any],
    failure: BaseException | type[BaseException],
) -> None:
    """Read the one-character mark at ``column``."""
    char = reader.text[column]
    if reader.group_column is not None and char != ")":
        reader.group_width += 1

    if char == "(":
        _open_group(reader, column)
    elif char == ")":
        _close_group(reader, column)
    elif char == "-":
        _check_frame(reader, column)
        reader.frame += 1
    elif char == "^":
        _mark_subscription(reader, column)
    elif char == "!":
        _mark_unsubscription(reader, column)
    elif char in "|#" or char.isalnum():
        events.append((column, _event(reader, column, lookup, failure)))
    else:
        raise reader.fail(
            column,
            f"Unexpected {char!r} at column {column} of the {reader.kind} diagram."
            " Use '-' for a frame, letters or digits for values, '|' to"
            " complete, '#' to fail, '( )' to group, or a time such as"
            " ' 10ms '.",
        )


def _progression_at(reader: _Reader, column: int) -> int | None:
    """Consume a time progression starting at ``column``; its end, else None."""
    text = reader.text
    if column > 0 and text[column - 1] != " ":
        return None
    match = _PROGRESSION.match(text, column)
    if match is None:
        return None

    token = match.group(0)
    if reader.group_column is not None:
        raise reader.fail(
            column,
            f"Time progression {token!r} at column {column} is inside a group"
            f" in the {reader.kind} diagram. Close the group with ')' first.",
        )
    frames = progression_frames(token)
    if frames is None:
        raise reader.fail(
            column,
            f"Time progression {token!r} at column {column} of the {reader.kind}"
            " diagram is not a whole number of frames."
            " One frame is 1 ms; write e.g. '2ms' or '1.5s'.",
        )
    reader.frame += frames
    return match.end()


def _open_group(reader: _Reader, column: int) -> None:
    if reader.group_column is not None:
        raise reader.fail(
            column,
            f"Nested group at column {column} of the {reader.kind} diagram."
            f" Close the group opened at column {reader.group_column} with ')'"
            " first; groups do not nest.",
        )
    reader.group_column = column
    reader.group_frame = reader.frame
    reader.group_width = 1
    reader.group_size = 0


def _close_group(reader: _Reader, column: int) -> None:
    if reader.group_column is None:
        raise reader.fail(
            column,
            f"')' at column {column} of the {reader.kind} diagram closes no group."
            " Remove it or add '(' before the events it should group.",
        )
    if reader.group_size == 0:
        raise reader.fail(
            reader.group_column,
            f"Empty group at column {reader.group_column} of the {reader.kind}"
            " diagram. Put the events of one frame inside, as in '(ab)',"
            " or remove it.",
        )
    reader.frame = reader.group_frame + reader.group_width + 1
    reader.group_column = None


def _check_frame(reader: _Reader, column: int) -> None:
    if reader.group_column is not None:
        raise reader.fail(
            column,
            f"'-' at column {column} is inside a group in the {reader.kind}"
            " diagram. A group holds the events of one frame;"
            " close it with ')' before adding frames.",
        )


def _check_not_after_end(reader: _Reader, column: int) -> None:
    char = reader.text[column]
    if reader.end_column is not None:
        end_char = reader.text[reader.end_column]
        end = "completion '|'" if end_char == "|" else "error '#'"
        raise reader.fail(
            column,
            f"{char!r} at column {column} comes after the {end} at column"
            f" {reader.end_column} of the {reader.kind} diagram."
            " Nothing happens after '|' or '#'; remove it or move the end marker.",
        )
    if reader.unsubscription_column is not None:
        raise reader.fail(
            column,
            f"{char!r} at column {column} comes after the unsubscription '!'"
            f" at column {reader.unsubscription_column} of the {reader.kind}"
            " diagram. A subscriber sees nothing after '!';"
            " remove it or move '!'.",
        )


def _mark_subscription(reader: _Reader, column: int) -> None:
    kind = reader.kind
    if kind in _NO_SUBSCRIPTION_POINT:
        raise reader.fail(
            column,
            f"'^' at column {column} is not allowed in a {kind} diagram."
            + _NO_SUBSCRIPTION_POINT[kind],
        )
    if reader.subscription_column is not None:
        raise reader.fail(
            column,
            f"Second '^' at column {column} of the {kind} diagram."
            " A diagram has one subscription point;"
            f" the first is at column {reader.subscription_column}.",
        )
    _check_not_after_end(reader, column)

    reader.subscription_column = column
    reader.subscription_frame = reader.here()
    reader.take_frame()


def _mark_unsubscription(reader: _Reader, column: int) -> None:
    kind = reader.kind
    if kind not in ("expected", "subscription"):
        raise reader.fail(
            column,
            f"'!' at column {column} is not allowed in a {kind} diagram."
            + _NO_UNSUBSCRIPTION,
        )
    if reader.unsubscription_column is not None:
        raise reader.fail(
            column,
            f"Second '!' at column {column} of the {kind} diagram."
            " A subscriber unsubscribes once;"
            f" the first '!' is at column {reader.unsubscription_column}.",
        )
    _check_not_after_end(reader, column)
    caret_missing = reader.subscription_column is None and reader.require_caret
    if kind == "subscription" and caret_missing:
        raise reader.fail(
            column,
            f"'!' at column {column} comes before any subscription '^' in the"
            " subscription diagram. Mark the subscription with '^' before '!'.",
        )

    if kind == "expected" and reader.group_size:
        raise reader.fail(
            column,
            f"'!' at column {column} shares a frame with the group at column"
            f" {reader.group_column} of the expected diagram. '!' unsubscribes"
            " at the start of its frame, so nothing due then is seen;"
            " give '!' a frame of its own.",
        )

    reader.unsubscription_column = column
    reader.unsubscription_frame = reader.here()
    reader.take_frame()


def _event(
    reader: _Reader,
    column: int,
    lookup: Mapping[str, Any],
    failure: BaseException | type[BaseException],
) -> Record:
    char = reader.text[column]
    if reader.kind == "subscription":
        raise reader.fail(
            column,
            f"{char!r} at column {column} is not allowed in a subscription"
            " diagram. It holds only '-', '^', '!', groups such as '(^!)'"
            " and times.",
        )
    _check_not_after_end(reader, column)

    frame = reader.here()
    reader.take_frame()
    kind: Kind
    if char == "|":
        reader.end_column = column
        return Record(frame, "complete")
    if char == "#":
        reader.end_column = column
        if isinstance(failure, type) and reader.kind in ("cold", "hot"):
            return Record(frame, "error", failure())
        return Record(frame, "error", failure)
    kind = "next"
    return Record(frame, kind, lookup.get(char, char))


def _finish(reader: _Reader, events: list[tuple[int, Record]]) -> Parsed:
    text, kind = reader.text, reader.kind
    if reader.group_column is not None:
        raise reader.fail(
            reader.group_column,
            f"The group opened at column {reader.group_column} of the {kind}"
            " diagram is never closed. Add ')' after its last event.",
        )

    zero = reader.subscription_frame or 0
    if kind == "expected" and reader.subscription_column is not None:
        for column, record in events:
            if record.frame < zero:
                raise reader.fail(
                    column,
                    f"{text[column]!r} at column {column} comes before the"
                    f" subscription point '^' at column {reader.subscription_column}"
                    " of the expected diagram. An expectation sees only what"
                    " happens after it subscribes; remove it or move '^'.",
                )
    caret_missing = reader.subscription_column is None and reader.require_caret
    if kind == "subscription" and caret_missing:
        raise reader.fail(
            len(text),
            f"The subscription diagram {text!r} has no '^'."
            " Mark the frame of the subscription with '^', as in '--^--!'.",
        )

    unsubscribed = reader.unsubscription_frame
    return Parsed(
        text=text,
        events=tuple(
            Record(record.frame - zero, record.kind, record.value)
            for _, record in events
        ),
        subscribed=reader.subscription_frame,
        unsubscribed=None if unsubscribed is None else unsubscribed - zero,
        start=-zero,
        end=reader.frame - zero,
        tokens=tuple(text[column] for column, _ in events),
    )


def parse_subscription(text: str, *, require_caret: bool = True) -> SubscriptionLog:
    """Read a subscription diagram such as ``--^---!`` into its frames.

    Frames count from the diagram's first character. With
    ``require_caret=False``, a diagram without ``^`` subscribes at frame 0,
    as RxJS reads ``expectObservable(obs, "---!")``.

    >>> parse_subscription("--^---!")
    SubscriptionLog(subscribed=2, unsubscribed=6)
    >>> parse_subscription("  (^!)")
    SubscriptionLog(subscribed=0, unsubscribed=0)
    >>> parse_subscription("---!", require_caret=False)
    SubscriptionLog(subscribed=0, unsubscribed=3)

    Raises:
        MarbleSyntaxError: The diagram breaks the grammar or has no ``^``.
    """
    parsed = parse(text, kind="subscription", require_caret=require_caret)
    subscribed = parsed.subscribed or 0
    unsubscribed = parsed.unsubscribed
    return SubscriptionLog(
        subscribed, None if unsubscribed is None else unsubscribed + subscribed
    )


def parse_time(text: str) -> int:
    """The frame of ``|`` in a diagram: how long the span it draws lasts.

    >>> parse_time("---|"), parse_time("1s |")
    (3, 1000)

    Raises:
        MarbleSyntaxError: The diagram breaks the grammar or has no ``|``.
    """
    parsed = parse(text, kind="time")
    for record in parsed.events:
        if record.kind == "complete":
            return record.frame
    raise MarbleSyntaxError(
        f"The time diagram {text!r} has no '|'."
        " Mark the end of the span with '|', as in '---|'.",
        text,
        len(text),
    )
