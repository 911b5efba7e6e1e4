"""The chart geometry (metrics/charts.py) and the templates that draw it, without a database."""

import itertools
import math
import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.template import engines
from django.template.loader import render_to_string
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from metrics.charts import (
    Chart,
    describe,
    metric_chart,
    nice_ticks,
    sparkline,
    tick_labels,
)
from metrics.forecast import Forecast, forecast
from metrics.models import CheckIn, Metric, MetricFormat
from metrics.progress import Status

TODAY = date(2026, 11, 3)
BASELINE = (date(2025, 1, 1), 120.0)
TARGET = (date(2029, 11, 1), 12.0)
EMISSIONS = [
    (date(2025, 1, 15), 120.0),
    (date(2025, 4, 15), 110.0),
    (date(2025, 7, 15), 104.0),
    (date(2025, 10, 15), 95.0),
    (date(2026, 1, 15), 88.0),
    (date(2026, 4, 15), 80.0),
    (date(2026, 7, 15), 71.0),
    (date(2026, 10, 15), 64.0),
]
SVG_NS = "{http://www.w3.org/2000/svg}"


def tonnes(value: float) -> str:
    return f"{value:,.0f} tonnes"


def emissions_chart(**overrides) -> Chart:
    arguments = {
        "baseline": BASELINE,
        "target": TARGET,
        "forecast": forecast(EMISSIONS, TARGET[1], TARGET[0], "decrease"),
        "today": TODAY,
        "name": "Scope 1 and 2 emissions",
        "unit": "tonnes CO₂e",
        "value_label": tonnes,
    }
    arguments.update(overrides)
    return metric_chart(EMISSIONS, **arguments)


def path_points(path: str) -> list[tuple[float, float]]:
    """The (x, y) pairs of an M/L path."""
    return [(float(x), float(y)) for x, y in re.findall(r"[ML](-?[\d.]+),(-?[\d.]+)", path)]


def assert_inside(chart: Chart, x: float, y: float) -> None:
    plot = chart.plot
    assert plot.left <= x <= plot.right, (x, plot)
    assert plot.top <= y <= plot.bottom, (y, plot)


def everything_drawn(chart: Chart) -> list[tuple[float, float]]:
    points = [(d.x, d.y) for d in chart.dots]
    points += path_points(chart.actual_path) + path_points(chart.target_path)
    points += path_points(chart.forecast_path)
    for marker in (chart.baseline_dot, chart.target_dot, chart.forecast_dot):
        if marker:
            points.append((marker.x, marker.y))
    return points


# Geometry


def test_everything_drawn_lies_inside_the_plot_area():
    chart = emissions_chart()
    assert len(everything_drawn(chart)) > 10
    for x, y in everything_drawn(chart):
        assert_inside(chart, x, y)
    assert chart.today is not None
    assert chart.plot.left <= chart.today.x <= chart.plot.right


def test_actual_line_passes_through_the_first_and_last_check_ins():
    points = [(date(2026, 1, 1), 100.0), (date(2026, 3, 1), 60.0), (date(2026, 6, 1), 20.0)]
    chart = metric_chart(
        points,
        baseline=(date(2026, 1, 1), 100.0),
        target=(date(2026, 12, 1), 0.0),
        forecast=None,
        today=date(2026, 6, 10),
    )
    plot = chart.plot
    # The axes run from 1 Jan to 1 Dec 2026 and from 0 to 100.
    assert chart.y_ticks[0].label == "0" and chart.y_ticks[-1].label == "100"
    span = (date(2026, 12, 1) - date(2026, 1, 1)).days
    first, *_, last = path_points(chart.actual_path)
    assert first == (plot.left, plot.top)
    assert last[0] == pytest.approx(plot.left + 151 / span * plot.width, abs=0.1)
    assert last[1] == pytest.approx(plot.bottom - 0.2 * plot.height, abs=0.1)
    assert [(d.x, d.y) for d in chart.dots] == path_points(chart.actual_path)


def test_dots_carry_the_date_and_value_as_their_title():
    chart = emissions_chart()
    assert chart.dots[0].title == "15 Jan 2025: 120 tonnes"
    assert chart.dots[-1].title == "15 Oct 2026: 64 tonnes"
    assert chart.target_dot is not None and chart.target_dot.title == (
        "Target: 12 tonnes by Nov 2029"
    )


