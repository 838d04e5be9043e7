"""Install the right build of torch before requirements.txt: the CPU build on a Linux machine
without an NVIDIA GPU.

    python tools/choose_torch.py            # print the decision only
    python tools/choose_torch.py --install  # and install torch into this Python's environment

PyPI's Linux wheel of torch is the CUDA build (several GB); the CPU build (a few hundred MB) lives on
PyTorch's own index. The rule:

- macOS, Windows, or Linux on a machine with an NVIDIA GPU: the default build (what `pip install
  torch==X` gives: CPU/MPS on macOS, CUDA on Linux);
- Linux without an NVIDIA GPU: the CPU build. If pip's configured sources already resolve
  torch==X to a CPU build (a local wheel "+cpu", as on the course's build machines), use them;
  otherwise install from https://download.pytorch.org/whl/cpu.

`make` runs this once, when it creates the environment; `pip install -r requirements.txt` then
keeps the torch it finds. The message says which build it chose and how to get the other one.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]
CPU_INDEX = "https://download.pytorch.org/whl/cpu"


class Decision(NamedTuple):
    build: str              # "cpu" or "default"
    index_url: str | None   # None: pip's configured sources
    reason: str


def pinned_torch(requirements: Path = ROOT / "requirements.txt") -> str:
    """The version pinned by the `torch==X` line of requirements.txt."""
    for line in requirements.read_text(encoding="utf-8").splitlines():
        m = re.match(r"\s*torch\s*==\s*([^\s;#]+)", line)
        if m:
            return m.group(1)
    raise ValueError(f"{requirements} has no 'torch==<version>' line")


def has_nvidia_gpu() -> bool:
    """True if the machine has an NVIDIA GPU with its driver loaded (a CUDA toolkit alone is not one)."""
    gpus = Path("/proc/driver/nvidia/gpus")
    if gpus.is_dir() and any(gpus.iterdir()):
        return True
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return False
    try:
        out = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.returncode == 0 and "GPU" in out.stdout


def default_resolution(version: str, python: str = sys.executable) -> str | None:
    """The torch version string pip's configured sources would install for torch==version
    (e.g. "2.13.0+cpu" from a local wheel, "2.13.0" from PyPI), or None if pip cannot tell."""
    cmd = [python, "-m", "pip", "install", "--dry-run", "--quiet", "--no-deps", "--ignore-installed",
           "--report", "-", f"torch=={version}"]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        report = json.loads(out.stdout)
        return report["install"][0]["metadata"]["version"]
    except (OSError, subprocess.TimeoutExpired, ValueError, KeyError, IndexError):
        return None


def decide(system: str, gpu: bool, resolved: str | None) -> Decision:
    """Which torch build to install, from the OS (platform.system()), whether an NVIDIA GPU is
    present, and what pip's own sources resolve torch==X to (None when unknown)."""
    if system != "Linux":
        return Decision("default", None, f"{system}: PyPI's torch wheel is the right build here")
    if gpu:
        return Decision("default", None, "Linux with an NVIDIA GPU: PyPI's CUDA build of torch")
    if resolved is not None and resolved.endswith("+cpu"):
        return Decision("cpu", None, f"Linux without an NVIDIA GPU: pip's sources already give the "
                                     f"CPU build ({resolved})")
    return Decision("cpu", CPU_INDEX, "Linux without an NVIDIA GPU: the CPU build from PyTorch's index "
                                      "(PyPI's Linux wheel is the several-GB CUDA build)")


def install_command(decision: Decision, version: str, python: str = sys.executable) -> list[str]:
    cmd = [python, "-m", "pip", "install", f"torch=={version}"]
    if decision.index_url:
        cmd += ["--index-url", decision.index_url]
    return cmd


def installed_torch(python: str = sys.executable) -> str | None:
    out = subprocess.run([python, "-c", "import importlib.metadata as m; print(m.version('torch'))"],
                         capture_output=True, text=True)
    return out.stdout.strip() if out.returncode == 0 else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--install", action="store_true", help="install the chosen build")
    args = parser.parse_args(argv)
    version = pinned_torch()
    have = installed_torch()
    if have is not None and have.split("+")[0] == version:
        print(f"torch {have} is already installed; nothing to do")
        return 0
    system = platform.system()
    gpu = has_nvidia_gpu() if system == "Linux" else False
    resolved = default_resolution(version) if system == "Linux" and not gpu else None
    decision = decide(system, gpu, resolved)
    print(f"torch {version}: {decision.build} build. {decision.reason}.")
    if decision.build == "cpu":
        print(f"  For the CUDA build instead: pip install --force-reinstall torch=={version} "
              "(from PyPI)")
    elif system == "Linux":
        print(f"  For the CPU build instead: pip install torch=={version} --index-url {CPU_INDEX}")
    if not args.install:
        return 0
    return subprocess.run(install_command(decision, version)).returncode


if __name__ == "__main__":
    sys.exit(main())
