"""Where a tenant, and each API key, may be reached from: the areas a tenant's allowed networks
guard, and the one refusal every check gives. Read from the cached tenant and the cached auth
snapshot, so a check costs an address parse and a few comparisons, never a query."""

from accounts.models import Tenant
from core import networks
from core.errors import Forbidden

PAGES, API, TOOLS = "pages", "api", "tools"
AREAS = {
    PAGES: "browser sign-in and pages",
    API: "the REST API and token exchange",
    TOOLS: "the annotation tools' license endpoint",
}
KEY_RULE = "apikey"
TOOLS_PREFIX = "/api/licensing/"
API_PREFIXES = ("/api/", "/scim/", "/ica/")
UNGUARDED = ("/healthz", "/static/", "/.well-known/")  # probes, assets, published public keys
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def area_of(path: str) -> str | None:
    """Which area a request path is in; None for what no network rule guards."""
    if path.startswith(TOOLS_PREFIX):
        return TOOLS
    if path.startswith(API_PREFIXES):
        return API
    return None if path.startswith(UNGUARDED) else PAGES


class OutsideNetworks(Forbidden):
    """A 403 naming the rule that refused the caller's address (never the allowed list)."""

    code = "network_refused"

    def __init__(self, message: str, *, rule: str, ip: str | None):
        super().__init__(message)
        self.rule, self.ip = rule, ip
        if rule == f"tenant.{TOOLS}":
            self.code = "NETWORK_REFUSED"  # the tools' own codes are upper case

    def members(self) -> dict:
        return {"rule": self.rule, "address": self.ip}


def tenant_refusal(tenant: Tenant, area: str, ip: str | None) -> OutsideNetworks | None:
    """The refusal when `tenant` guards `area` and `ip` is outside its allowed networks."""
    if not getattr(tenant, f"networks_for_{area}") or networks.within(ip, tenant.allowed_networks):
        return None
    return OutsideNetworks(
        f"{tenant.name} accepts {AREAS[area]} only from its allowed networks, and your address "
        f"({ip or 'unknown'}) is outside them. Ask a tenant admin if you need to reach it from here.",
        rule=f"tenant.{area}",
        ip=ip,
    )


def key_refusal(allowed: list[str] | tuple[str, ...] | None, ip: str | None) -> OutsideNetworks | None:
    """The refusal when a key (or a token minted from it) bound to networks is used outside them."""
    if not allowed or networks.within(ip, allowed):
        return None
    return OutsideNetworks(
        f"This API key, and every token minted from it, may be used only from the networks its owner "
        f"chose; your address ({ip or 'unknown'}) is outside them.",
        rule=KEY_RULE,
        ip=ip,
    )
