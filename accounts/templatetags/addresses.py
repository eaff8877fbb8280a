"""`{% address email shown names %}`: an email address as admins see it, lookalikes marked, after
the person's name when `names` (email → name) has one."""

from django import template

from accounts.addresses import Shown

register = template.Library()


@register.inclusion_tag("accounts/_address.html")
def address(email: str, shown: dict[str, Shown] | None = None, names: dict[str, str] | None = None) -> dict:
    found = (shown or {}).get(email)
    return {"email": email, "shown": found, "name": (names or {}).get(email)}


@register.inclusion_tag("accounts/_address.html")
def labelled_address(
    label: str, shown: dict[str, Shown] | None = None, names: dict[str, str] | None = None
) -> dict:
    """An audit event's target label, whose first word is an address for people (e.g.
    `bob@acme.test in Acme (member)`): the address marked, the rest as written."""
    first, _, rest = label.partition(" ")
    found = (shown or {}).get(first)
    if found is None:
        return {"email": label}
    return {"email": first, "shown": found, "rest": rest, "name": (names or {}).get(first)}