def test_coordinates_are_rounded_to_one_decimal_place():
    chart = emissions_chart()
    paths = chart.actual_path + chart.target_path + chart.forecast_path
    assert not re.search(r"\d\.\d\d", paths)
    assert chart.dots and all(round(d.x, 1) == d.x and round(d.y, 1) == d.y for d in chart.dots)


def test_target_path_runs_from_baseline_to_target():
    chart = emissions_chart()
    assert chart.baseline_dot is not None and chart.target_dot is not None
    assert path_points(chart.target_path) == [
        (chart.baseline_dot.x, chart.baseline_dot.y),
        (chart.target_dot.x, chart.target_dot.y),
    ]


def test_forecast_runs_from_the_last_check_in_to_the_target_date():
    points = [(date(2026, 1, 1), 10.0), (date(2026, 4, 1), 20.0), (date(2026, 7, 1), 30.0)]
    trend = forecast(points, 80.0, date(2027, 6, 1), "increase")
    chart = metric_chart(
        points,
        baseline=(date(2026, 1, 1), 10.0),
        target=(date(2027, 6, 1), 80.0),
        forecast=trend,
        today=date(2026, 7, 10),
    )
    start, end = path_points(chart.forecast_path)
    assert start == (chart.dots[-1].x, chart.dots[-1].y)
    assert chart.target_dot is not None and end[0] == chart.target_dot.x
    assert chart.forecast_dot is not None and (chart.forecast_dot.x, chart.forecast_dot.y) == end
    assert [item.label for item in chart.legend] == ["Actual", "Target path", "Forecast"]


def test_a_runaway_forecast_is_cut_at_the_edge_of_the_plot():
    # Emissions falling fast enough to go below zero before the target date.
    chart = emissions_chart(forecast=Forecast(-0.1, -40.0, date(2028, 6, 1)))
    start, end = path_points(chart.forecast_path)
    assert chart.y_ticks[0].label == "0"  # never-negative data keeps a zero floor
    assert end[1] == chart.plot.bottom
    assert chart.target_dot is not None and start[0] < end[0] < chart.target_dot.x
    assert chart.forecast_dot is None


def test_no_forecast_line_when_the_target_date_has_passed():
    chart = emissions_chart(target=(date(2026, 6, 1), 12.0))
    assert chart.forecast_path == ""


def test_x_axis_labels_months_for_a_year_and_years_for_a_decade():
    # At most eight labels, however wide: a year is labelled every other month.
    year = metric_chart(
        [(date(2026, 1, 10), 1.0), (date(2026, 11, 20), 2.0)],
        baseline=None,
        target=None,
        forecast=None,
        today=TODAY,
        width=880,
    )
    assert [t.label for t in year.x_ticks][:3] == ["Jan", "Mar", "May"]
    assert year.x_ticks[0].sublabel == "2026" and year.x_ticks[1].sublabel == ""

    decade = metric_chart(
        [(date(2021, 3, 1), 1.0), (date(2030, 11, 1), 2.0)],
        baseline=None,
        target=None,
        forecast=None,
        today=TODAY,
        width=360,
    )
    labels = [t.label for t in decade.x_ticks]
    assert all(re.fullmatch(r"20\d\d", label) for label in labels)
    assert 2 <= len(labels) <= 8


def test_a_chart_spanning_the_whole_calendar_draws_a_few_year_labels():
    # Found: baseline 0001-01-01, target 9999-12-31 raised "year 10000 is out of range",
    # and a check-in in year 1 drew a label for every ten years, over each other.
    for width in (360, 600, 880):
        chart = metric_chart(
            [(date(1, 1, 1), 3.0), (date(2026, 1, 1), 4.0)],
            baseline=(date(1, 1, 1), 0.0),
            target=(date(9999, 12, 31), 10.0),
            forecast=forecast(
                [(date(1, 1, 1), 3.0), (date(2026, 1, 1), 4.0)], 10, date.max, "increase"
            ),
            today=TODAY,
            width=width,
        )
        labels = [t.label for t in chart.x_ticks]
        assert 2 <= len(labels) <= 8, labels
        assert all(re.fullmatch(r"\d{1,4}", label) for label in labels)
        assert [int(label) for label in labels] == sorted({int(label) for label in labels})
        gaps = [b.at - a.at for a, b in itertools.pairwise(chart.x_ticks)]
        assert min(gaps) >= 40
        for x, y in everything_drawn(chart):
            assert_inside(chart, x, y)


