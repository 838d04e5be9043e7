"""Build the whole site: the English book at _build/html/, its ru, zh and bn editions beside it.

    python tools/build_site.py               # `make book`
    python tools/build_site.py --only en     # the English site alone (as `jupyter-book build .`)

One execution for every edition. The English build runs every notebook from the current code
(the execution cache is emptied first, so nothing stale is reused) and leaves the results in
_build/.jupyter_cache; each translated edition (tools/i18n.py build) reads its numbers, figures
and glued values from that cache, so the four editions cannot disagree on a number. Warnings are
errors in every edition. `jupyter-book build .` by hand still works and still executes every
notebook (_config.yml says "force"); it builds the English site only.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import i18n  # noqa: E402

ROOT = i18n.ROOT
CACHE = ROOT / "_build" / ".jupyter_cache"
HTML = ROOT / "_build" / "html"


def build_english() -> None:
    if CACHE.exists():
        shutil.rmtree(CACHE)
    config = i18n.book_config(ROOT / "_build" / "site-conf", {
        "execute.execute_notebooks": "cache",
        "execute.cache": str(CACHE),
    })
    jb = Path(sys.executable).with_name("jupyter-book")
    subprocess.run([str(jb), "build", str(ROOT), "--config", str(config), "--path-output",
                    str(ROOT), "-W", "-n", "--keep-going"], check=True)


def install_widget_js(site: Path) -> None:
    subprocess.run([sys.executable, str(ROOT / "tools" / "fetch_widget_js.py"), "--into",
                    str(site)], check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="+", choices=["en", *i18n.LANGS],
                        help="build only these editions (a translated one needs the English "
                             "build's cache)")
    args = parser.parse_args(argv)
    wanted = args.only or ["en", *i18n.LANGS]
    times = {}
    if "en" in wanted:
        start = time.perf_counter()
        build_english()
        install_widget_js(HTML)
        times["en"] = time.perf_counter() - start
    editions = [x for x in wanted if x != "en"]
    if editions and not CACHE.exists():
        parser.error("the translated editions reuse the English build's execution: build 'en' first")

    def edition(lang: str) -> float:
        start = time.perf_counter()
        i18n.build(lang, CACHE, HTML / lang)
        install_widget_js(HTML / lang)
        return time.perf_counter() - start

    # the editions only read the cache: they build side by side (each keeps about one core busy)
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=max(1, len(editions))) as pool:
        for lang, seconds in zip(editions, pool.map(edition, editions), strict=True):
            times[lang] = seconds
    if editions:
        times["editions together"] = time.perf_counter() - start
    print("built: " + ", ".join(f"{lang} {seconds:.0f} s" for lang, seconds in times.items()))
    print(f"Open this page in a browser: file://{HTML}/index.html")
    return 0


if __name__ == "__main__":
    sys.exit(main())
