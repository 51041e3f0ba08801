# billreel: two commands from a fresh clone, `make demo` and `make test`.
CARGO ?= cargo
BIN := target/release/billreel
STORYBOARD := scenes/bill-explainer.yaml
DATA := scenes/sample-billing-run.jsonl

.PHONY: deps build demo test fmt lint bench identity clean

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

bench: build            ## where one video's time goes; single renders; batch videos/min, scaling, memory
	$(CARGO) bench --bench render
	bash scripts/bench.sh $(BIN) $(STORYBOARD) $(DATA)
	bash scripts/bench-batch.sh $(BIN)
	bash scripts/bench-x264.sh $(BIN) $(STORYBOARD) $(DATA)

IDENTITY := docs/identity/before.sha256

identity:               ## checks that a redesign changed no output byte (demo batch and --cfr renders vs $(IDENTITY))
	@test -f $(IDENTITY) || { echo "make identity: no $(IDENTITY); record it on the commit before the redesign: \
	    cargo build --release && bash scripts/byte-identity.sh $(BIN) record $(IDENTITY)" >&2; exit 1; }
	$(MAKE) build
	bash scripts/byte-identity.sh $(BIN) check $(IDENTITY)

clean:
	rm -rf out target