@given(
    st.lists(st.dates(), min_size=0, max_size=4),
    st.none() | st.dates(),
    st.none() | st.dates(),
    st.sampled_from([360, 600, 880]),
)
def test_any_dates_python_holds_draw_with_at_most_eight_date_labels(days, baseline, target, width):
    chart = metric_chart(
        [(on, float(i)) for i, on in enumerate(days)],
        baseline=(baseline, 1.0) if baseline else None,
        target=(target, 5.0) if target else None,
        forecast=None,
        today=TODAY,
        width=width,
    )
    assert len(chart.x_ticks) <= 8
    assert all(chart.plot.left <= t.at <= chart.plot.right for t in chart.x_ticks)


def test_x_labels_never_crowd_each_other():
    for width in (360, 600, 880):
        chart = emissions_chart(width=width)
        gaps = [b.at - a.at for a, b in itertools.pairwise(chart.x_ticks)]
        assert gaps and min(gaps) >= 40


# The value axis


@pytest.mark.parametrize(
    ("low", "high"),
    [(0, 1), (12, 120), (-4200, 1500), (42, 70), (0.001, 0.0012), (5, 5), (0, 0), (-3, -3)],
)
def test_y_ticks_are_a_few_round_numbers_covering_the_values(low, high):
    ticks = nice_ticks(low, high)
    assert 3 <= len(ticks) <= 6
    assert ticks[0] <= low and ticks[-1] >= high
    step = ticks[1] - ticks[0]
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert round(mantissa, 6) in (1, 2, 2.5, 5)


@given(
    st.integers(-(10**11), 10**11).map(lambda n: n / 100),
    st.integers(0, 10**11).map(lambda n: n / 100),
)
def test_y_ticks_always_cover_any_range(low, width):
    high = low + width
    ticks = nice_ticks(low, high)
    assert 3 <= len(ticks) <= 6
    steps = [b - a for a, b in itertools.pairwise(ticks)]
    # Float noise aside (-0.03 + 0.01 is -0.019999999999999997), and a billionth of a
    # step, which no drawing can show.
    noise = 1e-9 * steps[0] + 1e-12 * max(abs(low), abs(high), 1)
    assert max(steps) - min(steps) <= 2 * noise
    assert ticks[0] <= low + noise and ticks[-1] >= high - noise
    labels = tick_labels(ticks)
    assert len(set(labels)) == len(labels)


def test_y_ticks_cover_baseline_target_and_every_value():
    chart = emissions_chart()
    values = [v for _, v in EMISSIONS] + [BASELINE[1], TARGET[1]]
    labels = [float(t.label.replace(",", "")) for t in chart.y_ticks]
    assert labels[0] <= min(values) and labels[-1] >= max(values)


@pytest.mark.parametrize(
    ("ticks", "labels"),
    [
        ([0, 25, 50], ["0", "25", "50"]),
        ([0, 2500, 5000], ["0", "2,500", "5,000"]),
        ([-4000, -2000, 0, 2000], ["\N{MINUS SIGN}4,000", "\N{MINUS SIGN}2,000", "0", "2,000"]),
        ([0, 10000, 20000, 30000], ["0", "10k", "20k", "30k"]),
        ([1_000_000, 1_500_000, 2_000_000], ["1.0m", "1.5m", "2.0m"]),
        ([0, 0.25, 0.5], ["0", "0.25", "0.50"]),
        ([999_999.0, 999_999.5, 1_000_000.0], ["999,999.0", "999,999.5", "1,000,000.0"]),
    ],
)
def test_tick_labels_are_short_and_alike(ticks, labels):
    assert tick_labels(ticks) == labels


# Edge cases


