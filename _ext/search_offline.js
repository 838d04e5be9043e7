// Search result snippets when the site is opened from disk (file://). Sphinx's search page shows a
// snippet under each result by fetching the result's page, which a browser refuses over file://,
// so the results were bare titles. _ext/site_assets.py writes _static/search_snippets.js (the
// first sentences of every section of every page) after the build; on a page opened from disk
// this script answers the search page's fetch of a result page with those sentences, in the
// shape Sphinx reads (sections by id inside [role="main"]). Over HTTP nothing changes.
(function () {
  "use strict";
  if (window.location.protocol !== "file:" || !window.fetch) return;
  const root = document.documentElement.dataset.content_root || "";
  const loaded = new Promise((resolve) => {
    const script = document.createElement("script");
    script.src = root + "_static/search_snippets.js";
    script.onload = script.onerror = resolve;
    document.head.appendChild(script);
  });
  const escape = (text) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  const fetchPage = window.fetch.bind(window);
  window.fetch = function (url, options) {
    const href = String(url);
    if (!href.startsWith(root) || !href.endsWith(".html")) return fetchPage(url, options);
    const docname = href.slice(root.length, -".html".length);
    return loaded.then(() => {
      const sections = (window.SEARCH_SNIPPETS || {})[docname];
      if (!sections) return fetchPage(url, options);
      const body = sections.map(([id, text]) =>
        `<section id="${escape(id)}"><p>${escape(text)}</p></section>`).join("");
      return new Response(`<div role="main">${body}</div>`,
                          {status: 200, headers: {"Content-Type": "text/html"}});
    });
  };
})();
