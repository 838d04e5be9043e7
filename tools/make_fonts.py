"""Subset the Noto fonts to the Cyrillic, Chinese and Bengali characters the book uses.

(Also the superscript and modifier letters of the English pages, such as the ᵀ of wᵀ.)

    .venv/bin/python tools/make_fonts.py            # after adding text in another script
    .venv/bin/python tools/make_fonts.py --check    # exit 1 if the shipped fonts miss a character

Writes _static/fonts/: one WOFF2 file per script, fonts.css (the @font-face rules; Jupyter Book
adds every CSS file under _static/ to every page) and OFL.txt (the fonts' licence). The site then
renders its Russian, Chinese and Bengali text on a machine that has no such fonts, with nothing
fetched from the network. Sources: Debian's fonts-noto-core and fonts-noto-cjk (Noto Sans,
Noto Sans CJK SC, Noto Sans Bengali; SIL Open Font License 1.1, no reserved font names, so
subsets may keep the names). Regular weight only (declared as 400, so that the browser
synthesises bold text instead of showing regular glyphs in bold places).

Characters are collected from every page source under book/ (MyST markdown, and every string of
every notebook, outputs included); tests/test_fonts.py fails when a page uses a character of one
of these scripts that the shipped subset does not cover. Needs fontTools and brotli (WOFF2).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
OUT = ROOT / "_static" / "fonts"
NOTO = Path("/usr/share/fonts")
LICENCE_SOURCE = Path("/usr/share/doc/fonts-noto-core/copyright")


@dataclass(frozen=True)
class Script:
    name: str            # file stem and CSS family suffix
    lang: str            # the pages' lang attribute for this script
    source: str          # font file under /usr/share/fonts
    font_number: int     # face inside a .ttc collection (0 for .ttf)
    ranges: tuple[tuple[int, int], ...]   # code points that belong to this script's font
    always: tuple[int, ...] = ()          # shaping helpers kept even when the text lacks them

    @property
    def family(self) -> str:
        return "Course Noto " + {"cjk": "CJK SC"}.get(self.name, self.name.capitalize())

    def owns(self, char: str) -> bool:
        code = ord(char)
        return any(lo <= code <= hi for lo, hi in self.ranges)


SCRIPTS = (
    # small alphabets ship whole (basic Cyrillic, Bengali, super- and subscripts: a few KB more),
    # so that new text in them never needs a regeneration; Chinese ships only what is used
    Script("cyrillic", "ru", "truetype/noto/NotoSans-Regular.ttf", 0,
           ((0x0400, 0x052F), (0x1C80, 0x1C8F), (0x2DE0, 0x2DFF), (0xA640, 0xA69F)),
           always=tuple(range(0x0400, 0x0460))),
    # CJK punctuation and full-width forms (，。：（）) belong with the ideographs
    Script("cjk", "zh", "opentype/noto/NotoSansCJK-Regular.ttc", 2,   # face 2 = Noto Sans CJK SC
           ((0x3000, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF),
            (0xFF00, 0xFFEF))),
    # the danda (U+0964/5) is shared with Devanagari; ZWNJ/ZWJ and the dotted circle steer shaping
    Script("bengali", "bn", "truetype/noto/NotoSansBengali-Regular.ttf", 0,
           ((0x0980, 0x09FF), (0x0964, 0x0965)),
           always=(0x200C, 0x200D, 0x25CC, 0x0964, 0x0965, *range(0x0980, 0x0A00))),
    # superscripts and modifier letters of the English pages (wᵀ in titles, ×10⁻⁵ in prose):
    # common system fonts lack some of them
    Script("superscripts", "en", "truetype/noto/NotoSans-Regular.ttf", 0,
           ((0x1D00, 0x1DBF), (0x2070, 0x209F)), always=tuple(range(0x1D00, 0x1DC0))
           + tuple(range(0x2070, 0x20A0))),
)


def strings_of(value) -> list[str]:
    """Every string inside a JSON value (a notebook: sources, outputs, metadata)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings_of(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings_of(v)]
    return []


