import os

import pytest

CHROMIUM = "/usr/bin/chromium"
# Playwright's sync API runs an event loop in this thread; the Django ORM calls the tests make
# beside it are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(
            f"{CHROMIUM} is missing: `make test` installs Debian's chromium (apt-get install chromium)."
        )
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A fresh page; the test fails if anything it showed broke the Content-Security-Policy."""
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    violations = []
    page.on("console", lambda message: _record_csp(message, violations))
    page.csp_violations = violations
    yield page
    context.close()
    assert violations == [], "Content-Security-Policy violations"


def _record_csp(message, violations: list) -> None:
    if message.type == "error" and "Content Security Policy" in message.text:
        violations.append(f"{message.location.get('url', '')}: {message.text}")


@pytest.fixture
def tenant_url(live_server, settings):
    port = live_server.url.rsplit(":", 1)[1]
    settings.PORTAL_TENANT_URL = f"http://{{domain}}:{port}"  # emailed links lead to this server

    def url(domain: str, path: str = "/") -> str:
        return f"http://{domain}:{port}{path}"

    return url


def sign_in(page, url: str, email: str, password: str = "correct-horse-battery-staple") -> None:
    page.goto(url)
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.locator("main").get_by_role("button", name="Sign In").click()
