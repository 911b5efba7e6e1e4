"""The geometry of a metric's chart and sparkline, worked out in Python for SVG templates.

Everything here is a pure function of plain values; the templates in templates/metrics/
only place what these functions return. Coordinates are rounded to one decimal place so
the SVG stays small.
"""

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from core import numbers
from core.dates import MONTHS, day_month_year, month_year
from metrics.forecast import Forecast

# Text is laid out without a browser, so widths are estimated from the character count.
# 7 units a character is generous for the 13px system font the stylesheet sets.
CHAR_WIDTH = 7.0
ROW_HEIGHT = 18.0
MAX_Y_TICKS = 6
# The narrowest gap between x labels ("Sep" over "2026") before they would collide.
MIN_X_TICK_GAP = 44.0
NICE_MANTISSAS = (1.0, 2.0, 2.5, 5.0)
# A forecast may stretch the y-axis by this share of the data's range, and no more:
# a runaway trend is cut at the edge of the plot rather than flattening everything else.
FORECAST_HEADROOM = 0.5
# A chart with nothing to draw is a short box at any width.
EMPTY_HEIGHT = 140


@dataclass(frozen=True, slots=True)
class Plot:
    """The rectangle the data is drawn in, in SVG user units."""

    left: float
    top: float
    right: float
    bottom: float

    @property
    def width(self) -> float:
        return round(self.right - self.left, 1)

    @property
    def height(self) -> float:
        return round(self.bottom - self.top, 1)


@dataclass(frozen=True, slots=True)
class Tick:
    at: float  # x for a date tick, y for a value tick
    label: str
    sublabel: str = ""  # the year under a month
    is_zero: bool = False  # the zero line of an axis that crosses zero


@dataclass(frozen=True, slots=True)
class Dot:
    x: float
    y: float
    title: str  # read out and shown on hover: "12 Mar 2026: 42 tonnes"


@dataclass(frozen=True, slots=True)
class LegendItem:
    kind: str  # "actual", "target" or "forecast" (a line sample, class chart-<kind>) or "marker"
    label: str
    x1: float  # the line sample runs from x1 to x2
    x2: float
    text_x: float
    y: float  # the text's baseline

    @property
    def line_y(self) -> float:
        return round(self.y - 4, 1)

    @property
    def mid_x(self) -> float:
        return round((self.x1 + self.x2) / 2, 1)


@dataclass(frozen=True, slots=True)
class Marker:
    """The "today" line and its label."""

    x: float
    label_x: float
    label_y: float
    anchor: str  # SVG text-anchor of the label


@dataclass(frozen=True, slots=True)
class Chart:
    width: int
    height: int
    plot: Plot
    title: str
    description: str
    unit: str
    y_ticks: tuple[Tick, ...]
    x_ticks: tuple[Tick, ...]
    actual_path: str  # "" when there are no check-ins
    dots: tuple[Dot, ...]
    dot_radius: float
    # Too many check-ins for dots to read as dots, or to hover one by one: only the
    # latest is drawn. (Every reading is listed on the metric's page; a report's chart
    # with a dot and hover title per reading weighed 40 KB.)
    dots_quiet: bool
    target_path: str  # baseline to target, "" without both
    baseline_dot: Dot | None
    target_dot: Dot | None
    forecast_path: str  # last check-in to the target date, "" without a forecast
    forecast_dot: Dot | None  # the forecast's end, when it lies inside the plot
    today: Marker | None
    legend: tuple[LegendItem, ...]
    empty_message: str  # shown in the plot when there is nothing to draw

    @property
    def y_label_x(self) -> float:
        return round(self.plot.left - 10, 1)

    @property
    def x_tick_end(self) -> float:
        return round(self.plot.bottom + 5, 1)

    @property
    def x_label_y(self) -> float:
        return round(self.plot.bottom + 18, 1)

    @property
    def x_sublabel_y(self) -> float:
        return round(self.plot.bottom + 33, 1)

    @property
    def unit_y(self) -> float:
        return round(self.plot.top - 10, 1)

    @property
    def centre_x(self) -> float:
        return round((self.plot.left + self.plot.right) / 2, 1)

    @property
    def centre_y(self) -> float:
        return round((self.plot.top + self.plot.bottom) / 2, 1)


