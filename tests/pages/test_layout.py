"""Every page holds its layout at a phone's and a laptop's width with the longest names allowed:
nothing is wider than the window (a table scrolls in its own box, a long name is cut with an
ellipsis and shown whole on hover)."""

import pytest

from tests.pages.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _too_wide(page, url: str) -> str | None:
    page.goto(url)
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if width[0] <= width[1]:
        return None
    wide = page.evaluate(_WIDEST)
    return f"{url}: {width[0]} px in a {width[1]} px window ({wide})"


# The deepest elements reaching past the window's right edge, to say what to fix.
_WIDEST = """
[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1
  && ![...e.children].some(c => c.getBoundingClientRect().right > window.innerWidth + 1))
  .slice(0, 3)
  .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + e.className : ''))
  .join(', ')
"""


def test_no_page_is_wider_than_the_window_with_the_longest_names(browser, tenant_url, long_names):
    found = []
    member, member_pages = long_names["member"]
    for width, height in long_names["widths"]:
        for who, paths in ((None, long_names["signed_out"]), ("alice@acme.test", long_names["admin"]),
                           (member, member_pages)):  # fmt: skip
            context = browser.new_context(viewport={"width": width, "height": height})
            page = context.new_page()
            if who:
                sign_in(page, tenant_url("acme.localhost", "/accounts/login/"), who)
            found += [_too_wide(page, tenant_url("acme.localhost", path)) for path in paths]
            context.close()
    assert [problem for problem in found if problem] == [], "\n".join(problem for problem in found if problem)
