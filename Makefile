# Two entry points: `make book` and `make test`. Both (re)create the local
# virtual environment .venv from the pinned files first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
JOBS   ?= $(shell nproc 2>/dev/null || echo 2)
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Single-threaded BLAS: floating-point results do not depend on thread scheduling.
export OPENBLAS_NUM_THREADS = 1
export OMP_NUM_THREADS = 1
export MKL_NUM_THREADS = 1
# TRIAL_DATA=DIR make book: chapters run in book/chapters, so pass an absolute path.
ifdef TRIAL_DATA
export TRIAL_DATA := $(abspath $(TRIAL_DATA))
endif

.PHONY: book test check venv notebooks ledger benchmark clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

venv: $(STAMP)

## Build the HTML book (book/_build/html/index.html). TRIAL_DATA=DIR runs it on other data.
book: $(STAMP)
	rm -rf book/_build
	$(BIN)/python -m analysis.buildbook -j $(JOBS) -- book/ -W -n --keep-going

## Run every test: unit and reference tests, nbval on each chapter notebook, the book build, the
## runs on other datasets and the browser test. Three pytest processes share the cores: nbval on the
## chapter notebooks, the unit tests, and the slow tests (which wait for the background build);
## each one's report is printed in turn.
test: $(STAMP)
	@d=$$(mktemp -d); \
	$(BIN)/python -m pytest book/notebooks -q > $$d/nbval.log 2>&1 & p1=$$!; \
	$(BIN)/python -m pytest tests -m "not slow" -q > $$d/unit.log 2>&1 & p2=$$!; \
	$(BIN)/python -m pytest tests -m slow > $$d/slow.log 2>&1 & p3=$$!; \
	wait $$p1; r1=$$?; wait $$p2; r2=$$?; wait $$p3; r3=$$?; \
	echo "=== unit and reference tests (exit $$r2) ==="; cat $$d/unit.log; \
	echo "=== book build, other datasets, browser (exit $$r3) ==="; cat $$d/slow.log; \
	echo "=== nbval: chapter notebooks re-executed and compared with their stored outputs (exit $$r1) ==="; \
	cat $$d/nbval.log; rm -rf $$d; \
	test $$r1 -eq 0 -a $$r2 -eq 0 -a $$r3 -eq 0

## The inner loop: unit and reference tests only (no book build, no notebook, no browser).
check: $(STAMP)
	$(BIN)/python -m pytest tests -m "not slow and not browser" -q -n 2

## Re-pair the chapter .md files with their notebooks and re-execute them (stored outputs for nbval).
notebooks: $(STAMP)
	$(BIN)/python -m analysis.notebooks

## Write the results ledger of the data the book runs on ($$TRIAL_DATA or the synthetic cohort).
ledger: $(STAMP)
	$(BIN)/python -m analysis ledger --out results/ledger.json

benchmark: $(STAMP)
	$(BIN)/python benchmarks/bench_simulation.py
	$(BIN)/python benchmarks/bench_book.py

clean:
	rm -rf book/_build
