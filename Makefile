# KafkaKit developer commands. `make test` is what CI runs (.ci/run).
KAFKA_PORT ?= 19092
export KAFKA_PORT
export PKG_CONFIG_PATH := /usr/local/lib/pkgconfig:$(PKG_CONFIG_PATH)
BROKER := 127.0.0.1:$(KAFKA_PORT)
SWIFT_BUILD_FLAGS ?=
# Fault suites that start processes and brokers of their own (SIGKILL, chaos proxy): run last,
# one test at a time, so that their load does not push other tests past their deadlines.
FAULT_PROCESS_SUITES := ConsumerAtLeastOnceTests|KillCLITests|ChaosTests|BrokerCrashTests
# The TLS and SASL suites wait out failed handshakes in blocking librdkafka calls, which fill
# the shared pool of blocking threads for up to 30 s: a process of their own.
TLS_SUITES := TLSIntegrationTests|SASLIntegrationTests|SecretsIntegrationTests
BROKER_DOWN_SUITES := PublisherMockClusterTests|EventsReviewFixTests|ProducerLifecycleTests|ProducerMockClusterTests|ProducerPerMessageTests|ProducerShutdownTests|ProducerFaultTests|ConsumerFaultTests|ProducerTransactionMockClusterTests|TracingMockClusterTests|AdminBrokerAPIsMockClusterTests

TCL_INSTALL_DIR ?= $(CURDIR)/lib/tcl
TCL_CONFIG ?= release

.PHONY: bootstrap build run quickstart docs example test tcl tcl-test bench bench-tcl broker-start broker-stop clean fuzz soak sanitize

bootstrap:
	@scripts/bootstrap

build: bootstrap
	swift build $(SWIFT_BUILD_FLAGS)

# Start the local broker unless one runs, then the main job: the `kafka` command walk-through
# (Examples/kafka.conf; status, a test send, 100 000 lines produced and consumed back).
run: bootstrap
	@scripts/broker status >/dev/null 2>&1 || scripts/broker start >/dev/null
	swift build -c release --product kafka
	scripts/walkthrough

# The producer API example: 100 000 records, every delivery report awaited.
quickstart: bootstrap
	@scripts/broker status >/dev/null 2>&1 || scripts/broker start >/dev/null
	swift build -c release --product QuickStart
	KAFKA_BOOTSTRAP_SERVERS=$(BROKER) .build/release/QuickStart

# The DocC catalogs (KafkaKit, KafkaKitConnections, KafkaKitEvents), built with swift-docc-plugin;
# a warning (a broken symbol link, an undocumented parameter) fails the build. Archives land in
# .build/plugins/Swift-DocC/outputs/. `make test` runs this first.
DOC_TARGETS := KafkaKit KafkaKitConnections KafkaKitEvents KafkaKitConfiguration
docs: bootstrap
	@mkdir -p .build; for target in $(DOC_TARGETS); do \
	  echo "docs: $$target"; \
	  swift package generate-documentation --target $$target --warnings-as-errors >.build/docs-$$target.log 2>&1 \
	    || { cat .build/docs-$$target.log; echo "docs: $$target has warnings or errors (above)"; exit 1; }; \
	done

# The example service (Examples/OrderPipeline: Hummingbird 2, a transactional pipeline,
# Prometheus metrics; a package of its own) built, and its test run against the local broker:
# 1 000 orders over HTTP, SIGTERM mid-stream, a restart, every order exactly once downstream.
example: bootstrap
	@started=0; \
	if ! scripts/broker status >/dev/null 2>&1; then scripts/broker start >/dev/null && started=1; fi; \
	cd Examples/OrderPipeline && KAFKA_BOOTSTRAP_SERVERS=$(BROKER) swift test $(SWIFT_BUILD_FLAGS); status=$$?; \
	cd $(CURDIR); if [ $$started = 1 ]; then scripts/broker stop >/dev/null; fi; \
	exit $$status

