"""gunicorn settings: `gunicorn -c gunicorn.conf.py wsgi:app`. Each reads an environment
variable; the defaults are what measured best on 2 cores (docs/performance.md)."""

import multiprocessing
import os


def _int(name, default):
    return int(os.environ.get(name, default))


bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
# Sync workers: one request per process, no GIL contention. One per core (WEB_CONCURRENCY
# overrides); twice the cores measured slower for scans on 2 cores.
workers = _int("WEB_CONCURRENCY", multiprocessing.cpu_count())
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
threads = _int("GUNICORN_THREADS", 1)
# A request that takes longer than this is killed (the view's transaction rolls back).
timeout = _int("GUNICORN_TIMEOUT", 30)
# On SIGTERM (a deploy), requests in flight get this long to finish.
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Behind the reverse proxy's keep-alive pool.
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Recycle workers now and then so a slow leak never grows unbounded.
max_requests = _int("GUNICORN_MAX_REQUESTS", 10000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 1000)
# The proxy in front is trusted for X-Forwarded-* by the app itself (TRUSTED_PROXY_HOPS).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")

accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms request_id=%({x-request-id}o)s agent="%(a)s"'

if (
    os.environ.get("LOG_FORMAT", "json" if os.environ.get("APP_ENV") == "production" else "text")
    == "json"
):
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "webapp.logs.json_formatter"}},
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "formatter": "json"},
        },
        "root": {"level": loglevel.upper(), "handlers": ["stderr"]},
        "loggers": {
            "gunicorn.error": {
                "level": loglevel.upper(),
                "handlers": ["stderr"],
                "propagate": False,
            },
            "gunicorn.access": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
        },
    }
