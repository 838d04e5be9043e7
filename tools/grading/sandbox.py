"""A Jupyter kernel for one untrusted submission, inside a bubblewrap sandbox.

The kernel runs under ``bwrap`` with every namespace unshared (no network: only a loopback that
nothing else listens on; its own process tree), read-only views of the system, of Python and of
the gradlab package, a private empty /tmp as its home and working folder, and its own notebook
read-only at /submission/<name>. It cannot see the other submissions, the instructor's files or
the repository (tools/, homework/ are not mounted). The grader talks to it through Unix sockets
in a per-submission folder (ZeroMQ's ipc transport), the only host folder it can write to, which
is deleted afterwards. Closing the sandbox kills its whole process tree: bwrap's init is PID 1 of
the sandbox's PID namespace, and ``--die-with-parent`` ends it with the kernel's launcher.

Root. When the grader runs as root (containers, many course servers) the sandbox still holds
no privilege: bwrap keeps only CAP_SETUID/CAP_SETGID, with which a small launcher becomes an
unprivileged host uid (61000 + pid % 2000, which clears every capability) before the kernel
starts; a seccomp filter refuses mount, umount, ptrace, unshare, setns, clone with namespace
flags, keyrings, bpf, modules and similar calls; no_new_privs is set. As an ordinary user the
sandbox is an unprivileged user namespace with every capability dropped and no further user
namespaces. Limits (``Limits``): address space, processes, file size, tmpfs sizes, the size of
its host folder, stdout kept, largest message, wall time (the last enforced by the grader).

Interrupts go as ``interrupt_request`` messages on the control channel (a SIGINT sent to bwrap
would not reach the kernel). A kernel that ignores them is killed and started again.
"""

from __future__ import annotations

import errno
import os
import platform
import queue
import resource
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import zmq
import zmq.utils.monitor
from jupyter_client import BlockingKernelClient
from jupyter_client.connect import write_connection_file

import gradlab

BWRAP = shutil.which("bwrap")

# Host uids the sandboxes run as when the grader is root (one per grading process, so that the
# process limit, which the kernel counts per uid, is per submission).
SANDBOX_UID_BASE = 61000
SANDBOX_UIDS = 2000


@dataclass(frozen=True)
class Limits:
    """Per-submission resource limits (each breach gets its own status in the CSV).

    memory: address space of each process (RLIMIT_AS; importing torch takes about 0.7 GB);
    processes: processes and threads of the sandbox's uid (RLIMIT_NPROC);
    file_bytes: largest file it may write anywhere, including its log (RLIMIT_FSIZE);
    tmp_bytes: size of its private /tmp and /dev/shm (tmpfs);
    run_dir_bytes: what it may leave in the one host folder it can write (its sockets' folder);
    output_bytes: stdout the grader keeps per cell (the rest is read and dropped);
    message_bytes: largest single message the grader accepts from the kernel (ZeroMQ);
    seconds: wall time of the whole submission (all its cells and questions).
    """

    memory: int = 3 << 30
    processes: int = 64
    file_bytes: int = 16 << 20
    tmp_bytes: int = 256 << 20
    run_dir_bytes: int = 16 << 20
    output_bytes: int = 2_000_000
    message_bytes: int = 8 << 20
    seconds: float = 600.0


LIMITS = Limits()

