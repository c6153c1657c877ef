# Set-up and everyday commands. `make demo` and `make test` work from a fresh clone.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# torch is pinned so a CPU machine does not pull the multi-GB CUDA build. Elsewhere,
# point pip at PyTorch's CPU index: make TORCH_PIP_ARGS="--index-url https://download.pytorch.org/whl/cpu"
TORCH_SPEC ?= torch==2.13.0
TORCH_PIP_ARGS ?=
STAMP := $(VENV)/.installed
RESULTS ?= results
TRACKER ?= rasnet
# where the VOT datasets are (default: rasbench's search path, see `rasbench datasets`)
ROOT ?=
ROOT_ARG := $(if $(ROOT),--root $(ROOT),)

.PHONY: install demo test test-all lint clean-results help vot2015 vot2016 vot2017 vot2018 vot2019

help:
	@echo "make demo   - create $(VENV), install rasbench, run identity, MIL and RASNet (bundled weights) on the synthetic benchmark"
	@echo "make test   - the fast lane: every test but the slow (>10 s) and speed ones (installs first if needed)"
	@echo "make test-all - every test (what CI runs, after make lint)"
	@echo "make lint   - ruff check (rules in pyproject.toml)"
	@echo "make vot2017 [TRACKER=rasnet] [ROOT=DIR] - VOT2017 baseline, real-time, unsupervised + report"
	@echo "make vot2015 / vot2016 / vot2018 / vot2019 - the same for those stacks"

$(STAMP): setup.cfg setup.py pyproject.toml rasbench/_textparse.c
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check $(TORCH_PIP_ARGS) "$(TORCH_SPEC)"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[torch,dev]"
	touch $@

install: $(STAMP)

demo: install
	$(BIN)/rasbench synth
	$(BIN)/rasbench run synth --tracker identity --results $(RESULTS)
	$(BIN)/rasbench run synth --tracker mil --results $(RESULTS)
	$(BIN)/rasbench run synth --tracker rasnet --results $(RESULTS)
	$(BIN)/rasbench report synth --results $(RESULTS) --trackers identity,mil,rasnet

# tests/{unit,integration,reference,gpu}; reference/ and gpu/ skip without the shared data / a GPU
test: install
	$(BIN)/python -m pytest -m "not slow and not speed"

lint: install
	$(BIN)/ruff check .

test-all: install
	$(BIN)/python -m pytest

clean-results:
	rm -rf $(RESULTS)/synth

# The whole VOT stack of a year: run every experiment of its definition, then report.
VOT_EXPERIMENTS_vot2015 := baseline
VOT_EXPERIMENTS_vot2016 := baseline unsupervised
VOT_EXPERIMENTS_vot2017 := baseline realtime unsupervised
VOT_EXPERIMENTS_vot2018 := baseline realtime unsupervised
VOT_EXPERIMENTS_vot2019 := baseline realtime unsupervised

vot2015 vot2016 vot2017 vot2018 vot2019: install
	$(BIN)/rasbench run $@ --tracker $(TRACKER) $(ROOT_ARG) --results $(RESULTS) \
		$(foreach e,$(VOT_EXPERIMENTS_$@),-e $(e))
	$(foreach e,$(VOT_EXPERIMENTS_$@),$(BIN)/rasbench report $@ -e $(e) $(ROOT_ARG) --results $(RESULTS) &&) true
