# Isthmus. `make demo` runs the devnet demo, `make test` the tests; both set up what they need.
GO      ?= go
NPM     ?= npm
PKGS    ?= ./...

# The pinned Solidity compiler (solc-js) comes from package.json + package-lock.json.
SOLC_STAMP := node_modules/.isthmus-solc-installed

.PHONY: all deps build build-devnet demo test e2e vet fmt-check bench contracts vectors clean

# The devnet (go-ethereum nodes in the process) is built in with this tag only: `go install
# ./cmd/isthmus` and `make build` make the production binary without it.
DEVNET := -tags devnet

all: build

$(SOLC_STAMP): package.json package-lock.json
	$(NPM) ci --no-audit --no-fund --loglevel=error
	@touch $@

deps: $(SOLC_STAMP)
	$(GO) mod download

build:
	$(GO) build -buildvcs=auto -o bin/isthmus ./cmd/isthmus

build-devnet:
	$(GO) build $(DEVNET) -buildvcs=auto -o bin/isthmus ./cmd/isthmus

demo: deps
	$(GO) run $(DEVNET) ./cmd/isthmus devnet

# The aggregator's real-proof test (TestUniversalEndToEnd, its wrap proven in a worker
# process) peaks at ~11 GiB: it runs alone, after the rest.
E2E := ./aggregator
# The command's tests run in both builds: with the devnet, and the production build's own.
test: deps vet fmt-check
	$(GO) test $(DEVNET) -timeout 60m $$($(GO) list $(PKGS) | grep -v '/aggregator$$')
	$(GO) test -timeout 10m ./cmd/isthmus
	$(GO) test -timeout 85m $(E2E)

# Real-proof paths that do not fit `make test`'s cold budget, with their report in E2E_OUT: it
# makes the keys it lacks (its first run on a fresh machine: ~3 hours of setup on 2 cores,
# the committee and Ethereum kinds, the receipt pieces' kinds, both aggregations and the wrap).
E2E_OUT ?= e2e-report
e2e: deps
	ISTHMUS_E2E=1 ISTHMUS_E2E_OUT=$(abspath $(E2E_OUT)) $(GO) test -run '^TestE2E' -timeout 300m -v ./aggregator ./circuits/leaf

vet:
	$(GO) vet $(PKGS)
	$(GO) vet $(DEVNET) $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './node_modules/*')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

# Benchmarks and their report: `make bench OUT=dir` (QUICK=1: constraints
# and gas only, about 4 minutes on 2 idle cores). Numbers come from the run.
OUT   ?= bench-report
QUICK ?=
bench: deps
	$(GO) run ./cmd/isthmus bench --out $(OUT) $(if $(QUICK),--quick)

# Recompile the contracts and regenerate artifacts and Go bindings.
contracts: $(SOLC_STAMP)
	$(GO) generate ./contracts

# Rewrite the protocol golden vectors (review the diff before committing).
vectors:
	$(GO) test ./protocol -run TestGoldenVectors -update

clean:
	rm -rf bin