# --------------------------------------------------------------------------- seccomp (x86_64)
# A classic BPF program for bwrap's --seccomp: refuse (EPERM) the calls a homework never needs
# and that could loosen the sandbox (mounts, namespaces, ptrace, kernel keyrings, modules, bpf),
# clone() with a namespace flag; clone3 gets ENOSYS so that glibc falls back to clone.
_SYSCALLS_X86_64 = {
    "ptrace": 101, "syslog": 103, "uselib": 134, "personality": 135, "vhangup": 153,
    "pivot_root": 155, "adjtimex": 159, "chroot": 161, "acct": 163, "settimeofday": 164,
    "mount": 165, "umount2": 166, "swapon": 167, "swapoff": 168, "reboot": 169,
    "sethostname": 170, "setdomainname": 171, "iopl": 172, "ioperm": 173,
    "init_module": 175, "delete_module": 176, "quotactl": 179, "lookup_dcookie": 212,
    "clock_settime": 227, "kexec_load": 246, "add_key": 248, "request_key": 249,
    "keyctl": 250, "unshare": 272, "perf_event_open": 298, "name_to_handle_at": 303,
    "open_by_handle_at": 304, "setns": 308, "process_vm_readv": 310,
    "process_vm_writev": 311, "finit_module": 313, "kexec_file_load": 320, "bpf": 321,
    "userfaultfd": 323, "io_uring_setup": 425, "open_tree": 428, "move_mount": 429,
    "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433, "mount_setattr": 442,
}
_CLONE, _CLONE3 = 56, 435
_NAMESPACE_FLAGS = 0x7E020000  # CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET
_AUDIT_ARCH_X86_64 = 0xC000003E


def seccomp_program() -> bytes | None:
    """The compiled filter (struct sock_filter[]), or None on a machine that is not x86_64."""
    if platform.machine() != "x86_64":
        return None

    def ins(code, k=0, jt=0, jf=0):
        return struct.pack("<HBBI", code, jt, jf, k)

    ld, jeq, jge, jset, ret = 0x20, 0x15, 0x35, 0x45, 0x06
    allow, kill = 0x7FFF0000, 0x80000000
    eperm, enosys = 0x00050000 | errno.EPERM, 0x00050000 | errno.ENOSYS
    prog = [ins(ld, 4), ins(jeq, _AUDIT_ARCH_X86_64, 1, 0), ins(ret, kill),
            ins(ld, 0), ins(jge, 0x40000000, 0, 1), ins(ret, eperm)]  # no x32 calls
    for nr in sorted(_SYSCALLS_X86_64.values()):
        prog += [ins(jeq, nr, 0, 1), ins(ret, eperm)]
    prog += [ins(jeq, _CLONE3, 0, 1), ins(ret, enosys),
             ins(jeq, _CLONE, 0, 3), ins(ld, 16), ins(jset, _NAMESPACE_FLAGS, 0, 1),
             ins(ret, eperm), ins(ret, allow)]
    return b"".join(prog)


# Run first in the sandbox when the grader is root: become the unprivileged uid (which clears
# every capability), cap the processes of that uid, then start the kernel.
LAUNCHER = """
import os, resource, runpy, sys
uid, nproc = int(sys.argv[1]), int(sys.argv[2])
os.setgroups([]); os.setgid(uid); os.setuid(uid)
resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
sys.argv = [sys.argv[0]] + sys.argv[3:]
runpy.run_module("ipykernel_launcher", run_name="__main__", alter_sys=True)
"""


def _sandbox_uid() -> int | None:
    """The unprivileged host uid to run a sandbox as when the grader is root, else None."""
    if os.geteuid() != 0:
        return None
    return SANDBOX_UID_BASE + os.getpid() % SANDBOX_UIDS


def _tasks_of(uid: int) -> int:
    """How many processes and threads ``uid`` runs now (RLIMIT_NPROC counts them per uid)."""
    count = 0
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                if os.stat(f"/proc/{pid}").st_uid == uid:
                    count += len(os.listdir(f"/proc/{pid}/task"))
            except OSError:
                continue
    return count


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
    dropped: bool = False  # stdout beyond the limit was dropped


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


