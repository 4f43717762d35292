"""Organiser pages: list, create, edit, publish and cancel the organisation's events."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("editing", __name__, url_prefix="/manage")
