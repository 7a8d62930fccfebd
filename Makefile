# Two commands on a fresh machine: `make demo` and `make test`. Each creates .venv when it is
# missing and installs into it; the stamp makes a second run skip the install.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test bench bench-quick clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "pmconsole needs Python 3.11 or newer")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/pmconsole demo

test: $(STAMP)
	$(PY) -m pytest -n auto -q

bench: $(STAMP)
	$(PY) -m benchmarks $(ARGS)

bench-quick: $(STAMP)
	$(PY) -m benchmarks --quick $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache build src/*.egg-info