def bwrap_command(run_dir: Path, notebook: Path | None, argv: list[str],
                  limits: Limits = LIMITS, seccomp_fd: int | None = None,
                  drop_uid: int | None = None) -> list[str]:
    """The bwrap command line that runs ``argv`` in the sandbox described in the module doc,
    with no capability left and the seccomp filter read from ``seccomp_fd``. A root grader
    passes ``drop_uid``: ``argv`` then starts with the launcher (LAUNCHER) that becomes that
    unprivileged host uid; otherwise the sandbox is an unprivileged user namespace."""
    if BWRAP is None:
        raise SandboxUnavailable("bubblewrap (bwrap) is not installed: apt-get install bubblewrap")
    namespaces = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
                  "--unshare-cgroup-try"]
    if drop_uid is not None:
        # the grader is root: no user namespace (bwrap would map only root); the sandbox
        # keeps CAP_SETUID/CAP_SETGID just long enough for the launcher to become drop_uid
        caps = ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        caps = ["--unshare-user", "--uid", "1000", "--gid", "1000", "--disable-userns",
                "--cap-drop", "ALL"]
    cmd = [BWRAP, *namespaces, *caps, "--die-with-parent", "--new-session",
           "--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc",
           "--proc", "/proc", "--dev", "/dev",
           "--perms", "1777", "--size", str(limits.tmp_bytes), "--tmpfs", "/tmp",
           "--perms", "1777", "--size", str(min(limits.tmp_bytes, 64 << 20)),
           "--tmpfs", "/dev/shm"]
    if seccomp_fd is not None:
        cmd += ["--seccomp", str(seccomp_fd)]
    for link in ("bin", "lib", "lib64", "sbin"):
        target = os.path.realpath(f"/{link}")
        if os.path.lexists(f"/{link}") and target.startswith("/usr/"):
            cmd += ["--symlink", target.lstrip("/"), f"/{link}"]
        elif os.path.isdir(f"/{link}"):
            cmd += ["--ro-bind", f"/{link}", f"/{link}"]
    made: set[str] = set()
    for path in _ro_paths():
        # parents bwrap would create mode 0700: readable ones, for the unprivileged uid
        for parent in reversed(Path(path).parents[:-1]):
            if str(parent) not in made and not str(parent).startswith(("/usr", "/etc")):
                made.add(str(parent))
                cmd += ["--perms", "0755", "--dir", str(parent)]
        cmd += ["--ro-bind", path, path]
    cmd += ["--bind", str(run_dir), str(run_dir), "--perms", "1777", "--dir", "/tmp/work",
            "--chdir", "/tmp/work"]
    if notebook is not None:
        cmd += ["--ro-bind", str(notebook), "/submission/submission.ipynb"]
    env = {"HOME": "/tmp/work", "MPLBACKEND": "Agg", "MPLCONFIGDIR": "/tmp/work/.mpl",
           "PYTHONDONTWRITEBYTECODE": "1", "OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin",
           "LANG": "C.UTF-8"}
    cmd += ["--clearenv"] + [x for k, v in env.items() for x in ("--setenv", k, v)]
    return cmd + argv


