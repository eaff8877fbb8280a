"""Every page holds its layout at a phone's and a laptop's width with the longest names allowed:
nothing is wider than the window (a table scrolls in its own box, a long name is cut with an
ellipsis and shown whole on hover)."""

import pytest

from tests.pages.conftest import sweep

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _too_wide(page, url: str) -> list[str]:
    page.goto(url)
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
