"""gunicorn settings for production: ``gunicorn -c deploy/gunicorn.conf.py wsgi:app``.

Every value can be overridden from the environment (the systemd unit's EnvironmentFile).
The scheduler is NOT started here: it runs as its own process (``flask --app wsgi
scheduler``), otherwise every worker would run the jobs.
"""

import multiprocessing
import os

from gunicorn import glogging

from app.logs import install_log_redaction, redact

# nginx proxies to this address; gunicorn itself is never exposed.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# The usual 2 × cores + 1, capped: each worker holds its own database connections
# (pool of 5 by default), so PostgreSQL's max_connections must allow workers × 5 + the
# scheduler's. WEB_CONCURRENCY wins when set.
MAX_WORKERS = 12
workers = int(os.environ.get("WEB_CONCURRENCY")
              or min(2 * multiprocessing.cpu_count() + 1, MAX_WORKERS))
worker_class = "sync"

# A request that takes longer than this is stuck: the worker is killed and replaced.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then (bounded memory growth), staggered so not all at once.
# Not too often: a new worker costs about 1.5 s of CPU (imports, the app, its templates)
# and starts with empty caches; at 2,000 requests, on a busy booking day at 300 requests
# a second, each of five workers was replaced every half minute (about a tenth of the
# machine). At 20,000 that is every five minutes.
max_requests = 20_000
max_requests_jitter = 2_000

# Each worker builds its own app and engine after the fork: no connection is shared
# between processes.
preload_app = False

# Logs to stdout/stderr, i.e. the journal under systemd. The access log shows the path
# without the query string (%(U)s): feed filters and the like stay out of the logs;
# %(L)s is the request time in seconds.
accesslog = "-"
errorlog = "-"

install_log_redaction()  # every log line of master and workers (app.logs)


class RedactingLogger(glogging.Logger):
    """The access log without secrets in addresses (a company's private feed
    /feeds/company/<token>.ics, reset links): whoever reads the logs must not be able to
    use them. The error log is cleaned by ``install_log_redaction``."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        # The peer as it connected (the app's proxy handling rewrites REMOTE_ADDR).
        atoms["h"] = environ.get("messekalender.peer") or atoms.get("h")
        for name in ("U", "r"):
            if atoms.get(name):
                atoms[name] = redact(atoms[name])
        return atoms


logger_class = RedactingLogger
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
# Both the peer (%(h)s: nginx) and the client address nginx forwarded; the app reads the
# forwarded one only from TRUSTED_PROXIES.
access_log_format = ('%(h)s for=%({x-forwarded-for}i)s "%(m)s %(U)s" %(s)s %(B)s %(L)ss '
                     '"%(a)s"')

# Only nginx on this host may tell gunicorn the original scheme. The app itself trusts
# X-Forwarded-For/-Proto through werkzeug's ProxyFix when PROXY_COUNT=1 is set.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
