"""A mission's badge: an SVG of its progress and status, for a website or a README.

Drawn like the badges on code hosting sites (shields.io): a grey label and a coloured
value. Text is laid out without a browser, so widths are estimated per character and
the SVG's textLength makes the drawn text exactly that wide, whatever font is found.
"""

from datetime import date
from typing import Any

from metrics.progress import Status
from metrics.rollups import figures_of
from metrics.templatetags.metric_charts import percent
from missions.models import Mission


def badge(mission: Mission, today: date) -> dict[str, Any]:
    """The figures on a mission's badge: its progress and status, as the row stores them."""
    rollup = figures_of(mission, today)
    return {
        "title": mission.title,
        "progress": rollup.progress,
        "expected": rollup.expected,
        "status": rollup.status,
    }


BADGE_HEIGHT = 20
BADGE_PADDING = 6
BADGE_LABEL_MAX = 32
BADGE_COLOURS = {
    Status.ON_TRACK: "#1d7a46",
    Status.AT_RISK: "#8a5a00",
    Status.OFF_TRACK: "#b42318",
    Status.NO_DATA: "#5d6470",
}
_NARROW = set("fijlrtI.,:;!|'() ")
_WIDE = set("mwMW@%")


def _text_width(text: str) -> float:
    """About how wide `text` is in 11px Verdana, the badge's font."""
    width = 0.0
    for char in text:
        if char in _NARROW:
            width += 3.9
        elif char in _WIDE:
            width += 10.0
        elif char.isupper() or char.isdigit():
            width += 7.4
        else:
            width += 6.6
    return round(width, 1)


def badge_drawing(figures: dict[str, Any]) -> dict[str, Any]:
    """Where the badge's boxes and texts go, for public/badge.svg."""
    title = figures["title"]
    label = title if len(title) <= BADGE_LABEL_MAX else title[: BADGE_LABEL_MAX - 1] + "…"
    status: Status = figures["status"]
    if figures["progress"] is None:
        value = status.label.lower()
    else:
        value = f"{percent(figures['progress'])} · {status.label.lower()}"
    label_text, value_text = _text_width(label), _text_width(value)
    label_box = round(label_text + 2 * BADGE_PADDING, 1)
    value_box = round(value_text + 2 * BADGE_PADDING, 1)
    return {
        "label": label,
        "value": value,
        "colour": BADGE_COLOURS[status],
        "height": BADGE_HEIGHT,
        "width": round(label_box + value_box, 1),
        "label_box": label_box,
        "value_box": value_box,
        "label_x": round(label_box / 2, 1),
        "value_x": round(label_box + value_box / 2, 1),
        "label_text": label_text,
        "value_text": value_text,
    }
