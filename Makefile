# The verbs a reader or instructor types. Everything runs inside .venv (created on first use).
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.requirements-installed

.PHONY: help venv install-env book test test-fast test-portable outputs bench lab homework grade secret variants nbgrader-venv nbgrader-check site-check lab-check fonts lint clean

help:
	@echo "make book        build the website into _build/html: English, and ru/ zh/ bn/ editions (executes every notebook once)"
	@echo "make test        run every test: gradlab unit/property tests, structure tests, nbval"
	@echo "make test-fast   only the tests under tests/ (no notebook runs): about a minute"
	@echo "make test-portable   nbval over every notebook with torch's portable CPU kernels"
	@echo "make outputs     re-execute every notebook and store its outputs (after an edit)"
	@echo "make bench       time every notebook and the site build; writes docs/benchmarks.md"
	@echo "make lab         open the notebooks in JupyterLab (the student edition: plain Markdown)"
	@echo "make homework    regenerate the student copies of the homework from the masters"
	@echo "make secret SECRET=file        a new instructor secret (32 random bytes), never overwritten"
	@echo "make variants SECRET=file ROSTER=roster.csv OUT=handout   one homework variant per student"
	@echo "make grade SUBMISSIONS=dir [SECRET=file ROSTER=roster.csv JOBS=n]   grade in a sandbox into grades.csv"
	@echo "make nbgrader-check   run the homework through nbgrader (its own venv, .venv-nbgrader)"
	@echo "make site-check  open the built site in headless Chromium and check every page"
	@echo "make lab-check   run the chapters' student edition in JupyterLab (headless Chromium); LAB_CHECK=--all: every notebook"
	@echo "make fonts       re-subset the shipped Noto fonts after adding Chinese text (tools/make_fonts.py)"
	@echo "make lint        ruff over gradlab, tests, tools, the book's notebooks and the homework"

# The environment is current when the stamp holds the hash of requirements.txt and pyproject.toml:
# reinstall only when their contents change (not their timestamps: a fresh clone or a checkout
# touches them), so `make grade` and `make test` work offline once the environment exists.
REQ_HASH := $(shell cat requirements.txt pyproject.toml | (sha256sum 2>/dev/null || shasum -a 256) | cut -c1-16)

venv:
	@if [ -x $(BIN)/python ] && [ "$$(cat $(STAMP) 2>/dev/null)" = "$(REQ_HASH)" ]; then :; \
	else $(MAKE) --no-print-directory install-env; fi

# Creates .venv, installs the right torch build first (the CPU build on Linux without an NVIDIA
# GPU: tools/choose_torch.py says which and why), then everything in requirements.txt.
install-env:
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade --quiet pip
	$(BIN)/python tools/choose_torch.py --install
	$(BIN)/python -m pip install -r requirements.txt
	@echo $(REQ_HASH) > $(STAMP)

book: venv
	$(BIN)/python tools/build_site.py

test: venv
	$(BIN)/pytest

# the unit, property and structure tests without executing the book's notebooks
test-fast: venv
	$(BIN)/pytest tests

# the stored outputs hold on other CPUs: nbval again, torch forced to its portable kernels
test-portable: venv
	$(BIN)/python tools/cpu_variants.py --variant portable -n 2 book

outputs: venv
	$(BIN)/python tools/execute_notebooks.py
	$(BIN)/python tools/student_edition.py --clean --out student

bench: venv
	$(BIN)/python tools/bench.py

# JupyterLab on the student edition: the notebooks in plain Markdown (numbers written in,
# solutions folded, no website-only cells), generated from the stored outputs
lab: venv
	$(BIN)/python tools/student_edition.py --out _build/student
	$(BIN)/jupyter lab _build/student/book/intro.ipynb

homework: venv
	$(BIN)/python tools/make_homework.py

grade: venv
	@test -n "$(SUBMISSIONS)" || (echo "usage: make grade SUBMISSIONS=folder [SECRET=file] [ROSTER=roster.csv] [OUT=grades.csv] [JOBS=n]"; exit 2)
	$(BIN)/python tools/grade.py "$(SUBMISSIONS)" --out "$(or $(OUT),grades.csv)" \
	  $(if $(SECRET),--secret-file "$(SECRET)") $(if $(ROSTER),--roster "$(ROSTER)") \
	  --jobs "$(or $(JOBS),1)"

secret: venv
	@test -n "$(SECRET)" || (echo "usage: make secret SECRET=file   (outside the repository; never overwritten)"; exit 2)
	$(BIN)/python tools/make_homework.py --new-secret "$(SECRET)"

variants: venv
	@test -n "$(SECRET)" -a -n "$(ROSTER)" -a -n "$(OUT)" || (echo "usage: make variants SECRET=file ROSTER=roster.csv OUT=folder"; exit 2)
	$(BIN)/python tools/make_homework.py --secret-file "$(SECRET)" --roster "$(ROSTER)" --out "$(OUT)"

# nbgrader pins an older Jupyter stack: it gets its own venv, never requirements.txt
NBGRADER_VENV ?= .venv-nbgrader
nbgrader-venv: $(NBGRADER_VENV)/.installed

$(NBGRADER_VENV)/.installed: homework/nbgrader/requirements.txt
	@test -x $(NBGRADER_VENV)/bin/python || $(PYTHON) -m venv $(NBGRADER_VENV)
	$(NBGRADER_VENV)/bin/python -m pip install --quiet -r homework/nbgrader/requirements.txt
	@touch $@

nbgrader-check: venv nbgrader-venv
	$(BIN)/python tools/nbgrader_check.py --nbgrader-venv $(NBGRADER_VENV)

site-check: venv
	$(BIN)/python tools/site_check.py
	$(BIN)/python tools/explorer_check.py

# the student edition in a real JupyterLab (localhost, headless Chromium, no network): Restart and
# Run All in each chapter and the case study; fails on raw MyST, an empty output, a visible
# solution, a console or cell error, or an explorer that does not redraw (fixtures prove it can fail)
lab-check: venv
	$(BIN)/python tools/lab_check.py $(LAB_CHECK)

fonts: venv
	$(BIN)/python tools/make_fonts.py

lint: venv
	$(BIN)/ruff check src tests tools book homework _ext

clean:
	rm -rf _build .pytest_cache .hypothesis
