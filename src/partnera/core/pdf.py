"""Documents rendered to PDF (offers, contracts) from Django templates through WeasyPrint.

The same templates language as the pages; fonts come from the system (DejaVu covers Cyrillic).
No network: WeasyPrint may only fetch data: URLs and the app's own static files."""

from __future__ import annotations

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import translation


def _local_only_fetcher(url: str, timeout: int = 10, ssl_context=None):
    from weasyprint.urls import default_url_fetcher

    if url.startswith("data:"):
        return default_url_fetcher(url, timeout=timeout, ssl_context=ssl_context)
    if url.startswith("static:"):
        path = finders.find(url.removeprefix("static:").lstrip("/"))
        if path:
            return default_url_fetcher(f"file://{path}", timeout=timeout, ssl_context=ssl_context)
    raise ValueError(f"PDF documents do not load outside resources: {url[:80]}")


def render_pdf(*, template_name: str, context: dict, language: str) -> bytes:
    """The template rendered in `language` and turned into PDF bytes.

    Stylesheets and images are referenced as `static:<path>` (the app's static files) or as
    data: URLs (a logo from the database); anything else is refused rather than fetched."""
    from weasyprint import HTML  # imported here: loading Pango costs ~0.3 s, only PDFs need it

    with translation.override(language):
        html = render_to_string(template_name, context)
    return HTML(string=html, url_fetcher=_local_only_fetcher, base_url="static:/").write_pdf()
