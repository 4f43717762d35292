"""The production files in deploy/: gunicorn really serves the app with them, the
nginx sample is valid, and the systemd units start what the README says."""

from __future__ import annotations

import configparser
import os
import runpy
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import project_root

DEPLOY = project_root() / "deploy"


def gunicorn_settings(monkeypatch, **env: str) -> dict:
    for name in ("WEB_CONCURRENCY", "GUNICORN_BIND"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))


def test_gunicorn_settings(monkeypatch):
    settings = gunicorn_settings(monkeypatch)
    assert settings["bind"] == "127.0.0.1:8000"
    assert settings["workers"] == min(2 * os.cpu_count() + 1, 12)
    assert settings["preload_app"] is False
    assert 0 < settings["timeout"] <= 60
    # The access log shows the path only (%(U)s), never the query string.
    assert "%(U)s" in settings["access_log_format"]
    assert "%(r)s" not in settings["access_log_format"]
    assert "%(q)s" not in settings["access_log_format"]
    assert "%(h)s" in settings["access_log_format"]  # the peer, next to X-Forwarded-For
    assert gunicorn_settings(monkeypatch, WEB_CONCURRENCY="3")["workers"] == 3


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.skipif(shutil.which("gunicorn") is None, reason="gunicorn is not installed")
def test_gunicorn_serves_the_app_with_the_production_config(tmp_path):
    port = free_port()
    env = {**os.environ, "FLASK_ENV": "production", "SECRET_KEY": "deploy-test",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite'}", "PROXY_COUNT": "1",
           "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "2"}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(DEPLOY / "gunicorn.conf.py"), "wsgi:app"],
        cwd=project_root(), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        health = None
        for _ in range(100):
            try:
                health = urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except OSError:
                if process.poll() is not None:
                    break
                time.sleep(0.1)
        assert health is not None, process.stdout.read().decode() if process.poll() else ""
        assert health.status == 200
        assert "max-age" in health.headers["Strict-Transport-Security"]
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/login",
            headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.5"})
        page = urllib.request.urlopen(request, timeout=5)
        cookie = page.headers["Set-Cookie"]
        assert "Secure" in cookie and "HttpOnly" in cookie
        secret = "Zs8Kq3vN0pLmW7xYb2Rt5uH9jD4fG6aE1cV"
        with pytest.raises(urllib.error.HTTPError):  # unknown token: 404
            urllib.request.urlopen(f"http://127.0.0.1:{port}/feeds/company/{secret}.ics",
                                   timeout=5)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        output = process.communicate(timeout=30)[0].decode()
    # The access log line carries the peer and the address from X-Forwarded-For.
    assert "127.0.0.1 for=203.0.113.5" in output, output
    # A private feed's token never reaches the log.
    assert secret not in output and "/feeds/company/…" in output


@pytest.mark.skipif(shutil.which("nginx") is None or shutil.which("openssl") is None,
                    reason="nginx (and openssl) are not installed")
def test_nginx_sample_is_valid(tmp_path):
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-keyout", str(tmp_path / "key.pem"),
                    "-out", str(tmp_path / "cert.pem")], check=True, capture_output=True)
    site = (DEPLOY / "nginx.conf").read_text()
    site = (site.replace("/etc/letsencrypt/live/kalender.example.org/fullchain.pem",
                         str(tmp_path / "cert.pem"))
            .replace("/etc/letsencrypt/live/kalender.example.org/privkey.pem",
                     str(tmp_path / "key.pem"))
            .replace("/srv/messekalender", str(project_root())))
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  include /etc/nginx/mime.types;\n  access_log off;\n"
        f"  include {tmp_path}/site.conf;\n}}\n")
    result = subprocess.run(["nginx", "-t", "-c", str(tmp_path / "nginx.conf")],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(DEPLOY / name)
    return parser


def test_systemd_units_start_gunicorn_and_one_scheduler():
    web, scheduler = unit("messekalender-web.service"), unit("messekalender-scheduler.service")
    assert "gunicorn -c deploy/gunicorn.conf.py wsgi:app" in web["Service"]["ExecStart"]
    assert scheduler["Service"]["ExecStart"].endswith("flask --app wsgi scheduler")
    assert web["Service"]["EnvironmentFile"] == scheduler["Service"]["EnvironmentFile"]
    env_names = {line.split("=", 1)[0] for line in
                 (DEPLOY / "env.example").read_text().splitlines()
                 if line and not line.startswith("#")}
    assert {"FLASK_ENV", "SECRET_KEY", "DATABASE_URL", "PROXY_COUNT",
            "RATELIMIT_STORAGE_URI"} <= env_names


def test_readme_documents_every_step():
    readme = (DEPLOY / "README.md").read_text()
    for needle in ("init-db", "gunicorn", "flask --app wsgi scheduler", "nginx -t",
                   ".backup", "sqlite3.connect", "pg_dump", "pg_restore", "PROXY_COUNT",
                   "RATELIMIT_STORAGE_URI", "FLASK_ENV=production", "SECRET_KEY"):
        assert needle in readme, needle
    assert Path(DEPLOY / "nginx.conf").read_text().count("X-Forwarded-") >= 2
