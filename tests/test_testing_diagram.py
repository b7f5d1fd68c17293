"""record, to_marbles and Diagram: from a running observable to text and SVG."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import reactivex
from hypothesis import given, settings
from hypothesis import strategies as st
from reactivex import operators as ops

from impact_rx import MarbleSyntaxError
from impact_rx.testing import (
    Diagram,
    Lane,
    MarbleAssertionError,
    MarbleScheduler,
    Record,
    marbles,
    record,
    to_marbles,
)
from impact_rx.testing._parse import parse

SVG = "{http://www.w3.org/2000/svg}"


def test_record_runs_until_the_observable_completes() -> None:
    source = reactivex.timer(0.002, 0.003).pipe(ops.take(3))
    assert record(source) == [
        Record(2, "next", 0),
        Record(5, "next", 1),
        Record(8, "next", 2),
        Record(8, "complete"),
    ]


def test_record_stops_after_until_and_unsubscribes() -> None:
    scheduler = MarbleScheduler()
    records = record(reactivex.interval(1.0), scheduler=scheduler, until="2.5s")
    assert [r.frame for r in records] == [1000, 2000]
    assert scheduler.frame == 2000
    assert scheduler.next_frame() is None


def test_record_counts_frames_from_its_subscription() -> None:
    scheduler = MarbleScheduler()
    scheduler.advance_by(10.0)
    records = record(reactivex.timer(0.001), scheduler=scheduler, until=5)
    assert records == [Record(1, "next", 0), Record(1, "complete")]


def test_record_refuses_a_bad_span() -> None:
    with pytest.raises(MarbleSyntaxError, match="'later' is not a time progression"):
        record(reactivex.never(), until="later")


def test_record_of_what_is_no_observable_is_a_type_error_naming_it() -> None:
    with pytest.raises(
        TypeError,
        match=r"^record\(\) takes an Observable, got list\."
        r' .*signal_of\(obj, "name"\)',
    ):
        record([1, 2])  # type: ignore[arg-type]


def test_to_marbles_writes_records_as_a_diagram() -> None:
    records = [
        Record(1, "next", "a"),
        Record(3, "next", "b"),
        Record(3, "next", "c"),
        Record(100, "error", ValueError("x")),
    ]
    assert to_marbles(records) == "-a-(bc) 93ms #"


def test_to_marbles_uses_value_names_and_free_letters() -> None:
    records = [Record(0, "next", 1), Record(1, "next", "a"), Record(2, "next", 2)]
    assert to_marbles(records, values={"x": 2}) == "bax"


def test_to_marbles_marks_frame_zero_when_records_start_in_the_past() -> None:
    records = [Record(-2, "next", "a"), Record(0, "next", "b"), Record(5, "complete")]
    assert to_marbles(records) == "a-(^b)-|"
    assert to_marbles([Record(-1, "next", "a"), Record(1, "next", "b")]) == "a^b"


def test_to_marbles_refuses_events_a_group_would_overlap() -> None:
    records = [Record(0, "next", "a"), Record(0, "next", "b"), Record(2, "complete")]
    with pytest.raises(ValueError, match="the group before it is wider than the gap"):
        to_marbles(records)


@st.composite
def timelines(draw: st.DrawFn) -> list[Record]:
    records: list[Record] = []
    frame = draw(st.integers(0, 3))
    for _ in range(draw(st.integers(0, 6))):
        size = draw(st.integers(1, 3))
        for _ in range(size):
            records.append(Record(frame, "next", draw(st.sampled_from("abcxyz"))))
        width = 1 if size == 1 else size + 2
        frame += width + draw(st.sampled_from([0, 1, 2, 30, 1500]))
    ending = draw(st.sampled_from(["complete", "error", None]))
    if ending == "complete":
        records.append(Record(frame, "complete"))
    elif ending == "error":
        records.append(Record(frame, "error", Exception("error")))
    return records


@settings(deadline=None)
@given(timelines())
def test_to_marbles_reads_back_to_the_same_records(records: list[Record]) -> None:
    assert list(parse(to_marbles(records)).events) == records


@settings(deadline=None)
@given(timelines(), timelines())
def test_every_row_of_a_printed_diagram_reads_back_to_its_lane(
    one: list[Record], two: list[Record]
) -> None:
    diagram = Diagram((Lane("one", tuple(one)), Lane("two", tuple(two))))
    legend = diagram.labels().legend
    rows = str(diagram).splitlines()

    for lane, row in zip(diagram.lanes, rows, strict=True):
        drawn = row[len("one  ") :]
        assert list(parse(drawn, values=legend).events) == list(lane.records)


def _lanes(svg: str) -> dict[str, ET.Element]:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return {
        lane.get("data-name", ""): lane
        for lane in root.iter(f"{SVG}g")
        if lane.get("class") == "lane"
    }


def _marks(lane: ET.Element, kind: str) -> list[ET.Element]:
    return [e for e in lane.iter() if e.get("class") == kind]


def test_a_failure_diagram_renders_expected_and_actual_lanes_as_svg() -> None:
    m = marbles()
    source = m.cold("-a-(bc)-#", values={"a": "<x&y>"}, error=KeyError("k"))
    m.expect(source).to_be("-a-b 300ms |")
    with pytest.raises(MarbleAssertionError, match="differ") as caught:
        m.flush()
    diagram = caught.value.diagram
    assert diagram is not None

    lanes = _lanes(diagram._repr_svg_())
    assert list(lanes) == ["expected", "actual"]

    expected, actual = lanes["expected"], lanes["actual"]
    assert [g.findtext(f"{SVG}text") for g in _marks(expected, "next")] == ["a", "b"]
    assert [g.get("data-frame") for g in _marks(expected, "complete")] == ["304"]
    assert _marks(expected, "error") == []

    nexts = _marks(actual, "next")
    assert [g.findtext(f"{SVG}text") for g in nexts] == ["d", "b", "c"]
    assert [g.get("data-frame") for g in nexts] == ["1", "3", "3"]
    assert nexts[0].findtext(f"{SVG}title") == "d = '<x&y>'"
    (error,) = _marks(actual, "error")
    assert error.get("data-frame") == "8"
    assert error.findtext(f"{SVG}title") == "# = KeyError('k')"
    assert _marks(actual, "complete") == []

    root = ET.fromstring(diagram.to_svg())
    differences = [e for e in root.iter() if e.get("class") == "difference"]
    assert [e.get("data-frame") for e in differences] == ["1", "3", "8", "304"]


def test_the_svg_has_a_time_axis_with_the_real_frame_numbers() -> None:
    records = [Record(1, "next", "a"), Record(2000, "complete")]
    root = ET.fromstring(Diagram.from_records(records).to_svg())
    (axis,) = [g for g in root.iter(f"{SVG}g") if g.get("class") == "axis"]
    ticks = [t.text for t in axis.iter(f"{SVG}text") if t.get("class") == "tick"]
    assert ticks == ["0", "1", "2000"]  # 2001 would overlap 2000: tick only
    tick_marks = [line for line in axis.iter(f"{SVG}line")][1:]
    assert len(tick_marks) == 4
    assert [t.text for t in axis.iter(f"{SVG}text") if t.get("class") == "break"] == [
        "≈"
    ]


def test_the_svg_draws_the_subscription_window_and_unsubscription() -> None:
    lane = Lane("source", (Record(1, "next", "a"),), subscribed=0, unsubscribed=4)
    lanes = _lanes(Diagram((lane,)).to_svg())
    (window,) = _marks(lanes["source"], "subscription")
    assert (window.get("data-from"), window.get("data-to")) == ("0", "4")
    (bang,) = _marks(lanes["source"], "unsubscribe")
    assert (bang.text, bang.get("data-frame")) == ("!", "4")


def test_names_and_titles_are_escaped() -> None:
    diagram = Diagram((Lane("<a & b>", (Record(0, "next", "x"),)),), title="t < u")
    svg = diagram.to_svg()
    assert "<a & b>" not in svg
    root = ET.fromstring(svg)
    assert [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "title"] == [
        "t < u"
    ]
    assert list(_lanes(svg)) == ["<a & b>"]


def test_save_writes_the_svg_file(tmp_path: Path) -> None:
    diagram = Diagram.from_records([Record(0, "next", "a"), Record(1, "complete")])
    target = tmp_path / "stream.svg"
    diagram.save(target)
    assert target.read_text(encoding="utf-8") == diagram.to_svg()


def test_a_diagram_prints_its_lanes_aligned() -> None:
    diagram = Diagram(
        (
            Lane("in", (Record(0, "next", "a"), Record(0, "next", "b"))),
            Lane("out", (Record(1, "next", "c"), Record(2, "complete"))),
        ),
        title="merge",
    )
    assert str(diagram) == "merge\nin   (ab)\nout  -   c|"


def test_an_expectation_exposes_its_diagram_after_passing() -> None:
    with marbles() as m:
        expectation = m.expect(m.cold("-a|"))
        expectation.to_be("-a|")
    assert str(expectation.diagram) == (
        "frame 0 = subscription at virtual frame 0\nexpected  -a|\nactual    -a|"
    )
    assert expectation.diagram.marked == ()


def test_a_hot_diagram_is_drawn_with_its_past() -> None:
    with marbles() as m:
        source = m.hot("a-^-b|")
        m.expect(source).to_be("--b|")
    diagram = Diagram.from_records(source.records, name="hot")
    assert str(diagram) == "hot  a-^-b|" == f"hot  {to_marbles(source.records)}"
    lanes = _lanes(diagram.to_svg())
    assert [g.get("data-frame") for g in _marks(lanes["hot"], "next")] == ["-2", "2"]
    assert [w.get("data-from") for w in _marks(lanes["hot"], "subscription")] == ["0"]


def test_quotes_and_control_characters_in_labels_keep_the_svg_well_formed() -> None:
    class Colored:
        def __repr__(self) -> str:
            return "\x1b[31m<red & 'quoted' \"value\">\x1b[0m"

    diagram = Diagram(
        (Lane("in\x00<\"'>", (Record(0, "next", Colored()),)),),
        title="t\x07 < u",
    )
    root = ET.fromstring(diagram.to_svg())
    titles = [t.text for t in root.iter(f"{SVG}title")]
    assert titles == ["a = \ufffd[31m<red & 'quoted' \"value\">\ufffd[0m"]
    assert list(_lanes(diagram.to_svg())) == ["in\ufffd<\"'>"]


def test_the_svg_paints_its_own_white_background_for_dark_themes() -> None:
    # Its text and lines are dark: on a dark notebook theme, a transparent
    # SVG was black on black.
    root = ET.fromstring(Diagram.from_records([Record(1, "next", "a")]).to_svg())

    background = root[0]
    assert background.tag == f"{SVG}rect"
    assert background.get("class") == "background"
    assert (background.get("width"), background.get("height")) == ("100%", "100%")
    assert background.get("fill") == "#fff"
