"""The API's body parser, in a module of its own: DRF reads its parser setting when its views
module is imported."""

from rest_framework import exceptions, parsers


class JSONParser(parsers.JSONParser):
    """DRF's, but a body nested deeper than Python's parser goes ('[' * 100000) is a 400 like any
    other malformed JSON, not a RecursionError and a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - nested too deeply.") from None
