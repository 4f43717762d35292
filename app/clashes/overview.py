"""The year at a glance as an SVG picture: a pure function from counts and holidays to markup.

Twelve month rows of up to 31 day cells. Each cell is shaded by what kind of day it is
(weekday, weekend, free weekend, school holidays, public holiday), shows the number of
events and a small bar per district. Every text is escaped by ElementTree; no JavaScript
is needed. The page shows a text table next to it for screen readers.
"""

from __future__ import annotations

import calendar as month_calendar
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from xml.etree import ElementTree as ET

SVG_NS = "http://www.w3.org/2000/svg"
CELL_W, CELL_H = 26, 30
LEFT, TOP = 44, 22
BAR_H = 5
# Colour-blind friendly (Okabe-Ito), one per district in the order given.
DISTRICT_COLOURS = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#d55e00", "#56b4e9")
FILLS = {
    "weekday": "#ffffff",
    "weekend": "#e8eaee",
    "free_weekend": "#d7f0dc",
    "school": "#fde9b6",
    "holiday": "#f6c4c4",
}
KINDS = ("weekday", "weekend", "free_weekend", "school", "holiday")


@dataclass(frozen=True)
class Labels:
    """Every text the picture shows, already in the viewer's language."""

    title: str
    description: str
    months: Sequence[str]  # twelve names
    kinds: Mapping[str, str]  # legend text per KINDS entry
    events: Callable[[int], str]  # "3 events"
    day: Callable[[date], str]  # a day as the viewer reads it


@dataclass(frozen=True)
class DayInfo:
    """What the picture knows about one day."""

    kind: str
    total: int
    per_district: Mapping[str, int]
    notes: Sequence[str]


def day_kind(day: date, total: int, school: bool, holiday: bool) -> str:
    """Public holidays first, then school holidays, then (free) weekends."""
    if holiday:
        return "holiday"
    if school:
        return "school"
    if day.weekday() >= 5:
        return "free_weekend" if total == 0 else "weekend"
    return "weekday"


def year_days(year: int, counts: Mapping[date, Mapping[str, int]],
              school_holidays: Mapping[date, str], public_holidays: Mapping[date, str]
              ) -> dict[date, DayInfo]:
    """Every day of ``year`` with its kind, counts and notes (holiday names)."""
    days = {}
    for month in range(1, 13):
        for number in range(1, month_calendar.monthrange(year, month)[1] + 1):
            day = date(year, month, number)
            per_district = {code: n for code, n in (counts.get(day) or {}).items() if n}
            total = sum(per_district.values())
            notes = [name for name in (public_holidays.get(day), school_holidays.get(day))
                     if name]
            days[day] = DayInfo(day_kind(day, total, day in school_holidays,
                                         day in public_holidays),
                                total, per_district, notes)
    return days


def _el(parent, tag: str, text: str | None = None, **attrs) -> ET.Element:
    element = ET.SubElement(parent, tag, {key.rstrip("_").replace("_", "-"): str(value)
                                           for key, value in attrs.items()})
    if text is not None:
        element.text = text
    return element


def year_svg(year: int, days: Mapping[date, DayInfo], districts: Sequence[tuple[str, str]],
             labels: Labels) -> str:
    """The SVG markup (a string, safe to embed in HTML) of ``year``'s days."""
    colours = {code: DISTRICT_COLOURS[index % len(DISTRICT_COLOURS)]
               for index, (code, _name) in enumerate(districts)}
    width = LEFT + 31 * CELL_W + 4
    grid_bottom = TOP + 12 * CELL_H
    legend_top = grid_bottom + 16
    svg = ET.Element("svg", {
        "xmlns": SVG_NS, "role": "img",
        "aria-labelledby": "year-svg-title year-svg-desc", "class": "year-svg",
        "font-family": "system-ui, sans-serif",
    })
    _el(svg, "title", labels.title, id="year-svg-title")
    _el(svg, "desc", labels.description, id="year-svg-desc")
    for number in range(1, 32):
        _el(svg, "text", str(number), x=LEFT + (number - 1) * CELL_W + CELL_W / 2,
            y=TOP - 7, font_size=9, text_anchor="middle", fill="#555")
    bar_w = (CELL_W - 4) / max(1, len(districts))
    for month in range(1, 13):
        y = TOP + (month - 1) * CELL_H
        _el(svg, "text", labels.months[month - 1][:3], x=4, y=y + CELL_H / 2 + 4,
            font_size=11, fill="#222")
        for number in range(1, month_calendar.monthrange(year, month)[1] + 1):
            day = date(year, month, number)
            info = days.get(day) or DayInfo(day_kind(day, 0, False, False), 0, {}, ())
            x = LEFT + (number - 1) * CELL_W
            cell = _el(svg, "g", class_=f"year-day year-day--{info.kind}", data_day=day.isoformat())
            tip = [labels.day(day), labels.events(info.total)]
            if info.per_district:
                tip.append(", ".join(f"{code} {count}"
                                     for code, count in sorted(info.per_district.items())))
            tip.extend(info.notes)
            _el(cell, "title", " · ".join(tip))
            _el(cell, "rect", x=x + 1, y=y + 1, width=CELL_W - 2, height=CELL_H - 2,
                fill=FILLS[info.kind], stroke="#c3c8d0" if info.kind != "weekday" else "#dde1e6",
                stroke_width=1)
            if info.total:
                _el(cell, "text", str(info.total), x=x + CELL_W / 2, y=y + CELL_H / 2 + 2,
                    font_size=12, font_weight="bold", text_anchor="middle", fill="#111")
            for index, (code, _name) in enumerate(districts):
                if info.per_district.get(code):
                    _el(cell, "rect", x=round(x + 2 + index * bar_w, 2),
                        y=y + CELL_H - BAR_H - 2, width=round(bar_w - 0.5, 2), height=BAR_H,
                        fill=colours[code])
    legend = _el(svg, "g", class_="legend")
    items = [(FILLS[kind], labels.kinds[kind], 14) for kind in KINDS]
    items += [(colours[code], f"{code} – {name}", BAR_H + 4) for code, name in districts]
    x, y = LEFT, legend_top
    for fill, text, box in items:
        needed = 26 + 6.2 * len(text)
        if x > LEFT and x + needed > width:
            x, y = LEFT, y + 22
        _el(legend, "rect", x=x, y=y + (14 - box) / 2, width=14, height=box, fill=fill,
            stroke="#8a929e", stroke_width=1)
        _el(legend, "text", text, x=x + 18, y=y + 11, font_size=11, fill="#222")
        x += needed
    svg.set("viewBox", f"0 0 {width} {y + 22}")
    return ET.tostring(svg, encoding="unicode")
