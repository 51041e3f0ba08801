#!/usr/bin/env python3
"""Writes scenes/sample-billing-run.jsonl: 24 synthetic customers of the fictional
Brightwave Energy, across en-GB, en-US, it-IT, pl-PL, de-DE and zh-CN, some overdue, some with
very large or tiny amounts, some with long names. Deterministic (fixed seed); the output is
committed and this script is its provenance."""
import json, math, random, pathlib

random.seed(20261122)
PEOPLE = [
    ("en-GB", "GBP", "Olivia", "Bennett"), ("en-GB", "GBP", "Harry", "O'Connor"),
    ("en-GB", "GBP", "Maximilian-Alexander", "Fotheringham-Wainwright"), ("en-GB", "GBP", "Amara", "Okafor"),
    ("en-US", "USD", "Emma", "Johnson"), ("en-US", "USD", "Liam", "Rodriguez"),
    ("en-US", "USD", "Chloe", "Nguyen"), ("en-US", "USD", "Jackson", "Whitaker III"),
    ("it-IT", "EUR", "Giulia", "Rossi"), ("it-IT", "EUR", "Niccolò", "Dell'Acqua"),
    ("it-IT", "EUR", "Maria Letizia", "Esposito Bianchi"), ("it-IT", "EUR", "Lorenzo", "Ferrari"),
    ("pl-PL", "PLN", "Zofia", "Wiśniewska"), ("pl-PL", "PLN", "Łukasz", "Szczęsny"),
    ("pl-PL", "PLN", "Małgorzata", "Brzęczyszczykiewicz"), ("pl-PL", "PLN", "Jędrzej", "Żółkiewski"),
    ("de-DE", "EUR", "Jürgen", "Müller"), ("de-DE", "EUR", "Anneliese", "Groß"),
    ("de-DE", "EUR", "Björn", "Schäfer-Übelhör"), ("de-DE", "EUR", "Lena", "Köhler"),
    ("zh-CN", "CNY", "Wei", "Zhang"), ("zh-CN", "CNY", "Na", "Li"),
    ("zh-CN", "CNY", "Xiaoming", "Wang"), ("zh-CN", "CNY", "Mei", "Chen"),
]
MONTHS = [f"{2025 + (m // 12)}-{m % 12 + 1:02d}" for m in range(11, 23)]  # 2025-12 .. 2026-11

def history(base, phase):
    # Winter peak, summer trough, some noise.
    return [round(base * (1 + 0.35 * math.cos(2 * math.pi * (i + phase) / 12)) * random.uniform(0.9, 1.1)) for i in range(12)]

rows = []
for n, (loc, cur, first, last) in enumerate(PEOPLE, start=1):
    base = random.choice([180, 240, 320, 410, 520])
    this_year = history(base, 0)
    last_year = [round(v * random.uniform(0.85, 1.2)) for v in history(base, 0)]
    price = {"GBP": 0.27, "USD": 0.17, "EUR": 0.31, "PLN": 1.05, "CNY": 0.56}[cur]
    total = round(this_year[-1] * price + random.uniform(5, 20), 2)
    previous = round(this_year[-2] * price + random.uniform(5, 20), 2)
    overdue_days = 0
    if n in (2, 7, 10, 14, 19, 22):
        overdue_days = random.choice([9, 16, 31, 45])
    if n == 4:      # a business account with a very large bill
        total = 12345.67 if cur != "PLN" else 48210.90
    if n in (6, 16):  # a credit almost settles the bill
        total = 0.42
    rows.append({
        "id": f"C{n:04d}",
        "locale": loc,
        "customer": {"first_name": first, "last_name": last},
        "bill": {
            "number": f"BW-2026-11-{n:05d}",
            "currency": cur,
            "total": total,
            "previous_total": previous,
            "period_start": "2026-11-01",
            "period_end": "2026-11-30",
            "due_date": "2026-12-15",
            "overdue_days": overdue_days,
            "overdue_amount": round(previous, 2) if overdue_days else 0,
        },
        "usage": {"months": MONTHS, "kwh": this_year, "kwh_last_year": last_year},
        "links": {"pay": f"https://pay.brightwave.example/{n:04d}"},
    })

out = pathlib.Path(__file__).resolve().parent.parent / "scenes" / "sample-billing-run.jsonl"
out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
print(f"wrote {out} ({len(rows)} records)")
