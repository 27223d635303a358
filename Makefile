# Entry points for developers and CI; scripts/setup-env.sh prepares the
# machine (engine, registries) so that these work on a fresh Debian 12.

GO ?= go
ARGS ?=
IMAGE ?= cutover:dev
# Extra docker build flags, e.g. --label or --quiet.
BUILD_FLAGS ?=
# What the binary and the image say they are: a release tag on a tagged
# commit, else "dev"; the commit, "-dirty" when the tree has changes.
VERSION ?= $(shell git describe --tags --exact-match 2>/dev/null || echo dev)
COMMIT ?= $(shell c=$$(git rev-parse HEAD 2>/dev/null) && { git diff --quiet HEAD -- 2>/dev/null || c=$$c-dirty; } && echo $$c)
SOURCE ?= https://github.com/cutover/cutover
# The platforms CI cross-compiles for (GOOS/GOARCH[/GOARM variant]).
PLATFORMS ?= linux/amd64 linux/arm64 linux/arm/v7

VERSION_PKG = github.com/cutover/cutover/internal/version
LDFLAGS = -s -w -X $(VERSION_PKG).Version=$(VERSION) -X $(VERSION_PKG).Commit=$(COMMIT)
# Static (no cgo), so the binary runs in a scratch image; the CA roots and
# the time zone database are compiled in (cmd/cutover/main.go).
GOBUILD = CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)'

.PHONY: build image cross run test bench

build:
	$(GOBUILD) -o bin/cutover ./cmd/cutover

# The image is FROM scratch around the binary built here, copied in from an
# otherwise empty build context, so building it pulls no base image.
# DOCKER_BUILDKIT=0: Debian's docker CLI has no buildx.
image:
	@ctx=$$(mktemp -d) && trap 'rm -rf "$$ctx"' EXIT && \
	mkdir "$$ctx/root" && GOOS=linux $(GOBUILD) -o "$$ctx/root/cutover" ./cmd/cutover && \
	ln -s cutover "$$ctx/root/watchtower" && \
	cp Dockerfile "$$ctx/" && \
	DOCKER_BUILDKIT=0 docker build $(BUILD_FLAGS) \
		--build-arg VERSION=$(VERSION) --build-arg REVISION=$(COMMIT) --build-arg SOURCE=$(SOURCE) \
		--tag $(IMAGE) "$$ctx"

# Builds, and throws away, the binary of every platform in PLATFORMS: a
# change that breaks one of them fails here rather than at release.
cross:
	@out=$$(mktemp -d) && trap 'rm -rf "$$out"' EXIT && \
	for p in $(PLATFORMS); do \
		os=$${p%%/*}; arch=$${p#*/}; variant=; \
		case $$arch in */*) variant=$${arch#*/}; arch=$${arch%%/*};; esac; \
		GOOS=$$os GOARCH=$$arch GOARM=$${variant#v} $(GOBUILD) -o "$$out/cutover" ./cmd/cutover || \
			{ echo "cross: $$p failed" >&2; exit 1; }; \
		echo "cross: $$p $$(wc -c < "$$out/cutover") bytes"; \
	done

# Only the engine is needed to run the daemon; the registries are for tests.
run:
	bash scripts/setup-env.sh engine
	$(MAKE) --no-print-directory build
	./bin/cutover serve $(ARGS)

# go test runs last so that its summary ends the output.
test:
	bash scripts/setup-env.sh
	$(GO) mod tidy -diff
	$(GO) vet ./...
	# Go fuzzes one target per run: a short run of each, on top of its seeds,
	# about 10 s of inputs on this project's machine. Counted, not timed: a
	# timed run can end in a spurious "context deadline exceeded" when its
	# deadline races a worker (go.dev/issue/75804, fixed in Go 1.27).
	$(GO) test -run='^$$' -fuzz='^FuzzParseReference$$' -fuzztime=300000x ./internal/engine/
	$(GO) test -run='^$$' -fuzz='^FuzzLabels$$' -fuzztime=120000x ./internal/engine/
	$(GO) test -run='^$$' -fuzz='^FuzzDeployRequest$$' -fuzztime=20000x ./internal/httpapi/
	$(GO) test -run='^$$' -fuzz='^FuzzAutoUpdateRequest$$' -fuzztime=12000x ./internal/httpapi/
	$(GO) test -run='^$$' -fuzz='^FuzzLoginRequest$$' -fuzztime=6000x ./internal/httpapi/
	$(GO) test -run='^$$' -fuzz='^FuzzGroupUpdateRequest$$' -fuzztime=12000x ./internal/httpapi/
	$(GO) test -run='^$$' -fuzz='^FuzzRequestTarget$$' -fuzztime=60000x ./internal/httpapi/
	$(GO) test -run='^$$' -fuzz='^FuzzApplyEnv$$' -fuzztime=8000x ./internal/cli/
	$(GO) test -run='^$$' -fuzz='^FuzzSelect$$' -fuzztime=450000x ./internal/policy/
	$(MAKE) --no-print-directory cross
	# Integration tests mostly wait on the engine: let more of them overlap
	# than there are cores.
	$(GO) test -race -count=1 -parallel 6 -timeout 60m ./...

bench:
	@if [ -f bench/run.sh ]; then bash bench/run.sh; else echo "bench: no bench/run.sh yet"; fi
