"""The legal and contact pages: Impressum (§ 5 DDG), privacy notice (GDPR Art. 13/14),
accessibility statement (BITV 2.0) and contact, in every page's footer.

The operator's admins edit the texts in Markdown (``/admin/legal``). The shipped defaults
in ``legal/`` are complete templates whose gaps are marked ``[[BITTE ERGÄNZEN: …]]``;
while a page still has such a gap, admins see a warning. Markdown is rendered with
markdown-it-py with raw HTML off (typed HTML is shown as text) and its link check (no
``javascript:`` links); the Content-Security-Policy stops any script besides.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache
from pathlib import Path

from flask import abort, render_template
from flask_babel import lazy_gettext as _l
from markdown_it import MarkdownIt
from markupsafe import Markup
from sqlalchemy import select

from app.accounts.models import User
from app.extensions import db
from app.i18n import current_language
from app.public.models import LEGAL_SLUGS, LegalPage
from app.public.views import bp

TITLES = {
    "impressum": _l("Legal notice (Impressum)"),
    "datenschutz": _l("Privacy notice"),
    "barrierefreiheit": _l("Accessibility statement"),
    "kontakt": _l("Contact"),
}
GAP = re.compile(r"\[\[BITTE ERGÄNZEN[^\]]*\]\]|\[\[TO BE FILLED IN[^\]]*\]\]")
MAX_BODY = 50_000
DEFAULTS = Path(__file__).resolve().parent / "legal"


@cache
def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "typographer": False}).enable("table")


def render_markdown(text: str) -> Markup:
    """Safe HTML from an admin's Markdown: raw HTML is escaped, unsafe links dropped."""
    return Markup(_markdown().render(text))  # noqa: S704 (markdown-it escapes; html off)


def default_text(slug: str, language: str) -> str:
    path = DEFAULTS / f"{slug}.{language}.md"
    if not path.exists():
        path = DEFAULTS / f"{slug}.de.md"
    return path.read_text(encoding="utf-8")


def stored(slug: str, language: str) -> LegalPage | None:
    return db.session.execute(select(LegalPage).where(
        LegalPage.slug == slug, LegalPage.language == language)).scalar_one_or_none()


def page_text(slug: str, language: str) -> str:
    """What the page says in ``language``: the edited text, else (English only) the edited
    German text, else the shipped template."""
    page = stored(slug, language)
    if page is None and language != "de":
        page = stored(slug, "de")
    return page.body if page is not None else default_text(slug, language)


def gaps(text: str) -> list[str]:
    return GAP.findall(text)


def pages_with_gaps() -> list[tuple[str, str]]:
    """(slug, language) of every page whose shown text still has a gap to fill."""
    return [(slug, language) for slug in LEGAL_SLUGS for language in ("de", "en")
            if gaps(page_text(slug, language))]


def save_page(slug: str, language: str, body: str, actor: User, now: datetime) -> LegalPage:
    if slug not in LEGAL_SLUGS or language not in ("de", "en"):
        raise ValueError(slug)
    body = body.replace("\r\n", "\n").replace("\r", "\n").strip() + "\n"
    page = stored(slug, language)
    if page is None:
        page = LegalPage(slug=slug, language=language, body=body)
        db.session.add(page)
    page.body, page.updated_at, page.updated_by_id = body, now, actor.id
    db.session.flush()
    return page


@bp.get("/<any(impressum, datenschutz, barrierefreiheit, kontakt):slug>")
def legal_page(slug: str):
    """A legal or contact page in the visitor's language."""
    if slug not in LEGAL_SLUGS:
        abort(404)
    text = page_text(slug, current_language())
    return render_template("public/legal.html", slug=slug, title=TITLES[slug],
                           body=render_markdown(text), gaps=gaps(text))
