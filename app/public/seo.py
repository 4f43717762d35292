"""What search engines read: ``/sitemap.xml`` (the public pages and every public event
page) and ``/robots.txt`` (which areas are not for them, and where the sitemap is)."""

from __future__ import annotations

from xml.etree import ElementTree

from flask import Blueprint, Response, current_app, url_for
from sqlalchemy import select

from app.calendar.models import Event
from app.calendar.services import PUBLIC_STATUSES
from app.extensions import cache, db
from app.feeds.services import data_version
from app.time import as_utc

bp = Blueprint("seo", __name__)

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
# The sitemap protocol's limit per file; the region has a few hundred events a year.
MAX_URLS = 50_000
# Public pages besides the events, where their areas are installed.
PAGES = ("calendar.index", "feeds.index", "open_data.index", "legal.impressum",
         "legal.datenschutz", "legal.barrierefreiheit", "legal.kontakt")
# Areas behind a login, forms and machine addresses: nothing for a search index.
DISALLOWED = ("/admin/", "/manage/", "/account", "/booths/", "/clashes", "/login",
              "/register/", "/api/", "/feeds/company/", "/embed")


def _base() -> str:
    return current_app.config["BASE_URL"].rstrip("/")


def build_sitemap() -> bytes:
    """The sitemap as XML bytes (ElementTree escapes every address)."""
    ElementTree.register_namespace("", SITEMAP_NS)
    root = ElementTree.Element(f"{{{SITEMAP_NS}}}urlset")

    def add(location: str, modified=None) -> None:
        url = ElementTree.SubElement(root, f"{{{SITEMAP_NS}}}url")
        ElementTree.SubElement(url, f"{{{SITEMAP_NS}}}loc").text = location
        if modified is not None:
            ElementTree.SubElement(url, f"{{{SITEMAP_NS}}}lastmod").text = (
                as_utc(modified).isoformat(timespec="seconds"))

    base = _base()
    for endpoint in PAGES:
        if endpoint in current_app.view_functions:
            add(base + url_for(endpoint))
    rows = db.session.execute(
        select(Event.id, Event.updated_at).where(Event.status.in_(PUBLIC_STATUSES))
        .order_by(Event.starts_at.desc(), Event.id).limit(MAX_URLS - len(PAGES))
    ).all()
    for event_id, updated_at in rows:
        add(base + url_for("calendar.event", event_id=event_id), updated_at)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)


@bp.get("/sitemap.xml")
def sitemap():
    """Every public page and event page, with the event's last change."""
    version = data_version()
    key = f"sitemap:{_base()}:{version}"
    data = cache.get(key) if version is not None else None
    if data is None:
        data = build_sitemap()
        if version is not None:
            cache.set(key, data)
    response = Response(data, mimetype="application/xml")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.get("/robots.txt")
def robots():
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in DISALLOWED), "",
             f"Sitemap: {_base()}/sitemap.xml", ""]
    response = Response("\n".join(lines), mimetype="text/plain")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
