# Isthmus. `make demo` runs the devnet demo, `make test` the tests; both set up what they need.
GO      ?= go
NPM     ?= npm
PKGS    ?= ./...
BENCH   ?= .

# The pinned Solidity compiler (solc-js) comes from package.json + package-lock.json.
SOLC_STAMP := node_modules/.isthmus-solc-installed

.PHONY: all deps build demo test vet fmt-check bench contracts vectors clean

all: build

$(SOLC_STAMP): package.json package-lock.json
	$(NPM) ci --no-audit --no-fund --loglevel=error
	@touch $@

deps: $(SOLC_STAMP)
	$(GO) mod download

build:
	$(GO) build -o bin/isthmus ./cmd/isthmus

demo: deps
	$(GO) run ./cmd/isthmus devnet

test: deps vet fmt-check
	$(GO) test -timeout 85m $(PKGS)

vet:
	$(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './node_modules/*')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

# Benchmarks: gas, constraints, setup and proving (DESIGN.md §7).
bench:
	$(GO) test $(PKGS) -run '^$$' -bench '$(BENCH)' -benchtime 1x

# Recompile the contracts and regenerate artifacts and Go bindings.
contracts: $(SOLC_STAMP)
	$(GO) generate ./contracts

# Rewrite the protocol golden vectors (review the diff before committing).
vectors:
	$(GO) test ./protocol -run TestGoldenVectors -update

clean:
	rm -rf bin
