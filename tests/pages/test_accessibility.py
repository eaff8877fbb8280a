"""axe-core (vendored from npm, tests/pages/vendor/axe-core) finds no serious or critical WCAG 2.1
A/AA violation on any page, at a phone's and a laptop's width, signed out, as a member and as a
tenant admin."""

from pathlib import Path

import pytest

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
    return [f"{url} {found}" for found in page.evaluate(RUN)]


def test_no_page_has_a_serious_accessibility_violation(browser, tenant_url, long_names):
    found = sweep(browser, tenant_url, long_names, _violations, bypass_csp=True)
    assert found == [], "\n".join(found)
