#!/usr/bin/env bash
# Build the site from the notebooks' stored outputs (no execution), warnings as errors.
# For checking prose, glue, references and exercises quickly while writing:
#   tools/fast_build.sh [OUTDIR]      (default _build/fast)
# The real build (`make book`) executes every notebook.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-_build/fast}
mkdir -p "$out"
# local extensions are found relative to the config file: point them at this repository
sed -e 's/execute_notebooks: force/execute_notebooks: "off"/' \
    -e "s#^\(    [a-z_]*: \)\(tools\|_ext\)/\$#\1$PWD/\2/#" _config.yml > "$out/_config_fast.yml"
JB=${JB:-.venv/bin/jupyter-book}
"$JB" build . --config "$out/_config_fast.yml" --path-output "$out" -W -n --keep-going -q
