# Entry points for developers and CI; scripts/setup-env.sh prepares the
# machine (engine, registries) so that these work on a fresh Debian 12.

GO ?= go
ARGS ?=

.PHONY: build run test bench

build:
	CGO_ENABLED=0 $(GO) build -o bin/cutover ./cmd/cutover

# Only the engine is needed to run the daemon; the registries are for tests.
run:
	bash scripts/setup-env.sh engine
	$(MAKE) --no-print-directory build
	./bin/cutover serve $(ARGS)

# go test runs last so that its summary ends the output.
test:
	bash scripts/setup-env.sh
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 40m ./...

bench:
	@if [ -f bench/run.sh ]; then bash bench/run.sh; else echo "bench: no bench/run.sh yet"; fi
