"""Public calendar pages and organiser editing."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("calendar", __name__)


@bp.get("/")
def index():
    return "Messekalender"
