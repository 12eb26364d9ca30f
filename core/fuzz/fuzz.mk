# `make fuzz`: coverage-guided fuzzing of the core's parsers (cargo-fuzz + libFuzzer), each
# target for a bounded time. Not part of `make test`. See core/fuzz/README.md.
#
#   make fuzz                                   # every target, 60 s each
#   make fuzz FUZZ_SECONDS=600 FUZZ_TARGETS=verify_static
#   make fuzz FUZZ_SANITIZER=none               # faster, no AddressSanitizer
#
# Seeds (committed) are in core/fuzz/seeds/<target>; libFuzzer reads them and writes what it
# finds to core/fuzz/corpus/<target> (git-ignored), crashes to core/fuzz/artifacts/<target>
# (git-ignored). The build goes to core/fuzz/target, away from the main build's target/.

FUZZ_DIR := core/fuzz
FUZZ_TARGETS ?= json_strict jws_decode jwks_parse policy_load verify_static
# Seconds of fuzzing per target (libFuzzer -max_total_time).
FUZZ_SECONDS ?= 60
# address (cargo-fuzz's default), none, memory, thread, leak.
FUZZ_SANITIZER ?= address
# Overflow checks and debug assertions on, in an optimised build.
FUZZ_BUILD_FLAGS ?= --release --debug-assertions --sanitizer=$(FUZZ_SANITIZER)
# Extra libFuzzer flags, e.g. FUZZ_ARGS=-max_len=8192. One process, one worker: no -jobs.
FUZZ_ARGS ?=
FUZZ_LIBFUZZER_FLAGS = -max_total_time=$(FUZZ_SECONDS) -timeout=10 -print_final_stats=1 $(FUZZ_ARGS)

# cargo-fuzz needs nightly-only rustc flags (-Zsanitizer, sancov): `cargo +nightly` when a
# nightly toolchain is installed, else the active (stable) toolchain with RUSTC_BOOTSTRAP=1.
# Force one with FUZZ_CARGO=... .
FUZZ_HAVE_NIGHTLY := $(shell rustup toolchain list 2>/dev/null | grep -q '^nightly' && echo yes)
ifeq ($(FUZZ_HAVE_NIGHTLY),yes)
FUZZ_CARGO ?= $(CARGO) +nightly
else
FUZZ_CARGO ?= RUSTC_BOOTSTRAP=1 $(CARGO)
endif

.PHONY: fuzz fuzz-build fuzz-tool

fuzz-tool:
	@$(CARGO) fuzz --version >/dev/null 2>&1 || $(CARGO) install cargo-fuzz --locked

fuzz-build: fuzz-tool
	@echo "fuzz: building with: $(FUZZ_CARGO) fuzz build $(FUZZ_BUILD_FLAGS)"
	$(FUZZ_CARGO) fuzz build --fuzz-dir $(FUZZ_DIR) $(FUZZ_BUILD_FLAGS)

fuzz: fuzz-build
	@set -e; for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_DIR)/corpus/$$t; \
	  seeds=; if [ -d $(FUZZ_DIR)/seeds/$$t ]; then seeds=$(FUZZ_DIR)/seeds/$$t; fi; \
	  echo "== fuzz $$t: $(FUZZ_SECONDS) s"; \
	  $(FUZZ_CARGO) fuzz run --fuzz-dir $(FUZZ_DIR) $(FUZZ_BUILD_FLAGS) $$t \
	    $(FUZZ_DIR)/corpus/$$t $$seeds -- $(FUZZ_LIBFUZZER_FLAGS); \
	done
