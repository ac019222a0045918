"""Context dict -> HTML, Markdown or PDF bytes.

HTML and Markdown come from Jinja2 templates (``templates/*.j2``); ``template_dir`` puts a D&I
team's own copies in front, so they can override one template (say ``_style.css``) and keep the
rest. HTML is autoescaped; Markdown has its own escaping filter (``md``).

PDF has two engines, both filled from the same context dict:

- ``typst`` (the default): ``templates/_common.typ`` followed by ``briefing.typ``,
  ``bcu.typ`` or ``london.typ``, compiled by the ``typst`` package. The context goes in as JSON data
  (``sys.inputs``), never as Typst source, so user text needs no escaping. About 20 times
  faster than WeasyPrint on these pages (docs/benchmarks.md).
- ``weasyprint``: the HTML briefing printed by WeasyPrint (needs the Pango libraries).

The Typst files are found like the Jinja2 ones: ``template_dir`` first, then the package.
"""

from __future__ import annotations

import functools
import json
import math
import re
import threading
from datetime import datetime
from pathlib import Path

import jinja2
from markupsafe import Markup

from crimefighters.errors import BriefingError
from crimefighters.text_safety import clean_lines, markdown_text

FORMATS = ("html", "pdf", "md")
PDF_ENGINES = ("typst", "weasyprint")
DEFAULT_PDF_ENGINE = "typst"
PDF_MISSING = {
    "typst": "PDF needs Typst: pip install 'crimefighters[pdf]'",
    "weasyprint": "PDF with --pdf-engine weasyprint needs WeasyPrint: pip install 'crimefighters[weasyprint]'",
}
TEMPLATES = {"borough": "briefing", "london": "london", "bcu": "bcu", "overview": "overview"}
TYPST_COMMON = "_common.typ"


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


# --- PDF -------------------------------------------------------------------------------------


def check_pdf_engine(engine: str) -> str:
    if engine not in PDF_ENGINES:
        raise BriefingError(f"--pdf-engine: expected {' or '.join(PDF_ENGINES)}; got {engine!r}")
    return engine


def pdf_available(engine: str = DEFAULT_PDF_ENGINE) -> bool:
    try:
        if check_pdf_engine(engine) == "typst":
            import typst  # noqa: F401
        else:
            import weasyprint  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


def render_pdf(
    context: dict, template_dir: str | Path | None = None, engine: str = DEFAULT_PDF_ENGINE
) -> bytes:
    """The PDF of a briefing context, by Typst (default) or by WeasyPrint from the HTML."""
    if check_pdf_engine(engine) == "weasyprint":
        return render_pdf_weasyprint(render_html(context, template_dir))
    return render_pdf_typst(context, template_dir)


def render_pdf_weasyprint(html: str) -> bytes:
    """The PDF of an HTML briefing (WeasyPrint; no network: every asset is inline)."""
    try:
        import weasyprint
    except ImportError:
        raise BriefingError(PDF_MISSING["weasyprint"]) from None
    except OSError as exc:  # WeasyPrint installed but the Pango libraries are not
        raise BriefingError(
            f"{PDF_MISSING['weasyprint']} and the system Pango libraries ({exc})"
        ) from None

    def refuse(url: str, *args, **kwargs):
        raise ValueError(f"the briefing fetches nothing: {url}")

    return weasyprint.HTML(string=html, url_fetcher=refuse).write_pdf()


def _typst_source(name: str, template_dir: str | None) -> tuple[str, str]:
    """(text, where) of a Typst template: template_dir first, then the package."""
    env = environment(template_dir)
    try:
        text, filename, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
    except jinja2.TemplateNotFound:
        raise BriefingError(
            f"template {name!r} not found (looked in {template_dir or 'the package'})"
        ) from None
    return text, filename or name


_compilers = threading.local()


@functools.lru_cache(maxsize=1)
def _typst_fonts():
    """The fonts Typst may use, found once per process (system fonts and Typst's own)."""
    import typst

    return typst.Fonts()


def _typst_compiler():
    """One compiler per thread: a compiler is not shared between threads, and reusing it
    keeps Typst's caches warm from one borough to the next."""
    compiler = getattr(_compilers, "compiler", None)
    if compiler is None:
        import typst

        compiler = _compilers.compiler = typst.Compiler(font_paths=_typst_fonts())
    return compiler


def _json_ready(value: object) -> object:
    """The context as JSON data: text cleaned of control characters (as the Jinja2 templates'
    ``_finalize`` does), dates and other objects as text, NaN and infinity as none."""
    if isinstance(value, str):
        return clean_lines(value)
    if isinstance(value, bool | int) or value is None:
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    return clean_lines(str(value))


def _prepared_at(context: dict) -> datetime | None:
    """The "Prepared" time the page shows, as the PDF's creation date: the same context gives
    the same bytes."""
    try:
        return datetime.strptime(context.get("generated", ""), "%d %B %Y %H:%M").astimezone()
    except (TypeError, ValueError):
        return None


def render_pdf_typst(context: dict, template_dir: str | Path | None = None) -> bytes:
    """The PDF of a briefing context by Typst: _common.typ, then the page's own template."""
    try:
        import typst
    except ImportError:
        raise BriefingError(PDF_MISSING["typst"]) from None
    folder = _str(template_dir)
    name = f"{TEMPLATES[context['kind']]}.typ"
    common, common_where = _typst_source(TYPST_COMMON, folder)
    page, page_where = _typst_source(name, folder)
    common = common if common.endswith("\n") else common + "\n"
    data = json.dumps(_json_ready(context), ensure_ascii=False, separators=(",", ":"))
    try:
        return _typst_compiler().compile(
            input=(common + page).encode("utf-8"),
            format="pdf",
            sys_inputs={"context": data},
            timestamp=_prepared_at(context),
        )
    except typst.TypstError as exc:
        where = _typst_where(exc, common.count("\n"), common_where, page_where)
        raise BriefingError(f"{where}: Typst error: {exc.message}") from None


def _typst_where(exc, common_lines: int, common_where: str, page_where: str) -> str:
    """'.../briefing.typ:12' from Typst's diagnostic for the two templates compiled as one."""
    found = re.search(r"\.typ:(\d+):\d+", getattr(exc, "diagnostic", "") or "")
    if not found:
        return page_where
    line = int(found.group(1))
    if line <= common_lines:
        return f"{common_where}:{line}"
    return f"{page_where}:{line - common_lines}"


def render(
    context: dict,
    fmt: str,
    template_dir: str | Path | None = None,
    pdf_engine: str = DEFAULT_PDF_ENGINE,
) -> bytes:
    if fmt == "html":
        return render_html(context, template_dir).encode("utf-8")
    if fmt == "md":
        return render_markdown(context, template_dir).encode("utf-8")
    if fmt == "pdf":
        return render_pdf(context, template_dir, pdf_engine)
    raise BriefingError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")


def _str(path: str | Path | None) -> str | None:
    return None if path is None else str(path)


__all__ = [
    "DEFAULT_PDF_ENGINE",
    "FORMATS",
    "PDF_ENGINES",
    "Markup",
    "check_pdf_engine",
    "pdf_available",
    "render",
    "render_html",
    "render_markdown",
    "render_pdf",
    "render_pdf_typst",
    "render_pdf_weasyprint",
]
