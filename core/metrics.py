"""Operators' metrics, in Prometheus' format at /metrics on operator hosts (prometheus-client).

Requests and latency by route, method and status; every problem answered, by route and its
stable code (token exchanges and premium.lic refusals by reason are these on their routes);
premium.lic files signed; Celery jobs by task and outcome and the broker's queue depth; whether a
process works without Redis. Under gunicorn and Celery, PROMETHEUS_MULTIPROC_DIR (set before the
processes start: deploy/gunicorn.conf.py) gives each process files of its own that /metrics adds
up; without it (runserver, the tests) each process counts for itself.
"""

import hmac
import logging
import os

from django.conf import settings
from django.http import Http404, HttpResponse
from kombu.exceptions import ChannelError
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

from core import networks
from core.errors import Forbidden, problem_for

log = logging.getLogger(__name__)

REQUESTS = Counter(
    "portal_http_requests", "Requests answered, by route, method and status", ["route", "method", "status"]
)
LATENCY = Histogram(
    "portal_http_request_duration_seconds",
    "Time to answer a request, by route",
    ["route"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
REFUSALS = Counter("portal_http_refusals", "Problems answered, by route and stable code", ["route", "code"])
PREMIUM_FILES = Counter("portal_premium_files_issued", "premium.lic files signed")
TASKS = Counter("portal_celery_tasks", "Celery jobs finished, by task and outcome", ["task", "outcome"])
CACHE_OUTAGE = Gauge(
    "portal_cache_outage",
    "1 while a process works without Redis (its own fallback, core/cache.py), else 0",
    multiprocess_mode="livemax",
)


class QueueDepth:
    """The Celery queue's waiting jobs, asked of the broker at each scrape (kombu's own count)."""

    def collect(self):
        from celery import current_app

        gauge = GaugeMetricFamily("portal_celery_queue_depth", "Jobs waiting in the broker", labels=["queue"])
        queue = settings.CELERY_TASK_DEFAULT_QUEUE
        try:
            gauge.add_metric([queue], _waiting(current_app, queue))
        except Exception as exc:  # a broker down is what the other metrics show; leave this one out
            log.warning("queue depth of %s unknown: %r", queue, exc)
        yield gauge


def _waiting(app, queue: str) -> int:
    with app.connection_for_read() as connection:
        connection.ensure_connection(max_retries=1)
        try:
            return connection.default_channel.queue_declare(queue=queue, passive=True).message_count
        except ChannelError:  # no such queue (yet): nobody declared it, nothing waits in it
            return 0


def registry() -> CollectorRegistry:
    """What /metrics shows: every process's files in multi-process mode, else this process's."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        scraped = CollectorRegistry()
        multiprocess.MultiProcessCollector(scraped)
    else:
        scraped = CollectorRegistry()
        scraped.register(_ThisProcess())
    scraped.register(QueueDepth())
    return scraped


class _ThisProcess:
    def collect(self):
        return REGISTRY.collect()


def view(request):
    """GET /metrics: on operator hosts only (a tenant's host: 404), for addresses in
    PORTAL_METRICS_NETWORKS or a request bearing PORTAL_METRICS_TOKEN."""
    if request.tenant is not None:
        raise Http404()
    if not _allowed(request):
        return problem_for(Forbidden("Metrics are for the operator's scrapers.", code="metrics_refused"))
    return HttpResponse(generate_latest(registry()), content_type=CONTENT_TYPE_LATEST)


def _allowed(request) -> bool:
    """The token; or a scraper that reached this process directly from PORTAL_METRICS_NETWORKS.
    A request that came through a proxy (its peer a trusted proxy, or any forwarding header) is
    judged by the token alone: behind a proxy on the same host every visitor's peer is loopback."""
    token = settings.PORTAL_METRICS_TOKEN
    given = request.META.get("HTTP_AUTHORIZATION", "").removeprefix("Bearer ").strip()
    if token and given and hmac.compare_digest(given.encode(), token.encode()):
        return True
    peer = request.META.get("REMOTE_ADDR")
    return not proxied(request) and networks.within(peer, settings.PORTAL_METRICS_NETWORKS)


def proxied(request) -> bool:
    """Whether a request came through a proxy: from one of PORTAL_TRUSTED_PROXIES, or naming a
    client it was forwarded for."""
    forwarded = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")
    peer = request.META.get("REMOTE_ADDR")
    return any(name in request.META for name in forwarded) or networks.within(
        peer, settings.PORTAL_TRUSTED_PROXIES
    )


def watch_tasks() -> None:
    """Count Celery jobs as they end (called by the Celery app: worker processes count)."""
    from celery import signals

    def ended(outcome):
        def count(sender=None, **kwargs):
            TASKS.labels(getattr(sender, "name", str(sender)), outcome).inc()

        return count

    for signal, outcome in (
        (signals.task_success, "success"),
        (signals.task_failure, "failure"),
        (signals.task_retry, "retry"),
    ):
        signal.connect(ended(outcome), weak=False)
