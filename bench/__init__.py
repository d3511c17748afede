"""Measurements runnable on their own (python -m bench.<name>): in-process moto, fake credentials."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def prepare() -> Path:
    """Environment for an in-process run (call before importing moto or the app); returns a JWT key path."""
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "eu-west-1",
            "STAGE": "local",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
        }
    )
    from chalicelib.observability import metrics
    from tests.support.aws import rsa_key_file

    metrics.add_metric = lambda **_: None  # use cases run outside a Lambda invocation: nothing would flush them
    return rsa_key_file(Path(tempfile.mkdtemp()) / "jwt.pem")
