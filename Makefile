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

bench: setup
	for b in benchmarks/bench_*.py; do $(PY) $$b || exit 1; done

docs: setup
	$(PY) -c 'from simfl.config import update_readme; update_readme()'

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
