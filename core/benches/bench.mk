# `make bench-ab AB_BASE=<commit>`: the verification benchmark of that commit and of the working
# tree, run in alternating rounds in one run, medians and ratios (core/benches/ab.py).
# Not part of `make test`.
AB_BASE ?= HEAD
AB_ARGS ?=

.PHONY: bench-ab

bench-ab:
	python3 core/benches/ab.py $(AB_BASE) $(AB_ARGS)
