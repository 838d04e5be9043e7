"""The grading sandbox holds even when the grader runs as root (tools/grading/sandbox.py).

A submission's kernel tries, from inside, what a student with root on the grading machine
would: remount its read-only binds read-write, umount them, ptrace, a new user namespace, and
writing every bind (the venv, gradlab's sources, the system, its own notebook). All must fail,
and the kernel must hold no capability.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from grading import sandbox  # noqa: E402

pytestmark = pytest.mark.skipif(sandbox.BWRAP is None, reason="bubblewrap is not installed")

PROBE = r'''
import ctypes, errno, json, os, signal, time
libc = ctypes.CDLL(None, use_errno=True)
MS_RDONLY, MS_REMOUNT, MS_BIND = 1, 32, 4096
binds = json.loads(BINDS)
report = {"uid": os.getuid(), "euid": os.geteuid()}
status = open("/proc/self/status").read()
report["caps"] = {k: v.strip() for k, v in
                  (ln.split(":", 1) for ln in status.splitlines() if ln.startswith("Cap"))}
report["seccomp"] = [ln.split(":")[1].strip() for ln in status.splitlines()
                     if ln.startswith("Seccomp:")]
def call(name, *args):
    ctypes.set_errno(0)
    rc = getattr(libc, name)(*args)
    return rc, ctypes.get_errno()
report["remount"] = {p: call("mount", None, p.encode(), None,
                             MS_REMOUNT | MS_BIND, None) for p in binds}
report["umount"] = {p: call("umount2", p.encode(), 2) for p in binds}
report["mount_tmpfs"] = call("mount", b"none", b"/tmp/work", b"tmpfs", 0, None)
report["unshare_user"] = call("unshare", 0x10000000)
report["unshare_mount"] = call("unshare", 0x00020000)
child = os.fork()
if child == 0:
    time.sleep(30)
    os._exit(0)
report["ptrace_attach"] = call("ptrace", 16, child, None, None)   # PTRACE_ATTACH
report["ptrace_seize"] = call("ptrace", 0x4206, child, None, None)
os.kill(child, signal.SIGKILL); os.waitpid(child, 0)
writes = {}
for p in binds + [SITE + "/evil.pth", "/etc/evil", "/usr/evil"]:
    target = p if not os.path.isdir(p) else os.path.join(p, "evil.pth")
    try:
        with open(target, "a") as fh:
            fh.write("import os")
        writes[p] = "written"
    except OSError as err:
        writes[p] = errno.errorcode.get(err.errno, str(err.errno))
    try:
        os.chmod(p, 0o777)
        writes[p] += "+chmod"
    except OSError:
        pass
report["writes"] = writes
print("REPORT" + json.dumps(report))
'''


def test_no_escape_as_root(tmp_path):
    notebook = tmp_path / "s1_hw1.ipynb"
    notebook.write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4,
                                    "nbformat_minor": 5}), encoding="utf-8")
    before = notebook.read_bytes()
    binds = sandbox._ro_paths() + ["/usr", "/etc", "/submission/submission.ipynb"]
    site = next(p for p in sys.path if p.endswith("site-packages"))
    code = f"BINDS = {json.dumps(binds)!r}\nSITE = {site!r}\n" + PROBE
    with sandbox.SandboxKernel(notebook) as kernel:
        run = kernel.execute(code, timeout=60)
    assert run.status == "ok", run
    report = json.loads(run.stdout.split("REPORT", 1)[1])
    assert report["caps"]["CapEff"] == "0000000000000000", report["caps"]
    assert report["caps"]["CapPrm"] == "0000000000000000", report["caps"]
    assert report["seccomp"] == ["2"] or os.uname().machine != "x86_64"
    if os.geteuid() == 0:  # the sandbox runs as an unprivileged host uid
        assert report["uid"] != 0 and report["euid"] != 0, report
    for what in ("remount", "umount"):
        for path, (rc, err) in report[what].items():
            assert rc == -1 and err != 0, (what, path, rc, err)
    for what in ("mount_tmpfs", "unshare_user", "unshare_mount", "ptrace_attach",
                 "ptrace_seize"):
        assert report[what][0] == -1, (what, report[what])
    for path, result in report["writes"].items():
        assert "written" not in result and "chmod" not in result, (path, result)
    assert not list(Path(site).glob("evil*"))
    assert notebook.read_bytes() == before


def test_seccomp_program_is_well_formed():
    program = sandbox.seccomp_program()
    if program is None:
        pytest.skip("seccomp filter is built for x86_64 only")
    assert len(program) % 8 == 0 and len(program) // 8 < 4096
