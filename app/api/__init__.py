"""The JSON API under /api/v1/ (flask-smorest generates the OpenAPI document)."""

from __future__ import annotations

from flask import Flask

from app.extensions import api


def register_api(app: Flask) -> None:
    api.init_app(app)
