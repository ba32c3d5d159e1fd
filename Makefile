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
	$(BIN)/python -m analysis.build.buildbook -j $(JOBS) -- book/ -W -n --keep-going

## Run every test: unit and reference tests, nbval on each chapter notebook, the book build, the
## runs on other datasets and the browser test. Two pytest processes share the cores: the unit tests
## then nbval on the chapter notebooks; and the slow tests, whose book build and chapter runs work in
## the background from the start. Each one's report is printed in turn.
test: $(STAMP)
	@d=$$(mktemp -d); \
	$(BIN)/python -m pytest tests book/notebooks -m "not slow and not heavy" -q > $$d/fast.log 2>&1 & p1=$$!; \
	$(BIN)/python -m pytest tests -m "slow or heavy" > $$d/slow.log 2>&1 & p2=$$!; \
	wait $$p1; r1=$$?; wait $$p2; r2=$$?; \
	echo "=== unit and reference tests; nbval: chapter notebooks re-executed and compared (exit $$r1) ==="; \
	cat $$d/fast.log; \
	echo "=== book build, other datasets, staleness, browser (exit $$r2) ==="; cat $$d/slow.log; \
	rm -rf $$d; \
	test $$r1 -eq 0 -a $$r2 -eq 0

## The inner loop: unit and reference tests only (no book build, no notebook, no browser; the
## files that hold only such tests are not even collected).
check: $(STAMP)
	$(BIN)/python -m pytest tests -m "not slow and not heavy and not browser" -q -n 2 --dist loadscope \
	  --ignore=tests/test_book_build.py --ignore=tests/test_browser.py --ignore=tests/test_nbval.py

## Re-pair the chapter .md files with their notebooks and re-execute them (stored outputs for nbval).
notebooks: $(STAMP)
	$(BIN)/python -m analysis.build.notebooks

## Write the results ledger of the data the book runs on ($$TRIAL_DATA or the synthetic cohort).
ledger: $(STAMP)
	$(BIN)/python -m analysis ledger --out results/ledger.json

benchmark: $(STAMP)
	$(BIN)/python benchmarks/bench_simulation.py
	$(BIN)/python benchmarks/bench_book.py

clean:
	rm -rf book/_build
