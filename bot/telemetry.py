"""Prometheus metrics, served on METRICS_PORT when it is set
(docs/operations.md#health-metrics-and-backups).

The counters live in the process's default registry and count whether or not they are served
(an increment costs well under a microsecond); `serve` starts the official client's HTTP server
in a thread. Labels take only bounded values (source keys, outbox kinds, command names)."""

from __future__ import annotations

import logging
import time
from typing import Any

from prometheus_client import Counter, Gauge, Histogram, start_http_server

log = logging.getLogger(__name__)

POLLS = Counter(
    "paperscout_polls",
    "Poll cycles run, by outcome (ok, errors: a source failed, busy)",
    ["outcome"],
)
SOURCE_REQUESTS = Counter(
    "paperscout_source_requests",
    "HTTP requests to an upstream source (each retry counted), by source and outcome (ok, "
    "error: a refusal, a timeout, a body that could not be read)",
    ["source", "outcome"],
)
PAPERS_STORED = Counter("paperscout_papers_stored", "New papers stored by the polls")
MESSAGES = Counter(
    "paperscout_messages",
    "Outbox messages (alerts, digest parts, notices) by kind and outcome (sent, retry, failed)",
    ["kind", "outcome"],
)
OUTBOX_DEPTH = Gauge(
    "paperscout_outbox_depth", "Outbox messages waiting to be sent (pending), at the last tick"
)
INTERACTION_SECONDS = Histogram(
    "paperscout_interaction_seconds",
    "From an interaction's arrival to the end of its command, by command",
    ["command"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)


RECEIVED_KEY = "paperscout_received"  # in `Interaction.extras`: when the tree got it


def interaction_received(extras: dict[Any, Any]) -> None:
    extras[RECEIVED_KEY] = time.monotonic()


def interaction_done(extras: dict[Any, Any], command: str) -> None:
    """Observe a command's latency once (a command that failed, or that completed)."""
    received = extras.pop(RECEIVED_KEY, None)
    if received is not None:
        INTERACTION_SECONDS.labels(command).observe(time.monotonic() - received)


def serve(port: int) -> None:
    """Serve every metric at http://0.0.0.0:PORT/metrics (a daemon thread)."""
    start_http_server(port)
    log.info("Prometheus metrics on port %d (/metrics)", port)
