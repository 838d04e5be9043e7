# The verbs a reader or instructor types. Everything runs inside .venv (created on first use).
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.requirements-installed

.PHONY: help venv book test outputs bench lab homework grade site-check lint clean

help:
	@echo "make book        build the website into _build/html (executes every notebook)"
	@echo "make test        run every test: gradlab unit/property tests, structure tests, nbval"
	@echo "make outputs     re-execute every notebook and store its outputs (after an edit)"
	@echo "make bench       time every notebook and the site build; writes docs/benchmarks.md"
	@echo "make lab         open the notebooks in JupyterLab"
	@echo "make homework    regenerate the student copies of the homework from the masters"
	@echo "make grade SUBMISSIONS=dir   grade a folder of submitted notebooks into grades.csv"
	@echo "make site-check  open the built site in headless Chromium and check every page"

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade --quiet pip
	$(BIN)/python -m pip install -r requirements.txt
	@touch $(STAMP)

book: venv
	$(BIN)/jupyter-book build . -W -n --keep-going
	$(BIN)/python tools/fetch_widget_js.py --into _build/html
	@echo
	@echo "Open this page in a browser: file://$(CURDIR)/_build/html/index.html"

test: venv
	$(BIN)/pytest

outputs: venv
	$(BIN)/python tools/execute_notebooks.py

bench: venv
	$(BIN)/python tools/bench.py

lab: venv
	$(BIN)/jupyter lab book/intro.md

homework: venv
	$(BIN)/python tools/make_homework.py

grade: venv
	@test -n "$(SUBMISSIONS)" || (echo "usage: make grade SUBMISSIONS=path/to/folder [OUT=grades.csv]"; exit 2)
	$(BIN)/python tools/grade.py "$(SUBMISSIONS)" --out "$(or $(OUT),grades.csv)"

site-check: venv
	$(BIN)/python tools/site_check.py

lint: venv
	$(BIN)/ruff check src tests tools

clean:
	rm -rf _build .pytest_cache .hypothesis
