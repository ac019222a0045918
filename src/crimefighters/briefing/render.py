"""Context dict -> HTML, Markdown or PDF bytes, through Jinja2 templates.

Templates live in the package (``templates/``); ``template_dir`` puts a D&I team's own copies
in front, so they can override one template (say ``_style.css``) and keep the rest. HTML is
autoescaped; Markdown has its own escaping filter (``md``).
"""

from __future__ import annotations

import functools
from pathlib import Path

import jinja2
from markupsafe import Markup

from crimefighters.errors import BriefingError
from crimefighters.text_safety import clean_lines, markdown_text

FORMATS = ("html", "pdf", "md")
PDF_MISSING = "PDF needs WeasyPrint: pip install 'crimefighters[pdf]'"
TEMPLATES = {"borough": "briefing", "london": "london", "bcu": "bcu", "overview": "overview"}


def _md(value: object) -> str:
    """Text for a Markdown paragraph or table cell: never a link, an image or HTML."""
    return markdown_text(value)


def _finalize(value: object) -> object:
    """Every value a template prints, cleaned of control characters (inline SVG included:
    removing them cannot create markup)."""
    if isinstance(value, Markup):
        return Markup(clean_lines(value))
    if isinstance(value, str):
        return clean_lines(value)
    return value


def _mdchange(change: dict | None) -> str:
    if not change or change.get("text", "n/a") == "n/a":
        return "n/a"
    return f"**{change['text']}** \\*" if change.get("significant") else change["text"]


@functools.lru_cache(maxsize=8)
def environment(template_dir: str | None = None) -> jinja2.Environment:
    loaders: list[jinja2.BaseLoader] = []
    if template_dir is not None:
        path = Path(template_dir)
        if not path.is_dir():
            raise BriefingError(f"--template {path}: no such directory")
        loaders.append(jinja2.FileSystemLoader(str(path)))
    loaders.append(jinja2.PackageLoader("crimefighters.briefing", "templates"))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html", "htm", "xml", "html.j2"), default_for_string=True
        ),
        trim_blocks=False,
        lstrip_blocks=False,
        keep_trailing_newline=True,
        finalize=_finalize,
    )
    env.filters["md"] = _md
    env.filters["mdchange"] = _mdchange
    return env


def _render_template(context: dict, name: str, template_dir: str | None) -> str:
    try:
        return environment(template_dir).get_template(name).render(**context)
    except jinja2.TemplateNotFound as exc:
        raise BriefingError(
            f"template {exc.name!r} not found (looked in {template_dir or 'the package'})"
        ) from None
    except jinja2.TemplateSyntaxError as exc:
        raise BriefingError(
            f"{exc.filename or exc.name}:{exc.lineno}: template error: {exc.message}"
        ) from None
    except jinja2.UndefinedError as exc:
        raise BriefingError(f"template {name}: {exc.message}") from None


def render_html(context: dict, template_dir: str | Path | None = None) -> str:
    return _render_template(context, f"{TEMPLATES[context['kind']]}.html.j2", _str(template_dir))


def render_markdown(context: dict, template_dir: str | Path | None = None) -> str:
    return _render_template(context, f"{TEMPLATES[context['kind']]}.md.j2", _str(template_dir))


def pdf_available() -> bool:
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


def render_pdf(html: str) -> bytes:
    """The PDF of an HTML briefing (WeasyPrint; no network: every asset is inline)."""
    try:
        import weasyprint
    except ImportError:
        raise BriefingError(PDF_MISSING) from None
    except OSError as exc:  # WeasyPrint installed but the Pango libraries are not
        raise BriefingError(f"{PDF_MISSING} and the system Pango libraries ({exc})") from None

    def refuse(url: str, *args, **kwargs):
        raise ValueError(f"the briefing fetches nothing: {url}")

    return weasyprint.HTML(string=html, url_fetcher=refuse).write_pdf()


def render(context: dict, fmt: str, template_dir: str | Path | None = None) -> bytes:
    if fmt == "html":
        return render_html(context, template_dir).encode("utf-8")
    if fmt == "md":
        return render_markdown(context, template_dir).encode("utf-8")
    if fmt == "pdf":
        return render_pdf(render_html(context, template_dir))
    raise BriefingError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")


def _str(path: str | Path | None) -> str | None:
    return None if path is None else str(path)


__all__ = [
    "FORMATS",
    "Markup",
    "pdf_available",
    "render",
    "render_html",
    "render_markdown",
    "render_pdf",
]
