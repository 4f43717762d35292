"""``/healthz``: the database, the scheduler's heartbeat and the last run of every job.

The status code follows the database only: 200 when it answers, 503 when it does not. A
stale or missing scheduler heartbeat is reported in the body (``scheduler.status``) but
keeps 200 — the web workers serve pages fine without a scheduler, and a load balancer must
not take them out of service for it; monitor ``scheduler.status`` separately.
"""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.errors import RETRY_AFTER_OUTAGE
from app.extensions import db
from app.time import now_utc

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """Report whether the database answers; load balancers take a non-200 as down."""
    from app.jobs import JOBS
    from app.ops import runs

    now = now_utc()
    body: dict = {"time": now.isoformat()}
    try:
        db.session.execute(text("SELECT 1"))
        body["database"] = "ok"
    except SQLAlchemyError:
        db.session.rollback()
        body["database"] = "unavailable"
    if body["database"] == "ok":
        try:
            body["scheduler"] = runs.heartbeat_status(now)
            latest = runs.latest_runs()
            body["jobs"] = {job.id: runs.run_summary(latest[job.id][0]) if job.id in latest
                            else None for job in JOBS}
        except SQLAlchemyError:
            db.session.rollback()
            body["scheduler"] = {"status": "unknown"}
    status = 200 if body["database"] == "ok" else 503
    body["status"] = "ok" if status == 200 else "degraded"
    headers = {} if status == 200 else {"Retry-After": str(RETRY_AFTER_OUTAGE)}
    return jsonify(body), status, headers
