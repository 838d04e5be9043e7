"""Run nbval on notebooks as other machines would, to see which stored outputs depend on the CPU.

    python tools/cpu_variants.py book/remedies/normalization.ipynb            # every variant
    python tools/cpu_variants.py --variant portable book/intro.ipynb ...       # one variant

torch and OpenBLAS pick SIMD kernels per machine, so float32 sums differ in the 7th digit and a
chaotic training run ends elsewhere. These environment variables make this machine compute as
another would; the stored outputs must pass nbval under every one of them (CONTRIBUTING says
which ones CI runs). The exit status is 0 only when every notebook passes under every variant.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: name -> environment variables; "native" is this machine as it is
VARIANTS: dict[str, dict[str, str]] = {
    "native": {},
    # torch's portable (non-SIMD) kernels: what CI runs as the second nbval pass
    "portable": {"ATEN_CPU_CAPABILITY": "default"},
    # an AVX2 laptop: torch's AVX2 kernels, MKL restricted to AVX2
    "avx2": {"ATEN_CPU_CAPABILITY": "avx2", "MKL_ENABLE_INSTRUCTIONS": "AVX2"},
    # an older core for OpenBLAS (NumPy, SciPy), one thread everywhere
    "oldcore-1thread": {"OPENBLAS_CORETYPE": "Sandybridge", "OMP_NUM_THREADS": "1",
                        "MKL_NUM_THREADS": "1", "ATEN_CPU_CAPABILITY": "avx2"},
}


def run(notebooks: list[str], variant: str, workers: int) -> int:
    env = {**os.environ, **VARIANTS[variant]}
    cmd = [sys.executable, "-m", "pytest", "-q", "-n", str(workers), "-p", "no:randomly",
           "-o", "addopts=", "--nbval", "--nbval-current-env",
           "--nbval-sanitize-with", str(ROOT / "tests" / "sanitize.cfg"),
           "--nbval-cell-timeout", "300", "--dist", "loadfile", "-p", "no:cacheprovider", *notebooks]
    print(f"== {variant}: {' '.join(f'{k}={v}' for k, v in VARIANTS[variant].items()) or '(as is)'}",
          flush=True)
    return subprocess.call(cmd, cwd=ROOT, env=env)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", help="notebooks (or folders) to check")
    parser.add_argument("--variant", action="append", choices=sorted(VARIANTS),
                        help="run only this variant (repeatable); default: all")
    parser.add_argument("-n", "--workers", type=int, default=1, help="pytest-xdist workers")
    args = parser.parse_args(argv)
    failed = [v for v in (args.variant or list(VARIANTS)) if run(args.notebooks, v, args.workers)]
    print("== all variants pass" if not failed else f"== failed under: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
