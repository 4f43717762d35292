"""The feed-health page for organisers and admins (``/feeds/health``)."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user

from app.accounts.auth import require_organiser
from app.feeds import health_report as report
from app.feeds.health import CLIENT_KINDS, RETENTION_DAYS
from app.time import local_today, now_utc

bp = Blueprint("feed_health", __name__)
bp.before_request(require_organiser)


@bp.get("/feeds/health")
def index():
    """Whether subscriptions fetch the feeds: per feed and kind of calendar app."""
    today, now = local_today(), now_utc()
    organisation_id = current_user.organisation_id if current_user.is_organiser else None
    summaries = report.summaries(today, organisation_id, now)
    mine = request.args.get("mine") == "1" and organisation_id is not None
    if mine:
        summaries = [s for s in summaries if s.own_events]
    known = {summary.feed for summary in summaries}
    chosen = request.args.get("feed")
    if chosen not in known:
        chosen = None
    days = report.daily_clients(today, chosen)
    return render_template(
        "feeds/health.html", summaries=summaries, kinds=CLIENT_KINDS, chosen=chosen,
        days=days, chart=report.chart(days), mine=mine, organisation_id=organisation_id,
        retention_days=RETENTION_DAYS, summary_days=report.SUMMARY_DAYS,
        chart_days=report.CHART_DAYS)
