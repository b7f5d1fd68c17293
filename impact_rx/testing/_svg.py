"""SVG drawing of a :class:`Diagram`: lanes, the time axis and the marks.

Every element carries a ``class`` (``background``, ``lane``, ``next``,
``complete``, ``error``, ``subscription``, ``difference``, ``axis``, ``tick``)
and marks carry ``data-frame``, so tests and stylesheets can find them. Quiet
stretches are shortened on the axis and flagged with a ``break`` mark; ticks
name the real frame numbers (a label that would overlap its neighbour is left
out). The drawing paints its own white background, so dark themes keep it
readable.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from typing import TYPE_CHECKING

from ._diagram import Labeler, Lane
from ._records import Record

if TYPE_CHECKING:
    from ._diagram import Diagram

__all__ = ["render_svg"]

_NS = "http://www.w3.org/2000/svg"
_LEFT = 90
_RIGHT = 24
_TOP = 28
_LANE = 56
_UNIT = 28
_MARBLE = 22
_MAX_GAP_UNITS = 3
_INK = "#333"
_CHAR = 7.5  # the width of one monospace character at font-size 12


# Characters XML 1.0 cannot hold even escaped, e.g. the ESC of a colored repr.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_safe(root: ET.Element) -> None:
    """Replace characters XML cannot hold with U+FFFD in texts and attributes."""
    for element in root.iter():
        if element.text:
            element.text = _NOT_XML.sub("\ufffd", element.text)
        for key, value in element.attrib.items():
            element.set(key, _NOT_XML.sub("\ufffd", value))


def _frames_of(lane: Lane) -> set[int]:
    frames = {r.frame for r in lane.records}
    frames |= {f for f in (lane.subscribed, lane.unsubscribed) if f is not None}
    frames |= {lane.start, lane.last_frame()}
    return frames


def _axis(
    lanes: tuple[Lane, ...], widths: dict[int, int]
) -> tuple[dict[int, float], list[float]]:
    """The x of every key frame, and the x of each shortened gap."""
    keys = sorted(set().union(*(_frames_of(lane) for lane in lanes)) or {0})
    xs: dict[int, float] = {}
    breaks: list[float] = []
    x = float(_LEFT + _UNIT)
    previous: int | None = None
    for frame in keys:
        if previous is not None:
            gap = frame - previous
            units = min(gap, _MAX_GAP_UNITS)
            x += units * _UNIT + (widths.get(previous, 1) - 1) * _MARBLE
            if gap > _MAX_GAP_UNITS:
                breaks.append(x - units * _UNIT / 2)
        xs[frame] = x
        previous = frame
    return xs, breaks


def _sub(parent: ET.Element, tag: str, **attributes: object) -> ET.Element:
    element = ET.SubElement(parent, tag)
    for key, value in attributes.items():
        element.set(key.rstrip("_").replace("_", "-"), str(value))
    return element


def render_svg(diagram: Diagram) -> str:
    """Draw ``diagram`` as a standalone SVG document.

    Labels are XML-escaped, and characters XML cannot hold at all (control
    characters from a colored ``repr``) become U+FFFD, so the document is
    always well-formed.
    """
    labels = diagram.labels()
    lanes = diagram.lanes
    widths: dict[int, int] = {}
    for lane in lanes:
        for frame, count in Counter(r.frame for r in lane.records).items():
            widths[frame] = max(widths.get(frame, 1), count)
    xs, breaks = _axis(lanes, widths)
    right = max(xs.values()) + (widths.get(max(xs), 1) - 1) * _MARBLE + _UNIT + _RIGHT
    height = _TOP + _LANE * (len(lanes) + 1)

    svg = ET.Element("svg")
    svg.set("xmlns", _NS)
    svg.set("width", str(int(right)))
    svg.set("height", str(height))
    svg.set("viewBox", f"0 0 {int(right)} {height}")
    svg.set("font-family", "monospace")
    svg.set("font-size", "12")
    # Its own background: the ink is dark, and a transparent SVG on a dark
    # notebook theme would be black on black.
    _sub(svg, "rect", class_="background", width="100%", height="100%", fill="#fff")
    if diagram.title:
        title = _sub(svg, "text", class_="title", x=8, y=16)
        title.text = diagram.title

    for frame in diagram.marked:
        x = xs[frame]
        _sub(
            svg,
            "line",
            class_="difference",
            data_frame=frame,
            x1=x,
            y1=_TOP,
            x2=x,
            y2=_TOP + _LANE * len(lanes),
            stroke="#c00",
            stroke_dasharray="4 3",
        )

    for index, lane in enumerate(lanes):
        y = _TOP + _LANE * index + _LANE / 2
        _draw_lane(svg, lane, labels, xs, y)

    axis_y = _TOP + _LANE * len(lanes) + 12
    axis = _sub(svg, "g", class_="axis")
    _sub(axis, "line", x1=_LEFT, y1=axis_y, x2=right - _RIGHT, y2=axis_y, stroke=_INK)
    free_from = float("-inf")
    for frame, x in xs.items():
        _sub(axis, "line", x1=x, y1=axis_y - 4, x2=x, y2=axis_y + 4, stroke=_INK)
        half = _CHAR * len(str(frame)) / 2
        if x - half < free_from:
            continue  # the label would overlap the previous one
        tick = _sub(
            axis, "text", class_="tick", x=x, y=axis_y + 18, text_anchor="middle"
        )
        tick.text = str(frame)
        free_from = x + half + _CHAR
    for x in breaks:
        mark = _sub(
            axis, "text", class_="break", x=x, y=axis_y + 4, text_anchor="middle"
        )
        mark.text = "≈"
    label = _sub(axis, "text", class_="axis-label", x=8, y=axis_y + 18)
    label.text = "frame (ms)"

    _xml_safe(svg)
    return ET.tostring(svg, encoding="unicode")


def _draw_lane(
    svg: ET.Element, lane: Lane, labels: Labeler, xs: dict[int, float], y: float
) -> None:
    group = _sub(svg, "g", class_="lane", data_name=lane.name)
    name = _sub(group, "text", class_="lane-name", x=8, y=y + 4)
    name.text = lane.name

    if lane.subscribed is not None or lane.unsubscribed is not None:
        _draw_window(group, lane, xs, y)

    stop = lane.stop()
    end = stop if stop is not None else lane.last_frame()
    x_start, x_end = xs[lane.start] - _UNIT / 2, xs.get(end, max(xs.values()))
    timeline = _sub(group, "line", class_="timeline", x1=x_start, y1=y, x2=x_end, y2=y)
    timeline.set("stroke", _INK)

    slots: dict[int, int] = {}
    for index, record in enumerate(lane.records):
        slot = slots.get(record.frame, 0)
        slots[record.frame] = slot + 1
        x = xs[record.frame] + slot * _MARBLE
        _draw_mark(group, record, labels, x, y, lane.token(index, labels))

    if lane.unsubscribed is not None:
        bang = _sub(
            group,
            "text",
            class_="unsubscribe",
            data_frame=lane.unsubscribed,
            x=xs[lane.unsubscribed],
            y=y - 12,
            text_anchor="middle",
        )
        bang.text = "!"


def _draw_window(group: ET.Element, lane: Lane, xs: dict[int, float], y: float) -> None:
    """Shade the frames during which the lane's subscriber was subscribed."""
    first = lane.subscribed if lane.subscribed is not None else lane.start
    last = lane.unsubscribed if lane.unsubscribed is not None else lane.last_frame()
    _sub(
        group,
        "rect",
        class_="subscription",
        data_from=first,
        data_to=last,
        x=xs[first],
        y=y - _MARBLE,
        width=max(xs[last] - xs[first], 2),
        height=2 * _MARBLE,
        fill="#4a90d9",
        fill_opacity="0.12",
    )


