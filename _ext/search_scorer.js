// The search page's ranking (Sphinx's html_search_scorer, set by _ext/site_lang.py). Sphinx adds
// up partial matches, so for "gradient clipping" every page with "gradients" in its title came
// before the page titled "Gradient clipping". A result whose title contains every word of the
// query now ranks above any result that does not, and a page's own title above its sections.
var Scorer = {
  score: (result) => {
    const [, title, anchor, , score] = result;
    const query = new URLSearchParams(window.location.search).get("q") || "";
    const words = query.toLowerCase().split(/\s+/).filter((w) => w.length > 0);
    const heading = (title || "").toLowerCase();
    const all = words.length > 0 && words.every((w) => heading.includes(w));
    return score + (all ? (anchor ? 90 : 100) : 0);
  },
  objNameMatch: 11,
  objPartialMatch: 6,
  objPrio: {0: 15, 1: 5, 2: -5},
  objPrioDefault: 0,
  title: 15,
  partialTitle: 7,
  term: 5,
  partialTerm: 2,
};
