# Two commands do everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BUILD_DIR ?= build/dev
JOBS ?= 2
SITE := $(shell $(PYTHON) -c "import sys; print(f'python{sys.version_info[0]}.{sys.version_info[1]}')")

.PHONY: all demo test build deps clean bench

all: build

$(VENV)/.deps: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet "numpy>=1.24" "scipy>=1.10" "pandas>=2.0" "matplotlib>=3.7" "jinja2>=3.1" \
	    "protobuf>=4.21" "scikit-learn>=1.3" "tqdm>=4.60" "pytest>=7" "pybind11>=2.12" cmake ninja scikit-build-core
	touch $@

deps: $(VENV)/.deps

# Incremental C++ build of npusim/_core into the source tree, and a
# development install (a .pth file and the `npusim` command) into the venv.
build: deps
	@if [ ! -f $(BUILD_DIR)/build.ninja ]; then \
	  $(VENV)/bin/cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release \
	    -DPython_EXECUTABLE=$(abspath $(PY)) \
	    -Dpybind11_DIR=$$($(PY) -c "import pybind11; print(pybind11.get_cmake_dir())") \
	    -DCMAKE_MAKE_PROGRAM=$(abspath $(VENV))/bin/ninja > /dev/null; fi
	$(VENV)/bin/cmake --build $(BUILD_DIR) -j $(JOBS)
	@# rename is atomic: a running test never sees a half-written module
	@# a module with unresolved symbols links fine but cannot load: try it first
	$(PY) -c "import importlib.util as u, sys; s = u.spec_from_file_location('_core', sys.argv[1]); s.loader.exec_module(u.module_from_spec(s))" $(BUILD_DIR)/_core*.so
	cp $(BUILD_DIR)/_core*.so npusim/.core.tmp.$$$$ && mv npusim/.core.tmp.$$$$ npusim/$$(basename $(BUILD_DIR)/_core*.so)
	echo "$(CURDIR)" > $(VENV)/lib/$(SITE)/site-packages/npusim-dev.pth
	printf '#!%s\nfrom npusim.cli import main\nraise SystemExit(main())\n' "$(abspath $(PY))" > $(VENV)/bin/npusim
	chmod +x $(VENV)/bin/npusim

test: build
	$(PY) -m pytest -q tests
	$(PY) scripts/build_prefetcher_docs.py --check

demo: build
	$(VENV)/bin/npusim configs/nvr_compare.py --workload spmm

bench: build
	$(PY) benchmarks/mem_throughput.py

clean:
	rm -rf build npusim/_core*.so
