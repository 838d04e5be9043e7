"""axe-core, the accessibility checker the site check runs on every page, served from disk.

    python tools/axe.py          # fetch once into _offline/axe/ (the site check does it itself)

The pinned npm tarball is fetched once (`npm pack`, else the registry over HTTPS), checked against
the sha512 below and cached in _offline/axe/axe.min.js; the site check injects that file into each
page it opens, so the check needs no network after the first fetch.
"""

from __future__ import annotations

import io
import sys
import tarfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fetch_widget_js import OFFLINE, _download, _integrity  # noqa: E402

NAME, VERSION = "axe-core", "4.14.1"
URL = "https://registry.npmjs.org/axe-core/-/axe-core-4.14.1.tgz"
INTEGRITY = "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
CACHED = OFFLINE / "axe" / "axe.min.js"
#: the rules the site is held to: WCAG 2.0 and 2.1, levels A and AA
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
#: the impacts that fail the site check
FAILING = ("serious", "critical")


def axe_source() -> str:
    """The text of axe.min.js, fetched and verified on first use."""
    if not CACHED.is_file():
        data = _download(NAME, VERSION, URL)
        got = _integrity(data)
        if got != INTEGRITY:
            raise RuntimeError(f"{NAME}@{VERSION}: sha512 is {got}, expected {INTEGRITY}")
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            text = tar.extractfile("package/axe.min.js").read()
        CACHED.parent.mkdir(parents=True, exist_ok=True)
        (OFFLINE / ".gitignore").write_text("# fetched by tools/fetch_widget_js.py and tools/axe.py\n*\n")
        CACHED.write_bytes(text)
    return CACHED.read_text(encoding="utf-8")


#: run in the page after axe.min.js: the failing violations, one line per rule
PROBE = """async ([tags, failing]) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                          resultTypes: ['violations']});
  return result.violations.filter(v => failing.includes(v.impact)).map(v =>
    `${v.impact} ${v.id} (${v.nodes.length} node${v.nodes.length > 1 ? 's' : ''}): ${v.help}; first: ` +
    v.nodes[0].target.join(' ').slice(0, 90));
}"""


if __name__ == "__main__":
    print(f"{NAME}@{VERSION}: {len(axe_source())} characters in {CACHED}")
