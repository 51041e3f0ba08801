//! Synthetic billing runs for demos and benchmarks (`billreel sample`).
//!
//! Deterministic: the same count and seed give the same bytes, on any machine (a SplitMix64
//! generator; no platform randomness). Customers cycle through six locales and their
//! currencies; consumption has winter peaks; every fourth customer is overdue; every twelfth
//! has a very large bill and another a tiny one; some names are long or full of diacritics.
//! Records are written one at a time, so a run of millions needs no memory.

use std::io::Write;

use serde_json::json;

use crate::math;

/// SplitMix64: tiny, fast, and the same everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [lo, hi).
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (self.next() >> 11) as f64 / (1u64 << 53) as f64 * (hi - lo)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }
}

struct Locale {
    tag: &'static str,
    currency: &'static str,
    /// Price per kWh in the currency.
    price: f64,
    first: &'static [&'static str],
    last: &'static [&'static str],
}

const LOCALES: &[Locale] = &[
    Locale {
        tag: "en-GB",
        currency: "GBP",
        price: 0.27,
        first: &["Olivia", "Harry", "Amara", "George", "Isla", "Oliver", "Freya", "Arthur"],
        last: &["Bennett", "O'Connor", "Okafor", "Hughes", "Patel", "Walsh", "Clarke", "Davies"],
    },
    Locale {
        tag: "en-US",
        currency: "USD",
        price: 0.17,
        first: &["Emma", "Liam", "Chloe", "Jackson", "Sofia", "Mateo", "Avery", "Noah"],
        last: &["Johnson", "Rodriguez", "Nguyen", "Whitaker", "Kim", "Garcia", "Brooks", "Miller"],
    },
    Locale {
        tag: "it-IT",
        currency: "EUR",
        price: 0.31,
        first: &["Giulia", "Niccolò", "Lorenzo", "Chiara", "Matteo", "Aurora", "Leonardo", "Beatrice"],
        last: &["Rossi", "Dell'Acqua", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci"],
    },
    Locale {
        tag: "pl-PL",
        currency: "PLN",
        price: 1.05,
        first: &["Zofia", "Łukasz", "Małgorzata", "Jędrzej", "Agnieszka", "Paweł", "Józef", "Urszula"],
        last: &[
            "Wiśniewska",
            "Szczęsny",
            "Brzęczyszczykiewicz",
            "Żółkiewski",
            "Kowalska",
            "Dąbrowski",
            "Wójcik",
            "Kamiński",
        ],
    },
    Locale {
        tag: "de-DE",
        currency: "EUR",
        price: 0.34,
        first: &["Jürgen", "Anneliese", "Björn", "Lena", "Günther", "Käthe", "Lukas", "Mia"],
        last: &["Müller", "Groß", "Schäfer-Übelhör", "Köhler", "Weiß", "Schröder", "Bäcker", "Hoffmann"],
    },
    Locale {
        tag: "zh-CN",
        currency: "CNY",
        price: 0.56,
        first: &["伟", "娜", "秀英", "敏", "静", "强", "磊", "洋"],
        last: &["张", "王", "李", "刘", "陈", "杨", "黄", "赵"],
    },
];

/// The twelve months of history, ending with the billed month.
const MONTHS: [&str; 12] = [
    "2025-12", "2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06", "2026-07", "2026-08",
    "2026-09", "2026-10", "2026-11",
];

/// The `n`th customer (1-based) of the run with this seed.
pub fn customer(n: u64, seed: u64) -> serde_json::Value {
    let mut rng = Rng(seed ^ n.wrapping_mul(0xA076_1D64_78BD_642F));
    let loc = &LOCALES[((n - 1) % LOCALES.len() as u64) as usize];
    let mut first = rng.pick(loc.first).to_string();
    let mut last = rng.pick(loc.last).to_string();
    if n % 8 == 3 && loc.tag != "zh-CN" {
        // Long double-barrelled names, to test wrapping.
        first = format!("{}-{}", first, rng.pick(loc.first));
        last = format!("{} {}", last, rng.pick(loc.last));
    }
    let base = *rng.pick(&[180.0, 240.0, 320.0, 410.0, 520.0]);
    let season = |i: usize| 1.0 + 0.35 * math::cos(2.0 * std::f64::consts::PI * i as f64 / 12.0);
    let kwh: Vec<i64> = (0..12).map(|i| (base * season(i) * rng.range(0.9, 1.1)).round() as i64).collect();
    let before: Vec<i64> =
        (0..12).map(|i| (base * season(i) * rng.range(0.85, 1.2)).round() as i64).collect();
    let cents = |v: f64| (v * 100.0).round() / 100.0;
    let mills = |v: f64| (v * 10_000.0).round() / 10_000.0;
    // Every third customer's tariff went up since the last bill.
    let unit_price = mills(loc.price * rng.range(0.97, 1.03));
    let previous_unit_price = if n.is_multiple_of(3) { mills(unit_price / 1.12) } else { unit_price };
    let mut total = cents(kwh[11] as f64 * unit_price + rng.range(5.0, 20.0));
    let mut previous = cents(kwh[10] as f64 * previous_unit_price + rng.range(5.0, 20.0));
    match n % 12 {
        // A business account with a very large bill.
        4 => {
            total = if loc.currency == "PLN" { 48_210.90 } else { 12_345.67 };
            previous = cents(total * 0.97);
        }
        6 => total = 0.42, // a credit almost settles it
        _ => {}
    }
    let overdue_days = if n % 4 == 2 { *rng.pick(&[9, 16, 31, 45]) } else { 0 };
    json!({
        "id": format!("C{n:04}"),
        "locale": loc.tag,
        "customer": {"first_name": first, "last_name": last},
        "bill": {
            "number": format!("BW-2026-11-{n:05}"),
            "currency": loc.currency,
            "total": total,
            "previous_total": previous,
            "kwh": kwh[11],
            "previous_kwh": kwh[10],
            "unit_price": unit_price,
            "previous_unit_price": previous_unit_price,
            "period_start": "2026-11-01",
            "period_end": "2026-11-30",
            "due_date": "2026-12-15",
            "overdue_days": overdue_days,
            "overdue_amount": if overdue_days > 0 { previous } else { 0.0 },
        },
        "usage": {"months": MONTHS, "kwh": kwh, "kwh_last_year": before},
        "links": {"pay": format!("https://pay.brightwave.example/{n:04}")},
    })
}

/// Writes `count` customers as JSON Lines.
pub fn write_run(out: &mut dyn Write, count: u64, seed: u64) -> std::io::Result<()> {
    for n in 1..=count {
        serde_json::to_writer(&mut *out, &customer(n, seed))?;
        out.write_all(b"\n")?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_are_deterministic_and_varied() {
        let mut a = Vec::new();
        let mut b = Vec::new();
        write_run(&mut a, 50, 7).unwrap();
        write_run(&mut b, 50, 7).unwrap();
        assert_eq!(a, b);
        let mut c = Vec::new();
        write_run(&mut c, 50, 8).unwrap();
        assert_ne!(a, c, "another seed gives another run");
        let recs: Vec<serde_json::Value> =
            String::from_utf8(a).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        let locales: std::collections::HashSet<&str> =
            recs.iter().map(|r| r["locale"].as_str().unwrap()).collect();
        assert_eq!(locales.len(), 6);
        assert!(recs.iter().filter(|r| r["bill"]["overdue_days"].as_i64().unwrap() > 0).count() >= 10);
        assert!(recs.iter().any(|r| r["bill"]["total"].as_f64().unwrap() > 10_000.0));
        assert!(recs.iter().any(|r| r["bill"]["total"].as_f64().unwrap() < 1.0));
        assert_eq!(recs[1]["id"], "C0002");
        assert!(
            recs[1]["bill"]["overdue_days"].as_i64().unwrap() > 0,
            "C0002 is overdue (the tests rely on it)"
        );
        // Winter uses more than summer.
        let kwh = recs[0]["usage"]["kwh"].as_array().unwrap();
        assert!(kwh[0].as_i64().unwrap() > kwh[6].as_i64().unwrap());
    }
}
