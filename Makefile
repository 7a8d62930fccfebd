# Two commands on a fresh machine: `make demo` and `make test`. Each creates .venv when it is
# missing and installs into it; the stamp makes a second run skip the install.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test bench bench-quick bytecode clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "pmconsole needs Python 3.11 or newer")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $(STAMP)

# An editable install leaves our own modules uncompiled, and where PYTHONDONTWRITEBYTECODE is
# set (as on our CI machines) every start compiles them again: ~30 ms of a 450 ms start. A
# wheel install compiles them; this does the same for the checkout, and is quick when current.
bytecode: $(STAMP)
	@$(PY) -m compileall -q src

demo: bytecode
	$(VENV)/bin/pmconsole demo

# Four workers on two cores: many tests wait on real processes, terminals and timers, and
# another worker's test runs meanwhile (3 min 06 s here, against 4 min 02 s with two).
test: $(STAMP)
	$(PY) -m pytest -n 4 --dist worksteal -q

bench: bytecode
	$(PY) -m benchmarks $(ARGS)

bench-quick: bytecode
	$(PY) -m benchmarks --quick $(ARGS)

clean:
	find src -name __pycache__ -prune -exec rm -rf {} +
	rm -rf $(VENV) .pytest_cache build src/*.egg-info
