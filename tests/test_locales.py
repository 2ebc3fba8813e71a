"""Every visible string comes from the catalogues, and both catalogues are complete."""

import re
from pathlib import Path

from ui.i18n import LANGUAGES, catalogue

ROOT = Path(__file__).resolve().parents[1]
# rglob: sub-packages too (db/complaints, db/signin, db/commands, db/demo, ...), whose errors reach the screens.
INTERFACE = [ROOT / "app.py", *sorted((ROOT / "ui").rglob("*.py")), *sorted((ROOT / "pages").rglob("*.py"))]
STORE = [*sorted(p for package in ("core", "documents", "db") for p in (ROOT / package).rglob("*.py")
                 if "migrations" not in p.parts)]
LITERAL = re.compile(r"""\bt\(\s*"([a-z_.]+)"\s*[,)]""")
# f-string keys: t(f"role.{r}") -> every key of the catalogue section "role" counts as used.
PREFIX = re.compile(r"""\bt\(\s*f"([a-z_.]+)\.\{""")
ERROR = re.compile(r"""\b(?:UserError|NotFound|Forbidden|ValidationError|ConfigError|SignInError)\(\s*"([a-z_.]+)\"""")


def keys_in(files, pattern):
    return {key for f in files for key in pattern.findall(f.read_text(encoding="utf-8"))}


def test_both_catalogues_have_the_same_keys():
    zh, en = (set(catalogue(lang)) for lang in LANGUAGES)
    assert sorted(zh - en) == [] and sorted(en - zh) == []


def test_every_key_used_by_the_interface_exists():
    used = keys_in(INTERFACE, LITERAL)
    assert len(used) > 100
    for lang in LANGUAGES:
        assert sorted(used - set(catalogue(lang))) == [], lang


def test_every_error_the_store_raises_is_translated():
    used = keys_in(STORE + INTERFACE, ERROR)
    assert "settings.weights_sum" in used
    assert "complaints.bad_base_url" in used and "signin.display_campaign" in used  # from sub-packages
    for lang in LANGUAGES:
        assert sorted(used - set(catalogue(lang))) == [], lang


def test_dynamic_key_families_exist():
    prefixes = keys_in(INTERFACE, PREFIX)
    assert {"role", "method", "option"} <= prefixes
    for lang in LANGUAGES:
        for prefix in prefixes:
            assert any(key.startswith(prefix + ".") for key in catalogue(lang)), (lang, prefix)
    for role in ("admin", "inspector", "leader", "analyst", "liaison"):
        assert f"role.{role}" in catalogue("zh")


def test_placeholders_agree_between_languages():
    zh, en = catalogue("zh"), catalogue("en")
    field = re.compile(r"\{(\w+)")
    for key in zh:
        assert set(field.findall(zh[key])) == set(field.findall(en[key])), key


def test_default_language_is_chinese():
    assert catalogue("zh")["app.title"] == "履职尽责督促检查"
