// Typeset the site's math once, at build time, with the MathJax the site ships (node, no network).
// stdin: {"mathjax": "<folder holding node-main.js>", "fontURL": "...", "items": [[tex, display], ...]}
// stdout: {"html": ["<mjx-container ...>", ...], "css": "<the CHTML stylesheet for all of them>"}
// Called by _ext/site_assets.py (prerender_math); the same components as the browser would load:
// TeX input, CHTML output, and the hidden MathML that screen readers read.
"use strict";
const fs = require("fs");
const path = require("path");
const job = JSON.parse(fs.readFileSync(0, "utf-8"));
require(path.join(job.mathjax, "node-main.js")).init({
  loader: {versionWarnings: false, load: ["adaptors/liteDOM", "input/tex", "output/chtml", "a11y/assistive-mml"]},
  chtml: {fontURL: job.fontURL},
  startup: {typeset: false},
}).then((MathJax) => {
  const adaptor = MathJax.startup.adaptor;
  const html = job.items.map(([tex, display]) =>
    adaptor.outerHTML(MathJax.tex2chtml(tex, {display: Boolean(display)})));
  const css = adaptor.textContent(MathJax.chtmlStylesheet());
  process.stdout.write(JSON.stringify({html, css}));
}).catch((err) => {
  process.stderr.write(String(err && err.stack || err) + "\n");
  process.exit(1);
});
