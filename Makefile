# The two commands a new user runs first: `make demo` and `make test`.
# Language parts add themselves through the fragments included below: each appends its test
# target to EXTRA_TESTS, and the Python part sets DEMO_TARGET to the MCP demo.
CARGO ?= cargo
EXTRA_TESTS :=
DEMO_TARGET :=

include python/python.mk
include bindings/bindings.mk
include core/benches/bench.mk
include soak/soak.mk
include core/fuzz/fuzz.mk

# A bare `make` shows the demo. Set after the includes, so the fragments' first rules do not
# become the default.
.DEFAULT_GOAL := demo

.PHONY: demo rust-demo test fmt-check clippy doc-check rust-test release-check layers

demo: $(or $(DEMO_TARGET),rust-demo)

rust-demo:
	$(CARGO) run --quiet -p teleport-jwt --features mock --example demo

test: layers fmt-check clippy doc-check rust-test release-check $(EXTRA_TESTS)

# No core module reads a module above it, and no two read each other (layers as data in it).
layers:
	python3 .ci/layers.py

fmt-check:
	$(CARGO) fmt --all -- --check

# Also the FFI's release flavour (no `testing`): what apps link must build without warnings too.
clippy:
	$(CARGO) clippy --workspace --all-targets --all-features -- -D warnings
	$(CARGO) clippy -p teleport-jwt-ffi --features jvm -- -D warnings

# rustdoc of the core, the CLI and the FFI crate with warnings denied (broken or private
# intra-doc links; the FFI's docs are also what UniFFI copies into the Kotlin and Swift sources).
doc-check:
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --quiet --no-deps -p teleport-jwt --all-features
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --quiet --no-deps -p teleport-jwt-cli
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --quiet --no-deps -p teleport-jwt-ffi --all-features

rust-test:
	$(CARGO) test --workspace --all-features

# The release pipelines (.github/workflows) can only run where their hardware is; here they are
# linted with actionlint (built from the Go module proxy into target/tools) and the one version
# every artifact carries is checked (.ci/check-version).
ACTIONLINT := $(abspath $(or $(CARGO_TARGET_DIR),target))/tools/bin/actionlint
$(ACTIONLINT):
	GOBIN=$(dir $@) GOFLAGS=-mod=mod go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12

release-check: $(ACTIONLINT)
	@echo "version $$(.ci/check-version) everywhere"
	$(ACTIONLINT) .github/workflows/*.yml
	@echo "workflows: actionlint clean"