# Unit, mock-cluster and integration tests against a broker started (and stopped) here;
# bounded at 45 minutes so a hung test fails CI instead of using up its time.
# The suites that take a mock broker down run first, in a process of their own: librdkafka's
# mock cluster re-binds a downed broker's port and aborts the process if that fails, which
# happened (EADDRINUSE) about one full run in four while the rest of the suite opened
# thousands of loopback connections alongside. The CLI tests run in a process of their own:
# they wait for `kafka` children synchronously on the concurrency pool's threads (two here),
# which starved timed tests beside them. The fault suites that kill processes and brokers of
# their own run last, one test at a time.
test: bootstrap docs
	@started=0; \
	if ! scripts/broker status >/dev/null 2>&1; then scripts/broker start >/dev/null && started=1; fi; \
	KAFKA_BOOTSTRAP_SERVERS=$(BROKER) timeout 2700 sh -c '\
	  swift test $(SWIFT_BUILD_FLAGS) --filter "$(BROKER_DOWN_SUITES)"; first=$$?; \
	  swift test $(SWIFT_BUILD_FLAGS) --skip-build --skip "$(BROKER_DOWN_SUITES)|$(FAULT_PROCESS_SUITES)|$(TLS_SUITES)|KafkaCLITests\."; rest=$$?; \
	  swift test $(SWIFT_BUILD_FLAGS) --skip-build --filter "$(TLS_SUITES)"; tls=$$?; \
	  swift test $(SWIFT_BUILD_FLAGS) --skip-build --filter "KafkaCLITests\." --skip "$(FAULT_PROCESS_SUITES)"; cli=$$?; \
	  swift test $(SWIFT_BUILD_FLAGS) --skip-build --no-parallel --filter "$(FAULT_PROCESS_SUITES)"; faults=$$?; \
	  $(MAKE) --no-print-directory tcl-test TCL_CONFIG=debug; tcl=$$?; \
	  (cd Examples/OrderPipeline && swift test $(SWIFT_BUILD_FLAGS)); example=$$?; \
	  [ $$first = 0 ] && [ $$rest = 0 ] && [ $$tls = 0 ] && [ $$cli = 0 ] && [ $$faults = 0 ] && [ $$tcl = 0 ] && [ $$example = 0 ]'; status=$$?; \
	if [ $$started = 1 ]; then scripts/broker stop >/dev/null; fi; \
	exit $$status

# Throughput, sendAndWait latency, CPU per record and peak RSS against C programs (and kcat) on
# the same librdkafka and broker; BENCH_* settings (scripts/bench) pass through, e.g. BENCH_COUNT.
bench: bootstrap
	@started=0; \
	if ! scripts/broker status >/dev/null 2>&1; then scripts/broker start >/dev/null && started=1; fi; \
	KAFKA_BOOTSTRAP_SERVERS=$(BROKER) scripts/bench; status=$$?; \
	if [ $$status = 0 ]; then KAFKA_BOOTSTRAP_SERVERS=$(BROKER) scripts/bench-tcl; status=$$?; fi; \
	if [ $$started = 1 ]; then scripts/broker stop >/dev/null; fi; \
	exit $$status

# The Tcl package's benchmark alone (see scripts/bench-tcl).
bench-tcl: bootstrap
	@started=0; \
	if ! scripts/broker status >/dev/null 2>&1; then scripts/broker start >/dev/null && started=1; fi; \
	KAFKA_BOOTSTRAP_SERVERS=$(BROKER) scripts/bench-tcl; status=$$?; \
	if [ $$started = 1 ]; then scripts/broker stop >/dev/null; fi; \
	exit $$status

# The Tcl package: builds libKafkaKitTcl and installs it with pkgIndex.tcl and kafka.tcl into
# $(TCL_INSTALL_DIR)/kafka (lib/tcl in the checkout unless TCL_INSTALL_DIR=... is given), so that
# `lappend auto_path $(TCL_INSTALL_DIR); package require kafka` works.
tcl: bootstrap
	swift build -c $(TCL_CONFIG) $(SWIFT_BUILD_FLAGS) --product KafkaKitTcl
	scripts/install-tcl "$$(swift build -c $(TCL_CONFIG) $(SWIFT_BUILD_FLAGS) --show-bin-path)" "$(TCL_INSTALL_DIR)"