@dataclass(frozen=True, slots=True)
class Sparkline:
    width: int
    height: int
    points: str  # an SVG polyline's points, "" for fewer than two values
    last: tuple[float, float] | None


def plain_number(value: float) -> str:
    """1,250 · 3.5 · -12: how a value reads when the caller gives no formatter."""
    return numbers.readable(value)


def _round(value: float) -> float:
    return round(value, 1) + 0.0  # + 0.0 turns -0.0 into 0.0


def _coords(x: float, y: float) -> str:
    return f"{_short(x)},{_short(y)}"


def _short(value: float) -> str:
    # Formatting rounds exactly as _round does (both round the float's exact value half
    # to even), without building the rounded float first: a chart writes hundreds of these.
    text = f"{value:.1f}"
    if text.endswith(".0"):
        text = text[:-2]
    return "0" if text == "-0" else text


# Value axis


def nice_ticks(low: float, high: float, max_ticks: int = MAX_Y_TICKS) -> list[float]:
    """3 to `max_ticks` round numbers spanning low..high, 1, 2, 2.5 or 5 (x 10ⁿ) apart."""
    if high < low:
        low, high = high, low
    if high == low:
        # A flat line sits mid-chart on an axis from zero, which reads as "no change".
        if low == 0:
            low, high = 0.0, 1.0
        elif low > 0:
            low, high = 0.0, low * 2
        else:
            low, high = low * 2, 0.0
    span = high - low
    magnitude = 10 ** math.floor(math.log10(span / max_ticks))
    for exponent_step in (magnitude, magnitude * 10, magnitude * 100):
        for mantissa in NICE_MANTISSAS:
            step = mantissa * exponent_step
            # The 1e-9 keeps float noise (120 / 25 = 4.800000000000001) from adding a step.
            first = math.floor(low / step + 1e-9)
            last = math.ceil(high / step - 1e-9)
            if last - first + 1 <= max_ticks:
                if last - first < 2:  # fewer than three ticks: widen by one step
                    last += 1
                # Round away float noise (0.30000000000000004) to the step's precision.
                digits = max(0, 2 - math.floor(math.log10(step)))
                return [round(i * step, digits) + 0.0 for i in range(first, last + 1)]
    raise AssertionError("unreachable: a step of 100 times the span always fits")


def tick_labels(ticks: Sequence[float]) -> list[str]:
    """Short axis labels, alike in scale and decimals: 0 · 2,500 · 12k · 1.5m · 0.25."""
    step = ticks[1] - ticks[0]
    size = max(abs(t) for t in ticks)
    # (suffix, scale, from): "k" only from 10,000, since 2,500 reads better than 2.5k.
    for suffix, scale, start in (("m", 1e6, 1e6), ("k", 1e3, 1e4), ("", 1.0, 0.0)):
        decimals = _decimals(step / scale)
        # Thousands and millions only when the step still reads in a digit or so.
        if (size >= start and decimals <= 1) or not suffix:
            break
    return [
        "0" if t == 0 else f"{t / scale:,.{decimals}f}{suffix}".replace("-", "\N{MINUS SIGN}")
        for t in ticks
    ]


def _decimals(step: float) -> int:
    """How many decimals show every multiple of `step` exactly (a nice step needs few)."""
    for decimals in range(12):
        shifted = step * 10**decimals
        if round(shifted) != 0 and abs(shifted - round(shifted)) <= 1e-6 * abs(shifted):
            return decimals
    return 12


# Date axis

