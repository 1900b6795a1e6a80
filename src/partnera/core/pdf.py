"""Documents rendered to PDF (offers, contracts) from Django templates through WeasyPrint.

The same templates language as the pages; fonts come from the system (DejaVu covers Cyrillic).
No network: WeasyPrint may only fetch data: URLs and the app's own static files."""

from __future__ import annotations

from pathlib import Path

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy

from partnera.core.errors import DomainError


class PdfUnavailable(DomainError):
    """WeasyPrint cannot load its system libraries (Pango): the server is missing a package."""

    code = "pdf_unavailable"
    status = 503
    default_message = gettext_lazy(
        "PDF documents cannot be made on this server: the Pango library is missing. "
        "The administrator installs it (see “PDFs” in the operations guide).")


def _local_url(url: str) -> str:
    """What WeasyPrint may read for `url`: a data: URL as it is, a `static:` path as the file it
    names among the app's static files; anything else is refused (ValueError)."""
    if url.startswith("data:"):
        return url
    if url.startswith("static:"):
        path = finders.find(url.removeprefix("static:").lstrip("/"))
        if isinstance(path, str):
            return Path(path).as_uri()
    raise ValueError(f"PDF documents do not load outside resources: {url[:80]}")


def _local_only_fetcher():
    """A URL fetcher that reads only what `_local_url` allows. WeasyPrint 70 takes a fetcher
    object (weasyprint.urls.URLFetcher); earlier versions a function."""
    from weasyprint import urls

    fetcher_class = getattr(urls, "URLFetcher", None)
    if fetcher_class is not None:
        class LocalOnlyFetcher(fetcher_class):  # type: ignore[misc, valid-type]
            def fetch(self, url, headers=None):
                return super().fetch(_local_url(url), headers)

        return LocalOnlyFetcher()

    def fetch(url: str, timeout: int = 10, ssl_context=None):
        return urls.default_url_fetcher(_local_url(url), timeout=timeout,  # type: ignore[attr-defined]
                                        ssl_context=ssl_context)

    return fetch


def render_pdf(*, template_name: str, context: dict, language: str) -> bytes:
    """The template rendered in `language` and turned into PDF bytes.

    Stylesheets and images are referenced as `static:<path>` (the app's static files) or as
    data: URLs (a logo from the database); anything else is refused rather than fetched."""
    try:
        from weasyprint import HTML  # imported here: loading Pango costs ~0.3 s, only PDFs need it
    except (OSError, ImportError) as exc:  # cffi could not open libpango / libgobject
        raise PdfUnavailable() from exc

    with translation.override(language):
        html = render_to_string(template_name, context)
    return HTML(string=html, url_fetcher=_local_only_fetcher(), base_url="static:/").write_pdf()