def test_no_check_ins_and_no_target_draws_an_empty_state():
    chart = metric_chart([], baseline=None, target=None, forecast=None, today=TODAY)
    assert chart.empty_message == "No check-ins yet"
    assert chart.actual_path == "" and chart.dots == ()
    assert "No check-ins have been recorded" in chart.description


def test_a_target_alone_draws_the_empty_state_not_an_empty_plot():
    # Once an empty plot on a 0–200 % axis in the PDF: one target dot and nothing else.
    chart = metric_chart([], baseline=None, target=TARGET, forecast=None, today=TODAY)
    assert chart.empty_message == "No check-ins yet"
    assert chart.y_ticks == () and chart.target_dot is None


def test_no_check_ins_with_a_target_still_shows_the_target_path():
    chart = metric_chart(
        [], baseline=BASELINE, target=TARGET, forecast=None, today=TODAY, value_label=tonnes
    )
    assert chart.empty_message == ""
    assert chart.target_path and chart.actual_path == ""
    assert [item.label for item in chart.legend] == ["Target path"]
    assert "the target is 12 tonnes by Nov 2029" in chart.description


def test_one_check_in_is_a_dot_without_a_line():
    chart = metric_chart(
        [(date(2026, 10, 20), 6.0)], baseline=None, target=None, forecast=None, today=TODAY
    )
    assert chart.actual_path == ""
    assert len(chart.dots) == 1
    assert_inside(chart, chart.dots[0].x, chart.dots[0].y)
    assert len(chart.x_ticks) >= 2
    assert chart.description == "The metric was 6 on 20 Oct 2026."


def test_all_equal_values_sit_mid_chart_on_an_axis_from_zero():
    points = [(date(2026, m, 1), 5.0) for m in range(1, 8)]
    chart = metric_chart(points, baseline=None, target=None, forecast=None, today=TODAY)
    assert chart.y_ticks[0].label == "0"
    ys = {d.y for d in chart.dots}
    assert len(ys) == 1
    assert ys.pop() == pytest.approx((chart.plot.top + chart.plot.bottom) / 2, abs=1)
    assert "stayed at 5" in chart.description


def test_negative_values_get_a_zero_line():
    points = [(date(2026, 4, 1), -3900.0), (date(2026, 10, 1), 200.0)]
    chart = metric_chart(
        points,
        baseline=(date(2026, 3, 1), -4200.0),
        target=(date(2027, 3, 1), 1500.0),
        forecast=None,
        today=TODAY,
    )
    zero = [t for t in chart.y_ticks if t.is_zero]
    assert len(zero) == 1 and zero[0].label == "0"
    assert chart.y_ticks[0].label.startswith("\N{MINUS SIGN}")
    assert len(everything_drawn(chart)) > 2
    for x, y in everything_drawn(chart):
        assert_inside(chart, x, y)


def test_a_falling_metric_is_drawn_falling():
    chart = emissions_chart()
    # SVG y grows downwards.
    assert chart.dots[0].y < chart.dots[-1].y
    assert chart.description.startswith("Scope 1 and 2 emissions fell from 120 tonnes")


def test_yes_no_metric_is_drawn_as_steps_between_no_and_yes():
    points = [(date(2026, 2, 1), 0.0), (date(2026, 5, 1), 0.0), (date(2026, 8, 1), 1.0)]
    chart = metric_chart(
        points,
        baseline=(date(2026, 1, 1), 0.0),
        target=(date(2026, 12, 1), 1.0),
        forecast=Forecast(0.01, 1.0, date(2026, 8, 1)),
        today=TODAY,
        yes_no=True,
    )
    assert [t.label for t in chart.y_ticks] == ["No", "Yes"]
    assert " H" in chart.actual_path and " V" in chart.actual_path
    assert chart.forecast_path == "" and chart.target_path == ""
    assert [item.kind for item in chart.legend] == ["actual", "marker"]
    assert chart.dots[-1].title == "1 Aug 2026: Yes"
    assert "changed from No to Yes" in chart.description


def test_many_check_ins_quieten_the_dots():
    points = [(date(2024, 1, 1) + timedelta(weeks=i), float(i)) for i in range(150)]
    chart = metric_chart(points, baseline=None, target=None, forecast=None, today=TODAY)
    assert chart.dots_quiet
    assert [dot.title for dot in chart.dots] == ["9 Nov 2026: 149"]  # only the latest
    assert not emissions_chart().dots_quiet
    assert len(emissions_chart().dots) > 1


