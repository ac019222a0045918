"""The briefing sheet: one borough's month on two sides of A4, or all 32 and a London summary.

(ScanResult, Dataset, LoadedConfig, borough) -> ``build_context`` -> a plain dict -> Jinja2
templates -> HTML (self-contained, inline CSS and SVG) and Markdown; the same dict -> a Typst
template -> PDF (the ``pdf`` extra), or the HTML -> WeasyPrint -> PDF. Nothing here computes a
statistic: values, comparisons, SPC points and exceptions all come from the scan result. No
Textual imports.
"""

from __future__ import annotations

from crimefighters.briefing.context import build_context, build_london_context, resolve_borough
from crimefighters.briefing.render import (
    DEFAULT_PDF_ENGINE,
    PDF_ENGINES,
    pdf_available,
    render,
    render_html,
    render_markdown,
    render_pdf,
)
from crimefighters.briefing.write import (
    atomic_write,
    briefing_filename,
    slug,
    write_all,
    write_briefing,
    write_context,
)

__all__ = [
    "DEFAULT_PDF_ENGINE",
    "PDF_ENGINES",
    "atomic_write",
    "briefing_filename",
    "build_context",
    "build_london_context",
    "pdf_available",
    "render",
    "render_html",
    "render_markdown",
    "render_pdf",
    "resolve_borough",
    "slug",
    "write_all",
    "write_briefing",
    "write_context",
]
