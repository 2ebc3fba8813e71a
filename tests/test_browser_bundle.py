"""The office on a tablet (820x1180) downloads a published result's verification bundle from /results, and the
verifier, run on the downloaded file alone, finds that every unit matches."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import select

from db.access import cli_actor
from db.campaigns import get_campaign
from db.engine import make_engine, session_scope
from db.models import DailyScore, Unit
from db.scoring import publish, score_campaign
from tests.support.browser import TABLET, screenshot, wait_for_app
from tests.test_browser_smoke import sign_in

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def published(live_app):
    """2017 scored from daily scores alone (cheap) and published."""
    engine = make_engine(live_app.database_url)
    try:
        with session_scope(engine) as s:
            campaign = get_campaign(s, 2017)
            for k, unit in enumerate(s.exec(select(Unit).where(Unit.campaign_id == campaign.id)).all()):
                s.add(DailyScore(campaign_id=campaign.id, unit_id=unit.id, score=55 + (k * 7) % 45))
            s.flush()
            publish(s, score_campaign(s, campaign.id, cli_actor(), replicates=20, draws=20).id, cli_actor())
    finally:
        engine.dispose()
    return live_app


def test_the_office_downloads_the_bundle_and_every_unit_matches(browser, published, tmp_path):
    context = browser.new_context(**TABLET, locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    try:
        sign_in(page, published.url, "admin1", "admin password 1")
        page.locator("[data-testid='stSidebarNav'] a[href$='/results']").click()
        wait_for_app(page)
        sha = page.get_by_text("验证包校验码")
        sha.wait_for(timeout=30_000)
        assert page.locator("[data-testid='stException']").count() == 0
        screenshot(page, "tablet-results-bundle")
        with page.expect_download(timeout=60_000) as download:
            page.get_by_role("button", name="下载验证包").click()
        saved = tmp_path / download.value.suggested_filename
        download.value.save_as(saved)
        shown_sha = sha.inner_text()
    finally:
        context.close()
    assert saved.name == "verification-bundle-2017-v1.zip"
    checked = subprocess.run([sys.executable, "-m", "core.verify", str(saved)], cwd=ROOT, capture_output=True,
                             text=True, timeout=120, check=False, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.rstrip().endswith("all 37 units match")
    first = checked.stdout.splitlines()[0]  # "bundle SHA-256 <hex>": the page showed the same
    assert first.split()[-1] in shown_sha