# The description


def test_description_says_where_it_is_heading_and_when_it_arrives():
    chart = emissions_chart(forecast=Forecast(-0.05, 10.0, date(2029, 3, 14)))
    assert chart.description == (
        "Scope 1 and 2 emissions fell from 120 tonnes to 64 tonnes between Jan 2025 and "
        "Oct 2026; the target is 12 tonnes by Nov 2029. At the current rate it reaches the "
        "target in Mar 2029, ahead of the target date."
    )


def test_description_says_when_the_target_will_be_missed():
    text = describe(
        "Staff who would recommend us",
        [(date(2026, 1, 31), 44.0), (date(2026, 10, 31), 58.0)],
        target=(date(2026, 12, 1), 70.0),
        forecast=Forecast(0.05, 60.0, None),
        value_label=lambda v: f"{v:.0f} %",
    )
    assert text == (
        "Staff who would recommend us rose from 44 % to 58 % between Jan 2026 and Oct 2026; "
        "the target is 70 % by Dec 2026. At the current rate it will not reach the target: "
        "it would be 60 % by Dec 2026."
    )


def test_description_says_late_and_reached():
    points = [(date(2026, 1, 1), 10.0), (date(2026, 6, 1), 20.0)]
    late = describe(
        "Members",
        points,
        target=(date(2026, 12, 1), 50.0),
        forecast=Forecast(1, 40, date(2027, 4, 2)),
    )
    assert late.endswith("reaches the target in Apr 2027, after the target date.")
    reached = describe(
        "Members",
        points,
        target=(date(2026, 12, 1), 15.0),
        forecast=Forecast(1, 40, date(2026, 6, 1)),
    )
    assert reached.endswith("It has reached the target.")


# Sparklines


def test_sparkline_fills_its_box():
    spark = sparkline([3, 5, 4, 6, 8, 7, 9], width=120, height=28)
    coords = [tuple(map(float, pair.split(","))) for pair in spark.points.split()]
    assert len(coords) == 7
    assert all(0 <= x <= 120 and 0 <= y <= 28 for x, y in coords)
    xs, ys = [x for x, _ in coords], [y for _, y in coords]
    assert min(xs) < 5 and max(xs) > 115  # edge to edge, less room for the stroke
    assert min(ys) < 5 and max(ys) > 23  # lowest value at the bottom, highest at the top
    assert spark.last == coords[-1] and coords[-1][1] == min(ys)


def test_sparkline_needs_two_values():
    assert sparkline([]).points == "" and sparkline([4]).last is None


def test_flat_sparkline_runs_through_the_middle():
    spark = sparkline([2, 2, 2])
    assert {pair.split(",")[1] for pair in spark.points.split()} == {"14"}


def spark_coords(spark):
    return [tuple(map(float, pair.split(","))) for pair in spark.points.split()]


def test_a_sparkline_draws_every_reading_its_width_can_show():
    values = [math.sin(i / 3) * 40 + i for i in range(57)]
    coords = spark_coords(sparkline(values))
    assert len(coords) == 57
    assert [x for x, _ in coords] == sorted(x for x, _ in coords)


@given(
    st.lists(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), min_size=58, max_size=2000)
)
def test_a_long_sparkline_is_thinned_keeping_its_ends_peaks_and_troughs(values):
    # 114 units of line, 1.75 thick: a reading every two units is as much as shows.
    spark = sparkline(values)
    coords = spark_coords(spark)
    assert len(coords) <= 57
    assert coords[0][0] == 3 and coords[-1][0] == 117 and spark.last == coords[-1]
    xs = [x for x, _ in coords]
    assert xs == sorted(xs)
    ys = [y for _, y in coords]
    # The highest value is drawn at the top of the box and the lowest at the bottom; a
    # flat line runs through the middle.
    assert (min(ys), max(ys)) == ((3, 25) if max(values) > min(values) else (14, 14))


