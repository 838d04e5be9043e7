"""The fact check of the source documents (the fact-check chapter): read them, list their
sections, run their code.

The documents and the audit ship with the pages package (``coursepages/data/documents/*.txt`` and
``coursepages/data/audit.yaml``), so the fact check runs wherever it is installed. The audit is
data: one record per claim,

    id: "003-07"        document: "003_....txt"     section: a heading of that document
    where: finer place  claim: English paraphrase   verdict: one of VERDICTS
    why: the reason, in the course's words

``load_audit`` reads and validates it, ``verdict_counts`` tallies verdicts per document, and
``document_sections`` derives a document's sections from its headings, so a test can check that
every section of every document is audited. ``run_code`` runs a document's code block in a fresh
namespace with a time limit and reports the first error as ``(type name, message)`` instead of a
traceback.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import signal
import threading
from collections import OrderedDict
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from gradlab._validate import check_choice, check_float, check_int

VERDICTS = ("correct", "wrong", "misleading", "not testable")
FIELDS = ("id", "document", "section", "where", "claim", "verdict", "why")
PREAMBLE = "(preamble)"

_FENCE = re.compile(r"^\s*```")
_MD_HEADING = re.compile(r"^\s*#{1,6}\s+(.+?)\s*#*\s*$")
_BOLD_LINE = re.compile(r"^\s*\*\*([^*]+?)\*\*\s*$")
_NUMBERED_HEADING = re.compile(r"^\s*(\d+(?:\.\d+)*\.\s+\S.*?)\s*$")


def data_dir() -> Path:
    """Folder of the package data (the documents and the audit), wherever coursepages is installed."""
    return Path(str(resources.files("coursepages") / "data"))


def audit_file() -> Path:
    """The audit shipped with coursepages: ``coursepages/data/audit.yaml``."""
    return data_dir() / "audit.yaml"


def seeds_dir() -> Path:
    """Folder of the source documents: $GRADLAB_SEEDS, else ``coursepages/data/documents/``."""
    env = os.environ.get("GRADLAB_SEEDS")
    path = Path(env) if env else data_dir() / "documents"
    if not path.is_dir():
        raise FileNotFoundError(
            f"source documents not found in {path}; set GRADLAB_SEEDS to the folder that holds "
            "the five documents (000_*.txt ... 004_*.txt)"
        )
    return path


def document_names() -> list[str]:
    """File names of the source documents, sorted (000_... to 004_...)."""
    return sorted(p.name for p in seeds_dir().glob("[0-9][0-9][0-9]_*.txt"))


def read_document(name: str) -> str:
    """The text of one source document, by file name."""
    name = check_choice("name", name, [n.lower() for n in document_names()])
    return (seeds_dir() / name).read_text(encoding="utf-8")


def _heading(line: str, numbered: bool) -> str | None:
    for pattern in (_MD_HEADING, _BOLD_LINE) + ((_NUMBERED_HEADING,) if numbered else ()):
        m = pattern.match(line)
        if m:
            return m.group(1).strip().rstrip(":").strip()
    return None


def numbered_headings(lines: list[str]) -> bool:
    """True if a document's headings are numbered lines (``2.1. Title``): it has no markdown
    ``#`` heading outside fenced code (document 004)."""
    in_code = False
    for line in lines:
        if _FENCE.match(line):
            in_code = not in_code
        elif not in_code and _MD_HEADING.match(line):
            return False
    return True


def split_sections(text: str) -> OrderedDict[str, str]:
    """Map each heading of a document to its body (text up to the next heading).

    Headings are markdown ``#`` lines and lines that are bold and nothing else. A document with
    no ``#`` heading uses numbered lines such as ``2.1. Title`` instead (document 004). Lines
    inside fenced code never count. Text before the first heading is keyed ``PREAMBLE``.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    lines = text.splitlines()
    numbered = numbered_headings(lines)
    sections: OrderedDict[str, str] = OrderedDict([(PREAMBLE, "")])
    current = PREAMBLE
    in_code = False
    for line in lines:
        if _FENCE.match(line):
            in_code = not in_code
        title = None if in_code else _heading(line, numbered=numbered)
        if title is not None:
            current = title
            sections.setdefault(current, "")
        else:
            sections[current] += line + "\n"
    return sections


def _has_content(body: str) -> bool:
    return bool(re.sub(r"\[toc\]|-{3,}|\s", "", body))


def document_sections(text: str) -> list[str]:
    """The headings of a document whose own body has content (a claim, a formula or code)."""
    return [h for h, body in split_sections(text).items() if h != PREAMBLE and _has_content(body)]


def code_blocks(text: str) -> list[str]:
    """The fenced code blocks of a document, in order."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    return re.findall(r"```[a-zA-Z]*\n(.*?)```", text, flags=re.S)


