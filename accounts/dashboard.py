"""The tenant home's dashboard for admins: figures and day-by-day counts that each app adds.
accounts knows nothing of keys or licenses, so apikeys and licenses register theirs in their
AppConfig.ready; this module's own (members, failed sign-ins) come first."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from accounts.models import USAGE_FAILED_SIGNINS, Membership, Tenant
from core import usage


@dataclass(frozen=True)
class Figure:
    label: str
    value: int
    href: str = ""
    hint: str = ""
    attention: bool = False  # worth a look (shown marked, in words too)


@dataclass(frozen=True)
class Panel:
    figures: list[Figure]
    series: dict[str, list[int]] = field(default_factory=dict)  # label → 30 days of counts, for the chart


_providers: dict[str, Callable[[Tenant], Panel]] = {}


def register(name: str, provider: Callable[[Tenant], Panel]) -> None:
    _providers[name] = provider


def dashboard(tenant: Tenant) -> tuple[list[Figure], dict]:
    """The figures, and one chart of the apps' counts (ours, failed sign-ins, drawn last)."""
    own = _accounts_panel(tenant)
    panels = [provider(tenant) for provider in _providers.values()]
    figures = own.figures + [figure for panel in panels for figure in panel.figures]
    series = {label: values for panel in [*panels, own] for label, values in panel.series.items()}
    return figures, usage.chart("usage-tenant", series)


def _accounts_panel(tenant: Tenant) -> Panel:
    failed = usage.series(USAGE_FAILED_SIGNINS, [tenant.pk])[str(tenant.pk)]
    week = sum(failed[-7:])
    members = Membership.objects.filter(tenant=tenant, is_active=True).count()
    return Panel(
        figures=[
            Figure("Members", members, reverse("users")),
            Figure(
                "Failed sign-ins this week",
                week,
                hint=f"since {(timezone.now() - timedelta(days=6)).date():%b %-d} (UTC)",
            ),
        ],
        series={"Failed sign-ins": failed},
    )
