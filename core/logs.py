"""PORTAL_JSON_LOGS' formatter (LOGGING in settings): imports nothing of Django's, as logging is
configured before the apps load."""

import json
import logging
import time


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and a request line's fields."""

    FIELDS = ("request_id", "tenant", "user", "route", "method", "status", "duration_ms")

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line |= {name: getattr(record, name) for name in self.FIELDS if hasattr(record, name)}
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line)

    converter = time.gmtime
