#!/usr/bin/env python3
"""Measures what hostile records cost: every leaf of a demo record replaced, one at a time, by
values a CRM export really produces (the same values as tests/hostile_records.rs), rendered by
`billreel batch --jobs 1` so each record's time is its own.

Usage: scripts/hostile-records.py BILLREEL_BINARY OUT_DIR
Prints the median and maximum time per record (from the manifest's render_ms, failed records
included), the batch's peak memory (an upper bound for any one record: one worker holds one
record at a time) and how many records were ok and failed, by error_kind.
"""
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

HOSTILE = [
    "abc", "NaN", " 42 ", "", 1e308, -1, 0, None, True, [], ["a", "b"],
    list(range(1000)), {"a": 1}, "Ann\u0000e", "Ann\re", "Ann\nERROR forged line",
    "\U00013000\U00013001", "\u202eAnne", "[b]Anne[/b] [color=#f00]x", "{{ 7*7 }}",
    "x" * 5000, "DE89370400440532013006",
    # Bigger than the tests use: a 1,000,000-element list and a 1,000,000-character field.
    list(range(1_000_000)), "x" * 1_000_000,
]


def leaves(v, prefix=""):
    if isinstance(v, dict):
        for k, child in v.items():
            yield from leaves(child, f"{prefix}.{k}" if prefix else k)
    else:
        yield prefix


def set_path(record, dotted, value):
    parts = dotted.split(".")
    at = record
    for p in parts[:-1]:
        at = at[p]
    at[parts[-1]] = value


def main():
    binary, out = sys.argv[1], Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    base = json.loads((REPO / "scenes/sample-billing-run.jsonl").read_text().splitlines()[1])
    lines = []
    for field in leaves(base):
        if field == "id":
            continue
        for value in HOSTILE:
            rec = json.loads(json.dumps(base))
            set_path(rec, field, value)
            rec["id"] = f"H{len(lines)}"
            lines.append(json.dumps(rec))
    data = out / "hostile.jsonl"
    data.write_text("\n".join(lines) + "\n")
    env = dict(os.environ, BILLREEL_LINK_SECRET="hostile-records-measure-0123456789")
    run = subprocess.run(
        ["/usr/bin/time", "-f", "PEAK_KIB=%M WALL_S=%e", binary, "batch",
         str(REPO / "scenes/bill-explainer.yaml"), "--data", str(data), "--out", str(out / "out"),
         "--jobs", "1", "--force"],
        env=env, capture_output=True, text=True,
    )
    stats = [l for l in run.stderr.splitlines() if l.startswith("PEAK_KIB=")][-1].split()
    peak_mb = int(stats[0].split("=")[1]) / 1024
    wall = float(stats[1].split("=")[1])
    manifest = [json.loads(l) for l in (out / "out/manifest.jsonl").read_text().splitlines()]
    times = [m["render_ms"] for m in manifest]
    for label, group in (("ok", [m for m in manifest if m["status"] == "ok"]),
                         ("failed", [m for m in manifest if m["status"] != "ok"])):
        if group:
            ms = sorted(m["render_ms"] for m in group)
            print(f"{label}: {len(group)} records, median {statistics.median(ms)} ms, max {ms[-1]} ms, "
                  f"over 2 s: {[m['id'] for m in group if m['render_ms'] > 2000]}")
    kinds = {}
    for m in manifest:
        key = m["status"] if m["status"] == "ok" else m.get("error_kind", "?")
        kinds[key] = kinds.get(key, 0) + 1
    slowest = max(manifest, key=lambda m: m["render_ms"])
    print(f"records: {len(manifest)} ({len(lines)} written); exit {run.returncode}; batch wall {wall:.1f}s")
    print(f"per record: median {statistics.median(times)} ms, max {max(times)} ms ({slowest['id']}, {slowest['status']})")
    print(f"batch peak memory: {peak_mb:.0f} MB")
    print("by outcome: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))


if __name__ == "__main__":
    main()
