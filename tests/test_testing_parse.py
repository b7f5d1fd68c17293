"""The marble grammar: every element, and every error message pinned."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from impact_rx import MarbleSyntaxError
from impact_rx.testing import Record, SubscriptionLog
from impact_rx.testing._parse import (
    DiagramKind,
    parse,
    parse_subscription,
    parse_time,
    progression_frames,
)


def frames(text: str, kind: DiagramKind = "cold") -> list[tuple[int, str, object]]:
    return [(r.frame, r.kind, r.value) for r in parse(text, kind=kind).events]


def test_a_dash_is_one_frame_and_a_value_takes_one_frame() -> None:
    assert frames("--a-b") == [(2, "next", "a"), (4, "next", "b")]


def test_letters_and_digits_are_values_looked_up_in_values() -> None:
    parsed = parse("a1Z", values={"a": "A", "1": 1})
    assert [r.value for r in parsed.events] == ["A", 1, "Z"]


def test_a_bar_completes_and_a_hash_fails_with_the_given_error() -> None:
    error = ValueError("bad")
    assert frames("-|") == [(1, "complete", None)]
    assert parse("--#", error=error).events == (Record(2, "error", error),)


def test_a_hash_without_error_stands_for_a_generic_exception() -> None:
    (record,) = parse("#").events
    assert type(record.value) is Exception
    assert record.value.args == ("error",)


def test_an_error_class_is_instantiated_in_sources_and_kept_in_expectations() -> None:
    (source,) = parse("#", error=KeyError).events
    (expected,) = parse("#", kind="expected", error=KeyError).events
    assert type(source.value) is KeyError
    assert expected.value is KeyError


def test_a_caret_is_frame_zero_and_earlier_frames_are_negative() -> None:
    parsed = parse("a-^-b", kind="hot")
    assert [r.frame for r in parsed.events] == [-2, 2]
    assert (parsed.subscribed, parsed.start, parsed.end) == (2, -2, 3)


def test_a_group_is_one_frame_that_spans_its_characters() -> None:
    assert frames("-(ab)-c") == [
        (1, "next", "a"),
        (1, "next", "b"),
        (6, "next", "c"),
    ]


def test_a_group_may_hold_the_end() -> None:
    assert frames("(a|)") == [(0, "next", "a"), (0, "complete", None)]


def test_spaces_take_no_time() -> None:
    assert frames("  a  -  b  ") == [(0, "next", "a"), (2, "next", "b")]
    assert frames("( a b )") == [(0, "next", "a"), (0, "next", "b")]


@pytest.mark.parametrize(
    ("token", "count"),
    [("10ms", 10), ("1.5s", 1500), ("2m", 120_000), ("5f", 5), ("0.25s", 250)],
)
def test_time_progressions_span_their_frames(token: str, count: int) -> None:
    assert frames(f"a {token} b") == [(0, "next", "a"), (1 + count, "next", "b")]


def test_a_time_progression_may_open_or_close_a_diagram() -> None:
    assert frames("3ms a") == [(3, "next", "a")]
    assert parse("a 3ms").end == 4


def test_digits_glued_to_other_marks_are_values() -> None:
    assert frames("-10ms") == [
        (1, "next", "1"),
        (2, "next", "0"),
        (3, "next", "m"),
        (4, "next", "s"),
    ]
    assert frames("5f-") == [(0, "next", "5"), (1, "next", "f")]


def test_progression_frames_rejects_partial_frames() -> None:
    assert progression_frames("1.5ms") is None
    assert progression_frames("1.0005s") is None
    assert progression_frames("1.001s") == 1001


def test_an_expected_diagram_marks_its_unsubscription() -> None:
    parsed = parse("-a-!", kind="expected")
    assert parsed.unsubscribed == 3
    assert parsed.end == 4


def test_an_expected_caret_aligns_without_adding_events() -> None:
    parsed = parse("---^-a|", kind="expected")
    assert frames("---^-a|", kind="expected") == [
        (2, "next", "a"),
        (3, "complete", None),
    ]
    assert parsed.start == -3


def test_subscription_diagrams_give_the_frames_of_caret_and_bang() -> None:
    assert parse_subscription("--^--!") == SubscriptionLog(2, 5)
    assert parse_subscription("^") == SubscriptionLog(0, None)
    assert parse_subscription("-(^!)") == SubscriptionLog(1, 1)
    assert parse_subscription("1s ^ 1s !") == SubscriptionLog(1000, 2001)


def test_a_time_diagram_measures_up_to_its_bar() -> None:
    assert parse_time("---|") == 3
    assert parse_time("a 10ms |") == 11


def _syntax_error(kind: str, text: str, message: str) -> MarbleSyntaxError:
    with pytest.raises(MarbleSyntaxError, match=re.escape(message)) as caught:
        if kind == "subscription":
            parse_subscription(text)
        elif kind == "time":
            parse_time(text)
        else:
            parse(text, kind=kind)  # type: ignore[arg-type]
    return caught.value


ERRORS = [
    (
        "cold",
        "-a-(bc",
        3,
        "The group opened at column 3 of the cold diagram is never closed."
        " Add ')' after its last event.",
    ),
    (
        "cold",
        "-(a(b))",
        3,
        "Nested group at column 3 of the cold diagram. Close the group opened at"
        " column 1 with ')' first; groups do not nest.",
    ),
    (
        "cold",
        "-a)",
        2,
        "')' at column 2 of the cold diagram closes no group."
        " Remove it or add '(' before the events it should group.",
    ),
    (
        "cold",
        "-()-",
        1,
        "Empty group at column 1 of the cold diagram. Put the events of one frame"
        " inside, as in '(ab)', or remove it.",
    ),
    (
        "cold",
        "(a-b)",
        2,
        "'-' at column 2 is inside a group in the cold diagram. A group holds the"
        " events of one frame; close it with ')' before adding frames.",
    ),
    (
        "cold",
        "(a 10ms b)",
        3,
        "Time progression '10ms' at column 3 is inside a group in the cold diagram."
        " Close the group with ')' first.",
    ),
    (
        "cold",
        "a 1.5ms b",
        2,
        "Time progression '1.5ms' at column 2 of the cold diagram is not a whole"
        " number of frames. One frame is 1 ms; write e.g. '2ms' or '1.5s'.",
    ),
    (
        "hot",
        "-^-^-",
        3,
        "Second '^' at column 3 of the hot diagram. A diagram has one subscription"
        " point; the first is at column 1.",
    ),
    (
        "cold",
        "--^--",
        2,
        "'^' at column 2 is not allowed in a cold diagram. A cold observable starts"
        " when subscribed; only hot, expected and subscription diagrams mark a"
        " subscription point.",
    ),
    (
        "time",
        "-^-|",
        1,
        "'^' at column 1 is not allowed in a time diagram. A time diagram measures"
        " a span; mark its end with '|'.",
    ),
    (
        "hot",
        "--!",
        2,
        "'!' at column 2 is not allowed in a hot diagram. Only expected and"
        " subscription diagrams mark an unsubscription; to stop a subscriber,"
        " put '!' in the diagram passed to to_be().",
    ),
    (
        "cold",
        "--!",
        2,
        "'!' at column 2 is not allowed in a cold diagram. Only expected and"
        " subscription diagrams mark an unsubscription; to stop a subscriber,"
        " put '!' in the diagram passed to to_be().",
    ),
    (
        "expected",
        "-!-!",
        3,
        "Second '!' at column 3 of the expected diagram. A subscriber unsubscribes"
        " once; the first '!' is at column 1.",
    ),
    (
        "cold",
        "-a-|-b",
        5,
        "'b' at column 5 comes after the completion '|' at column 3 of the cold"
        " diagram. Nothing happens after '|' or '#'; remove it or move the end"
        " marker.",
    ),
    (
        "cold",
        "-#(ab)",
        3,
        "'a' at column 3 comes after the error '#' at column 1 of the cold diagram."
        " Nothing happens after '|' or '#'; remove it or move the end marker.",
    ),
    (
        "hot",
        "-|-^",
        3,
        "'^' at column 3 comes after the completion '|' at column 1 of the hot"
        " diagram. Nothing happens after '|' or '#'; remove it or move the end"
        " marker.",
    ),
    (
        "expected",
        "-a-!-b",
        5,
        "'b' at column 5 comes after the unsubscription '!' at column 3 of the"
        " expected diagram. A subscriber sees nothing after '!'; remove it or"
        " move '!'.",
    ),
    (
        "expected",
        "a-^-b",
        0,
        "'a' at column 0 comes before the subscription point '^' at column 2 of the"
        " expected diagram. An expectation sees only what happens after it"
        " subscribes; remove it or move '^'.",
    ),
    (
        "expected",
        "-(a!)",
        3,
        "'!' at column 3 shares a frame with the group at column 1 of the expected"
        " diagram. '!' unsubscribes at the start of its frame, so nothing due then"
        " is seen; give '!' a frame of its own.",
    ),
    (
        "subscription",
        "---!",
        3,
        "'!' at column 3 comes before any subscription '^' in the subscription"
        " diagram. Mark the subscription with '^' before '!'.",
    ),
    (
        "subscription",
        "--^-a-!",
        4,
        "'a' at column 4 is not allowed in a subscription diagram. It holds only"
        " '-', '^', '!', groups such as '(^!)' and times.",
    ),
    (
        "subscription",
        "----",
        4,
        "The subscription diagram '----' has no '^'. Mark the frame of the"
        " subscription with '^', as in '--^--!'.",
    ),
    (
        "time",
        "---",
        3,
        "The time diagram '---' has no '|'. Mark the end of the span with '|',"
        " as in '---|'.",
    ),
    (
        "cold",
        "-a-*-",
        3,
        "Unexpected '*' at column 3 of the cold diagram. Use '-' for a frame,"
        " letters or digits for values, '|' to complete, '#' to fail, '( )' to"
        " group, or a time such as ' 10ms '.",
    ),
]


@pytest.mark.parametrize(("kind", "text", "column", "message"), ERRORS)
def test_each_syntax_error_names_the_column_and_marks_it(
    kind: str, text: str, column: int, message: str
) -> None:
    error = _syntax_error(kind, text, message)
    assert error.column == column
    assert error.diagram == text
    assert str(error) == f"{message}\n  {text}\n  {' ' * column}^"


def test_a_syntax_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match=re.escape("Unexpected '?' at column 1")):
        parse("-?")


@settings(deadline=None)
@given(
    st.text(alphabet="-ab1|#^!() msf.*", max_size=16),
    st.sampled_from(["cold", "hot", "expected", "subscription", "time"]),
)
def test_any_text_parses_or_raises_a_marble_syntax_error_at_a_column(
    text: str, kind: str
) -> None:
    try:
        if kind == "subscription":
            parse_subscription(text)
        elif kind == "time":
            parse_time(text)
        else:
            parse(text, kind=kind)  # type: ignore[arg-type]
    except MarbleSyntaxError as error:
        assert 0 <= error.column <= len(text)
        assert error.diagram == text


@pytest.mark.parametrize("key", ["ab", 1, "-", ""])
def test_a_values_key_no_diagram_can_write_is_refused(key: object) -> None:
    message = (
        f"The values of the cold diagram have the key {key!r}, which no diagram"
        " can write. Use single letters or digits as keys, as they appear in the"
        " diagram."
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        parse("a", values={key: 1})  # type: ignore[dict-item]


def test_the_caret_lines_up_under_wide_characters() -> None:
    error = _syntax_error("cold", "日-a)", "closes no group")
    diagram_line, caret_line = str(error).splitlines()[-2:]
    assert diagram_line == "  日-a)"
    assert caret_line == "      ^"  # two cells for 日, then '-a'
