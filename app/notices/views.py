"""Change-notice pages (blueprint ``notices``): subscribe (the form sits on the feed
builder ``/feeds`` and posts here), confirm the address, unsubscribe with one click."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.datastructures import MultiDict

from app.calendar.filters import EventFilter, FilterError, filter_message
from app.extensions import csrf, db, limiter
from app.forms import put_errors
from app.i18n import current_language
from app.notices import services
from app.notices.forms import ConfirmForm, SubscribeForm
from app.notices.mails import describe
from app.time import now_utc

bp = Blueprint("notices", __name__, url_prefix="/notices")

SELECTION_NAMES = ("district", "industry", "audience", "type", "occupation", "grade")
SENT_KEY = "notices.sent"


@bp.app_context_processor
def subscription_form() -> dict:
    """Lets the feed builder (a lower area) show this area's form without importing it."""
    return {"notice_subscribe_form": lambda: SubscribeForm(formdata=None)}


def _selection(source: MultiDict) -> EventFilter:
    return EventFilter.from_args(MultiDict(
        [(name, value) for name in SELECTION_NAMES for value in source.getlist(name)]))


def _rate_limit() -> str:
    return current_app.config["NOTICE_RATE_LIMIT"]


@bp.route("/subscribe", methods=["GET", "POST"])
@limiter.limit(_rate_limit, methods=["POST"])
def subscribe():
    """Ask for change notices of a selection; a confirmation link goes to the address."""
    form = SubscribeForm()
    errors: list[str] = []
    try:
        event_filter = _selection(request.form if request.method == "POST" else request.args)
    except FilterError as error:
        errors.append(filter_message(error))
        event_filter = EventFilter()
    if request.method == "POST" and form.validate_on_submit() and not errors:
        try:
            outcome = services.subscribe(form.email.data, event_filter, form.language.data,
                                         now_utc())
        except services.NoticeError as error:
            put_errors(form, error)
        else:
            db.session.commit()
            session[SENT_KEY] = {"email": outcome.email, "outcome": outcome.outcome}
            return redirect(url_for("notices.sent"), code=303)
    status = 400 if request.method == "POST" or errors else 200
    selection = describe(event_filter, current_language())
    return render_template("notices/subscribe.html", form=form, event_filter=event_filter,
                           errors=errors, selection=selection), status


@bp.get("/subscribe/sent")
def sent():
    """After subscribing: check your inbox (the address is shown once, from the session)."""
    done = session.pop(SENT_KEY, None)
    if not done:
        return redirect(url_for("feeds.index"))
    return render_template("notices/sent.html", email=done["email"], outcome=done["outcome"],
                           valid_hours=int(services.CONFIRM_WITHIN.total_seconds() // 3600))


@bp.route("/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str):
    """The link of the confirmation mail: a page with one button (a GET changes nothing,
    so a mail scanner opening the link confirms nobody)."""
    form = ConfirmForm()
    now = now_utc()
    if request.method == "POST" and form.validate_on_submit():
        found = services.confirm(token, now)
        db.session.commit()
    else:
        found = services.confirmation(token, now)
    status = {"invalid": 404, "expired": 410}.get(found.state, 200)
    subscription = found.subscription
    context = {"form": form, "state": found.state, "token": token}
    if subscription is not None:
        context.update(
            selection=_described(subscription), email=subscription.email,
            unsubscribe=url_for("notices.unsubscribe",
                                token=services.unsubscribe_token(subscription)),
            again=url_for("feeds.index", **_selection_args(subscription)))
    return render_template("notices/confirm.html", **context), status


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe(token: str):
    """One click: the page's button, or the mail client's RFC 8058 POST (no cookie, no
    CSRF token: the link's signed token is the proof). The address is deleted."""
    genuine, subscription = services.by_unsubscribe_token(token)
    if not genuine:
        return render_template("notices/unsubscribe.html", state="invalid"), 404
    if subscription is None:
        return render_template("notices/unsubscribe.html", state="gone"), 200
    if request.method == "POST":
        services.end_subscription(subscription, now_utc())
        db.session.commit()
        return render_template("notices/unsubscribe.html", state="done"), 200
    return render_template("notices/unsubscribe.html", state="ask", token=token,
                           selection=_described(subscription),
                           email=subscription.email), 200


def _described(subscription) -> str:
    try:
        return describe(services.selection_filter(subscription.selection), current_language())
    except FilterError:
        return subscription.selection


def _selection_args(subscription) -> dict:
    try:
        return services.selection_filter(subscription.selection).to_args()
    except FilterError:
        return {}
