# Two commands on a fresh machine: `make demo` and `make test`. Both set everything up.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
FMNIST := /usr/share/datasets/fashion-mnist
SCENARIO ?= scenarios/quickstart.yaml

.PHONY: setup data test lint demo bench docs clean

setup: $(STAMP) data

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[dev]'
	touch $(STAMP)

# Fashion-MNIST ships as a Debian package; install it when its files are missing.
data:
	@if ! ls $(FMNIST)/train-images-idx3-ubyte.gz >/dev/null 2>&1; then \
		echo "installing Debian package dataset-fashion-mnist"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist >/dev/null) \
		|| echo "warning: could not install dataset-fashion-mnist; the fashion-mnist scenarios will say so"; \
	fi

lint: setup
	$(VENV)/bin/ruff check .

test: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest -q

demo: setup
	$(VENV)/bin/simfl run $(SCENARIO)

# uniswappy (the AMM benchmark's comparison) lives in a throwaway venv, never in .venv
BENCH_VENV := .bench-venv
$(BENCH_VENV)/.installed:
	python3 -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install -q uniswappy || echo "uniswappy not installed: bench_amm will skip it"
	touch $@

bench: setup $(BENCH_VENV)/.installed
	$(BENCH_VENV)/bin/python benchmarks/bench_amm.py
	for b in fl market sweep drift weighted long; do $(PY) benchmarks/bench_$$b.py || exit 1; done

docs: setup
	$(PY) -c 'from simfl.config import update_readme; update_readme()'

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
