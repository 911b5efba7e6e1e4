"""A report as a PDF, rendered on the server by WeasyPrint from the same document template
the pages use, with the site's stylesheet and its print rules.

WeasyPrint needs Pango (Debian: libpango-1.0-0, libpangoft2-1.0-0) and a font
(fonts-dejavu-core); .ci/run and the Dockerfile install them.
"""

import functools
import logging
import re
from typing import Any

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

PAPER_SIZES = {"a4": "A4", "letter": "letter"}

# WeasyPrint draws inline SVG with the SVG's own <style> only: the page's stylesheet and
# its custom properties don't reach inside. Each chart and progress bar gets these rules
# (waymark.css's chart and progress rules, with the colours written out).
SVG_STYLE = """
text { font-family: "DejaVu Sans", sans-serif; font-size: 13px; fill: #4a5565; }
.chart-legend text, .chart-unit { fill: #1b2430; }
.chart-unit { font-weight: 600; }
.chart-year { font-size: 12px; }
.chart-grid line { stroke: #dde2ea; stroke-width: 1; }
.chart-grid .chart-zero, .chart-axis { stroke: #8a94a6; stroke-width: 1; }
.chart-actual, .chart-target, .chart-forecast { fill: none; stroke-linecap: round; }
.chart-actual, .chart-target, .chart-forecast { stroke-linejoin: round; }
.chart-actual { stroke: #1f5fbf; stroke-width: 2.5; }
.chart-target { stroke: #4a5565; stroke-width: 2; stroke-dasharray: 7 5; stroke-linecap: butt; }
.chart-forecast { stroke: #1f5fbf; stroke-width: 2.5; stroke-dasharray: 0.1 5.5; }
.chart-dots circle { fill: #1f5fbf; stroke: #ffffff; stroke-width: 1.5; }
.chart-dots-quiet circle { fill: none; stroke: none; }
.chart-dots-quiet circle:last-child { fill: #1f5fbf; stroke: #ffffff; }
.chart-marker { fill: #ffffff; stroke: #4a5565; stroke-width: 2; }
.chart-marker-forecast { stroke: #1f5fbf; }
.chart-empty { font-size: 15px; }
.chart-empty-box { fill: #f5f6f8; stroke: #dde2ea; }
.progress-track { fill: #dde2ea; }
.progress-fill { fill: %(fill)s; }
.progress-expected { stroke: #1b2430; stroke-width: 2; }
"""
STATUS_FILLS = {"on_track": "#1d7a46", "at_risk": "#8a5a00", "off_track": "#b42318"}
BRAND = "#1f5fbf"

# An <svg> opening tag, with the status class of the progress bar around it if it is one
# (metrics/_progress_bar.html: <span class="progress progress-<status>"> ... <svg ...>).
SVG_OPEN = re.compile(
    r'(?:class="progress progress-(?P<status>\w+)"(?:(?!<svg\b).)*?)?<svg\b[^>]*>', re.S
)


# The site's stylesheet is written for browsers: WeasyPrint warns about every screen-only
# rule it skips (container queries, media features), and logs each rendering step at
# INFO. Neither belongs in the server's log.
logging.getLogger("weasyprint").setLevel(logging.ERROR)


class NothingFetched(Exception):
    pass


class PdfUnavailable(Exception):
    """This server cannot draw PDFs: WeasyPrint's system libraries are missing."""


@functools.cache
def _site_stylesheet() -> Any:
    """waymark.css, parsed once per process: parsing it costs more than a small report."""
    import weasyprint

    path = finders.find("css/waymark.css")
    assert isinstance(path, str), "css/waymark.css is missing from the static files"
    return weasyprint.CSS(filename=path)


def _style_svgs(html: str) -> str:
    def add_style(match: re.Match[str]) -> str:
        fill = STATUS_FILLS.get(match["status"] or "", BRAND)
        return f"{match[0]}<style>{SVG_STYLE % {'fill': fill}}</style>"

    return SVG_OPEN.sub(add_style, html)


def report_pdf(doc: dict[str, Any], narrative_html: SafeString, *, paper: str = "a4") -> bytes:
    """The report's document as PDF bytes, on A4 or US Letter."""
    # Imported here: loading Pango takes a moment that no other request should pay.
    try:
        import weasyprint
    except OSError as error:
        raise PdfUnavailable(
            "PDFs can’t be made on this server just now. Print the page instead: "
            "the report prints cleanly on A4 and Letter."
        ) from error

    class RefuseEverything(weasyprint.URLFetcher):
        """A report loads nothing: no images, fonts or stylesheets from elsewhere, so
        nothing in a narrative can make the server fetch a URL."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            raise NothingFetched(f"Reports load nothing from elsewhere: {url}")

    html = render_to_string(
        "reporting/report_pdf.html",
        {"doc": doc, "narrative_html": narrative_html, "pdf": True},
    )
    page = f"@page {{ size: {PAPER_SIZES.get(paper, 'A4')}; }}"
    document = weasyprint.HTML(string=_style_svgs(html), url_fetcher=RefuseEverything())
    pdf = document.write_pdf(stylesheets=[_site_stylesheet(), weasyprint.CSS(string=page)])
    assert pdf is not None
    return pdf