def test_a_thinned_sparkline_keeps_each_point_where_it_was():
    values = [float((i * 37) % 23) for i in range(200)]
    low, high = min(values), max(values)
    where = {
        round(3 + i / 199 * 114, 1): round(3 + (high - v) / (high - low) * 22, 1)
        for i, v in enumerate(values)
    }
    kept = spark_coords(sparkline(values))
    assert len(kept) < 60
    assert all(where[x] == y for x, y in kept)


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.25, "0.2"), (0.35, "0.3"), (2.5, "2.5"), (3.04, "3"), (-0.04, "0"), (-1.25, "-1.2")],
)
def test_coordinates_round_half_to_even_and_never_read_minus_zero(value, text):
    from metrics.charts import _short

    assert _short(value) == text


# Templates


def metric(**fields) -> Metric:
    defaults = {
        "name": "Scope 1 and 2 emissions",
        "unit": "tonnes CO₂e",
        "format": MetricFormat.NUMBER,
        "direction": "decrease",
        "baseline_on": BASELINE[0],
        "baseline_value": Decimal("120"),
        "target_on": TARGET[0],
        "target_value": Decimal("12"),
    }
    return Metric(**(defaults | fields))


def checkins(points) -> list[CheckIn]:
    return [CheckIn(for_date=on, value=Decimal(str(v)), is_current=True) for on, v in points]


def render_tag(source: str, **context) -> str:
    return engines["django"].from_string("{% load metric_charts %}" + source).render(context)


def svgs(html: str) -> list[ET.Element]:
    found = re.findall(r"<svg\b.*?</svg>", html, flags=re.S)
    # Our own templates' output, not untrusted input: the standard parser is fine.
    return [ET.fromstring(svg) for svg in found]  # noqa: S314


def test_chart_template_draws_accessible_svg_without_inline_styles():
    html = render_to_string(
        "metrics/_chart.html", {"chart_id": "chart-1", "charts": [("", emissions_chart())]}
    )
    assert "style=" not in html
    (svg,) = svgs(html)
    assert svg.get("role") == "img"
    assert svg.get("viewBox") == "0 0 640 280"
    title, desc = svg.find(f"{SVG_NS}title"), svg.find(f"{SVG_NS}desc")
    assert title is not None and title.text == "Scope 1 and 2 emissions"
    assert desc is not None and desc.text and "the target is 12 tonnes" in desc.text
    assert svg.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    texts = [t.text for t in svg.iter(f"{SVG_NS}text")]
    assert {"Actual", "Target path", "Forecast", "Today", "tonnes CO₂e", "125", "2026"} <= set(
        texts
    )
    dot_titles = [t.text for t in svg.iter(f"{SVG_NS}title")]
    assert "15 Oct 2026: 64 tonnes" in dot_titles


def test_chart_template_draws_a_single_chart_too():
    html = render_to_string("metrics/_chart.html", {"chart": emissions_chart(), "chart_id": "c"})
    (svg,) = svgs(html)
    assert svg.get("class") == "chart"
    assert svg.get("aria-labelledby") == "c--title c--desc"


def test_metric_chart_tag_draws_one_chart_per_size_with_unique_ids():
    m = metric()
    rows = checkins(EMISSIONS)
    trend = forecast(EMISSIONS, 12, TARGET[0], "decrease")
    html = render_tag(
        "{% metric_chart metric checkins trend today %}",
        metric=m,
        checkins=rows,
        trend=trend,
        today=TODAY,
    )
    assert "style=" not in html
    drawn = svgs(html)
    assert [svg.get("class") for svg in drawn] == [
        "chart chart-s",
        "chart chart-m",
        "chart chart-l",
    ]
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids)) == 6
    assert f"chart-{m.uid}-s-title" in ids


def test_chart_coordinates_are_not_localised():
    with translation.override("de"):
        html = render_to_string(
            "metrics/_chart.html", {"chart_id": "c", "charts": [("", emissions_chart())]}
        )
    assert re.search(r'cx="\d+\.\d"', html)
    assert not re.search(r'c[xy]="\d+,\d"', html)


