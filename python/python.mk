# Python package (python/): venv, wheel, checks, pytest, MCP demo and benchmark.
# Included by the root Makefile; paths are relative to the repository root.
PY_DIR := python
PY_VENV := $(PY_DIR)/.venv
PY := $(PY_VENV)/bin/python
PY_STAMP := $(PY_VENV)/.deps-installed
PY_WHEEL_STAMP := $(PY_VENV)/.wheel-installed
PY_SOURCES := $(wildcard $(PY_DIR)/src/*.rs) $(PY_DIR)/Cargo.toml $(PY_DIR)/pyproject.toml \
	$(shell find core/src -name '*.rs' 2>/dev/null) core/Cargo.toml

EXTRA_TESTS += python-test
DEMO_TARGET := python-demo

.PHONY: python-venv python-develop python-release python-test python-demo python-bench

$(PY_STAMP): $(PY_DIR)/requirements-dev.txt
	test -x $(PY) || python3 -m venv $(PY_VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r $(PY_DIR)/requirements-dev.txt
	touch $@

python-venv: $(PY_STAMP)

# Dev-profile build of the native module, installed editable into the venv (tests, demo).
$(PY_WHEEL_STAMP): $(PY_STAMP) $(PY_SOURCES)
	cd $(PY_DIR) && VIRTUAL_ENV=$(CURDIR)/$(PY_VENV) .venv/bin/maturin develop --quiet
	touch $@

python-develop: $(PY_WHEEL_STAMP)

# Release wheel (for benchmarks and size): python/target-wheels/*.whl, installed into the venv.
python-release: $(PY_STAMP)
	cd $(PY_DIR) && .venv/bin/maturin build --release --quiet --out target-wheels
	$(PY) -m pip install --quiet --force-reinstall --no-deps $(PY_DIR)/target-wheels/teleport_jwt-*.whl
	rm -f $(PY_WHEEL_STAMP)

python-test: $(PY_WHEEL_STAMP)
	cd $(PY_DIR) && .venv/bin/ruff check . ../examples
	cd $(PY_DIR) && .venv/bin/ruff format --check . ../examples
	cd $(PY_DIR) && .venv/bin/mypy teleport_jwt tests ../examples
	cd $(PY_DIR) && .venv/bin/python -m mypy.stubtest teleport_jwt._teleport_jwt
	cd $(PY_DIR) && .venv/bin/python -m pytest -q -p no:cacheprovider tests

python-demo: $(PY_WHEEL_STAMP)
	$(PY) examples/demo.py

python-bench: python-release
	cd $(PY_DIR) && .venv/bin/pytest -q -p no:cacheprovider benchmarks --benchmark-columns=median,ops,rounds --benchmark-sort=name
