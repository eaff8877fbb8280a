"""Content negotiation for every API view: JSON under the names ICA's clients use for it.

libica, icacli and the icav2 CLI send `Accept: application/vnd.illumina.v3+json` (libica also
`application/problem+json`, and v4 for the newer event log search) and such bodies. Each is JSON:
the answer is JSON labelled with the vendor type asked for; a type that is no JSON still gets a
406 problem, never an HTML page."""

from rest_framework.negotiation import DefaultContentNegotiation

JSON = "application/json"
PROBLEM = "application/problem+json"
VENDOR_TYPES = frozenset(f"application/vnd.illumina.v{n}+json" for n in (2, 3, 4))


def _base(media_type: str) -> str:
    return media_type.partition(";")[0].strip().lower()


class Negotiation(DefaultContentNegotiation):
    def select_parser(self, request, parsers):
        if _base(request.content_type) in VENDOR_TYPES:
            return next((parser for parser in parsers if parser.media_type == JSON), None)
        return super().select_parser(request, parsers)

    def select_renderer(self, request, renderers, format_suffix=None):
        renderer, media_type = super().select_renderer(request, renderers, format_suffix)
        vendor = getattr(request, "_vendor_type", None)
        if vendor and renderer.media_type == JSON:
            renderer.media_type = vendor  # this request's own instance: it labels the answer
            return renderer, vendor
        return renderer, media_type

    def get_accept_list(self, request):
        """The Accept list, with each vendor type and problem+json read as JSON (the first of these
        named is remembered, to label the answer)."""
        accepts = []
        for token in super().get_accept_list(request):
            base = _base(token)
            if base in VENDOR_TYPES | {JSON} and not hasattr(request, "_vendor_type"):
                request._vendor_type = base if base != JSON else None  # the first one named wins
            accepts.append(JSON if base in VENDOR_TYPES or base == PROBLEM else token)
        return accepts
