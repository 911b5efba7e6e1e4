"""A report as a PDF, rendered on the server by WeasyPrint from the same document template
the pages use, with the site's stylesheet and its print rules.

WeasyPrint needs Pango (Debian: libpango-1.0-0, libpangoft2-1.0-0) and a font
(fonts-dejavu-core); .ci/run and the Dockerfile install them.
"""

import functools
import logging
from typing import Any

from django.contrib.staticfiles import finders
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from missions.models import Report
from reporting.reports import for_stakeholders, published_document

PAPER_SIZES = {"a4": "A4", "letter": "letter"}

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

    html = report_pdf_html(doc, narrative_html)
    page = f"@page {{ size: {PAPER_SIZES.get(paper, 'A4')}; }}"
    document = weasyprint.HTML(string=html, url_fetcher=RefuseEverything())
    pdf = document.write_pdf(stylesheets=[_site_stylesheet(), weasyprint.CSS(string=page)])
    assert pdf is not None
    return pdf


def report_pdf_html(doc: dict[str, Any], narrative_html: SafeString) -> str:
    """The page WeasyPrint draws. WeasyPrint draws an inline SVG with the SVG's own
    style alone, so the drawings in it carry theirs: the charts a <style> (see
    report_document.report_chart), the progress bars their colours as attributes."""
    return render_to_string(
        "reporting/report_pdf.html",
        {"doc": doc, "narrative_html": narrative_html, "pdf": True},
    )


def stored_pdf_name(report: Report, *, internal: bool, paper: str) -> str:
    """Where a published report's PDF is kept: named by the report and the moment it was
    frozen, so a name never holds two different documents."""
    assert report.published_at is not None
    view = "internal" if internal else "stakeholders"
    stamp = report.published_at.strftime("%Y%m%dT%H%M%S%f")
    return (
        f"reports/{report.uid}/v{report.version}-{stamp}-{view}-{PAPER_SIZES.get(paper, 'A4')}.pdf"
    )


def published_pdf(report: Report, *, internal: bool = False, paper: str = "a4") -> bytes:
    """A published report's PDF, made the first time it is asked for and kept in the
    default storage: a published report never changes, so neither does its PDF, and
    every web server reads the one made (with a storage they share)."""
    name = stored_pdf_name(report, internal=internal, paper=paper)
    if default_storage.exists(name):
        with default_storage.open(name, "rb") as stored:
            kept: bytes = stored.read()
            return kept
    doc, narrative_html = published_document(report)
    made = report_pdf(doc if internal else for_stakeholders(doc), narrative_html, paper=paper)
    saved = default_storage.save(name, ContentFile(made))
    if saved != name:
        # Another server made it at the same moment and kept it first: one copy is enough.
        default_storage.delete(saved)
    return made
