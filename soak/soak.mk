# `make soak`: the soak benchmark under faults (the soak/ crate): threads verifying a mix
# of good and forged tokens for about a minute while the mock Teleport rotates keys, hangs,
# fails and recovers. Not part of `make test`. Exits non-zero on any wrong answer.
#
#   make soak
#   make soak SOAK_ARGS="--seconds 120 --threads 4 --rate 1000 --alg es256"

# Defining rules here must not change what a bare `make` runs.
SOAK_SAVED_DEFAULT_GOAL := $(.DEFAULT_GOAL)

SOAK_ARGS ?=

.PHONY: soak bench-ab

# `make bench-ab AB_BASE=<commit>`: the verification benchmark of that commit and of the working
# tree, run in alternating rounds in one run, medians and ratios (core/benches/ab.py).
AB_BASE ?= HEAD
AB_ARGS ?=
bench-ab:
	python3 core/benches/ab.py $(AB_BASE) $(AB_ARGS)

soak:
	$(CARGO) run --release -p teleport-jwt-soak -- $(SOAK_ARGS)

.DEFAULT_GOAL := $(SOAK_SAVED_DEFAULT_GOAL)
