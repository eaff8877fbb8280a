"""Sources that end before their license: the rows that say so (SourceTerm)."""

from collections.abc import Mapping
from datetime import datetime, timedelta

from licenses.models import License, SourceTerm


def terms_set(license: License, ends: Mapping[str, datetime], *, now: datetime) -> None:
    """Make the license's source terms exactly `ends` (source → end, each before the license's).
    A term whose end moves owes its reminders again for a threshold it is not yet within."""
    current = {term.source: term for term in SourceTerm.objects.filter(license=license)}
    SourceTerm.objects.filter(license=license).exclude(source__in=list(ends)).delete()
    for source, end in ends.items():
        term = current.get(source)
        if term is None:
            SourceTerm.objects.create(license=license, source=source, ends_at=end)
        elif term.ends_at != end:
            term.ends_at = end
            if end - now > timedelta(days=30):
                term.reminded_30_at = None
            if end - now > timedelta(days=7):
                term.reminded_7_at = None
            term.save(update_fields=["ends_at", "reminded_30_at", "reminded_7_at"])
    if hasattr(license, "_prefetched_objects_cache"):
        license._prefetched_objects_cache.pop("terms", None)  # read them again
