"""ui/delivery.py without a server: the rewrites still find what they rewrite in the installed Streamlit,
and the device cookie's header (issue 23)."""

from __future__ import annotations

import re

from core.poll import new_device_id
from ui.delivery import STATIC_DIR, csp, lazy_icon_font, rewrite_page, system_fonts
from ui.device import set_cookie_header


def test_the_rewrites_find_their_targets_in_the_installed_streamlit():
    # A Streamlit upgrade that renames what is rewritten fails here, not silently on a citizen's phone.
    main = next((STATIC_DIR / "static" / "js").glob("index.*.js"), None)
    bundles = [p for p in (STATIC_DIR / "static" / "js").glob("index.*.js") if b"materialIcons" in p.read_bytes()]
    assert main is not None and any(lazy_icon_font(p.read_bytes()) != p.read_bytes() for p in bundles)
    css = next((STATIC_DIR / "static" / "css").glob("index.*.css")).read_bytes()
    assert b"font-family:Source Sans;" in css and b"font-family:Source Sans;" not in system_fonts(css)
    page = rewrite_page((STATIC_DIR / "index.html").read_text(encoding="utf-8"))
    assert 'as="font"' not in page and '<html lang="zh-CN">' in page and "BACKEND_BASE_URL" in page


def test_the_policy_names_no_other_host():
    policy = csp(["window.x = 1"])
    assert re.search(r"https?:|\*|'unsafe-eval'|'unsafe-inline' 'sha", policy) is None
    assert "default-src 'self'" in policy and "'sha256-" in policy


def test_the_device_cookie_is_given_once_httponly():
    assert set_cookie_header(new_device_id(), https=False, embedded=False) is None
    for forged in (None, "", "x' OR 1=1", "A" * 32):
        header = set_cookie_header(forged, https=False, embedded=False)
        assert re.match(r"rv_device=[0-9a-f]{32}; ", header) and "HttpOnly" in header and "SameSite=Lax" in header
    embedded = set_cookie_header(None, https=True, embedded=True)
    assert "SameSite=None" in embedded and "Secure" in embedded