def load_audit(path: str | Path | None = None) -> list[dict]:
    """Read the audit YAML (default: the one shipped with coursepages, ``audit_file()``) and check every
    record: all FIELDS present, a known verdict, unique ids."""
    import yaml

    if path is None:
        path = audit_file()
    if not isinstance(path, (str, Path)):
        raise TypeError(f"path must be a file path (str or pathlib.Path) or None, got {type(path).__name__}")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no audit file at {path}")
    records = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(records, list):
        raise ValueError(f"{path.name} must hold a list of claim records")
    seen: set[str] = set()
    for i, rec in enumerate(records):
        missing = [f for f in FIELDS if not isinstance(rec, dict) or not str(rec.get(f, "")).strip()]
        if missing:
            raise ValueError(f"record {i} of {path.name} lacks the fields {missing}")
        rec["verdict"] = check_choice(f"verdict of {rec['id']}", rec["verdict"], VERDICTS)
        if rec["id"] in seen:
            raise ValueError(f"claim id {rec['id']!r} appears twice in {path.name}")
        seen.add(rec["id"])
    return records


def verdict_counts(records: list[dict]) -> OrderedDict[str, OrderedDict[str, int]]:
    """{document: {verdict: number of claims}} with every verdict present (zeros included)."""
    counts: OrderedDict[str, OrderedDict[str, int]] = OrderedDict()
    for rec in sorted(records, key=lambda r: r["document"]):
        verdict = check_choice("verdict", rec["verdict"], VERDICTS)
        row = counts.setdefault(rec["document"], OrderedDict((v, 0) for v in VERDICTS))
        row[verdict] += 1
    return counts


@dataclass
class RunResult:
    """What happened when a code block ran: its printed output and its first error, if any."""

    stdout: str
    error_type: str | None
    error_message: str | None
    namespace: dict

    @property
    def ok(self) -> bool:
        return self.error_type is None

    def summary(self) -> str:
        """One line: 'ran without error' or 'TypeName: message' (first line of the message)."""
        if self.ok:
            return "ran without error"
        first = (self.error_message or "").strip().splitlines()
        return f"{self.error_type}: {first[0] if first else ''}"


class CodeTimeout(Exception):
    """Raised inside the running code when it exceeds its time limit."""


def run_code(source: str, timeout: float = 10.0, namespace: dict | None = None) -> RunResult:
    """Execute ``source`` in a fresh namespace (or a copy of ``namespace``) with a time limit.

    Output printed by the code is captured, and so is anything written to stderr; an exception
    stops the code and is reported by type and message, never as a traceback. The time limit uses
    SIGALRM and so applies only in the main thread of a Unix process.
    """
    if not isinstance(source, str):
        raise TypeError(f"source must be a str, got {type(source).__name__}")
    timeout = check_float("timeout", timeout, minimum=0.0, strict_min=True, maximum=600.0)
    ns: dict = {"__name__": "__document__"}
    if namespace is not None:
        if not isinstance(namespace, dict):
            raise TypeError(f"namespace must be a dict or None, got {type(namespace).__name__}")
        ns.update(namespace)
    out, err = io.StringIO(), io.StringIO()
    use_alarm = hasattr(signal, "SIGALRM") and threading.current_thread() is threading.main_thread()

    def on_alarm(signum, frame):
        raise CodeTimeout(f"stopped after {timeout:g} s")

    old = signal.signal(signal.SIGALRM, on_alarm) if use_alarm else None
    error_type = error_message = None
    try:
        if use_alarm:
            signal.setitimer(signal.ITIMER_REAL, timeout)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            exec(compile(source, "<document code>", "exec"), ns)
    except Exception as exc:  # the point is to report any error of the document's code
        error_type, error_message = type(exc).__name__, str(exc)
    finally:
        if use_alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)
    return RunResult(out.getvalue(), error_type, error_message, ns)


def document_code(name: str, index: int = 0) -> str:
    """Code block number ``index`` (from 0) of document ``name``."""
    blocks = code_blocks(read_document(name))
    index = check_int("index", index, minimum=0, maximum=max(len(blocks) - 1, 0))
    if not blocks:
        raise ValueError(f"document {name} has no code block")
    return blocks[index]
