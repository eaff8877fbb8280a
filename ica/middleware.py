"""ICA's problem shape for every error under /ica/rest/: whoever answered it (a view, a
middleware refusing the request, Django's 404 or 500 handler) built Portal's problem through
`core.errors`; this adds the members ICA's clients require (`instance`, `parameters`,
`timestamp`). Only error answers there pay for it."""

import json
import logging

from django.utils import timezone

from core.errors import PROBLEM_CONTENT_TYPE
from ica.shapes import PREFIX, when

log = logging.getLogger(__name__)


class IcaProblems:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.get("Content-Type") == PROBLEM_CONTENT_TYPE and request.path_info.startswith(PREFIX):
            body = json.loads(response.content)
            body.setdefault("instance", request.path)
            body.setdefault("parameters", _parameters(body.get("errors") or {}))
            body.setdefault("timestamp", when(timezone.now()))
            response.content = json.dumps(body)
            if response.has_header("Content-Length"):
                response["Content-Length"] = str(len(response.content))
            if response.status_code == 501:  # a client asked for what Portal does not do: no server error
                response._has_been_logged = True  # Django's request log would say ERROR
                log.info("not implemented: %s %s", request.method, request.path)
        return response


def _parameters(errors: dict) -> dict[str, str]:
    """Portal's `errors` (field → messages) as ICA's `parameters` (field → one string)."""
    return {
        name: "; ".join(map(str, messages)) if isinstance(messages, list) else str(messages)
        for name, messages in errors.items()
    }
