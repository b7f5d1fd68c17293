"""A failing to_be draws expected and actual aligned, frame for frame."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
import reactivex

from impact_rx.testing import MarbleAssertionError, Marbles, marbles
from impact_rx.testing._parse import parse

HEADER = (
    "The marbles differ from the expected diagram.\n"
    "Frame 0 is its subscription at virtual frame {frame}; one frame is 1 ms.\n"
)


def failure(test: Callable[[Marbles], None]) -> MarbleAssertionError:
    m = marbles()
    test(m)
    with pytest.raises(MarbleAssertionError, match="The marbles differ") as caught:
        m.flush()
    return caught.value


def body(error: MarbleAssertionError) -> str:
    """The report after its first line, which names the m.expect() call."""
    where, _, rest = str(error).partition("\n")
    assert re.fullmatch(r"m\.expect\(.+\) at tests/test_testing_diff\.py:\d+:", where)
    return rest


def test_a_different_value_is_marked_and_listed() -> None:
    error = failure(
        lambda m: m.expect(m.cold("-a-b|", values={"a": 1, "b": 2})).to_be(
            "-a-b|", values={"a": 1, "b": 3}
        )
    )
    assert body(error) == HEADER.format(frame=0) + (
        "  expected  -a-b|\n"
        "  actual    -a-c|\n"
        "               ^\n"
        "  frame 3: expected b = 3; actual c = 2"
    )


def test_the_marks_line_up_under_wide_value_names() -> None:
    error = failure(
        lambda m: m.expect(m.cold("-日-b|", values={"日": 1, "b": 2})).to_be(
            "-日-b|", values={"日": 1, "b": 3}
        )
    )
    lines = body(error).splitlines()
    assert lines[2:5] == [
        "  expected  -日-b|",
        "  actual    -日-a|",
        "                ^",  # under the b: 日 takes two cells on screen
    ]


def test_late_events_show_in_later_columns() -> None:
    error = failure(lambda m: m.expect(m.cold("--a--c--|")).to_be("--a--b---|"))
    assert body(error) == HEADER.format(frame=0) + (
        "  expected  --a--b---|\n"
        "  actual    --a--c--|\n"
        "                 ^  ^^\n"
        "  frame 5: expected b = 'b'; actual c = 'c'\n"
        "  frame 8: expected nothing; actual | (complete)\n"
        "  frame 9: expected | (complete); actual nothing"
    )


def test_a_group_widens_its_column_in_every_lane() -> None:
    error = failure(lambda m: m.expect(m.cold("-(ab)-c|")).to_be("-a-b-c|"))
    assert body(error) == HEADER.format(frame=0) + (
        "  expected  -a   -b-c|\n"
        "  actual    -(ab)   -c|\n"
        "             ^    ^ ^^^\n"
        "  frame 1: expected a = 'a'; actual a = 'a', b = 'b'\n"
        "  frame 3: expected b = 'b'; actual nothing\n"
        "  frame 5: expected c = 'c'; actual nothing\n"
        "  frame 6: expected | (complete); actual c = 'c'\n"
        "  frame 7: expected nothing; actual | (complete)"
    )


def test_long_quiet_stretches_become_time_progressions_in_both_lanes() -> None:
    error = failure(lambda m: m.expect(m.cold("-a 500ms b|")).to_be("-a 499ms b|"))
    assert body(error) == HEADER.format(frame=0) + (
        "  expected  -a 499ms b|\n"
        "  actual    -a 499ms -b|\n"
        "                     ^^^\n"
        "  frame 501: expected b = 'b'; actual nothing\n"
        "  frame 502: expected | (complete); actual b = 'b'\n"
        "  frame 503: expected nothing; actual | (complete)"
    )


def test_an_error_of_another_type_with_the_same_message_differs() -> None:
    error = failure(
        lambda m: m.expect(m.cold("--#", error=KeyError("x"))).to_be(
            "--#", error=ValueError("x")
        )
    )
    assert body(error) == HEADER.format(frame=0) + (
        "  expected  --#\n"
        "  actual    --#\n"
        "              ^\n"
        "  frame 2: expected # = ValueError('x'); actual # = KeyError('x')"
    )


def test_an_error_with_other_args_differs() -> None:
    error = failure(
        lambda m: m.expect(m.cold("#", error=ValueError("x", 1))).to_be(
            "#", error=ValueError("x", 2)
        )
    )
    assert (
        "frame 0: expected # = ValueError('x', 2); actual # = ValueError('x', 1)"
        in (body(error))
    )


def test_an_error_class_accepts_any_instance_of_exactly_it() -> None:
    with marbles() as m:
        m.expect(m.cold("#", error=ValueError("any"))).to_be("#", error=ValueError)
    error = failure(
        lambda m: m.expect(m.cold("#", error=UnicodeError("x"))).to_be(
            "#", error=ValueError
        )
    )
    assert "frame 0: expected # = any ValueError; actual # = UnicodeError('x')" in (
        body(error)
    )


def test_unnamed_values_get_free_letters_and_long_reprs_are_clipped() -> None:
    values = {"a": {"x": [1, 2]}, "b": "long string " * 10}
    error = failure(lambda m: m.expect(m.cold("-a-b|", values=values)).to_be("-a-b|"))
    assert body(error) == HEADER.format(frame=0) + (
        "  expected  -a-b|\n"
        "  actual    -c-d|\n"
        "             ^ ^\n"
        "  frame 1: expected a = 'a'; actual c = {'x': [1, 2]}\n"
        "  frame 3: expected b = 'b'; actual d = 'long string long string long string"
        " long string long str..."
    )


def test_the_header_names_the_frame_of_the_subscription() -> None:
    def late(m: Marbles) -> None:
        m.advance("1s")
        m.expect(reactivex.from_iterable([1], scheduler=m.scheduler)).to_be("(a|)")

    error = failure(late)
    assert body(error).startswith(HEADER.format(frame=1000))
    assert "frame 0: expected a = 'a', | (complete); actual b = 1, | (complete)" in str(
        error
    )


def test_an_unsubscription_is_drawn_in_both_lanes() -> None:
    error = failure(lambda m: m.expect(m.cold("-a-b-c|")).to_be("-a-x!"))
    assert body(error) == HEADER.format(frame=0) + (
        "  expected  -a-x!\n"
        "  actual    -a-b!\n"
        "               ^\n"
        "  frame 3: expected x = 'x'; actual b = 'b'"
    )


def test_every_failure_is_reported_together() -> None:
    def two(m: Marbles) -> None:
        m.expect(m.cold("a|")).to_be("b|")
        m.expect(m.cold("c|")).to_be("c|")
        m.expect(m.cold("d|")).to_be("e|")

    error = failure(two)
    assert len(re.findall("The marbles differ", str(error))) == 2
    assert "expected e = 'e'; actual d = 'd'" in body(error)


def test_the_error_carries_the_expected_and_actual_lanes() -> None:
    error = failure(lambda m: m.expect(m.cold("-a|")).to_be("-b|"))
    assert error.diagram is not None
    assert [lane.name for lane in error.diagram.lanes] == ["expected", "actual"]
    assert str(error.diagram) == (
        "frame 0 = subscription at virtual frame 0\nexpected  -b|\nactual    -a|"
    )
    assert error.diagram.marked == (1,)


def _rows(error: MarbleAssertionError) -> dict[str, str]:
    lines = body(error).splitlines()
    return {
        name: line.split(name, 1)[1].strip()
        for line in lines
        for name in ("expected", "actual")
        if line.startswith(f"  {name}  ")
    }


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("-(ab)-c|", "-a-b-c|"),
        ("a(bc)d|", "a-(bc)d|"),
        ("(ab) 30ms c|", "(ab) 31ms c|"),
        ("-a 500ms (bc)|", "-a 499ms (bc)-|"),
        ("(abcdefghijklmnopqrstuvwxyz)-1|", "(abcdefghijklmnopqrstuvwxyz)1|"),
    ],
)
def test_the_printed_actual_diagram_reads_back_to_what_the_observable_did(
    source: str, expected: str
) -> None:
    error = failure(lambda m: m.expect(m.cold(source)).to_be(expected))
    assert error.diagram is not None
    rows = _rows(error)
    legend = error.diagram.labels().legend
    expected_lane, actual_lane = error.diagram.lanes

    assert list(parse(rows["actual"], values=legend).events) == list(
        actual_lane.records
    )
    assert list(parse(rows["expected"], values=legend).events) == list(
        expected_lane.records
    )


def test_a_value_whose_repr_raises_is_still_reported() -> None:
    class Unprintable:
        def __repr__(self) -> str:
            raise RuntimeError("no repr")

    error = failure(
        lambda m: m.expect(reactivex.of(Unprintable())).to_be("(x|)", values={"x": 1})
    )
    assert "actual a = <Unprintable whose repr raised>" in body(error)


def test_the_expected_line_keeps_the_letters_written_even_for_equal_values() -> None:
    values = {"a": "on", "b": "off", "c": "on", "d": "on"}

    def test(m: Marbles) -> None:
        m.expect(m.cold("ab-c--b---a", values)).to_be("ab-c--b---d|", values)

    error = failure(test)
    assert body(error) == HEADER.format(frame=0) + (
        "  expected  ab-c--b---d|\n"
        "  actual    ab-c--b---d-\n"
        "                       ^\n"
        "  frame 11: expected | (complete); actual nothing"
    )


def test_an_actual_value_equal_to_an_expected_one_takes_its_letter() -> None:
    values = {"a": "on", "b": "off", "d": "on"}
    error = failure(lambda m: m.expect(m.cold("ab-a|", values)).to_be("ab-d-|", values))
    assert body(error) == HEADER.format(frame=0) + (
        "  expected  ab-d-|\n"
        "  actual    ab-d|\n"
        "                ^^\n"
        "  frame 4: expected nothing; actual | (complete)\n"
        "  frame 5: expected | (complete); actual nothing"
    )


def test_a_one_character_value_drawn_with_another_letter_is_explained() -> None:
    error = failure(lambda m: m.expect(m.cold("-a|")).to_be("-a|", {"a": 1}))
    assert body(error) == HEADER.format(frame=0) + (
        "  expected  -a|\n"
        "  actual    -b|\n"
        "             ^\n"
        "  frame 1: expected a = 1; actual b = 'a'\n"
        "  (actual 'a' is drawn as b: a stands for 1 in the values given to to_be)"
    )


def test_a_diagram_drawn_otherwise_is_also_shown_as_written() -> None:
    error = failure(lambda m: m.expect(m.cold("-a|")).to_be("^-b|"))
    assert body(error).splitlines()[2:5] == [
        "  written   ^-b|",
        "  expected  --b|",
        "  actual    -a|",
    ]


def test_spaces_alone_do_not_repeat_the_expected_diagram() -> None:
    error = failure(lambda m: m.expect(m.cold("-a|")).to_be(" -b| "))
    assert body(error) == HEADER.format(frame=0) + (
        "  expected  -b|\n"
        "  actual    -a|\n"
        "             ^\n"
        "  frame 1: expected b = 'b'; actual a = 'a'"
    )


def test_expected_events_past_where_time_stopped_say_that_later_work_waits() -> None:
    from reactivex import operators as ops

    def test(m: Marbles) -> None:
        late = reactivex.timer(0.005, scheduler=m.scheduler)
        m.expect(late.pipe(ops.map(lambda _: "a"))).to_be("---a")

    error = failure(test)
    assert body(error).endswith(
        "  frame 3: expected a = 'a'; actual nothing\n"
        "Virtual time stopped at frame 3, the end of the longest diagram;"
        " work due later (the next at frame 5) was not run."
        " Draw the expected diagram up to then (a time progression such as"
        " ' 5ms ' counts frames), or m.advance() before checking."
    )


def test_values_whose_clipped_reprs_read_the_same_are_shown_in_full() -> None:
    from impact_rx.session import User

    team = tuple(User(str(i), name) for i, name in enumerate(["Ada", "Bob", "Cy"]))
    other = (*team[:2], User("2", "Cyd"))
    error = failure(
        lambda m: m.expect(m.cold("-a|", values={"a": other})).to_be(
            "-b|", values={"b": team}
        )
    )
    text = body(error)
    assert f"  frame 1: expected b = {team!r}; actual a = {other!r}" in text
    assert "User..." not in text
    assert text.endswith(
        "  frame 1: the values first differ at character 74:"
        " expected ..., name='Cy')), actual ..., name='Cyd'))"
    )


def test_values_shown_in_full_still_mask_secrets() -> None:
    from impact_rx.session import Secret

    long = "x" * 70
    error = failure(
        lambda m: m.expect(m.cold("a|", values={"a": (long, Secret("hunter2"))})).to_be(
            "b|", values={"b": (long, Secret("hunter3"))}
        )
    )
    assert "hunter" not in body(error)
    assert body(error).endswith(
        "  frame 0: the values print the same but are not equal (==); give them"
        " a __repr__ that shows what __eq__ compares."
    )


def test_each_report_names_the_expect_call_and_its_observable() -> None:
    def two(m: Marbles) -> None:
        m.expect(m.cold("a|")).to_be("b|")
        m.expect(m.cold("c|")).to_be("c|")
        m.expect(m.hot("d|")).to_be("e|")

    line = two.__code__.co_firstlineno
    reports = str(failure(two)).split("\n\n")
    assert [r.splitlines()[0] for r in reports] == [
        f"m.expect(<ColdObservable 'a|'>) at tests/test_testing_diff.py:{line + 1}:",
        f"m.expect(<HotObservable 'd|'>) at tests/test_testing_diff.py:{line + 3}:",
    ]


def test_the_named_observable_is_clipped_and_keeps_secrets_masked() -> None:
    from impact_rx import Signal

    token = Signal("hunter2" * 20, name="access_token")
    error = failure(lambda m: m.expect(token).to_be("b"))
    where = str(error).splitlines()[0]
    assert where.startswith("m.expect(<Signal access_token=<redacted>")
    assert "hunter2" not in where


def test_flush_and_exit_hide_themselves_from_pytest_tracebacks() -> None:
    assert "__tracebackhide__" in Marbles.flush.__code__.co_varnames
    assert "__tracebackhide__" in Marbles.__exit__.__code__.co_varnames


def test_the_written_line_lines_up_when_it_starts_with_a_time_progression() -> None:
    error = failure(lambda m: m.expect(m.cold("303ms b|")).to_be("300ms --- a|"))
    written, expected = body(error).splitlines()[2:4]
    assert written.startswith("  written    300ms --- a|")
    assert expected.startswith("  expected   303ms ")
    assert written.index("30") == expected.index("30")


def test_values_of_a_secret_named_observable_are_never_shown() -> None:
    from impact_rx import Signal

    # Texts that clip alike were shown in full: the whole token.
    token = Signal("hunter2" * 20, name="access_token")
    error = failure(
        lambda m: m.expect(token).to_be("a", values={"a": "hunter2" * 20 + "X"})
    )
    text = str(error)
    assert "hunter2" not in text
    assert "  frame 0: expected a = <redacted>; actual b = <redacted>" in text
    assert text.endswith(
        "  frame 0: the values differ; they are not shown: the observable's"
        " name looks secret."
    )


def test_values_shown_in_full_hide_a_mapping_s_secret_keys() -> None:
    # Clipped, the password fell past the cut; shown in full (the texts read
    # alike) it was printed, and again where the values first differ.
    user = "x" * 60
    error = failure(
        lambda m: m.expect(
            m.cold("a|", values={"a": {"user": user, "password": "hunter2-aaaa"}})
        ).to_be("b|", values={"b": {"user": user, "password": "hunter2-bbbb"}})
    )
    text = str(error)
    assert "hunter2" not in text
    assert f"actual a = {{'user': '{user}', 'password': <redacted>}}" in text
    assert text.endswith(
        "the values print the same but are not equal (==);"
        " give them a __repr__ that shows what __eq__ compares."
    )


def test_errors_of_a_secret_named_observable_are_never_shown() -> None:
    import reactivex

    # As a notebook's live() view: a secret source's error may echo its value.
    class Named(reactivex.Observable[str]):
        name = "refresh_token"

    failing = Named(lambda observer, _: observer.on_error(KeyError("hunter2")))
    error = failure(lambda m: m.expect(failing).to_be("a"))
    text = str(error)
    assert "hunter2" not in text
    assert "frame 0: expected a = <redacted>; actual # = <redacted>" in text


def test_a_secret_named_observable_s_failure_carries_no_drawing_of_its_values() -> None:
    from impact_rx import Signal

    # The SVG's tooltips describe each value: the error keeps no diagram.
    token = Signal("hunter2", name="access_token")
    error = failure(lambda m: m.expect(token).to_be("a"))
    assert error.diagram is None
