"""Tamper detection from the syntax tree of a submission's cell (for the ``flags`` column).

What counts is what the code *reaches*, never what a name is called: a local ``summary = ...``,
a counter named ``passed`` or a helper ``_evaluate_sharpness`` are honest. Flagged:

- importing, or reaching through attributes, ``getattr`` or ``__import__``, the grading runner
  (``gradlab.homework.cases``, ``_gradlab_grade``) or a private name (``_x``) of a gradlab module;
- replacing an attribute of gradlab or torch (``torch.autograd.grad = ...``, monkeypatching);
- modules and attributes that reach other frames, the interpreter or the machine: ctypes,
  importlib, subprocess, multiprocessing, signal, gc, inspect, builtins, ``sys._getframe``,
  ``sys.modules``, ``__globals__``, ``f_back``, ``os.system``/``fork``/``exec*``/``kill``...;
- ``exec``/``eval``/``compile``/``__import__`` (code hidden in a string).

A flag does not change points: the grader never trusts the kernel (nothing in it knows an
answer), so the flag is for the instructor to read the cell.
"""

from __future__ import annotations

import ast
import re

MODULES = {"ctypes", "importlib", "subprocess", "multiprocessing", "signal", "gc", "inspect",
           "builtins", "pty", "_thread", "threading", "runpy", "code", "codeop", "marshal",
           "pickle", "dill", "cffi", "mmap"}
ATTRIBUTES = {"__globals__", "__closure__", "__code__", "__builtins__", "__subclasses__",
              "__dict__", "__wrapped__", "f_back", "f_globals", "f_locals", "f_builtins",
              "tb_frame", "gi_frame", "cr_frame", "_getframe", "modules", "__import__",
              "__loader__", "__spec__"}
OS_CALLS = {"system", "popen", "fork", "forkpty", "kill", "killpg", "spawnl", "spawnv",
            "spawnve", "spawnvp", "posix_spawn", "posix_spawnp", "execv", "execve", "execl",
            "execlp", "execvp", "execvpe", "putenv", "environ", "_exit", "setuid"}
CALLS = {"exec", "eval", "compile", "__import__", "breakpoint"}
#: the runner's module (and its name before gradlab.homework), the self-check's private names
RUNNER = ("gradlab.homework.cases", "gradlab.hwcases")
GRADING = (*RUNNER, "gradlab.homework.checks._", "gradlab.checks._", "_gradlab_grade")
PATCHED = ("gradlab", "torch", "numpy", "math")


def _strip_magics(source: str) -> str:
    return "\n".join("" if re.match(r"\s*[%!]", ln) else ln for ln in source.splitlines())


