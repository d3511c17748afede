"""The shared Logger and Metrics (powertools). Tracer is created only where tracing is enabled:
importing the X-Ray SDK costs ~190 ms of cold start."""

from __future__ import annotations

import warnings

from aws_lambda_powertools import Logger, Metrics

logger = Logger(service="coalition")
metrics = Metrics(namespace="Coalition", service="coalition")

# Reads publish no business metric; powertools warns on every such invocation otherwise.
warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)