def test_yes_no_and_empty_charts_render():
    yes_no = metric(format=MetricFormat.YES_NO, unit="", baseline_value=0, target_value=1)
    html = render_tag(
        "{% metric_chart metric checkins None today %}",
        metric=yes_no,
        checkins=checkins([(date(2026, 2, 1), 0), (date(2026, 8, 1), 1)]),
        today=TODAY,
    )
    assert ">Yes</text>" in html and ">No</text>" in html
    empty = metric(baseline_on=None, baseline_value=None, target_on=None, target_value=None)
    html = render_tag("{% metric_chart metric checkins %}", metric=empty, checkins=[])
    assert "No check-ins yet" in html
    assert {svg.get("role") for svg in svgs(html)} == {"img"}


def test_sparkline_is_decorative():
    html = render_tag("{% metric_sparkline values %}", values=[Decimal("3"), 5, 4, 9])
    (svg,) = svgs(html)
    assert svg.get("aria-hidden") == "true"
    assert svg.find(f"{SVG_NS}polyline") is not None
    assert "style=" not in html
    assert render_tag("{% metric_sparkline values %}", values=[3]).strip() == ""


def test_progress_bar_shows_the_percentage_in_text_too():
    html = render_tag(
        '{% progress_bar value expected=expected label="Progress" %}', value=37.44, expected=52
    )
    assert "style=" not in html
    (svg,) = svgs(html)
    fill = svg.find(f"{SVG_NS}rect[@class='progress-fill']")
    assert fill is not None and fill.get("width") == "37.4"
    tick = svg.find(f"{SVG_NS}line")
    assert tick is not None and tick.get("x1") == "52"
    assert "37\xa0%" in html and "expected 52\xa0%" in html and "Progress" in html


def test_progress_bar_without_data_says_so():
    html = render_tag("{% progress_bar value %}", value=None)
    assert "No data yet" in html
    assert "progress-fill" not in html and "progress-expected" not in html


def test_progress_bar_clamps_and_is_not_localised():
    with translation.override("de"):
        html = render_tag("{% progress_bar value %}", value=120.25)
    assert 'width="100"' in html and "100\xa0%" in html
    assert "99\xa0%" in render_tag("{% progress_bar value %}", value=99.7)


@pytest.mark.parametrize(
    ("status", "fill"),
    [("on_track", "#1d7a46"), ("at_risk", "#8a5a00"), ("off_track", "#b42318"), ("", "#1f5fbf")],
)
def test_progress_bar_carries_its_colours_where_no_stylesheet_reaches(status, fill):
    # WeasyPrint draws an inline SVG without the page's stylesheet: the PDF's bars are
    # coloured by these attributes, which a page's stylesheet overrides.
    html = render_tag("{% progress_bar value 40 status=status %}", value=30, status=status)
    (svg,) = svgs(html)
    assert svg.find(f"{SVG_NS}rect[@class='progress-track']").get("fill") == "#dde2ea"
    assert svg.find(f"{SVG_NS}rect[@class='progress-fill']").get("fill") == fill
    assert svg.find(f"{SVG_NS}line").get("stroke") == "#1b2430"


def test_an_emails_progress_bar_is_table_cells_with_the_status_in_words():
    html = render_tag(
        "{% progress_bar value status=status for_email=True %}", value=42.4, status="at_risk"
    )
    assert "<svg" not in html
    assert re.findall(r'<td width="(\d+)%" height="8"', html) == ["42", "58"]
    assert "background:#8a5a00" in html
    assert "<strong>42\xa0%</strong> · At risk" in html
    # Full, or without data: one cell; no status known, no words for it.
    full = render_tag("{% progress_bar 100 for_email=True %}")
    assert re.findall(r'<td width="(\d+)%"', full) == ["100"] and "·" not in full
    empty = render_tag("{% progress_bar None status='no_data' for_email=True %}")
    assert "No data yet" in empty and "background:#1f5fbf" not in empty


@pytest.mark.parametrize("status", list(Status))
def test_status_badge_shows_the_label_not_just_a_colour(status):
    html = render_tag("{% status_badge status %}", status=status)
    assert f'class="status-badge status-{status.value}"' in html
    assert status.label in html
    assert "style=" not in html
    # Published reports keep the status as its stored value.
    assert render_tag("{% status_badge status %}", status=status.value) == html
