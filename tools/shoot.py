"""Full-page screenshots of built pages at a laptop (1280 px) and a phone (390 px) width.

    python tools/shoot.py _build/fast/_build/html/book/vanishing_exploding/vanishing_exploding.html
    python tools/shoot.py PAGE.html [PAGE2.html ...] --out _build/screenshots/pages [--dark]

Writes <out>/<page-stem>-1280.png and <out>/<page-stem>-390.png (and -dark variants with --dark).
Pages are opened from disk (file://) with every other host blocked, as a reader without network
would see them. Uses Debian's chromium through Playwright (no browser download).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WIDTHS = {"1280": (1280, 800), "390": (390, 844)}


def shoot(pages: list[Path], out: Path, dark: bool = False, full_page: bool = True) -> list[Path]:
    """Screenshot every page at each width; returns the files written."""
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        for name, (w, h) in WIDTHS.items():
            ctx = browser.new_context(viewport={"width": w, "height": h},
                                      color_scheme="dark" if dark else "light")
            ctx.route("**/*", lambda route: route.continue_()
                      if route.request.url.startswith("file://") else route.abort())
            page = ctx.new_page()
            for path in pages:
                page.goto(path.resolve().as_uri(), wait_until="load")
                page.wait_for_timeout(1500)  # MathJax and widgets
                suffix = f"-{name}" + ("-dark" if dark else "")
                target = out / f"{path.stem}{suffix}.png"
                page.screenshot(path=str(target), full_page=full_page)
                written.append(target)
            ctx.close()
        browser.close()
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, default=Path("_build/screenshots/pages"))
    parser.add_argument("--dark", action="store_true", help="dark colour scheme")
    parser.add_argument("--first-screen", action="store_true", help="only the first screen")
    args = parser.parse_args()
    missing = [p for p in args.pages if not p.exists()]
    if missing:
        print(f"no such page: {', '.join(map(str, missing))}", file=sys.stderr)
        return 2
    for f in shoot(args.pages, args.out, args.dark, not args.first_screen):
        print(f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
