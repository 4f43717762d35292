"""Forms of the clash pages: settling a clash, the board's filters, blackout calendars."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import MonthField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.clashes.dates import MAX_MONTHS, months_between
from app.clashes.notes import MAX_NOTE
from app.forms import BaseForm, MultiCheckboxField, options
from app.reference.codes import AUDIENCES

MAX_ICS_BYTES = 512 * 1024


class AcceptForm(BaseForm):
    """Both events go ahead; the note says why."""

    note = TextAreaField(
        _l("Why is the clash acceptable?"),
        validators=[DataRequired(_l("Please say in a note why the clash is acceptable.")),
                    Length(max=MAX_NOTE)],
        render_kw={"rows": 2, "maxlength": MAX_NOTE},
    )


class ResolveForm(BaseForm):
    """The organisers settled it (e.g. one event moved or they agreed)."""

    note = TextAreaField(_l("How is it resolved?"), validators=[Length(max=MAX_NOTE)],
                         description=_l("Needed unless one of the events has changed since."),
                         render_kw={"rows": 2, "maxlength": MAX_NOTE})


class BoardFilterForm(BaseForm):
    """The board's filters (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    status = SelectField(_l("Status"), validators=[Optional()], choices=options([
        ("open", _l("open")), ("accepted", _l("accepted")), ("resolved", _l("resolved")),
        ("all", _l("all")),
    ]))
    severity = SelectField(_l("Severity"), validators=[Optional()], choices=options(
        [("hard", _l("hard")), ("soft", _l("soft"))], blank=_l("all")))
    district = SelectField(_l("District"), validators=[Optional()])


class DatesFilterForm(BaseForm):
    """The filters of the organisers' calendar (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    district = SelectField(_l("District"), validators=[Optional()])
    status = SelectField(_l("Status"), validators=[Optional()], choices=options([
        ("planned", _l("reserved")), ("published", _l("published")),
    ], blank=_l("reserved and published")))
    start = MonthField(_l("From (month)"), validators=[Optional()],
                       render_kw={"placeholder": "2027-03"})
    end = MonthField(_l("Until (month)"), validators=[Optional()],
                     render_kw={"placeholder": "2027-12"})

    def validate_end(self, field) -> None:
        if not (field.data and self.start.data):
            return
        if field.data < self.start.data:
            raise ValidationError(_l("The last month comes before the first."))
        if months_between(self.start.data, field.data) > MAX_MONTHS:
            raise ValidationError(_l("Please choose at most %(count)s months.",
                                     count=MAX_MONTHS))


class BlackoutUploadForm(BaseForm):
    name = StringField(
        _l("Name of the calendar"),
        validators=[DataRequired(_l("Please give the calendar a name.")), Length(max=200)],
        description=_l("E.g. “Abiturprüfungen 2027 Kreis Olpe”."),
        render_kw={"maxlength": 200},
    )
    audiences = MultiCheckboxField(
        _l("Whom does it affect?"), choices=options(AUDIENCES),
        description=_l("Events for these audiences get a warning on these days."),
    )
    file = FileField(_l("iCalendar file (.ics)"),
                     validators=[FileRequired(_l("Please choose an .ics file."))],
                     description=_l("At most 512 KB; whole-day events, recurrences and "
                                    "time zones are understood."),
                     render_kw={"accept": ".ics,text/calendar"})
