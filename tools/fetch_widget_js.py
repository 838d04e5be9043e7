"""Serve the ipywidgets JavaScript from the site itself, so widgets render with no network.

    python tools/fetch_widget_js.py                   # fetch once, install into _build/html
    python tools/fetch_widget_js.py --into DIR/html   # install into another built site
    python tools/fetch_widget_js.py --check           # exit 1 if the fetched files are missing

Pages that display an ipywidgets `interact` need two scripts: RequireJS and the widget manager
@jupyter-widgets/html-manager (embed-amd.js, which has the base, controls and output widgets and
their fonts built in). By default myst-nb loads both from public CDNs; _config.yml instead points
`nb_ipywidgets_js` at `_static/widgets/require.js` and `_static/widgets/embed-amd.js`. This script
puts them there after the build (`make book` runs it): it fetches the two pinned npm tarballs once
(with `npm pack` when npm is installed, else straight from the npm registry with urllib), checks
their sha512 against the pins below, and unpacks the needed files into `_offline/static/widgets/`
(a folder that ignores itself in git), then copies them into `<site>/_static/widgets/`.

When they cannot be fetched (no network and nothing fetched before), it installs two small stand-in
scripts that load the same files from the CDNs instead, says so, and exits 0: online readers still
get live widgets, offline readers see each widget's static figure, drawn next to it.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OFFLINE = ROOT / "_offline"
WIDGETS = OFFLINE / "static" / "widgets"

# name, version, tarball URL on the npm registry, sha512 (as `npm view <pkg> dist.integrity`)
PACKAGES = {
    "html-manager": (
        "@jupyter-widgets/html-manager", "1.0.15",
        "https://registry.npmjs.org/@jupyter-widgets/html-manager/-/html-manager-1.0.15.tgz",
        "sha512-5thBIV6ymNgmPVOHvzx+gGy8ZSKmSazhtGw4/c4xJDVzRhG9PTeQsRjF3FUTopvFi//SABeNz1yp47bCrJ3CQA==",
    ),
    "requirejs": (
        "requirejs", "2.3.8",
        "https://registry.npmjs.org/requirejs/-/requirejs-2.3.8.tgz",
        "sha512-7/cTSLOdYkNBNJcDMWf+luFvMriVm7eYxp4BcFCsAX0wF421Vyce5SXP17c+Jd5otXKGNehIonFlyQXSowL6Mw==",
    ),
}

# the same files on public CDNs, loaded by the stand-ins when nothing could be fetched
CDN = {
    "require.js": "https://cdn.jsdelivr.net/npm/requirejs@2.3.8/require.js",
    "embed-amd.js": "https://cdn.jsdelivr.net/npm/@jupyter-widgets/html-manager@1.0.15/dist/embed-amd.js",
}
STAND_IN = (
    "// stand-in from tools/fetch_widget_js.py: the real file could not be fetched, so load it\n"
    "// from a CDN (needs a network connection; offline readers see the static figures)\n"
    "document.write('<script src=\"{url}\"><\\/script>');\n"
)


def is_complete() -> bool:
    """True when both scripts (and the manager's font files) are in place."""
    return (WIDGETS / "require.js").is_file() and (WIDGETS / "embed-amd.js").is_file()


def _integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def _download(name: str, version: str, url: str) -> bytes:
    """The tarball's bytes: `npm pack` if npm exists, else the registry URL via urllib."""
    npm = shutil.which("npm")
    if npm:
        with tempfile.TemporaryDirectory() as tmp:
            proc = subprocess.run(
                [npm, "pack", f"{name}@{version}", "--silent", "--pack-destination", tmp],
                capture_output=True, text=True, timeout=300,
            )
            tgz = list(Path(tmp).glob("*.tgz"))
            if proc.returncode == 0 and tgz:
                return tgz[0].read_bytes()
    with urllib.request.urlopen(url, timeout=120) as resp:  # noqa: S310 (fixed https URL)
        return resp.read()


def fetch(quiet: bool = False) -> Path:
    """Fetch and unpack the pinned packages into _offline/static/widgets; return that folder."""
    WIDGETS.mkdir(parents=True, exist_ok=True)
    (OFFLINE / ".gitignore").write_text("# fetched by tools/fetch_widget_js.py\n*\n")
    for key, (name, version, url, integrity) in PACKAGES.items():
        data = _download(name, version, url)
        got = _integrity(data)
        if got != integrity:
            raise RuntimeError(f"{name}@{version}: sha512 is {got}, expected {integrity}")
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            if key == "requirejs":
                member = tar.extractfile("package/require.js")
                (WIDGETS / "require.js").write_bytes(member.read())
            else:
                # embed-amd.js and the font files it loads from its own folder
                for m in tar.getmembers():
                    rel = m.name.removeprefix("package/dist/")
                    skip = rel.endswith((".map", ".txt")) or rel in {"embed.js", "libembed-amd.js"}
                    in_dist = m.name.startswith("package/dist/") and "/" not in rel
                    if m.isfile() and in_dist and not skip:
                        (WIDGETS / rel).write_bytes(tar.extractfile(m).read())
        if not quiet:
            print(f"fetched {name}@{version} into {WIDGETS.relative_to(ROOT)}")
    return WIDGETS


# Loaded before the two scripts. (1) The manager finds its font files relative to a path it guesses
# from its AMD module name, which is wrong when embed-amd.js is served from _static/widgets/: map
# that name onto the folder of this script. (2) Widget labels are typeset with MathJax 2's
# `MathJax.Hub.Queue`; the site has MathJax 3, so map that call onto `MathJax.typesetPromise`.
SETUP_JS = """\
// written by tools/fetch_widget_js.py: see the comment above SETUP_JS there
(function () {
  var here = document.currentScript.src.replace(/[^/]*$/, "");
  window.__jupyter_widgets_assets_path__ = here;
  // RequireJS reads a global `require` object as its configuration when it loads
  window.require = {paths: {"@jupyter-widgets/html-manager/dist": here.slice(0, -1)}};
  function mathjax2Shim() {
    var mj = window.MathJax;
    if (mj && mj.version && mj.version.charAt(0) === "3" && !mj.Hub) {
      mj.Hub = {Queue: function (job) {
        var node = job && job[2];
        mj.startup.promise.then(function () {
          return mj.typesetPromise(node ? [node] : undefined);
        });
      }};
    }
  }
  document.addEventListener("DOMContentLoaded", mathjax2Shim);
})();
"""


def install(site: Path) -> bool:
    """Copy the fetched files into <site>/_static/widgets; stand-ins if fetching fails.

    Returns True when the real files were installed, False when the CDN stand-ins were.
    """
    target = site / "_static" / "widgets"
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    (target / "setup.js").write_text(SETUP_JS)
    if not is_complete():
        try:
            fetch()
        except Exception as err:  # no network, no npm, registry down: degrade, keep the build
            for name, url in CDN.items():
                (target / name).write_text(STAND_IN.format(url=url))
            print(f"could not fetch the widget scripts ({err}).\n"
                  f"Installed stand-ins in {target} that load them from a CDN: widgets work online "
                  "only; offline readers see the static figures.")
            return False
    for f in WIDGETS.iterdir():
        shutil.copy2(f, target / f.name)
    print(f"installed the widget scripts into {target}")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--into", type=Path, default=ROOT / "_build" / "html",
                        help="the built site (default _build/html)")
    parser.add_argument("--check", action="store_true", help="only check the fetched files exist")
    parser.add_argument("--force", action="store_true", help="fetch again even if present")
    args = parser.parse_args(argv)
    if args.check:
        ok = is_complete()
        print(("present: " if ok else "missing: ") + str(WIDGETS))
        return 0 if ok else 1
    if args.force and WIDGETS.exists():
        shutil.rmtree(WIDGETS)
    if not (args.into / "index.html").is_file():
        print(f"no built site in {args.into} (run `make book` first)", file=sys.stderr)
        return 2
    install(args.into)
    return 0


if __name__ == "__main__":
    sys.exit(main())
