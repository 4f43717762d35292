"""Admins edit the legal and contact pages (Markdown), with a warning while a page still
has gaps of the shipped template."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from app.accounts.security import audit
from app.accounts.team_views import account_form_limit
from app.admin.views import INVALID, bp
from app.extensions import db, limiter
from app.forms import BaseForm
from app.public import legal
from app.public.models import LEGAL_SLUGS
from app.reference.codes import LANGUAGES
from app.security import client_address
from app.time import now_utc


class LegalPageForm(BaseForm):
    body = TextAreaField(
        _l("Text (Markdown)"),
        validators=[DataRequired(_l("Please enter the page's text.")),
                    Length(max=legal.MAX_BODY)],
        description=_l("# Heading, ## Subheading, **bold**, [link](https://…), lists with "
                       "“- ”, tables with “|”. HTML is shown as text."),
        render_kw={"rows": 24, "maxlength": legal.MAX_BODY, "class": "monospace"})


@bp.get("/legal")
def legal_pages():
    """Every legal page in both languages, with what still needs filling in."""
    rows = [{"slug": slug, "title": legal.TITLES[slug], "language": language,
             "gaps": legal.gaps(legal.page_text(slug, language)),
             "edited": legal.stored(slug, language) is not None}
            for slug in LEGAL_SLUGS for language in LANGUAGES]
    return render_template("admin/legal.html", rows=rows, languages=LANGUAGES)


@bp.route("/legal/<slug>/<language>", methods=["GET", "POST"])
@limiter.limit(account_form_limit, methods=["POST"], scope="account-forms")
def edit_legal_page(slug: str, language: str):
    if slug not in LEGAL_SLUGS or language not in LANGUAGES:
        abort(404)
    form = LegalPageForm()
    if request.method == "GET":
        form.body.data = legal.page_text(slug, language)
    elif form.validate_on_submit():
        legal.save_page(slug, language, form.body.data, current_user, now_utc())
        audit("legal.changed", current_user, f"page /{slug} ({language})",
              ip=client_address())
        db.session.commit()
        flash(_("The page is saved."), "success")
        return redirect(url_for("admin.legal_pages"))
    text = form.body.data or ""
    return render_template(
        "admin/legal_form.html", form=form, slug=slug, language=language,
        title=legal.TITLES[slug], gaps=legal.gaps(text), preview=legal.render_markdown(text),
        languages=LANGUAGES), INVALID if request.method == "POST" else 200