class _Finder(ast.NodeVisitor):
    def __init__(self) -> None:
        self.alias: dict[str, str] = {}  # local name -> module path it stands for
        self.found: list[str] = []

    def flag(self, what: str) -> None:
        if what not in self.found:
            self.found.append(what)

    def dotted(self, node: ast.AST) -> str | None:
        """``a.b.c`` with ``a`` resolved through the imports seen so far, else None."""
        parts = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        base = self.alias.get(node.id, node.id if node.id in ("gradlab", "torch", "os", "sys")
                              else None)
        if base is None:
            return None
        return ".".join([base, *reversed(parts)])

    def module(self, name: str) -> None:
        top = name.split(".")[0]
        if top in MODULES:
            self.flag(f"import {name}")
        if name.startswith(RUNNER) or re.search(r"(^|\.)_", name):
            self.flag(f"import {name}")

    def visit_Import(self, node: ast.Import) -> None:
        for a in node.names:
            self.module(a.name)
            self.alias[a.asname or a.name.split(".")[0]] = a.name if a.asname else \
                a.name.split(".")[0]

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        mod = node.module or ""
        self.module(mod)
        for a in node.names:
            full = f"{mod}.{a.name}"
            if full.startswith(GRADING[:-1]) or (mod.startswith("gradlab")
                                                 and a.name.startswith("_")) \
                    or a.name == "hwcases" or mod.startswith("gradlab") and a.name == "cases":
                self.flag(f"import {full}")
            if mod == "os" and a.name in OS_CALLS or mod == "sys" and a.name in ATTRIBUTES:
                self.flag(f"import {full}")
            self.alias[a.asname or a.name] = full

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr in ATTRIBUTES and node.attr != "modules" or \
                node.attr == "modules" and self.dotted(node) == "sys.modules":
            self.flag(f".{node.attr}")
        path = self.dotted(node)
        if path:
            if path.startswith(GRADING) or path.startswith("gradlab.") and any(
                    p.startswith("_") for p in path.split(".")[1:]):
                self.flag(path)
            if path.startswith("torch.") and any(
                    p.startswith("_") and not p.endswith("__") for p in path.split(".")[1:]):
                self.flag(path)
            if path.startswith("os.") and path.split(".")[1] in OS_CALLS:
                self.flag(path)
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if node.id == "_gradlab_grade" or node.id in ("__builtins__",):
            self.flag(node.id)
        target = self.alias.get(node.id, "")
        if target.startswith(GRADING):
            self.flag(target)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        fn = node.func
        if isinstance(fn, ast.Name) and fn.id in CALLS:
            self.flag(f"{fn.id}()")
        if isinstance(fn, ast.Name) and fn.id in ("getattr", "setattr", "delattr", "vars") \
                and node.args:
            base = self.dotted(node.args[0]) or ""
            name = node.args[1] if len(node.args) > 1 else None
            literal = isinstance(name, ast.Constant) and isinstance(name.value, str)
            if base.split(".")[0] in PATCHED and (fn.id != "getattr" or not literal
                                                  or name.value.startswith("_")
                                                  or f"{base}.{name.value}".startswith(GRADING)):
                self.flag(f"{fn.id}({base}, ...)")
        self.generic_visit(node)

    def _target(self, target: ast.AST) -> None:
        if isinstance(target, ast.Attribute):
            path = self.dotted(target)
            if path and path.split(".")[0] in PATCHED:
                self.flag(f"replaces {path}")
        elif isinstance(target, ast.Tuple | ast.List):
            for t in target.elts:
                self._target(t)

    def visit_Assign(self, node: ast.Assign) -> None:
        for t in node.targets:
            self._target(t)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._target(node.target)
        self.generic_visit(node)

    def visit_Delete(self, node: ast.Delete) -> None:
        for t in node.targets:
            self._target(t)
        self.generic_visit(node)


def findings(source: str) -> list[str]:
    """What in ``source`` reaches into grading internals or the machine ([] if nothing)."""
    try:
        tree = ast.parse(_strip_magics(source))
    except (SyntaxError, ValueError):
        return []
    finder = _Finder()
    finder.visit(tree)
    return finder.found


def _names(tree: ast.AST) -> tuple[set[str], set[str]]:
    """(reached, bare): attributes, imported names, string constants and "**" for a power;
    and plain names (which may be the notebook's own functions)."""
    reached: set[str] = set()
    bare: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            bare.add(node.id)
        elif isinstance(node, ast.Attribute):
            reached.add(node.attr)
        elif isinstance(node, ast.alias):
            reached.update(node.name.split("."))
        elif isinstance(node, ast.ImportFrom) and node.module:
            reached.update(node.module.split("."))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            reached.add(node.value)
        elif isinstance(node, ast.BinOp | ast.AugAssign) and isinstance(node.op, ast.Pow):
            reached.add("**")
    return reached, bare


def shortcuts(answer: str, helpers: dict[str, str], forbidden: tuple[str, ...]) -> list[str]:
    """The forbidden names an answer cell uses, itself or through the notebook functions it
    calls (``helpers``: function name -> the source of the cell that defines it, followed
    transitively): as an attribute, an import, a string or a name the notebook does not define
    itself (a student's own ``grad_norms`` is honest). A saved reference
    (``{'g': torch.autograd.grad}``) or a default argument still names the shortcut."""
    try:
        tree = ast.parse(_strip_magics(answer))
    except (SyntaxError, ValueError):
        return []
    seen_cells, used = {answer}, set()
    todo = [tree]
    while todo:
        reached, bare = _names(todo.pop())
        used |= reached | (bare - set(helpers))  # the notebook's own grad_norms is honest
        for name in bare & set(helpers):
            if helpers[name] not in seen_cells:
                seen_cells.add(helpers[name])
                try:
                    todo.append(ast.parse(_strip_magics(helpers[name])))
                except (SyntaxError, ValueError):
                    continue
    return [f for f in forbidden if f in used]


def definitions(sources: list[str]) -> dict[str, str]:
    """Function and variable names defined at the top of each cell -> that cell's source."""
    out: dict[str, str] = {}
    for source in sources:
        try:
            tree = ast.parse(_strip_magics(source))
        except (SyntaxError, ValueError):
            continue
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                out[node.name] = source
            elif isinstance(node, ast.Assign):
                for t in node.targets:
                    if isinstance(t, ast.Name):
                        out[t.id] = source
    return out
