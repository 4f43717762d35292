"""Forwarded headers count only from the trusted proxies; HSTS includeSubDomains is a
setting."""

from __future__ import annotations

import pytest
from flask import request

from app import create_app
from app.extensions import db


@pytest.fixture
def proxied(_schema, test_config):
    def make(**settings):
        app = create_app(test_config | {"PROXY_FIX_X_FOR": 1} | settings)

        @app.get("/test-client-address")
        def client_address():
            return f"{request.remote_addr} {request.scheme}"

        return app

    apps = []
    yield lambda **settings: apps.append(make(**settings)) or apps[-1]
    for app in apps:
        with app.app_context():
            db.engine.dispose()


FORWARDED = {"X-Forwarded-For": "198.51.100.7", "X-Forwarded-Proto": "https"}


@pytest.mark.parametrize("peer, expected", [
    ("127.0.0.1", "198.51.100.7 https"),  # nginx on this host: trusted
    ("::1", "198.51.100.7 https"),
    ("203.0.113.9", "203.0.113.9 http"),  # anyone else: headers ignored
    ("10.0.0.5", "10.0.0.5 http"),
])
def test_forwarded_headers_only_from_trusted_proxies(proxied, peer, expected):
    client = proxied().test_client()
    response = client.get("/test-client-address", headers=FORWARDED,
                          environ_base={"REMOTE_ADDR": peer})
    assert response.get_data(as_text=True) == expected


def test_trusted_proxies_may_be_networks(proxied):
    client = proxied(TRUSTED_PROXIES=("10.0.0.0/8",)).test_client()
    inside = client.get("/test-client-address", headers=FORWARDED,
                        environ_base={"REMOTE_ADDR": "10.1.2.3"})
    outside = client.get("/test-client-address", headers=FORWARDED,
                         environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert inside.get_data(as_text=True) == "198.51.100.7 https"
    assert outside.get_data(as_text=True) == "127.0.0.1 http"


def test_without_proxy_count_no_header_counts(proxied):
    client = proxied(PROXY_FIX_X_FOR=0).test_client()
    response = client.get("/test-client-address", headers=FORWARDED,
                          environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert response.get_data(as_text=True) == "127.0.0.1 http"


@pytest.mark.parametrize("include, expected", [
    (False, "max-age=31536000"), (True, "max-age=31536000; includeSubDomains")])
def test_hsts_include_subdomains_is_a_setting(proxied, include, expected):
    client = proxied(PRODUCTION=True, HSTS_INCLUDE_SUBDOMAINS=include).test_client()
    assert client.get("/healthz").headers["Strict-Transport-Security"] == expected


def test_settings_from_the_environment(monkeypatch, tmp_path):
    from config import load_config

    monkeypatch.setenv("TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8")
    monkeypatch.setenv("HSTS_INCLUDE_SUBDOMAINS", "1")
    settings = load_config(tmp_path)
    assert settings["TRUSTED_PROXIES"] == ("127.0.0.1", "10.0.0.0/8")
    assert settings["HSTS_INCLUDE_SUBDOMAINS"] is True
