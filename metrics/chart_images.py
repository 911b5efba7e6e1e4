"""A metric's chart as an SVG image of its own, for pages that load their charts lazily.

The image holds the three drawings of templates/metrics/_chart.html and shows the one
that fits the width it is drawn at, as the page's container queries do for inline
charts: inside an image, a media query measures the image. Nothing from the page reaches
an image, so it carries its own stylesheet (the chart rules of waymark.css, with the
colours written out), allowed by its hash in the image's Content-Security-Policy.
"""

import base64
import hashlib
from collections.abc import Sequence

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.cache import patch_cache_control
from django.utils.safestring import mark_safe

from metrics.charts import Chart

STYLE = (
    ".chart{overflow:visible}"
    ".chart-m,.chart-l{display:none}"
    "@media (min-width:480px) and (max-width:759.98px)"
    "{.chart-s{display:none}.chart-m{display:inline}}"
    "@media (min-width:760px){.chart-s{display:none}.chart-l{display:inline}}"
    'text{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;'
    "font-size:13px;fill:#4a5565}"
    ".chart-legend text,.chart-unit,.chart-today text{fill:#1b2430}"
    ".chart-unit,.chart-today text{font-weight:600}"
    ".chart-year{font-size:12px}"
    ".chart-grid line{stroke:#dde2ea;stroke-width:1}"
    ".chart-grid .chart-zero{stroke:#8a94a6}"
    ".chart-axis{stroke:#8a94a6;stroke-width:1}"
    ".chart-today line{stroke:#1b2430;stroke-width:1;stroke-dasharray:2 3}"
    ".chart-actual,.chart-target,.chart-forecast{fill:none;stroke-linecap:round;stroke-linejoin:round}"
    ".chart-actual{stroke:#1f5fbf;stroke-width:2.5}"
    ".chart-target{stroke:#4a5565;stroke-width:2;stroke-dasharray:7 5;stroke-linecap:butt}"
    ".chart-forecast{stroke:#1f5fbf;stroke-width:2.5;stroke-dasharray:0.1 5.5}"
    ".chart-dots circle{fill:#1f5fbf;stroke:#fff;stroke-width:1.5}"
    ".chart-marker{fill:#fff;stroke:#4a5565;stroke-width:2}"
    ".chart-marker-forecast{stroke:#1f5fbf}"
    ".chart-dots-quiet circle{fill:transparent;stroke:none}"
    ".chart-dots-quiet circle:last-child{fill:#1f5fbf;stroke:#fff}"
    ".chart-empty-box{fill:#f5f6f8;stroke:#dde2ea}"
    ".chart-empty{font-size:15px}"
)
_STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
# Nothing but the image's own stylesheet: no script, no fetch, not to be framed.
CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; frame-ancestors 'none'"
)


def chart_svg(title: str, description: str, drawings: Sequence[tuple[str, Chart]]) -> str:
    """The image: `drawings` as (size, chart) for sizes s, m and l (CHART_SIZES)."""
    return render_to_string(
        "metrics/chart_image.svg",
        {
            "title": title,
            "description": description,
            "charts": drawings,
            "style": mark_safe(STYLE),  # noqa: S308 -- a constant of this module
        },
    )


def svg_response(svg: str, *, max_age: int) -> HttpResponse:
    """An SVG image that only the browser that asked may keep, for `max_age` seconds."""
    response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    # Set here, the CSP middleware leaves it as it is.
    response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    patch_cache_control(response, private=True, max_age=max_age)
    return response
