"""axe-core (vendored from npm, tests/pages/vendor/axe-core) finds no serious or critical WCAG 2.1
A/AA violation on any page, at a phone's and a laptop's width, signed out, as a member and as a
tenant admin, with each of its dialogs open too. Focus moves into every dialog and, when it
closes, back to what opened it."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.pages.conftest import sweep

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
RUN = """async () => {
  const tags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
  return result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 6).map(n => n.target.join(' ')).join(', '));
}"""


def _violations(page, url: str) -> list[str]:
    page.goto(url)
    page.add_script_tag(path=str(AXE))  # the context bypasses the CSP for this one script
    found = [f"{url} {violation}" for violation in page.evaluate(RUN)]
    links = page.locator("main a[data-dialog]")
    if page.viewport_size["width"] > 600:
        return found  # the dialogs behave alike at any width: checked on the phone's
    for n in range(links.count()):
        found += _dialog(page, url, links.nth(n))
    return found


def _dialog(page, url: str, link) -> list[str]:
    """Open the dialog from the keyboard, check it as a page, close it with Esc."""
    name = link.get_attribute("aria-label") or link.inner_text()
    link.focus()
    page.keyboard.press("Enter")
    page.locator("dialog[open]").wait_for()
    found = [f"{url} dialog {name!r}: {violation}" for violation in page.evaluate(RUN)]
    if not _eventually(lambda: expect(page.locator("dialog[open] :focus")).to_have_count(1, timeout=2000)):
        found.append(f"{url} dialog {name!r}: focus stayed outside it")
    page.keyboard.press("Escape")
    page.locator("dialog[open]").wait_for(state="hidden")
    if not _eventually(lambda: expect(link).to_be_focused(timeout=2000)):
        active = page.evaluate("document.activeElement.outerHTML.slice(0, 200)")
        found.append(f"{url} dialog {name!r}: focus did not come back to what opened it but to {active}")
    return found


def test_no_page_has_a_serious_accessibility_violation(browser, tenant_url, long_names):
    found = sweep(browser, tenant_url, long_names, _violations, bypass_csp=True)
    assert found == [], "\n".join(found)


def _eventually(check) -> bool:
    try:
        check()
    except AssertionError:
        return False
    return True
