"""Prometheus metrics: request counts, latencies, batch sizes, queue depth, model outcomes."""

import time

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)


class ServingMetrics:
    """The app's metrics, in a registry of its own (several apps can live in one process)."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("emoai_http_requests_total", "HTTP requests answered",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("emoai_http_request_duration_seconds", "HTTP request latency",
                                 ["method", "route"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.batch_size = Histogram("emoai_batch_size", "texts per model call", buckets=BATCH_BUCKETS,
                                    registry=self.registry)
        self.queue_depth = Gauge("emoai_queue_depth", "texts waiting for the model", registry=self.registry)
        self.predictions = Counter("emoai_predictions_total", "texts classified", ["emotion"],
                                   registry=self.registry)
        self.rejected = Counter("emoai_rejected_total", "requests refused", ["reason"],
                                registry=self.registry)
        self.model_errors = Counter("emoai_model_errors_total", "failed model calls", registry=self.registry)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Counts and times every HTTP request by method, route template and status."""

    def __init__(self, app: ASGIApp, metrics: ServingMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_record)
        finally:
            route = _route_name(scope)
            self.metrics.requests.labels(scope["method"], route, str(status)).inc()
            self.metrics.latency.labels(scope["method"], route).observe(time.perf_counter() - started)


def _route_name(scope: Scope) -> str:
    """The route template (`/v1/entries/{entry_id}`), so label values stay few."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if path:
        return path
    return "/ui" if scope.get("path", "").startswith("/ui") else "unmatched"
