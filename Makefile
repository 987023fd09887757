# Two commands do everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BUILD_DIR ?= build/dev
FAST_DIR ?= build/fast
JOBS ?= 2
SITE := $(shell $(PYTHON) -c "import sys; print(f'python{sys.version_info[0]}.{sys.version_info[1]}')")

.PHONY: all demo test build fast deps clean bench

all: build

$(VENV)/.deps: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet "numpy>=1.24" "scipy>=1.10" "pandas>=2.0" "matplotlib>=3.7" \
	    "protobuf>=4.21" "scikit-learn>=1.3" "tqdm>=4.60" "pytest>=7" "pybind11>=2.12" cmake ninja scikit-build-core
	touch $@

deps: $(VENV)/.deps

PYBIND11_DIR = $$($(PY) -c "import pybind11; print(pybind11.get_cmake_dir())")
CONFIGURE = $(VENV)/bin/cmake -S . -G Ninja -DCMAKE_BUILD_TYPE=Release -DPython_EXECUTABLE=$(abspath $(PY)) \
	-Dpybind11_DIR=$(PYBIND11_DIR) -DCMAKE_MAKE_PROGRAM=$(abspath $(VENV))/bin/ninja

# Puts the module built in $(1) into the source tree and makes the venv's
# development install (a .pth file and the `npusim` command) point here.
define install_module
	@# a module with unresolved symbols links fine but cannot load: try it first
	$(PY) -c "import importlib.util as u, sys; s = u.spec_from_file_location('_core', sys.argv[1]); s.loader.exec_module(u.module_from_spec(s))" $(1)/_core*.so
	@# rename is atomic: a running test never sees a half-written module
	cp $(1)/_core*.so npusim/.core.tmp.$$$$ && mv npusim/.core.tmp.$$$$ npusim/$$(basename $(1)/_core*.so)
	echo "$(CURDIR)" > $(VENV)/lib/$(SITE)/site-packages/npusim-dev.pth
	printf '#!%s\nfrom npusim.cli import main\nraise SystemExit(main())\n' "$(abspath $(PY))" > $(VENV)/bin/npusim
	chmod +x $(VENV)/bin/npusim
endef

# Incremental C++ build of npusim/_core (-O3, LTO) into the source tree.
build: deps
	@if [ ! -f $(BUILD_DIR)/build.ninja ]; then $(CONFIGURE) -B $(BUILD_DIR) > /dev/null; fi
	$(VENV)/bin/cmake --build $(BUILD_DIR) -j $(JOBS)
	$(call install_module,$(BUILD_DIR))

# The same, profile-guided (as CPython's --enable-optimizations): an
# instrumented build, the training runs of scripts/pgo_training.py, then a
# build that uses the profile, without trace points (as gem5.fast has no
# DPRINTF). About 20% faster simulation; three times the
# build time, so not the default. `make build` (or test) puts the plain
# module back.
fast: deps
	rm -rf $(FAST_DIR)
	$(CONFIGURE) -B $(FAST_DIR) -DCMAKE_CXX_FLAGS="-DNPUSIM_TRACING=0 -fprofile-generate -fprofile-update=single" \
	    -DCMAKE_MODULE_LINKER_FLAGS="-fprofile-generate" > /dev/null
	$(VENV)/bin/cmake --build $(FAST_DIR) -j $(JOBS)
	$(PY) scripts/pgo_training.py $(FAST_DIR)
	$(CONFIGURE) -B $(FAST_DIR) -DCMAKE_CXX_FLAGS="-DNPUSIM_TRACING=0 -fprofile-use -fprofile-partial-training -Wno-missing-profile" \
	    -DCMAKE_MODULE_LINKER_FLAGS="-fprofile-use" > /dev/null
	$(VENV)/bin/cmake --build $(FAST_DIR) -j $(JOBS)
	$(call install_module,$(FAST_DIR))

test: build
	$(PY) -m pytest -q tests
	$(PY) scripts/build_prefetcher_docs.py --check

demo: build
	$(VENV)/bin/npusim configs/nvr_compare.py --workload spmm

bench: build
	$(PY) benchmarks/mem_throughput.py

clean:
	rm -rf build npusim/_core*.so
