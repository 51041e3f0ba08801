# billreel: two commands from a fresh clone, `make demo` and `make test`.
CARGO ?= cargo
BIN := target/release/billreel
STORYBOARD := scenes/bill-explainer.yaml
DATA := scenes/sample-billing-run.jsonl

.PHONY: deps build demo test fmt lint bench identity fuzz clean image-deps image image-test

deps:                   ## install missing system packages (FFmpeg dev libraries, clang, ffprobe)
	bash scripts/install-deps.sh

build: deps
	$(CARGO) build --release

# Demo links only: a real run keeps its secret out of the repository (BILLREEL_LINK_SECRET).
DEMO_SECRET := billreel-demo-secret-not-for-production

demo: build             ## render the sample run through `batch` into out/ (videos, posters, manifest)
	$(BIN) check $(STORYBOARD) --data $(DATA)
	BILLREEL_LINK_SECRET=$(DEMO_SECRET) $(BIN) batch $(STORYBOARD) --data $(DATA) --out out \
	    --base-url https://videos.example.com/demo/

test: deps              ## formatting, lints, every test
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets -- -D warnings
	$(CARGO) test

fmt:
	$(CARGO) fmt

# The container image (Containerfile): Debian bookworm-slim + FFmpeg's runtime libraries + the
# release binary + assets/ and scenes/, user 10001, entrypoint billreel. docs/operations.md,
# "Container image". IMAGE=registry.example.com/billreel:0.1.0 names it for a registry.
image-deps:             ## install podman (unless docker works) and mmdebstrap, only if missing
	bash scripts/install-image-deps.sh

image: build image-deps ## build the container image with podman or docker (the base made with mmdebstrap)
	bash scripts/image.sh

image-test: image       ## build the image, render the sample run inside it, check the videos, the user, the size
	bash scripts/image-test.sh

bench: build            ## where one video's time goes; single renders; batch videos/min, scaling, memory; studio scrub latency; the work queue with 1, 2, 4 workers against batch
	$(CARGO) bench --bench render
	$(CARGO) bench --bench studio
	bash scripts/bench.sh $(BIN) $(STORYBOARD) $(DATA)
	bash scripts/bench-batch.sh $(BIN)
	bash scripts/bench-x264.sh $(BIN) $(STORYBOARD) $(DATA)
	bash scripts/bench-queue.sh $(BIN)

# Fuzzing (needs a nightly toolchain and `cargo install cargo-fuzz`): each target in turn for
# FUZZ_SECONDS, from the kept corpus; new inputs go to fuzz/work/, crashes to fuzz/artifacts/
# (turn each into a file under fuzz/regressions/, replayed by tests/fuzz_regressions.rs).
FUZZ_SECONDS ?= 300
FUZZ_TARGETS := storyboard records demo_record
FUZZ_OPTS := -rss_limit_mb=2048 -timeout=10
FUZZ_storyboard := -max_len=32768 -dict=$(CURDIR)/fuzz/storyboard.dict
FUZZ_records := -max_len=8192
FUZZ_demo_record := -max_len=4096 -dict=$(CURDIR)/fuzz/demo_record.dict

fuzz:                   ## fuzz storyboards, record reading and the demo's records, FUZZ_SECONDS each (nightly)
	cargo +nightly fuzz build -a --fuzz-dir fuzz
	$(foreach t,$(FUZZ_TARGETS),mkdir -p fuzz/work/$(t) && cargo +nightly fuzz run -a --fuzz-dir fuzz $(t) \
	    fuzz/work/$(t) fuzz/corpus/$(t) -- $(FUZZ_OPTS) -max_total_time=$(FUZZ_SECONDS) $(FUZZ_$(t)) && ) true

IDENTITY := docs/identity/before.sha256

identity:               ## checks that a redesign changed no output byte (demo batch and --cfr renders vs $(IDENTITY))
	@test -f $(IDENTITY) || { echo "make identity: no $(IDENTITY); record it on the commit before the redesign: \
	    cargo build --release && bash scripts/byte-identity.sh $(BIN) record $(IDENTITY)" >&2; exit 1; }
	$(MAKE) build
	bash scripts/byte-identity.sh $(BIN) check $(IDENTITY)

clean:
	rm -rf out target
