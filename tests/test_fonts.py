"""The shipped fonts cover every Cyrillic, Chinese and Bengali character the book's pages use.

tools/make_fonts.py subsets Noto to the characters of book/ (markdown and notebooks, outputs
included). Adding text in one of those scripts without rerunning it fails here, naming the
character and the page. Also: the stylesheet points at the files that exist, the licence ships
with them, and the payload stays small.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("make_fonts", ROOT / "tools" / "make_fonts.py")
make_fonts = importlib.util.module_from_spec(spec)
sys.modules["make_fonts"] = make_fonts
spec.loader.exec_module(make_fonts)

pytest.importorskip("brotli", reason="reading WOFF2 needs brotli (requirements.txt)")


def test_every_used_character_is_in_the_shipped_subset():
    gaps = make_fonts.missing()
    lines = [f"{name}: {c} (U+{ord(c):04X}) in {', '.join(sorted(pages))}"
             for name, chars in gaps.items() for c, pages in sorted(chars.items())]
    assert not lines, ("characters without a shipped glyph; run tools/make_fonts.py:\n"
                       + "\n".join(lines[:20]))


def test_the_book_uses_each_script():
    """Guards the scan itself: if it stopped finding the sheets, the coverage test would be empty."""
    used = make_fonts.used_characters()
    for name, page in [("cyrillic", "locales/ru/"), ("cjk", "locales/zh/"),
                       ("bengali", "locales/bn/")]:
        assert any(page in p for pages in used[name].values() for p in pages), (name, page)
        assert "梯" in used["cjk"]


def test_missing_is_reported(monkeypatch):
    """The check can fail: a character outside the subset is reported with its page."""
    real = make_fonts.used_characters

    def with_extra():
        used = real()
        used["cjk"]["龘"] = ["book/fake.md"]   # a rare ideograph no page uses
        return used

    monkeypatch.setattr(make_fonts, "used_characters", with_extra)
    assert make_fonts.missing()["cjk"]["龘"] == ["book/fake.md"]


def test_stylesheet_licence_and_size():
    fonts = ROOT / "_static" / "fonts"
    css = (fonts / "fonts.css").read_text(encoding="utf-8")
    assert css == make_fonts.css(), "fonts.css is stale; run tools/make_fonts.py"
    for url in re.findall(r'url\("([^"]+)"\)', css):
        assert (fonts / url).is_file(), url
    licence = (fonts / "OFL.txt").read_text(encoding="utf-8")
    assert "PERMISSION & CONDITIONS" in licence and "TERMINATION" in licence, "OFL text incomplete"
    total = sum(p.stat().st_size for p in fonts.glob("*.woff2"))
    assert total < 1_000_000, f"font payload {total / 1024:.0f} KB; the subsets should stay small"
