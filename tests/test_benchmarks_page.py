"""The reader's one-line summary of the running times agrees with the maintainers' table.

`make bench` (tools/bench.py) writes docs/benchmarks.md; the book only summarises it in
book/appendix/benchmarks.md. These tests fail when a new benchmark stops supporting the summary,
or when the table creeps back into the book.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "docs" / "benchmarks.md"
SUMMARY = ROOT / "book" / "appendix" / "benchmarks.md"


def table_rows() -> dict[str, float]:
    """Notebook name -> best seconds, from the markdown table bench.py writes."""
    rows = {}
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        cells = [c.strip().strip("*") for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and re.fullmatch(r"[0-9.]+", cells[1]):
            rows[cells[0]] = float(cells[1])
    return rows


def test_table_has_every_row_kind():
    rows = table_rows()
    assert "all notebooks" in rows, "docs/benchmarks.md has no 'all notebooks' row"
    assert "floor (imports only)" in rows
    assert len(rows) >= 3


def test_summary_claims_hold():
    rows = table_rows()
    text = " ".join(SUMMARY.read_text(encoding="utf-8").split())
    total = rows.pop("all notebooks")
    rows.pop("floor (imports only)")
    if "under two minutes" in text:
        assert total < 120, f"the book page says 'under two minutes' but the table says {total} s"
    m = re.search(r"about (two|three|four) minutes", text)
    if m:
        minutes = {"two": 2, "three": 3, "four": 4}[m.group(1)]
        assert (minutes - 0.5) * 60 <= total <= (minutes + 0.5) * 60, (
            f"the book page says 'about {m.group(1)} minutes' but the table says {total} s")
    m = re.search(r"about half a minute", text)
    if m:
        assert 15 <= max(rows.values()) <= 45, f"'about half a minute' but {max(rows.values())} s"
    if "in seconds" in text:
        slowest = max(rows, key=rows.get)
        assert rows[slowest] < 60, f"'in seconds' but {slowest} takes {rows[slowest]} s"


def test_table_stays_out_of_the_book():
    text = SUMMARY.read_text(encoding="utf-8")
    assert not re.search(r"^\s*\|", text, re.M), "the benchmark table belongs in docs/benchmarks.md"
    assert "docs/benchmarks.md" in text
    bench = (ROOT / "tools" / "bench.py").read_text(encoding="utf-8")
    assert 'OUT = ROOT / "docs" / "benchmarks.md"' in bench
