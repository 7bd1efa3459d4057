"""A real browser for the tests of what people see: headless Chromium driven by Selenium.

The `browser` fixture is a loud skip locally when Chromium is missing, a failure in CI
(tests/services.py); screenshots go to test-artifacts/<folder>/ for review.
"""

import shutil
import tempfile

import pytest

from orchestration.platform.settings import PROJECT_ROOT
from tests.services import require_service

ARTIFACTS = PROJECT_ROOT / "test-artifacts"
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
CHROME_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1400,1900",
)


@pytest.fixture(scope="module")
def browser():
    require_service(
        "Chromium and chromedriver",
        all(shutil.which(p) for p in (CHROMIUM, CHROMEDRIVER)),
        "apt-get install -y chromium chromium-driver",
    )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    with tempfile.TemporaryDirectory() as profile:
        for flag in (*CHROME_FLAGS, f"--user-data-dir={profile}"):
            options.add_argument(flag)
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        try:
            yield driver
        finally:
            driver.quit()


def save_screenshot(browser, folder: str, name: str) -> None:
    (ARTIFACTS / folder).mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / folder / f"{name}.png"))
