"""`portal`: Portal from a terminal. Talks to the REST API only; imports nothing from Django."""

__version__ = "0.1.0"
