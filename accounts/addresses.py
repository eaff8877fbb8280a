"""Email addresses as identities: one canonical form, and how an admin tells lookalikes apart.

Stored and compared stripped and `str.lower`ed, as allauth stores them, never folded further nor
compared with the database's UPPER/LOWER (PostgreSQL's UPPER maps a dotless i to I).
Lookalikes stay different accounts, marked for admins: punycode, mixed scripts, equal TR39
skeletons (ICU's SpoofChecker). An address whose mail could reach another mailbox is refused
(`problem`): a non-ASCII name, a domain IDNA maps characters away from, or one that IDNA 2003
(Python's mail code) and IDNA 2008 encode differently (`straße.test`). Pure: no ORM, no settings."""

import functools
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import icu
import idna
from django.core.exceptions import ValidationError
from django.core.validators import validate_email


def canonical(email: str) -> str:
    """The one form an address is stored, looked up and compared in."""
    return email.strip().lower()


def _checker() -> icu.SpoofChecker:
    checker = icu.SpoofChecker()
    checker.setChecks(
        icu.USpoofChecks.RESTRICTION_LEVEL | icu.USpoofChecks.INVISIBLE | icu.USpoofChecks.MIXED_NUMBERS
    )
    # One script per label, or the usual CJK combinations: Latin with a Cyrillic a (U+0430) is not.
    checker.setRestrictionLevel(icu.URestrictionLevel.HIGHLY_RESTRICTIVE)
    return checker


_CHECKER = _checker()


@functools.lru_cache(maxsize=8192)
def problem(email: str) -> str | None:
    """Why `email` (canonical) cannot be an identity here, in words for the person who typed it;
    None when it can: every mail program sends its mail to the one mailbox it names."""
    try:
        validate_email(email)  # one mailbox: no display name, no list (`x@a.test, m@evil.test`)
    except ValidationError:
        return "is not an email address"
    local, _, domain = email.rpartition("@")
    if not local.isascii():
        return "must have a name of ASCII letters, digits and punctuation before the @"
    if domain.isascii():
        return None
    try:
        dns_form = idna.encode(domain, uts46=True).decode("ascii")
        read_back = idna.decode(dns_form)
    except idna.IDNAError:
        return "has a domain that is not a valid international domain name"
    if read_back != domain:
        return f"has hidden or look-alike characters that mail servers read as {read_back}: write that"
    try:
        old_form = domain.encode("idna").decode("ascii")
    except UnicodeError:
        old_form = None
    if old_form != dns_form:
        return (
            f"has a domain some mail software would deliver to {old_form or 'nowhere'} rather than "
            f"{dns_form}: write the ASCII form, {dns_form}"
        )
    return None


@functools.lru_cache(maxsize=8192)
def skeleton(email: str) -> str:
    """TR39's skeleton: two addresses that look alike have the same one (`rn` and `m` too).
    Width is folded first (NFKC), so a full-width letter looks like its ASCII one here as well;
    a domain written in punycode is compared as the Unicode it stands for."""
    local, _, domain = email.rpartition("@")
    return _CHECKER.getSkeleton(0, unicodedata.normalize("NFKC", f"{local}@{_unicode(domain)}"))


@functools.lru_cache(maxsize=8192)
def ascii_domain(email: str) -> str | None:
    """The domain's other form, when it has one: as DNS and mail servers see it (punycode) for a
    non-ASCII domain, and the Unicode it stands for when it is written in punycode."""
    domain = email.rpartition("@")[2]
    if domain.isascii():
        unicode_form = _unicode(domain)
        return unicode_form if unicode_form != domain else None
    try:
        return idna.encode(domain, uts46=True).decode("ascii")
    except idna.IDNAError:
        return "not a valid domain name"


def _unicode(domain: str) -> str:
    if "xn--" not in domain:
        return domain
    try:
        return idna.decode(domain)
    except idna.IDNAError:
        return domain


@functools.lru_cache(maxsize=8192)
def mixed_script(email: str) -> bool:
    """A part of the address (the name, or one label of the domain) that mixes scripts, or
    hides invisible characters: what a spoofer writes, never a real address of a real lab."""
    local, _, domain = email.rpartition("@")
    return any(part and _CHECKER.check(part) for part in [local, *domain.split(".")])


@dataclass(frozen=True)
class Shown:
    """How an address is shown to an admin."""

    email: str
    ascii_domain: str | None  # its punycode domain, when the domain is not ASCII
    mixed_script: bool
    looks_like: tuple[str, ...]  # other known addresses with the same skeleton
    problem: str | None = None  # an address made before such ones were refused

    @property
    def suspicious(self) -> bool:
        return self.mixed_script or bool(self.looks_like) or self.problem is not None


def shown(emails: Iterable[str], *, among: Iterable[str] = ()) -> dict[str, Shown]:
    """How each of `emails` is shown, each compared with the others and with `among` (e.g. every
    member and invitee of the tenant): same skeleton, different address → a lookalike."""
    emails = set(emails)
    by_skeleton: dict[str, set[str]] = defaultdict(set)
    for email in emails | set(among):
        by_skeleton[skeleton(email)].add(email)
    return {
        email: Shown(
            email=email,
            ascii_domain=ascii_domain(email),
            mixed_script=mixed_script(email),
            looks_like=tuple(sorted(by_skeleton[skeleton(email)] - {email})),
            problem=problem(email),
        )
        for email in emails
    }
