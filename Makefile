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

.PHONY: install demo test clean-results help

help:
	@echo "make demo   - create $(VENV), install rasbench, run trackers on the synthetic benchmark"
	@echo "make test   - run the test suite (installs first if needed)"

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check $(TORCH_PIP_ARGS) "$(TORCH_SPEC)"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[torch,dev]"
	touch $@

install: $(STAMP)

demo: install
	$(BIN)/rasbench synth
	$(BIN)/rasbench run synth --tracker identity --results $(RESULTS)
	$(BIN)/rasbench run synth --tracker mil --results $(RESULTS)
	$(BIN)/rasbench report synth --results $(RESULTS) --trackers identity,mil

test: install
	$(BIN)/python -m pytest

clean-results:
	rm -rf $(RESULTS)/synth