def page_files() -> list[Path]:
    return sorted(p for p in BOOK.rglob("*") if p.suffix in {".md", ".ipynb"}
                  and ".ipynb_checkpoints" not in p.parts and "_build" not in p.parts)


#: the translated editions (tools/i18n.py): the course's catalogs, and the words of Sphinx, the
#: theme and the extensions in those languages ("Search", "Contents", "Exercise")
EDITION_LOCALES = ("ru", "zh_CN", "bn")
CHROME_PACKAGES = ("sphinx", "sphinx_book_theme", "pydata_sphinx_theme", "sphinx_exercise",
                   "sphinx_design", "myst_nb", "sphinx_togglebutton", "sphinx_copybutton")


def catalog_texts() -> list[tuple[str, str]]:
    """(name, text) of every translated message the editions show."""
    import importlib.util

    from babel.messages.mofile import read_mo
    from babel.messages.pofile import read_po

    out = []
    for path in sorted((ROOT / "locales").rglob("*.po")):
        with path.open("rb") as handle:
            text = "\n".join(str(m.string) for m in read_po(handle) if m.string)
        out.append((path.relative_to(ROOT).as_posix(), text))
    for package in CHROME_PACKAGES:
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            continue
        base = Path(next(iter(spec.submodule_search_locations)))
        for locale in EDITION_LOCALES:
            for path in sorted(base.rglob(f"{locale}/LC_MESSAGES/*.mo")):
                with path.open("rb") as handle:
                    catalog = read_mo(handle)
                text = "\n".join(m.string if isinstance(m.string, str) else "\n".join(m.string)
                                 for m in catalog if m.string)
                out.append((f"{package}: {locale}", text))
    return out


def used_characters() -> dict[str, dict[str, list[str]]]:
    """script name -> character -> the page files (relative paths) that use it."""
    used: dict[str, dict[str, list[str]]] = {s.name: {} for s in SCRIPTS}
    sources = []
    for path in page_files():
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".ipynb":
            text = "\n".join(strings_of(json.loads(text)))
        sources.append((path.relative_to(ROOT).as_posix(), text))
    for rel, text in sources + catalog_texts():
        for char in set(text):
            for script in SCRIPTS:
                if script.owns(char):
                    used[script.name].setdefault(char, []).append(rel)
    return used


def font_path(script: Script) -> Path:
    return OUT / f"{script.name}.woff2"


def covered(script: Script) -> set[int]:
    """Code points the shipped subset of `script` maps to a glyph."""
    from fontTools.ttLib import TTFont
    with TTFont(font_path(script)) as font:
        return set(font.getBestCmap())


def missing() -> dict[str, dict[str, list[str]]]:
    """Characters used by the pages that the shipped fonts do not cover (script -> char -> pages)."""
    used = used_characters()
    gaps = {}
    for script in SCRIPTS:
        have = covered(script) if font_path(script).exists() else set()
        lost = {c: pages for c, pages in used[script.name].items() if ord(c) not in have}
        if lost:
            gaps[script.name] = lost
    return gaps


def subset(script: Script, chars: set[str]) -> int:
    """Write the WOFF2 subset of `script` for `chars`; return its size in bytes."""
    from fontTools import subset as ftsubset
    from fontTools.ttLib import TTFont

    options = ftsubset.Options()
    options.layout_features = ["*"]        # Bengali conjuncts and vowel signs need every feature
    options.name_IDs = ["*"]               # keep copyright and licence in the font
    options.notdef_outline = True
    options.flavor = "woff2"
    options.hinting = False                # screens scale these; hints are a third of the size
    options.desubroutinize = True          # CFF (CJK) subsets compress better under WOFF2
    # the source's timestamp is kept, so that the same text gives byte-identical files
    font = TTFont(NOTO / script.source, fontNumber=script.font_number, lazy=False,
                  recalcTimestamp=False)
    subsetter = ftsubset.Subsetter(options)
    have = set(TTFont(NOTO / script.source, fontNumber=script.font_number).getBestCmap())
    subsetter.populate(unicodes=sorted(({ord(c) for c in chars} | set(script.always)) & have))
    subsetter.subset(font)
    font.flavor = "woff2"
    out = font_path(script)
    font.save(out)
    return out.stat().st_size


