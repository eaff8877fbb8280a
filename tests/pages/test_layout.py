"""Every page holds its layout at a phone's and a laptop's width with the longest names allowed:
nothing is wider than the window (a table scrolls in its own box, a long name is cut with an
ellipsis and shown whole on hover). And pages look alike: destructive actions are red, buttons
side by side are one height, headings are in sentence case."""

import re

import pytest

from tests.pages.conftest import sweep

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _too_wide(page, url: str) -> list[str]:
    page.goto(url)
    return _wider_than_window(page, url) + _unlike_the_rest(page, url)


def _wider_than_window(page, url: str) -> list[str]:
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if width[0] <= width[1]:
        return []
    return [f"{url}: {width[0]} px in a {width[1]} px window ({page.evaluate(_WIDEST)})"]


# The deepest elements reaching past the window's right edge, to say what to fix.
_WIDEST = """
[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1
  && ![...e.children].some(c => c.getBoundingClientRect().right > window.innerWidth + 1))
  .slice(0, 3)
  .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + e.className : ''))
  .join(', ')
"""


def test_no_page_is_wider_than_the_window_with_the_longest_names(browser, tenant_url, long_names):
    found = sweep(browser, tenant_url, long_names, _too_wide)
    assert found == [], "\n".join(found)


# Words that keep their capital inside a heading: names (the seeded tenant's and objects'), the
# product's, and "Manage API Keys", the page's name in DESIGN.md.
PROPER = re.compile(r"^(Acme|Longname\S*|Portal|Keys|DRAGEN|BYOL|[A-Z0-9.-]{2,})$")
DESTRUCTIVE = re.compile(r"^(Revoke|Delete|Deactivate|Remove(?! admin))\b")


def _unlike_the_rest(page, url: str) -> list[str]:
    found = []
    for heading in page.evaluate(_HEADINGS):
        words = heading.split()[1:]
        capitals = [w for w in words if w[:1].isupper() and not PROPER.match(w.strip("…:,.?"))]
        if capitals:
            found.append(f"{url}: heading {heading!r} is not in sentence case ({capitals})")
    buttons = page.evaluate(_BUTTONS)
    found += [
        f"{url}: {b['name']!r} is destructive but not red"
        for b in buttons
        if DESTRUCTIVE.match(b["name"]) and not b["danger"]
    ]
    for group, heights in _by_group(buttons).items():
        if max(heights) - min(heights) > 2:
            found.append(f"{url}: buttons side by side in {group} are {sorted(heights)} px high")
    return found


def _by_group(buttons) -> dict:
    groups = {}
    for b in buttons:
        if b["group"]:
            groups.setdefault(b["group"], []).append(b["height"])
    return groups


# Each heading's words, a status badge beside the name left out (it is no part of the title).
_HEADINGS = """
[...document.querySelectorAll('main :is(h1, h2, h3), dialog :is(h1, h2, h3)')].map(h => {
  const copy = h.cloneNode(true);
  copy.querySelectorAll('.status').forEach(badge => badge.remove());
  return copy.textContent.trim();
})
"""


# Every visible button: its accessible name, whether it is red, its height and the row or
# actions cell it stands in (buttons side by side).
_BUTTONS = """
[...document.querySelectorAll('main :is(button, [role=button], input[type=submit])')]
  .filter(e => e.offsetParent !== null)
  .map((e, n) => {
    const group = e.closest('td, .actions, fieldset[role=group]');
    if (group && !group.dataset.group) group.dataset.group = 'group-' + n;
    return {
      name: (e.getAttribute('aria-label') || e.innerText || e.value || '').trim(),
      danger: e.classList.contains('danger'),
      height: Math.round(e.getBoundingClientRect().height),
      group: group ? group.tagName.toLowerCase() + ' ' + group.dataset.group : null,
    };
  })
"""
