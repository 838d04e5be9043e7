"""The exam sheet stays in sync with the chapters.

Its Russian, Chinese and Bengali editions are translations of this one sheet in the catalogs
(locales/<lang>/LC_MESSAGES/book/appendix/exam_sheet.po): tests/test_i18n.py checks that they
keep every pasted value, link and formula of the English.

- every measured number is pasted from a notebook with myst-nb's cross-page glue
  ({glue:text}`../chapter/page.ipynb::key:fmt`), and every such key exists among that notebook's
  stored glued outputs (a renamed key fails here, before the build);
- no number is typed into the prose (digits only inside math, glue roles and names like float16);
- no plain-text math (w^(T-1), h_{t-1}, TeX commands) outside $...$;
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APPENDIX = ROOT / "book" / "appendix"
SHEETS = {"en": "exam_sheet.md"}

GLUE = re.compile(r"\{glue:text\}`([^`:]+\.ipynb)::([A-Za-z0-9_]+)(?::([^`]*))?`")
ROLE = re.compile(r"\{[a-z:]+\}`[^`]*`")
MATH = re.compile(r"\$\$.*?\$\$|\$[^$\n]+\$", re.S)


def text(lang: str) -> str:
    return (APPENDIX / SHEETS[lang]).read_text(encoding="utf-8")


def stored_glue_keys(notebook: Path) -> dict[str, str]:
    """key -> stored text/plain of every glued value in the notebook's outputs."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    keys = {}
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            name = (out.get("metadata") or {}).get("scrapbook", {}).get("name")
            if name:
                data = out.get("data", {})
                keys[name] = next((v for k, v in data.items() if k.endswith("text/plain")), "")
    return keys


def prose(md: str) -> str:
    """The sheet with front matter, math, roles (links, glue, citations) removed."""
    md = re.sub(r"\A---\n.*?\n---\n", "", md, flags=re.S)
    return ROLE.sub(" ", MATH.sub(" ", md))


@pytest.mark.parametrize("lang", SHEETS)
def test_pasted_values_exist_in_the_notebooks(lang):
    refs = GLUE.findall(text(lang))
    assert refs, f"{SHEETS[lang]} pastes no measured value"
    for rel, key, fmt in refs:
        notebook = (APPENDIX / rel).resolve()
        assert notebook.is_file(), f"{SHEETS[lang]}: {rel} does not exist"
        stored = stored_glue_keys(notebook)
        assert key in stored, f"{SHEETS[lang]}: no glued value {key!r} in {rel}"
        # myst-nb splits the role at its last ':'; without a format the key is misread
        assert fmt, f"{SHEETS[lang]}: {key} needs a format (':s' for text, ':.3g' ...)"
        value = stored[key].strip("'\"")
        if fmt and fmt[-1] in "efgd%":
            number = float(value)
            assert fmt[-1] != "d" or number == int(number), f"{key} = {value} is not an integer"


@pytest.mark.parametrize("lang", SHEETS)
def test_no_typed_numbers_or_plain_text_math(lang):
    body = prose(text(lang))
    body = re.sub(r"\b[A-Za-z]+\d+[A-Za-z0-9]*\b", " ", body)   # float16, bfloat16, ch2
    assert not re.search(r"\d", body), (
        f"{SHEETS[lang]}: a typed number outside math or glue: "
        + str(re.findall(r".{0,30}\d.{0,30}", body)[:3]))
    for pattern in (r"\^", r"_\{", r"\\[a-zA-Z]+", r"\$"):
        assert not re.search(pattern, body), f"{SHEETS[lang]}: plain-text math {pattern!r}"


def test_the_checks_can_fail(tmp_path, monkeypatch):
    """A typed number, plain-text math and a missing key are all caught."""
    bad = "**Q?**\nThe gradient is T·w^(T-1) and drops by 10 per layer.\n"
    body = prose(bad)
    assert re.search(r"\d", body) and re.search(r"\^", body)
    nb = tmp_path / "nb.ipynb"
    nb.write_text(json.dumps({"cells": [{"cell_type": "code", "outputs": [
        {"metadata": {"scrapbook": {"name": "k"}}, "data": {"text/plain": "1.5"}}]}]}))
    assert stored_glue_keys(nb) == {"k": "1.5"}