def unicode_range(script: Script) -> str:
    return ", ".join(f"U+{lo:04X}-{hi:04X}" for lo, hi in script.ranges)


def css() -> str:
    lines = ["/* Written by tools/make_fonts.py; do not edit by hand. Noto subsets for the",
             "   Russian, Chinese and Bengali text of the book (licence: OFL.txt). The browser",
             "   downloads a file only on pages that show a character in its unicode-range. */", ""]
    for s in SCRIPTS:
        lines += ["@font-face {", f'  font-family: "{s.family}";',
                  f'  src: url("{s.name}.woff2") format("woff2");',
                  "  font-weight: 400;", "  font-style: normal;", "  font-display: swap;",
                  f"  unicode-range: {unicode_range(s)};", "}", ""]
    families = ", ".join(f'"{s.family}"' for s in SCRIPTS)
    lines += [
        "/* The shipped faces come first. Their unicode-range keeps them off Latin text (the",
        "   theme's system fonts still draw it, and no file is fetched for it); for the three",
        "   scripts they give one rendering everywhere (Simplified Chinese glyph forms, Bengali",
        "   conjuncts). Placed after the system stack instead, Chromium on a machine without",
        "   these scripts drew bold text and lang=zh/bn text blank: its generic families",
        "   resolved to a font without the glyphs and it did not fall through to these. */",
        ":root {",
        f"  --pst-font-family-base: {families}, var(--pst-font-family-base-system);",
        f"  --pst-font-family-heading: {families}, var(--pst-font-family-base-system);",
        f"  --pst-font-family-monospace: {families}, var(--pst-font-family-monospace-system);",
        "}",
    ]
    return "\n".join(lines) + "\n"


def licence_text() -> str:
    """The OFL 1.1 text, from Debian's copyright file of fonts-noto-core."""
    lines = LICENCE_SOURCE.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if line == "License: OFL-1.1" and i + 1 < len(lines) and lines[i + 1].startswith(" "):
            body = []
            for item in lines[i + 1:]:
                if not item.startswith(" "):
                    break
                body.append("" if item.strip() == "." else item[1:])
            header = [
                "The fonts in this folder are subsets of Noto Sans, Noto Sans CJK SC and Noto Sans",
                "Bengali (Copyright 2010-2020 Google LLC, https://github.com/notofonts and",
                "https://github.com/googlefonts/noto-cjk), made by tools/make_fonts.py.",
                "They are licensed under the SIL Open Font License, Version 1.1:", "", ""]
            return "\n".join(header + body) + "\n"
    raise RuntimeError(f"no OFL-1.1 licence paragraph in {LICENCE_SOURCE}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="only report characters the shipped fonts miss (exit 1 if any)")
    args = parser.parse_args(argv)
    if args.check:
        gaps = missing()
        for name, chars in gaps.items():
            for char, pages in sorted(chars.items()):
                print(f"{name}: {char} (U+{ord(char):04X}) in {', '.join(sorted(pages))}")
        return 1 if gaps else 0
    OUT.mkdir(parents=True, exist_ok=True)
    used = used_characters()
    total = 0
    for script in SCRIPTS:
        size = subset(script, set(used[script.name]))
        total += size
        print(f"{font_path(script).relative_to(ROOT)}: {len(used[script.name])} characters, "
              f"{size / 1024:.1f} KB")
    (OUT / "fonts.css").write_text(css(), encoding="utf-8")
    (OUT / "OFL.txt").write_text(licence_text(), encoding="utf-8")
    print(f"total {total / 1024:.1f} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