# Steps between date labels: months for a span of a few years, then years, for any span
# a stored date can make (year 1 to year 9999).
MONTH_STEPS = (1, 2, 3, 6)
YEAR_STEPS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)
# However wide the chart, a date axis reads at a glance with this many labels at most.
MAX_X_TICKS = 8


def _month_start(on: date) -> date:
    return on.replace(day=1)


def _add_months(on: date, months: int) -> date:
    """The first day of the month `months` after `on`'s, held to the dates Python has."""
    index = on.year * 12 + on.month - 1 + months
    year, month = divmod(index, 12)
    if year > date.max.year:
        return date.max
    if year < date.min.year:
        return date.min
    return date(year, month + 1, 1)


def _months_between(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month


def date_ticks(start: date, end: date, plot_width: float) -> tuple[int, list[date]]:
    """(months per tick, first days of the ticked months) between start and end.

    Ticks fall on months aligned to the step (quarters on Jan, Apr, Jul, Oct; years on
    January of years the step divides), as many as fit without the labels touching and
    never more than MAX_X_TICKS, whatever the span: a day or ten thousand years.
    """
    most = min(MAX_X_TICKS, max(2, int(plot_width // MIN_X_TICK_GAP) + 1))
    months = _months_between(start, end)
    steps = (*MONTH_STEPS, *(12 * years for years in YEAR_STEPS))
    step = next((s for s in steps if months // s + 1 <= most), steps[-1])
    first = start.year * 12 + start.month - 1 + (start.day != 1)  # months since year 0
    first += -first % step  # the first aligned month: years on January of a multiple
    last = end.year * 12 + end.month - 1
    ticks = [date(index // 12, index % 12 + 1, 1) for index in range(first, last + 1, step)]
    return step, ticks


# The chart


def metric_chart(
    points: Sequence[tuple[date, float]],
    *,
    baseline: tuple[date, float] | None,
    target: tuple[date, float] | None,
    forecast: Forecast | None,
    today: date,
    width: int = 640,
    height: int = 280,
    name: str = "",
    unit: str = "",
    value_label: Callable[[float], str] = plain_number,
    yes_no: bool = False,
    start_label: str = "Baseline",
) -> Chart:
    """Everything a template needs to draw a metric's history, target path and forecast.

    `points` are the current check-ins as (date, value). `baseline` is where the target
    path starts: the baseline, or what `start_label` names instead (a first check-in).
    `value_label` formats a value
    for people ("64 tonnes", "£3,400"); `unit` is the short caption over the value axis.
    A yes/no metric is drawn as steps on a No–Yes axis, with no target path or forecast:
    a straight line between no and yes means nothing.
    """
    points = _sorted_points(points)
    baseline = (baseline[0], float(baseline[1])) if baseline else None
    target = (target[0], float(target[1])) if target else None
    if yes_no:
        forecast = None
    label = _labeller(value_label, yes_no)
    title = name or "Metric chart"
    description = chart_description(
        points, target=target, forecast=forecast, name=name, value_label=value_label, yes_no=yes_no
    )
    # A target alone is one dot with nothing to measure it against: drawn, it was an
    # empty plot on an axis stretched to twice the target. It reads as "no check-ins yet".
    if not (points or baseline):
        return _empty_chart(width, min(height, EMPTY_HEIGHT), title, description)

    forecast_end = None
    if forecast and target and points and target[0] > points[-1][0]:
        forecast_end = (target[0], forecast.value_at_target_date)

    # The value axis shows every check-in, the baseline and the target, and the forecast
    # as far as FORECAST_HEADROOM allows.
    if yes_no:
        y_values, labels = [0.0, 1.0], ["No", "Yes"]
    else:
        known = [v for _, v in points] + [p[1] for p in (baseline, target) if p]
        low, high = min(known), max(known)
        if forecast_end:
            room = (high - low) * FORECAST_HEADROOM or abs(high) or 1.0
            # A metric that has never been negative is not drawn heading below zero.
            floor = low - room if low < 0 else max(0.0, low - room)
            projected = min(max(forecast_end[1], floor), high + room)
            low, high = min(low, projected), max(high, projected)
        y_values = nice_ticks(low, high)
        labels = tick_labels(y_values)
    y_low, y_high = y_values[0], y_values[-1]

    # The date axis runs from the earliest thing shown to the latest, in whole months.
    dates = [on for on, _ in points] + [p[0] for p in (baseline, target) if p] + [today]
    start = _month_start(min(dates))
    end = max(dates)
    end = end if end.day == 1 and end > start else _add_months(end, 1)
    span_days = (end - start).days

    # Rows from the top: the legend, the unit and "Today", then the plot; the x labels
    # (month, and year beneath) below it.
    left = max(28.0, max(len(text) for text in labels) * CHAR_WIDTH + 14)
    plot = Plot(_round(left), ROW_HEIGHT * 2 + 10, _round(width - 20), _round(height - 40))

    def x_of(on: date | float) -> float:
        days = on if isinstance(on, float) else (on - start).days
        return _round(plot.left + days / span_days * plot.width)

    def y_of(value: float) -> float:
        return _round(plot.bottom - (value - y_low) / (y_high - y_low) * plot.height)

    y_ticks = tuple(
        Tick(y_of(v), text, is_zero=(v == 0 and y_low < 0))
        for v, text in zip(y_values, labels, strict=True)
    )
    month_step, tick_dates = date_ticks(start, end, plot.width)
    x_ticks = tuple(
        Tick(x_of(on), str(on.year))
        if month_step >= 12
        else Tick(
            x_of(on),
            MONTHS[on.month - 1],
            str(on.year) if i == 0 or on.month <= month_step else "",
        )
        for i, on in enumerate(tick_dates)
    )

    dots = tuple(Dot(x_of(on), y_of(v), f"{day_month_year(on)}: {label(v)}") for on, v in points)
    actual_path = ""
    if len(dots) > 1:  # one reading is a dot, not a line
        actual_path = f"M{_coords(dots[0].x, dots[0].y)}" + "".join(
            f" H{_short(dot.x)} V{_short(dot.y)}" if yes_no else f" L{_coords(dot.x, dot.y)}"
            for dot in dots[1:]
        )

    baseline_dot = target_dot = None
    if baseline:
        baseline_dot = Dot(
            x_of(baseline[0]),
            y_of(baseline[1]),
            f"{start_label}: {label(baseline[1])} in {month_year(baseline[0])}",
        )
    if target:
        target_dot = Dot(
            x_of(target[0]),
            y_of(target[1]),
            f"Target: {label(target[1])} by {month_year(target[0])}",
        )
    target_path = ""
    if baseline_dot and target_dot and not yes_no:
        target_path = (
            f"M{_coords(baseline_dot.x, baseline_dot.y)} L{_coords(target_dot.x, target_dot.y)}"
        )

    forecast_path = ""
    forecast_dot = None
    if forecast_end:
        (from_on, from_value), (to_on, to_value) = points[-1], forecast_end
        x0, x1 = float((from_on - start).days), float((to_on - start).days)
        y1 = min(max(to_value, y_low), y_high)
        if y1 != to_value:
            # Cut the line where it leaves the plot, rather than stretch the axis for it.
            x1 = x0 + (y1 - from_value) / (to_value - from_value) * (x1 - x0)
        else:
            forecast_dot = Dot(
                x_of(x1), y_of(y1), f"Forecast for {month_year(to_on)}: {label(to_value)}"
            )
        forecast_path = f"M{_coords(x_of(x0), y_of(from_value))} L{_coords(x_of(x1), y_of(y1))}"

    legend_entries = [("actual", "Actual")] if points else []
    if target_path:
        legend_entries.append(("target", "Target path"))
    elif target_dot:
        legend_entries.append(("marker", "Target"))
    if forecast_path:
        legend_entries.append(("forecast", "Forecast"))

    quiet = len(dots) * 12 > plot.width
    return Chart(
        width=width,
        height=height,
        plot=plot,
        title=title,
        description=description,
        unit=unit,
        y_ticks=y_ticks,
        x_ticks=x_ticks,
        actual_path=actual_path,
        dots=dots[-1:] if quiet else dots,
        dot_radius=4.0,
        dots_quiet=quiet,
        target_path=target_path,
        baseline_dot=baseline_dot,
        target_dot=target_dot,
        forecast_path=forecast_path,
        forecast_dot=forecast_dot,
        today=_today_marker(x_of(today), plot, width, unit),
        legend=_legend(legend_entries),
        empty_message="",
    )


def _sorted_points(points: Sequence[tuple[date, float]]) -> list[tuple[date, float]]:
    return sorted(((on, float(value)) for on, value in points), key=lambda p: p[0])


def _labeller(value_label: Callable[[float], str], yes_no: bool) -> Callable[[float], str]:
    if not yes_no:
        return value_label
    return lambda value: "Yes" if value else "No"


def chart_description(
    points: Sequence[tuple[date, float]],
    *,
    target: tuple[date, float] | None,
    forecast: Forecast | None,
    name: str = "",
    value_label: Callable[[float], str] = plain_number,
    yes_no: bool = False,
) -> str:
    """The description `metric_chart` gives its drawing for the same arguments, without
    drawing it: the text alternative of a chart shown as an image."""
    return describe(
        name or "The metric",
        _sorted_points(points),
        target=(target[0], float(target[1])) if target else None,
        forecast=None if yes_no else forecast,
        value_label=_labeller(value_label, yes_no),
        yes_no=yes_no,
    )


def _legend(entries: Sequence[tuple[str, str]]) -> tuple[LegendItem, ...]:
    items = []
    cursor = 0.0
    for kind, text in entries:
        items.append(LegendItem(kind, text, cursor, cursor + 22, cursor + 28, ROW_HEIGHT - 5))
        cursor += 28 + len(text) * CHAR_WIDTH + 18
    return tuple(items)


def _today_marker(x: float, plot: Plot, width: int, unit: str) -> Marker:
    """The label sits right of the line, clear of the unit caption, or left near the edge."""
    label_y = _round(plot.top - 10)
    if x + 4 + len("Today") * CHAR_WIDTH > width:
        return Marker(x, _round(x - 4), label_y, "end")
    unit_end = len(unit) * CHAR_WIDTH + 8 if unit else 0.0
    return Marker(x, _round(max(x + 4, unit_end)), label_y, "start")


def _empty_chart(width: int, height: int, title: str, description: str) -> Chart:
    return Chart(
        width=width,
        height=height,
        plot=Plot(0.0, 0.0, float(width), float(height)),
        title=title,
        description=description,
        unit="",
        y_ticks=(),
        x_ticks=(),
        actual_path="",
        dots=(),
        dot_radius=4.0,
        dots_quiet=False,
        target_path="",
        baseline_dot=None,
        target_dot=None,
        forecast_path="",
        forecast_dot=None,
        today=None,
        legend=(),
        empty_message="No check-ins yet",
    )


def describe(
    name: str,
    points: Sequence[tuple[date, float]],
    *,
    target: tuple[date, float] | None,
    forecast: Forecast | None,
    value_label: Callable[[float], str] = plain_number,
    yes_no: bool = False,
) -> str:
    """One plain paragraph saying what the chart shows, for people who cannot see it."""
    sentences = []
    target_clause = (
        f"the target is {value_label(target[1])} by {month_year(target[0])}" if target else ""
    )
    if not points:
        sentences.append(f"No check-ins have been recorded for {_lower_first(name)} yet")
        if target_clause:
            sentences[-1] += f"; {target_clause}"
    else:
        (first_on, first), (last_on, last) = points[0], points[-1]
        if len(points) == 1:
            history = f"{name} was {value_label(last)} on {day_month_year(last_on)}"
        else:
            period = (
                f"in {month_year(last_on)}"
                if month_year(first_on) == month_year(last_on)
                else f"between {month_year(first_on)} and {month_year(last_on)}"
            )
            if last == first:
                history = f"{name} stayed at {value_label(last)} {period}"
            else:
                verb = "changed" if yes_no else "rose" if last > first else "fell"
                history = f"{name} {verb} from {value_label(first)} to {value_label(last)} {period}"
        sentences.append(f"{history}; {target_clause}" if target_clause else history)
    if forecast and target and points:
        reaches = forecast.reaches_target_on
        last_on = points[-1][0]
        if reaches is not None and reaches <= last_on:
            sentences.append("It has reached the target")
        elif reaches is not None:
            when = "on time" if reaches <= target[0] else "after the target date"
            if reaches < target[0] and month_year(reaches) != month_year(target[0]):
                when = "ahead of the target date"
            sentences.append(
                f"At the current rate it reaches the target in {month_year(reaches)}, {when}"
            )
        else:
            sentences.append(
                "At the current rate it will not reach the target: it would be "
                f"{value_label(forecast.value_at_target_date)} by {month_year(target[0])}"
            )
    return ". ".join(sentences) + "."


def _lower_first(text: str) -> str:
    """ "Scope 1 emissions" mid-sentence, but leave "NPS" and "CO₂" alone."""
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text


# Sparklines

# The most readings a sparkline draws: one per two units of its width. Its line is 1.75
# units thick, so readings closer together only draw over the same pixels again.
SPARK_UNITS_PER_READING = 2.0


def sparkline(values: Sequence[float], width: int = 120, height: int = 28) -> Sparkline:
    """A small trend line filling its box, with room for the stroke and the last dot.

    More readings than the width can show are thinned (see `_drawn`), each one kept where
    it was: the line has the same ends, peaks and troughs, in fewer points.
    """
    if len(values) < 2:
        return Sparkline(width, height, "", None)
    inset = 3.0
    numbers = [float(v) for v in values]
    low, high = min(numbers), max(numbers)
    usable_w, usable_h = width - 2 * inset, height - 2 * inset
    span = high - low
    xs = _spread(len(numbers), inset, usable_w)
    flat_y = _short(height / 2)
    points = []
    for i in _drawn(numbers, int(usable_w / SPARK_UNITS_PER_READING)):
        y = flat_y if span == 0 else _short(inset + (high - numbers[i]) / span * usable_h)
        points.append(f"{xs[i]},{y}")
    last_y = height / 2 if span == 0 else inset + (high - numbers[-1]) / span * usable_h
    return Sparkline(width, height, " ".join(points), (_round(inset + usable_w), _round(last_y)))


@functools.lru_cache(maxsize=32)
def _spread(count: int, left: float, width: float) -> tuple[str, ...]:
    """The x of each of `count` readings spread evenly across `width` from `left`: the same
    for every sparkline with as many readings, so worked out once."""
    steps = count - 1
    return tuple(_short(left + i / steps * width) for i in range(count))


def _drawn(numbers: Sequence[float], most: int) -> range | list[int]:
    """The positions of the readings to draw: all of them, or when there are more than
    `most`, the first, the last, and the lowest and highest of each run of neighbours
    between them, so that no peak or trough is lost."""
    count = len(numbers)
    if count <= most:
        return range(count)
    runs = max(1, (most - 2) // 2)
    kept = {0, count - 1}
    value_at = numbers.__getitem__
    inner = count - 2
    for run in range(runs):
        start, end = 1 + run * inner // runs, 1 + (run + 1) * inner // runs
        if start < end:
            kept.add(min(range(start, end), key=value_at))
            kept.add(max(range(start, end), key=value_at))
    return sorted(kept)
