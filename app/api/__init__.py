"""The JSON API under /api/v1/ (flask-smorest generates the OpenAPI document).

``@blp.arguments`` is given schema instances, not classes: webargs would build a new
schema from a class on every request (our schemas keep no state between calls)."""

from __future__ import annotations

import flask_smorest
from flask import Flask

from app.api.schemas import ErrorSchema


class Api(flask_smorest.Api):
    """flask-smorest's Api with our error shape documented.

    Errors are handled by the API blueprints themselves (``app.api.errors.protect``), not
    by an app-wide handler, so the HTML error pages of the site stay as they are.
    """

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self) -> None:
        """Left out on purpose: see the class docstring."""


def register_api(app: Flask) -> None:
    """One Api per app: flask-smorest keeps the spec on the Api object."""
    from app.api.booths import bookings_blp, booth_events_blp
    from app.api.clashes import blp as clashes_blp
    from app.api.companies import blp as companies_blp
    from app.api.events import blp as events_blp
    from app.api.reference import blp as reference_blp
    from app.api.visits import visit_events_blp, visit_slots_blp
    from app.extensions import csrf

    api = Api(app)
    app.extensions["api"] = api
    for blueprint in (events_blp, clashes_blp, booth_events_blp, bookings_blp,
                      companies_blp, reference_blp, visit_events_blp, visit_slots_blp):
        api.register_blueprint(blueprint)
        # Bearer tokens only (never the session cookie), so there is nothing to forge.
        csrf.exempt(blueprint)
