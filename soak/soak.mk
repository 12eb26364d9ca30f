# `make soak`: the soak benchmark under faults (the soak/ crate): threads verifying a mix
# of good and forged tokens for about a minute while the mock Teleport rotates keys, hangs,
# fails and recovers. Not part of `make test`. Exits non-zero on any wrong answer.
#
#   make soak
#   make soak SOAK_ARGS="--seconds 120 --threads 4 --rate 1000 --alg es256"

SOAK_ARGS ?=

.PHONY: soak

soak:
	$(CARGO) run --release -p teleport-jwt-soak -- $(SOAK_ARGS)
