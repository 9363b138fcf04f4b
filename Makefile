# xnum — the operator interface of SPEC §8. Two commands matter to a newcomer:
#   make run    build and start xnum on configs/xnum.yaml (demo app, X numbers, binding)
#   make test   every test with -race (installs SIPp first when it can)

GO      ?= go
BIN     := bin/xnum
CONFIG  ?= configs/xnum.yaml
# staticcheck is run from the module proxy at a pinned version (no global install).
STATICCHECK_VERSION ?= v0.8.2

.PHONY: all build run test sipp bench lint fmt clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/xnum

run: build
	./$(BIN) serve --config $(CONFIG)

# The end-to-end tests drive bin/xnum with SIPp, so test depends on build and
# on sipp. -p is left at its default (GOMAXPROCS): on the 2-core CI machine two
# packages test at once, which keeps the SIPp tests from starving each other.
test: build sipp
	$(GO) test -race -count=1 -timeout 15m ./...

# SIPp comes from Debian's sip-tester package. As root it is installed; as
# anyone else we stop and say what to run.
sipp:
	@if ! command -v sipp >/dev/null 2>&1; then \
		if [ "$$(id -u)" = "0" ]; then \
			echo "SIPp not found: installing Debian's sip-tester"; \
			apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y sip-tester; \
		else \
			echo "SIPp is needed by make test. Install it with:"; \
			echo "    sudo apt-get update && sudo apt-get install -y sip-tester"; \
			exit 1; \
		fi; \
	fi

bench: build sipp
	$(GO) test -run '^$$' -bench . -benchmem ./...
	@rm -f bin/bench-rate
	@if [ -x testdata/sipp/bench.sh ]; then BENCH_RATE_FILE=bin/bench-rate testdata/sipp/bench.sh; \
	elif [ -f testdata/sipp/bench.sh ]; then BENCH_RATE_FILE=bin/bench-rate bash testdata/sipp/bench.sh; \
	else echo "testdata/sipp/bench.sh not present: SIPp load run skipped"; fi
	@# Delivery is measured at the call rate bench.sh held clean (issue 5 "Speed").
	BENCH_OUTBOX_RATE=$$(cat bin/bench-rate 2>/dev/null | grep -E '^[1-9][0-9]*$$' || echo 1000) bash testdata/sipp/bench-outbox.sh

lint:
	$(GO) vet ./...
	@if $(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) -version >/dev/null 2>&1; then \
		$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...; \
	else echo "staticcheck $(STATICCHECK_VERSION) not reachable: go vet only"; fi

fmt:
	gofmt -s -w $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './data/*')

clean:
	rm -rf bin
