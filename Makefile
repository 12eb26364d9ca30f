# The two commands a new user runs first: `make demo` and `make test`.
CARGO ?= cargo

.PHONY: demo test fmt-check clippy rust-test

demo:
	$(CARGO) run --quiet -p teleport-jwt --features mock --example demo

test: fmt-check clippy rust-test

fmt-check:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --workspace --all-targets --all-features -- -D warnings

rust-test:
	$(CARGO) test --workspace --all-features
