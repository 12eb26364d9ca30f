# Kotlin and Swift bindings (bindings/), included by the root Makefile.
#
# kotlin-test:    Maven builds the Rust library, generates the Kotlin sources with the
#                 workspace's uniffi-bindgen, compiles them and runs the JUnit tests on the JVM
#                 (bindings/kotlin/pom.xml does all of it; Maven fetches its plug-ins and
#                 libraries from Maven Central into ~/.m2).
# swift-generate: generates the Swift sources, C header and module map from the same library
#                 into the Swift package (bindings/swift; the generated files are not checked in).
# swift-test:     builds the Swift package and runs its XCTest suite: on macOS through the
#                 XCFramework (build-xcframework.sh), on Linux against the shared library, with
#                 `swift` from PATH or, on this Debian bookworm machine which has none, from a
#                 Debian trixie root provisioned once outside the repository
#                 (bindings/swift/linux/swift-root.sh; ~5 min and ~2 GB the first time).
# ffi-no-mock:    the release library (no `testing` feature) does not link the mock (rcgen and
#                 the HTTPS test server): checked on the dependency graph, no build needed.
EXTRA_TESTS += kotlin-test kotlin-consumer swift-test ffi-no-mock

BINDINGS_TARGET_DIR := $(abspath $(or $(CARGO_TARGET_DIR),target))
FFI_LIB := $(BINDINGS_TARGET_DIR)/debug/libteleport_jwt_ffi.so
SWIFT_OUT := $(BINDINGS_TARGET_DIR)/uniffi/swift
MVN ?= mvn

SWIFT_DIR := bindings/swift

.PHONY: ffi-lib kotlin-test kotlin-dist kotlin-consumer swift-generate swift-test ffi-no-mock kotlin-bench ffi-size

# The testing flavour (MockTeleport included), which the Kotlin and Swift tests use; apps link
# the release library built without `--features testing`.
ffi-lib:
	$(CARGO) build --quiet -p teleport-jwt-ffi --features testing,jvm

