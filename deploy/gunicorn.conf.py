"""gunicorn for Portal: `gunicorn portal.wsgi --config deploy/gunicorn.conf.py`.

Every setting can be overridden by gunicorn's own environment variable GUNICORN_CMD_ARGS or the
variables below. Sync workers: a request is short (no streaming, no long polls), and each worker
keeps one PostgreSQL connection and one Redis connection open. Scale out with more processes
here, or more hosts behind the proxy; they share PostgreSQL, Redis and the keys' files.
"""

import multiprocessing
import os
import shutil
from pathlib import Path

bind = os.environ.get("PORTAL_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
timeout = int(os.environ.get("PORTAL_REQUEST_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5  # behind a proxy that keeps connections open
max_requests = 10_000  # recycle a worker now and then; jitter keeps them from recycling together
max_requests_jitter = 1_000
limit_request_line = 8190
limit_request_fields = 100
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")  # the proxy, for wsgi.url_scheme
accesslog = "-"
errorlog = "-"
# The path without its query string: a page showing a secret once carries the key to it there
# (core/shown_once.py), and searches carry what people typed.
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms "%(a)s"'

# Prometheus' multi-process mode (core/metrics.py): each worker writes its counts into this folder
# and /metrics adds them up. Emptied when the server starts; a dead worker's gauges are dropped.
# A Celery worker on this host with the same PROMETHEUS_MULTIPROC_DIR is counted too.
metrics_dir = os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR", str(Path(os.environ.get("PORTAL_VAR_DIR", "var")) / "prometheus")
)
os.makedirs(metrics_dir, exist_ok=True)  # also for `--check-config`, which loads the app without starting


def on_starting(server):
    shutil.rmtree(metrics_dir, ignore_errors=True)
    os.makedirs(metrics_dir, exist_ok=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid, metrics_dir)