def _draw_mark(
    group: ET.Element,
    record: Record,
    labels: Labeler,
    x: float,
    y: float,
    token: str,
) -> None:
    """A circle with its label, a completion bar or an error cross."""
    if record.kind == "complete":
        bar = _sub(group, "line", class_="complete", data_frame=record.frame)
        _line(bar, x, y - 10, x, y + 10, _INK)
        return

    kind = "next" if record.kind == "next" else "error"
    mark = _sub(group, "g", class_=kind, data_frame=record.frame)
    if record.kind == "next":
        radius = _MARBLE / 2 - 1
        _sub(mark, "circle", cx=x, cy=y, r=radius, fill="#fff", stroke=_INK)
        text = _sub(mark, "text", x=x, y=y + 4, text_anchor="middle")
        text.text = token
    else:
        _line(_sub(mark, "line"), x - 7, y - 7, x + 7, y + 7, "#c00")
        _line(_sub(mark, "line"), x - 7, y + 7, x + 7, y - 7, "#c00")
    _sub(mark, "title").text = labels.describe(record, token)


def _line(
    element: ET.Element, x1: float, y1: float, x2: float, y2: float, ink: str
) -> None:
    for key, value in (("x1", x1), ("y1", y1), ("x2", x2), ("y2", y2)):
        element.set(key, str(value))
    element.set("stroke", ink)
    element.set("stroke-width", "3")