kotlin-test:
	cd bindings/kotlin && $(MVN) -q -B -Dstyle.color=never test -Dcargo=$(CARGO) -Dnative.dir=$(BINDINGS_TARGET_DIR)/debug
	@echo
	@cat bindings/kotlin/target/surefire-reports/*.txt | awk '/Tests run:/ {r+=$$3; f+=$$5; e+=$$7; s+=$$9} END {printf "kotlin: %d passed, %d failed, %d skipped\n", r-f-e-s, f+e, s}'

swift-generate: ffi-lib
	rm -rf $(SWIFT_OUT)
	$(CARGO) run --quiet -p uniffi-bindgen -- generate --no-format --language swift --out-dir $(SWIFT_OUT) $(FFI_LIB)
	@for f in TeleportJWT.swift TeleportJWTFFI.h TeleportJWTFFI.modulemap; do \
	  test -s $(SWIFT_OUT)/$$f || { echo "swift-generate: $$f was not generated" >&2; exit 1; }; done
	@grep -q 'public static func teleportJwt(' $(SWIFT_OUT)/TeleportJWT.swift
	cp $(SWIFT_OUT)/TeleportJWT.swift $(SWIFT_DIR)/Sources/TeleportJWT/
	cp $(SWIFT_OUT)/TeleportJWTFFI.h $(SWIFT_DIR)/linux/TeleportJWTFFI/
	mkdir -p $(SWIFT_DIR)/linux/lib && cp $(FFI_LIB) $(SWIFT_DIR)/linux/lib/

swift-test: swift-generate
	@if [ "$$(uname)" = Darwin ]; then \
	  PROFILE=debug $(SWIFT_DIR)/build-xcframework.sh && cd $(SWIFT_DIR) && swift test; \
	elif command -v swift >/dev/null 2>&1; then \
	  $(SWIFT_DIR)/linux/test.sh; \
	else \
	  bash $(SWIFT_DIR)/linux/swift-root.sh run $(CURDIR) /src/$(SWIFT_DIR)/linux/test.sh; \
	fi

ffi-no-mock:
	@if $(CARGO) tree --quiet -p teleport-jwt-ffi -e normal -i rcgen >/dev/null 2>&1; then \
	  echo "ffi-no-mock: the release FFI library depends on rcgen (the mock)" >&2; exit 1; fi
	@$(CARGO) tree --quiet -p teleport-jwt-ffi -e normal --features testing -i rcgen >/dev/null
	@echo "ffi: the release library has no mock; the testing flavour (--features testing) has it"

# kotlin-bench:   verification as a Kotlin caller sees it (release library, JIT warmed up),
#                 beside the Rust core timed inside Rust on the same tokens and pure-Java Nimbus
#                 (bindings/kotlin/src/test/kotlin/dev/teleportjwt/bench). Not part of make test.
KOTLIN_DIR := bindings/kotlin
kotlin-bench:
	cd $(KOTLIN_DIR) && $(MVN) -q -B -Dstyle.color=never test-compile dependency:build-classpath \
	  -Dmdep.outputFile=target/bench-classpath.txt -Dmdep.includeScope=test \
	  -Dcargo=$(CARGO) -Dcargo.profile=release -Dnative.dir=$(BINDINGS_TARGET_DIR)/release
	cd $(KOTLIN_DIR) && java -Djna.library.path=$(BINDINGS_TARGET_DIR)/release \
	  -cp target/test-classes:target/classes:$$(cat target/bench-classpath.txt) \
	  dev.teleportjwt.bench.VerifyBenchKt

# ffi-size:       stripped size and exported mock symbols of the release library and of the
#                 testing flavour (release builds of both; not part of make test).
ffi-size:
	@for flavour in "" "testing"; do \
	  $(CARGO) build --quiet --release -p teleport-jwt-ffi $${flavour:+--features $$flavour} || exit 1; \
	  strip -o $(BINDINGS_TARGET_DIR)/release/ffi-size.so $(BINDINGS_TARGET_DIR)/release/libteleport_jwt_ffi.so; \
	  printf '%-10s %9d bytes stripped, %3d mock symbols\n' "$${flavour:-release}" \
	    $$(stat -c %s $(BINDINGS_TARGET_DIR)/release/ffi-size.so) \
	    $$(nm -D --defined-only $(BINDINGS_TARGET_DIR)/release/libteleport_jwt_ffi.so | grep -ci mock); \
	done; rm -f $(BINDINGS_TARGET_DIR)/release/ffi-size.so

# kotlin-dist:     installs the Maven artifacts into ~/.m2: dev.teleportjwt:teleport-jwt (the release
#                  flavour: Kotlin generated from, and the jar carrying, the library without the
#                  mock) and its `testing` classifier (the same with MockTeleport, for users'
#                  tests). Neither builds a library it does not ship. KOTLIN_DIST_PROFILE=release
#                  (the default) or dev (what make test uses: a faster build, the same packaging).
# kotlin-consumer: a separate Maven project (bindings/kotlin/consumer) that depends on the
#                  installed `testing` artifact and runs its main() with no JVM flags; and the
#                  release jar is checked to carry its library and no mock.
KOTLIN_DIST_PROFILE ?= release
KOTLIN_DIST_DIR = $(if $(filter dev,$(KOTLIN_DIST_PROFILE)),debug,$(KOTLIN_DIST_PROFILE))
PROJECT_VERSION := $(shell .ci/check-version 2>/dev/null)
KOTLIN_MVN_DIST = cd $(KOTLIN_DIR) && $(MVN) -q -B -Dstyle.color=never -Dmaven.test.skip=true -Dcargo=$(CARGO) \
	-Dcargo.profile=$(KOTLIN_DIST_PROFILE) -Dnative.dir=$(BINDINGS_TARGET_DIR)/$(KOTLIN_DIST_DIR)

kotlin-dist:
	@.ci/check-version >/dev/null
	$(KOTLIN_MVN_DIST) -Dffi.features=jvm clean install
	@jar tf $(KOTLIN_DIR)/target/teleport-jwt-$(PROJECT_VERSION).jar > $(KOTLIN_DIR)/target/release-jar.txt
	@grep -qx 'linux-x86-64/libteleport_jwt_ffi.so' $(KOTLIN_DIR)/target/release-jar.txt || \
	  { echo "kotlin-dist: the jar does not carry linux-x86-64/libteleport_jwt_ffi.so" >&2; exit 1; }
	@! grep -q 'MockTeleport' $(KOTLIN_DIR)/target/release-jar.txt || \
	  { echo "kotlin-dist: the release jar has the mock" >&2; exit 1; }
	$(KOTLIN_MVN_DIST) -Dffi.features=testing,jvm -Djar.classifier=testing clean package
	cd $(KOTLIN_DIR) && $(MVN) -q -B install:install-file -Dfile=target/teleport-jwt-$(PROJECT_VERSION)-testing.jar \
	  -DpomFile=pom.xml -Dclassifier=testing
	@echo "kotlin: installed dev.teleportjwt:teleport-jwt:$(PROJECT_VERSION) (release library, no mock) and its testing classifier"

kotlin-consumer:
	$(MAKE) --no-print-directory kotlin-dist KOTLIN_DIST_PROFILE=dev
	cd $(KOTLIN_DIR)/consumer && $(MVN) -q -B -Dstyle.color=never -Dteleport-jwt.version=$(PROJECT_VERSION) compile exec:java
