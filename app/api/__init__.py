"""The JSON API under /api/v1/ (flask-smorest generates the OpenAPI document)."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api


def register_api(app: Flask) -> None:
    """One Api per app: flask-smorest keeps the spec on the Api object."""
    api = Api(app)
    app.extensions["api"] = api
