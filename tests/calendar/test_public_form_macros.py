"""The shared form macros: labels, help, errors linked by aria-describedby, input kept."""

from __future__ import annotations

import re

from flask import render_template_string
from wtforms import BooleanField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired

from app.forms import BaseForm

TEMPLATE = """{% from "macros/forms.html" import field, form_errors %}
{{ form_errors(form) }}{{ field(form.title, type='text', maxlength=200) }}
{{ field(form.town, help='Where the fair takes place.') }}
{{ field(form.public) }}{{ field(form.kind) }}"""


class SampleForm(BaseForm):
    title = StringField("Title", validators=[DataRequired(message="Please enter a title.")])
    town = StringField("Town", description="Help from the field.")
    public = BooleanField("Public")
    kind = RadioField("Kind", choices=[SelectChoice("a", "Alpha"), SelectChoice("b", "Beta")])


def render(app, data: dict) -> str:
    with app.test_request_context(method="POST", data=data):
        form = SampleForm(meta={"csrf": False})
        form.validate()
        form.town.errors = ["<b>Unknown</b> town."]
        return render_template_string(TEMPLATE, form=form)


def test_field_renders_label_help_and_linked_errors_and_keeps_input(app):
    html = render(app, {"title": "", "town": "Atlantis <x>", "kind": "b"})

    assert '<label class="field__label" for="title">Title' in html
    title_input = re.search(r"<input[^>]*id=\"title\"[^>]*>", html).group(0)
    assert 'aria-invalid="true"' in title_input
    assert 'aria-describedby="title-error"' in title_input
    assert 'data-maxlength="200"' in title_input and " maxlength" not in title_input
    assert '<ul class="field__errors" id="title-error"><li>Please enter a title.</li>' in html

    town_input = re.search(r"<input[^>]*id=\"town\"[^>]*>", html).group(0)
    assert 'value="Atlantis &lt;x&gt;"' in town_input
    assert 'aria-describedby="town-help town-error"' in town_input
    assert 'id="town-help">Where the fair takes place.' in html
    assert "&lt;b&gt;Unknown&lt;/b&gt; town." in html

    assert '<legend class="field__label">Kind' in html
    assert re.search(r'<input[^>]*checked[^>]*value="b"|<input[^>]*value="b"[^>]*checked', html)
    assert 'class="form-errors error-summary" role="alert"' in html


def test_error_summary_links_each_problem_to_its_field_once(app):
    """GOV.UK's error summary: a heading, then one link per problem to the field (a choice
    list's first option); a message a field repeats is listed once."""
    with app.test_request_context(method="POST", data={"title": "", "kind": "z"}):
        form = SampleForm(meta={"csrf": False})
        form.validate()
        form.title.errors.append("Please enter a title.")
        form.form_errors.append("Saved by someone else meanwhile.")
        html = render_template_string(TEMPLATE, form=form)

    summary = html[:html.index("</div>")]
    assert "Bitte korrigieren Sie Folgendes" in summary  # "There is a problem", German first
    assert '<a href="#title">Title: Please enter a title.</a>' in summary
    assert summary.count("Please enter a title.") == 1
    assert re.search(r'<a href="#kind-0">Kind: [^<]+</a>', summary)
    assert "<li>Saved by someone else meanwhile.</li>" in summary
    assert html.count("Please enter a title.") == 2  # the summary and the field


def test_valid_field_has_no_error_markup(app):
    html = render(app, {"title": "Messe", "town": "Siegen"})

    title_input = re.search(r"<input[^>]*id=\"title\"[^>]*>", html).group(0)
    assert "aria-invalid" not in title_input
    assert 'id="title-error"' not in html
    assert 'value="Messe"' in title_input