class SandboxKernel:
    """A kernel in a sandbox (or, with ``sandbox=False``, a plain subprocess: trusted code only)."""

    def __init__(self, notebook: Path | None = None, sandbox: bool = True,
                 startup_timeout: float = 60.0, limits: Limits = LIMITS):
        self.notebook = Path(notebook).resolve() if notebook else None
        self.sandbox = sandbox
        self.startup_timeout = startup_timeout
        self.limits = limits
        self.copy: Path | None = None
        self.monitor = None
        self.run_dir: Path | None = None
        self.proc: subprocess.Popen | None = None
        self.client: BlockingKernelClient | None = None

    # -------------------------------------------------------------------- lifecycle
    def _preexec(self, uid: int | None):
        lim = self.limits

        def apply() -> None:
            resource.setrlimit(resource.RLIMIT_AS, (lim.memory, lim.memory))
            resource.setrlimit(resource.RLIMIT_FSIZE, (lim.file_bytes, lim.file_bytes))
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))
            if uid is None:  # the launcher sets it for a root grader's sandbox uid
                nproc = lim.processes + _tasks_of(os.getuid())
                resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
        return apply

    def start(self) -> None:
        self.run_dir = Path(tempfile.mkdtemp(prefix="grade-run-"))
        uid = _sandbox_uid() if self.sandbox else None
        copy = None
        if self.notebook is not None and self.sandbox:
            # a private readable copy: the sandbox's uid may not read the submissions folder
            copy = self.run_dir.parent / f"{self.run_dir.name}.ipynb"
            fd = os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            with os.fdopen(fd, "wb") as fh, open(self.notebook, "rb") as src:
                fh.write(src.read(64 << 20))
        self.copy = copy
        if uid is not None:
            os.chown(self.run_dir, uid, uid)
        conn = self.run_dir / "kernel.json"
        write_connection_file(str(conn), transport="ipc", ip=str(self.run_dir / "sock"))
        os.chmod(conn, 0o644)
        python = os.path.join(os.path.realpath(sys.prefix), "bin", "python")
        python = python if os.path.exists(python) else sys.executable
        kernel_args = ["-f", str(conn), "--HistoryManager.enabled=False"]
        if uid is not None:
            argv = [python, "-c", LAUNCHER, str(uid), str(self.limits.processes), *kernel_args]
        else:
            argv = [python, "-m", "ipykernel_launcher", *kernel_args]
        program = seccomp_program() if self.sandbox else None
        seccomp_fd = None
        if program is not None:
            seccomp_fd = os.memfd_create("gradlab-seccomp", 0)
            os.write(seccomp_fd, program)
            os.lseek(seccomp_fd, 0, os.SEEK_SET)
        cmd = bwrap_command(self.run_dir, copy, argv, self.limits, seccomp_fd, uid) \
            if self.sandbox else argv
        self.log = open(self.run_dir.parent / f"{self.run_dir.name}.log", "wb")  # noqa: SIM115
        try:
            self.proc = subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
                start_new_session=True, cwd=self.run_dir,
                pass_fds=(seccomp_fd,) if seccomp_fd is not None else (),
                preexec_fn=self._preexec(uid) if self.sandbox else None)
        finally:
            if seccomp_fd is not None:
                os.close(seccomp_fd)
        context = zmq.Context()
        context.setsockopt(zmq.MAXMSGSIZE, self.limits.message_bytes)
        self.client = BlockingKernelClient(connection_file=str(conn), context=context)
        self.client.load_connection_file()
        self.client.start_channels(hb=False)  # liveness: the process, not heartbeats (load)
        # a message over message_bytes makes ZeroMQ drop the connection: watch for that
        self.monitor = self.client.iopub_channel.socket.get_monitor_socket(
            zmq.EVENT_DISCONNECTED)
        deadline = time.monotonic() + self.startup_timeout
        sent: set[str] = set()
        while True:
            if not self.alive() or time.monotonic() > deadline:
                log = self.log_tail()
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

    def log_tail(self, size: int = 500) -> str:
        """The end of the kernel's own stdout/stderr (read from the end: it may be large)."""
        try:
            with open(self.log.name, "rb") as fh:
                fh.seek(max(0, os.fstat(fh.fileno()).st_size - size))
                return fh.read(size).decode("utf-8", "replace")
        except OSError:
            return ""

    def run_dir_bytes(self, max_entries: int = 256) -> int:
        """What the kernel left in its host folder (a huge number of files counts as over)."""
        total, seen = 0, 0
        stack = [self.run_dir] if self.run_dir else []
        while stack:
            try:
                entries = list(os.scandir(stack.pop()))
            except OSError:
                continue
            for entry in entries:
                seen += 1
                if seen > max_entries:
                    return 1 << 62
                try:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
                    else:
                        total += entry.stat(follow_symlinks=False).st_size
                except OSError:
                    continue
        return total

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def close(self) -> None:
        """Stop the kernel and everything it started; remove its folder."""
        if self.client is not None:
            context = self.client.context
            try:
                self.client.iopub_channel.socket.disable_monitor()
            except zmq.ZMQError:
                pass
            self.monitor.close(linger=0)
            self.client.stop_channels()
            self.client = None
            context.destroy(linger=0)
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
            if self.copy is not None:
                self.copy.unlink(missing_ok=True)
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

    def _disconnected(self) -> bool:
        """Did the kernel's iopub connection drop (an oversized message) since last asked?"""
        found = False
        while self.monitor.poll(0):
            event = zmq.utils.monitor.recv_monitor_message(self.monitor)
            found = found or event["event"] == zmq.EVENT_DISCONNECTED
        return found

    def _replied(self, msg_id: str) -> dict | None:
        """The execute_reply to ``msg_id`` if it has come (other shell replies are dropped)."""
        while True:
            try:
                msg = self.client.get_shell_msg(timeout=0)
            except queue.Empty:
                return None
            if msg["parent_header"].get("msg_id") == msg_id:
                return msg

    def execute(self, code: str, timeout: float, max_output: int | None = None) -> Execution:
        """Run ``code``; interrupt it after ``timeout`` seconds (status "timeout"). A kernel
        that does not come back within 5 s of the interrupt is restarted (its state is lost).
        A kernel that fills its host folder is killed (status "disk limit"); an error that
        says a limit was hit gets that limit as its status ("memory limit", "process limit",
        "disk limit"). Stdout beyond ``max_output`` characters is read and dropped; a single
        message over ``limits.message_bytes`` is refused by ZeroMQ (never read into memory),
        which ends the connection: the kernel is restarted (status "output limit")."""
        max_output = self.limits.output_bytes if max_output is None else max_output
        start = time.monotonic()
        if not self.alive():
            return Execution("dead", error="the kernel is not running")
        msg_id = self.client.execute(code, store_history=False, allow_stdin=False)
        out: list[str] = []
        size = 0
        status, error = "ok", ""
        deadline = start + timeout
        interrupted = False
        dropped = False
        self._disconnected()
        reply, lost = None, False
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
                lost = self._disconnected() or lost
                if reply is not None:  # replied, and iopub quiet for a second: done
                    if status == "ok" and reply["content"].get("status") == "error":
                        content = reply["content"]
                        ename = str(content.get("ename"))
                        evalue = str(content.get("evalue"))[:300]
                        status = limit_status(ename, evalue) or "error"
                        error = f"{ename}: {evalue}"
                    break
                reply = self._replied(msg_id)
                if self.sandbox and self.run_dir_bytes() > self.limits.run_dir_bytes:
                    self.restart()
                    return Execution("disk limit", "".join(out), "wrote more than "
                                     f"{self.limits.run_dir_bytes >> 20} MB; the kernel was "
                                     "restarted", time.monotonic() - start)
                continue
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream" and content.get("name") == "stdout":
                text = str(content.get("text", ""))
                if size + len(text) <= max_output:
                    out.append(text)
                    size += len(text)
                else:
                    dropped = True
            elif kind == "error" and status != "timeout":
                ename, evalue = str(content.get("ename")), str(content.get("evalue"))[:300]
                status = limit_status(ename, evalue) or "error"
                error = f"{ename}: {evalue}"
            elif kind == "status" and content.get("execution_state") == "idle":
                break
        if self._disconnected() or lost:
            # ZeroMQ dropped an oversized message and with it the connection: start again
            self.restart()
            return Execution("output limit", "".join(out), "sent more than "
                             f"{self.limits.message_bytes >> 20} MB at once; the kernel was "
                             "restarted", time.monotonic() - start, dropped=True)
        result = Execution(status, "".join(out), error, time.monotonic() - start)
        result.dropped = dropped
        return result


def limit_status(ename: str, evalue: str) -> str:
    """The limit an exception says was hit ("memory limit", ...), or "". ``ename`` may be a
    whole message such as "your code raised MemoryError: ..."."""
    if "MemoryError" in ename or "can't allocate memory" in evalue \
            or "Cannot allocate memory" in evalue:
        return "memory limit"
    if "BlockingIOError" in ename and "Errno 11" in evalue or "can't start new thread" in evalue:
        return "process limit"
    if "Errno 27" in evalue or "Errno 28" in evalue or "File too large" in evalue:
        return "disk limit"
    return ""


def check_available() -> None:
    """Raise SandboxUnavailable unless a sandboxed kernel can start and has no network."""
    with SandboxKernel() as kernel:
        res = kernel.execute("import socket\ntry:\n    socket.create_connection(('192.0.2.1', 80),"
                             " timeout=1)\n    print('NETWORK')\nexcept OSError:\n    "
                             "print('isolated')", timeout=20)
        if "isolated" not in res.stdout:
            raise SandboxUnavailable(f"the sandbox is not isolated: {res}")
