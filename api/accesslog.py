"""Logging set-up of the served API: uvicorn's (one worker) and granian's
(several), with the access log showing no query string.

A query string can carry what must not be written down (a token someone put
in a URL, a GraphQL query's variables naming a petitioner), and the access log
is on by default. :class:`RedactQuery` sits on the ``uvicorn.access`` logger,
:class:`RedactGranianTarget` on ``granian.access``, so every handler of them
(the server's own, or one an operator adds) gets the redacted line:
``GET /graphql?[redacted]``; anything shaped like a zeren token in the path
itself is masked too.
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

from zeren.api.security import TOKEN_PREFIX

REDACTED = "[redacted]"
TOKEN_SHAPE = re.compile(re.escape(TOKEN_PREFIX) + r"_[0-9a-f]+_[A-Za-z0-9_-]+")


def redact_target(target: str) -> str:
    """A request target (path and query string) as the access log shows it."""
    path, sep, query = target.partition("?")
    path = TOKEN_SHAPE.sub(f"{TOKEN_PREFIX}_{REDACTED}", path)
    return f"{path}?{REDACTED}" if sep and query else path


class RedactQuery(logging.Filter):
    """Redacts the request target of uvicorn's access records, whose
    arguments are (client, method, target, http version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            record.args = (*args[:2], redact_target(args[2]), *args[3:])
        return True


class RedactGranianTarget(logging.Filter):
    """Puts the redacted request target in the ``path`` of granian's access
    records, whose argument is a dict (``path`` and ``query_string`` apart),
    and empties their ``query_string``."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, dict) and isinstance(args.get("path"), str):
            query = args.get("query_string") or ""
            record.args = {**args, "path": redact_target(f"{args['path']}?{query}" if query else args["path"]),
                           "query_string": REDACTED if query else ""}
        return True


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's default logging configuration plus :class:`RedactQuery` on
    its access logger: pass it as ``log_config``."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_query"] = {"()": "zeren.api.accesslog.RedactQuery"}
    config["loggers"]["uvicorn.access"]["filters"] = ["redact_query"]
    return config