# The Tcl package's tcltest suite (tcl/tests), on a copy installed under .build; `make test`
# runs it against the broker it started.
tcl-test:
	swift build -c $(TCL_CONFIG) $(SWIFT_BUILD_FLAGS) --product KafkaKitTcl
	swift build -c $(TCL_CONFIG) $(SWIFT_BUILD_FLAGS) --product kafka
	scripts/install-tcl "$$(swift build -c $(TCL_CONFIG) $(SWIFT_BUILD_FLAGS) --show-bin-path)" "$(CURDIR)/.build/tcl-test"
	KAFKA_TCL_DIR="$(CURDIR)/.build/tcl-test" \
	  KAFKA_CLI="$$(swift build -c $(TCL_CONFIG) $(SWIFT_BUILD_FLAGS) --show-bin-path)/kafka" \
	  KAFKA_BOOTSTRAP_SERVERS="$${KAFKA_BOOTSTRAP_SERVERS-$(BROKER)}" \
	  timeout 900 tclsh tcl/tests/all.tcl

broker-start:
	@scripts/broker start

broker-stop:
	@scripts/broker stop

clean:
	rm -rf .build Benchmarks/CBaseline/bin lib/tcl

# Fuzzing with libFuzzer and AddressSanitizer (Linux, swift.org toolchain): the kafka.conf
# parser, the socket and broker-spec parsers, the JSON parser and `kafka produce`'s record
# splitter, one target each in the Fuzz/ package (never built by `swift build` here). Each runs
# FUZZ_SECONDS (default 60) from its seed corpus Fuzz/Corpus/TARGET and checks more than "no
# crash": round trips, errors that point into the input, no secret in an error or a dump. A
# crash, a hang (an input over 5 s) or memory over 2 GiB fails the target and keeps the input
# in Fuzz/.crashes/TARGET; new inputs go to Fuzz/.corpus (not committed). Prints one line per
# target with its executions; exits 1 if any failed. FUZZ_TARGETS="JSONFuzzer ..." runs some.
fuzz: bootstrap
	@scripts/fuzz

# The long fault runs (KAFKAKIT_SOAK=1): the kill-and-restart tests kill 20 times instead of 5,
# and the chaos test moves 1 000 000 records through the connection-cutting proxy instead of
# 100 000. Takes about 30 minutes on 2 cores; `make test` runs the same tests, shorter.
SOAK_SUITES := ConsumerAtLeastOnceTests|KillCLITests|ChaosTests|BrokerCrashTests|ProducerFaultTests|ConsumerFaultTests
soak: bootstrap
	@started=0; \
	if ! scripts/broker status >/dev/null 2>&1; then scripts/broker start >/dev/null && started=1; fi; \
	KAFKA_BOOTSTRAP_SERVERS=$(BROKER) KAFKAKIT_SOAK=1 timeout 3600 swift test $(SWIFT_BUILD_FLAGS) --no-parallel --filter "$(SOAK_SUITES)"; status=$$?; \
	if [ $$started = 1 ]; then scripts/broker stop >/dev/null; fi; \
	exit $$status

# The Swift suites under ThreadSanitizer, then AddressSanitizer with its leak checker
# (SANITIZERS=thread or SANITIZERS=address for one), each built in a scratch path of its own
# (.build-tsan, .build-asan), against a broker started (and stopped) here, with the same
# two-process split as `make test`. Fails on a failing test or on any sanitizer report; the
# shims and suppressions it needs, each with its reason, are in scripts/sanitizers/.
SANITIZERS ?= thread address
sanitize: bootstrap
	@started=0; \
	if ! scripts/broker status >/dev/null 2>&1; then scripts/broker start >/dev/null && started=1; fi; \
	KAFKA_BOOTSTRAP_SERVERS=$(BROKER) SANITIZE_FIRST_SUITES="$(BROKER_DOWN_SUITES)" SWIFT_BUILD_FLAGS="$(SWIFT_BUILD_FLAGS)" \
	  scripts/sanitize $(SANITIZERS); status=$$?; \
	if [ $$started = 1 ]; then scripts/broker stop >/dev/null; fi; \
	exit $$status
