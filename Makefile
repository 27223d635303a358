# Entry points for developers and CI; scripts/setup-env.sh prepares the
# machine (engine, registries) so that these work on a fresh Debian 12.

GO ?= go
ARGS ?=
IMAGE ?= cutover:dev
# Extra docker build flags, e.g. --label or --quiet.
BUILD_FLAGS ?=
CA_BUNDLE ?= /etc/ssl/certs/ca-certificates.crt

.PHONY: build image run test bench

build:
	CGO_ENABLED=0 $(GO) build -o bin/cutover ./cmd/cutover

# The image is FROM scratch around the binary built here, so building it
# needs no base image. DOCKER_BUILDKIT=0: Debian's docker CLI has no buildx.
# -tags timetzdata keeps TZ working in an image without /usr/share/zoneinfo.
image:
	@test -f $(CA_BUNDLE) || { echo "image: no CA bundle at $(CA_BUNDLE): apt-get install ca-certificates" >&2; exit 1; }
	@ctx=$$(mktemp -d) && trap 'rm -rf "$$ctx"' EXIT && \
	CGO_ENABLED=0 GOOS=linux $(GO) build -trimpath -tags timetzdata -o "$$ctx/cutover" ./cmd/cutover && \
	cp Dockerfile "$$ctx/" && cp $(CA_BUNDLE) "$$ctx/ca-certificates.crt" && \
	DOCKER_BUILDKIT=0 docker build $(BUILD_FLAGS) --tag $(IMAGE) "$$ctx"

# Only the engine is needed to run the daemon; the registries are for tests.
run:
	bash scripts/setup-env.sh engine
	$(MAKE) --no-print-directory build
	./bin/cutover serve $(ARGS)

# go test runs last so that its summary ends the output.
test:
	bash scripts/setup-env.sh
	$(GO) vet ./...
	# Go fuzzes one target per run: a short run of each, on top of its seeds.
	$(GO) test -run='^$$' -fuzz='^FuzzParseReference$$' -fuzztime=10s ./internal/engine/
	$(GO) test -run='^$$' -fuzz='^FuzzLabels$$' -fuzztime=10s ./internal/engine/
	$(GO) test -run='^$$' -fuzz='^FuzzDeployRequest$$' -fuzztime=10s ./internal/httpapi/
	$(GO) test -run='^$$' -fuzz='^FuzzAutoUpdateRequest$$' -fuzztime=10s ./internal/httpapi/
	$(GO) test -run='^$$' -fuzz='^FuzzLoginRequest$$' -fuzztime=10s ./internal/httpapi/
	$(GO) test -run='^$$' -fuzz='^FuzzGroupUpdateRequest$$' -fuzztime=10s ./internal/httpapi/
	$(GO) test -run='^$$' -fuzz='^FuzzRequestTarget$$' -fuzztime=10s ./internal/httpapi/
	$(GO) test -run='^$$' -fuzz='^FuzzApplyEnv$$' -fuzztime=10s ./internal/cli/
	# Integration tests mostly wait on the engine: let more of them overlap
	# than there are cores.
	$(GO) test -race -count=1 -parallel 6 -timeout 60m ./...

bench:
	@if [ -f bench/run.sh ]; then bash bench/run.sh; else echo "bench: no bench/run.sh yet"; fi
