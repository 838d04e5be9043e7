"""A Jupyter kernel for one untrusted submission, inside a bubblewrap sandbox.

The kernel runs under ``bwrap`` with every namespace unshared (no network: only a loopback that
nothing else listens on; its own process tree), read-only views of the system, of Python and of
the gradlab package, a private empty /tmp as its home and working folder, and its own notebook
read-only at /submission/<name>. It cannot see the other submissions, the instructor's files or
the repository (tools/, homework/ are not mounted). The grader talks to it through Unix sockets
in a per-submission folder (ZeroMQ's ipc transport), the only host folder it can write to, which
is deleted afterwards. Closing the sandbox kills its whole process tree: bwrap's init is PID 1 of
the sandbox's PID namespace, and ``--die-with-parent`` ends it with the kernel's launcher.

Interrupts go as ``interrupt_request`` messages on the control channel (a SIGINT sent to bwrap
would not reach the kernel). A kernel that ignores them is killed and started again.
"""

from __future__ import annotations

import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from jupyter_client import BlockingKernelClient
from jupyter_client.connect import write_connection_file

import gradlab

BWRAP = shutil.which("bwrap")


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create namespaces here."""


@dataclass
class Execution:
    """What one cell did: "ok", "error" (it raised), "timeout" or "dead" (the kernel died)."""

    status: str
    stdout: str = ""
    error: str = ""
    seconds: float = 0.0
    outputs: list = field(default_factory=list)


def _ro_paths() -> list[str]:
    """Host folders the kernel needs to read: Python, its packages, the gradlab sources."""
    paths = {os.path.realpath(sys.prefix), os.path.realpath(sys.base_prefix),
             os.path.realpath(Path(gradlab.__file__).parents[1])}
    for p in sys.path:
        if p and os.path.isdir(p) and not p.startswith(("/usr", "/tmp")):
            real = os.path.realpath(p)
            if "site-packages" in real or "dist-packages" in real:
                paths.add(real)
    # keep only the outermost folders (bwrap binds each once)
    keep = []
    for p in sorted(paths):
        if not any(p.startswith(k.rstrip("/") + "/") for k in keep):
            keep.append(p)
    return keep


def bwrap_command(run_dir: Path, notebook: Path | None, argv: list[str]) -> list[str]:
    """The bwrap command line that runs ``argv`` in the sandbox described in the module doc."""
    if BWRAP is None:
        raise SandboxUnavailable("bubblewrap (bwrap) is not installed: apt-get install bubblewrap")
    cmd = [BWRAP, "--unshare-all", "--die-with-parent", "--new-session",
           "--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc",
           "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    for link in ("bin", "lib", "lib64", "sbin"):
        target = os.path.realpath(f"/{link}")
        if os.path.lexists(f"/{link}") and target.startswith("/usr/"):
            cmd += ["--symlink", target.lstrip("/"), f"/{link}"]
        elif os.path.isdir(f"/{link}"):
            cmd += ["--ro-bind", f"/{link}", f"/{link}"]
    for path in _ro_paths():
        cmd += ["--ro-bind", path, path]
    cmd += ["--bind", str(run_dir), str(run_dir), "--dir", "/tmp/work", "--chdir", "/tmp/work"]
    if notebook is not None:
        cmd += ["--ro-bind", str(notebook), f"/submission/{notebook.name}"]
    env = {"HOME": "/tmp/work", "MPLBACKEND": "Agg", "MPLCONFIGDIR": "/tmp/work/.mpl",
           "PYTHONDONTWRITEBYTECODE": "1", "OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin",
           "LANG": "C.UTF-8"}
    cmd += ["--clearenv"] + [x for k, v in env.items() for x in ("--setenv", k, v)]
    return cmd + argv


class SandboxKernel:
    """A kernel in a sandbox (or, with ``sandbox=False``, a plain subprocess: trusted code only)."""

    def __init__(self, notebook: Path | None = None, sandbox: bool = True,
                 startup_timeout: float = 60.0):
        self.notebook = Path(notebook).resolve() if notebook else None
        self.sandbox = sandbox
        self.startup_timeout = startup_timeout
        self.run_dir: Path | None = None
        self.proc: subprocess.Popen | None = None
        self.client: BlockingKernelClient | None = None

    # -------------------------------------------------------------------- lifecycle
    def start(self) -> None:
        self.run_dir = Path(tempfile.mkdtemp(prefix="grade-run-"))
        conn = self.run_dir / "kernel.json"
        write_connection_file(str(conn), transport="ipc", ip=str(self.run_dir / "sock"))
        python = os.path.join(os.path.realpath(sys.prefix), "bin", "python")
        python = python if os.path.exists(python) else sys.executable
        argv = [python, "-m", "ipykernel_launcher", "-f", str(conn),
                "--HistoryManager.enabled=False"]
        cmd = bwrap_command(self.run_dir, self.notebook, argv) if self.sandbox else argv
        self.log = open(self.run_dir.parent / f"{self.run_dir.name}.log", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True,
                                     cwd=self.run_dir)
        self.client = BlockingKernelClient(connection_file=str(conn))
        self.client.load_connection_file()
        self.client.start_channels(hb=False)  # liveness: the process, not heartbeats (load)
        deadline = time.monotonic() + self.startup_timeout
        sent: set[str] = set()
        while True:
            if not self.alive() or time.monotonic() > deadline:
                log = Path(self.log.name).read_text(errors="replace")[-500:]
                self.close()
                raise SandboxUnavailable(f"the sandboxed kernel did not start: {log}")
            sent.add(self.client.kernel_info())
            try:
                reply = self.client.get_shell_msg(timeout=2.0)
            except queue.Empty:
                continue
            if reply["parent_header"].get("msg_id") in sent:
                break
        while True:  # drop the start-up messages on iopub
            try:
                self.client.get_iopub_msg(timeout=0.2)
            except queue.Empty:
                break

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def close(self) -> None:
        """Stop the kernel and everything it started; remove its folder."""
        if self.client is not None:
            self.client.stop_channels()
            self.client = None
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
            self.proc = None
        if self.run_dir is not None:
            shutil.rmtree(self.run_dir, ignore_errors=True)
            self.log.close()
            Path(self.log.name).unlink(missing_ok=True)
            self.run_dir = None

    def restart(self) -> None:
        self.close()
        self.start()

    def __enter__(self) -> SandboxKernel:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -------------------------------------------------------------------- running code
    def interrupt(self) -> None:
        msg = self.client.session.msg("interrupt_request", {})
        self.client.control_channel.send(msg)

    def execute(self, code: str, timeout: float, max_output: int = 2_000_000) -> Execution:
        """Run ``code``; interrupt it after ``timeout`` seconds (status "timeout"). A kernel
        that does not come back within 5 s of the interrupt is restarted (its state is lost)."""
        start = time.monotonic()
        if not self.alive():
            return Execution("dead", error="the kernel is not running")
        msg_id = self.client.execute(code, store_history=False, allow_stdin=False)
        out: list[str] = []
        size = 0
        status, error = "ok", ""
        deadline = start + timeout
        interrupted = False
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                if interrupted:
                    self.restart()
                    return Execution("timeout", "".join(out), "did not stop after an "
                                     "interrupt; the kernel was restarted",
                                     time.monotonic() - start)
                self.interrupt()
                interrupted, status = True, "timeout"
                deadline = time.monotonic() + 5.0
                continue
            try:
                msg = self.client.get_iopub_msg(timeout=min(remaining, 1.0))
            except queue.Empty:
                if not self.alive():
                    return Execution("dead", "".join(out), "the kernel died",
                                     time.monotonic() - start)
                continue
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream" and content.get("name") == "stdout" and size < max_output:
                out.append(content["text"])
                size += len(content["text"])
            elif kind == "error" and status != "timeout":
                status = "error"
                error = f"{content.get('ename')}: {str(content.get('evalue'))[:300]}"
            elif kind == "status" and content.get("execution_state") == "idle":
                break
        return Execution(status, "".join(out), error, time.monotonic() - start)


def check_available() -> None:
    """Raise SandboxUnavailable unless a sandboxed kernel can start and has no network."""
    with SandboxKernel() as kernel:
        res = kernel.execute("import socket\ntry:\n    socket.create_connection(('192.0.2.1', 80),"
                             " timeout=1)\n    print('NETWORK')\nexcept OSError:\n    "
                             "print('isolated')", timeout=20)
        if "isolated" not in res.stdout:
            raise SandboxUnavailable(f"the sandbox is not isolated: {res}")
