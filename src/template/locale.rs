//! Locale-aware formatting of numbers, money and dates from CLDR data (ICU4X, compiled in).
//!
//! Formatters are costly to build and cheap to use, so each thread keeps the ones it has built,
//! keyed by locale (and currency). Nothing here is specific to templates: the minijinja filters
//! in `bind` call these functions.

use std::cell::RefCell;
use std::collections::HashMap;
use std::str::FromStr;

use fixed_decimal::Decimal;
use icu::datetime::fieldsets;
use icu::datetime::input::{Date, DateTime, Time};
use icu::datetime::DateTimeFormatter;
use icu::decimal::DecimalFormatter;
use icu::experimental::dimension::currency::formatter::CurrencyFormatter;
use icu::experimental::dimension::currency::CurrencyType;
use icu::locale::Locale;
use writeable::Writeable;

/// Parses a BCP 47 locale such as `en-GB`, `pl-PL` or `zh-CN`.
pub fn parse_locale(tag: &str) -> Result<Locale, String> {
    Locale::try_from_str(tag.trim())
        .map_err(|_| format!("`{tag}` is not a locale; write a BCP 47 tag such as en-GB, de-DE or zh-CN"))
}

thread_local! {
    static PERCENTS: RefCell<HashMap<String, icu::experimental::dimension::percent::formatter::PercentFormatter<DecimalFormatter>>> = RefCell::new(HashMap::new());
    static DECIMALS: RefCell<HashMap<String, DecimalFormatter>> = RefCell::new(HashMap::new());
    static MONEY: RefCell<HashMap<(String, String), CurrencyFormatter<DecimalFormatter>>> = RefCell::new(HashMap::new());
    static DATES: RefCell<HashMap<(String, DateStyle), DateTimeFormatter<fieldsets::enums::CompositeDateTimeFieldSet>>> = RefCell::new(HashMap::new());
}

/// Formats with a formatter from a per-thread cache, building it on first use for `key`.
fn with_cached<K: Eq + std::hash::Hash, F>(
    cache: &'static std::thread::LocalKey<RefCell<HashMap<K, F>>>,
    key: K,
    build: impl FnOnce() -> Result<F, String>,
    format: impl FnOnce(&F) -> String,
) -> Result<String, String> {
    use std::collections::hash_map::Entry;
    cache.with(|cache| {
        let mut cache = cache.borrow_mut();
        let f = match cache.entry(key) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(v) => v.insert(build()?),
        };
        Ok(format(f))
    })
}

/// A number as an exact decimal with a fixed count of fraction digits.
fn decimal(value: f64, decimals: u8) -> Result<Decimal, String> {
    if !value.is_finite() {
        return Err(format!("{value} is not a finite number"));
    }
    Decimal::from_str(&format!("{value:.*}", decimals as usize))
        .map_err(|e| format!("cannot format {value}: {e}"))
}

/// `1234.5` with 2 decimals -> `1,234.50` (en-GB), `1.234,50` (de-DE), `1 234,50` (pl-PL).
pub fn format_number(locale: &str, value: f64, decimals: u8) -> Result<String, String> {
    let d = decimal(value, decimals)?;
    with_cached(
        &DECIMALS,
        locale.to_string(),
        || {
            DecimalFormatter::try_new(parse_locale(locale)?.into(), Default::default())
                .map_err(|e| format!("no number format for locale {locale}: {e}"))
        },
        |f| f.format(&d).write_to_string().into_owned(),
    )
}

/// `1234.5 EUR` -> `€1,234.50` (en-GB), `1.234,50 €` (de-DE), `1234,50 €` (it-IT).
/// The fraction digits are the currency's own (2 for EUR, 0 for JPY).
pub fn format_currency(locale: &str, value: f64, code: &str) -> Result<String, String> {
    let code_upper = code.trim().to_ascii_uppercase();
    if code_upper.len() != 3 || !code_upper.chars().all(|c| c.is_ascii_alphabetic()) {
        return Err(format!("`{code}` is not an ISO 4217 currency code like EUR, GBP or PLN"));
    }
    // Round to cents first so that float noise (12.345000001) cannot show up.
    let d = decimal(value, 2)?;
    with_cached(
        &MONEY,
        (locale.to_string(), code_upper.clone()),
        || {
            let currency = CurrencyType::try_from_str(&code_upper.to_ascii_lowercase())
                .map_err(|_| format!("`{code}` is not an ISO 4217 currency code"))?;
            CurrencyFormatter::try_new_symbol(parse_locale(locale)?.into(), currency, Default::default())
                .map_err(|e| format!("no currency format for {code_upper} in {locale}: {e}"))
        },
        |f| f.format_fixed_decimal(&d).write_to_string().into_owned(),
    )
}

/// A percentage (the value is already in percent): `-3.4` -> `-3.4%` (en), `-3,4 %` (fr-FR),
/// `-3,4 %` (de-DE).
pub fn format_percent(locale: &str, value: f64, decimals: u8) -> Result<String, String> {
    use icu::experimental::dimension::percent::formatter::PercentFormatter;
    let d = decimal(value, decimals)?;
    with_cached(
        &PERCENTS,
        locale.to_string(),
        || {
            PercentFormatter::try_new(parse_locale(locale)?.into(), Default::default())
                .map_err(|e| format!("no percent format for locale {locale}: {e}"))
        },
        |f| f.format(&d).write_to_string().into_owned(),
    )
}

/// How a date is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DateStyle {
    /// 15/12/2026 (en-GB), 12/15/26 (en-US)
    Short,
    /// 15 Dec 2026, Dec 15, 2026
    Medium,
    /// 15 December 2026, December 15, 2026, 15 grudnia 2026
    Long,
    /// Tuesday 15 December 2026
    Full,
    /// The month alone, abbreviated: Dec, dic, gru, 12月
    Month,
    /// The month alone, in full: December, dicembre, grudzień
    MonthLong,
}

impl DateStyle {
    pub fn parse(s: &str) -> Result<DateStyle, String> {
        Ok(match s {
            "short" => DateStyle::Short,
            "medium" => DateStyle::Medium,
            "long" => DateStyle::Long,
            "full" => DateStyle::Full,
            "month" => DateStyle::Month,
            "month_long" => DateStyle::MonthLong,
            _ => {
                return Err(format!(
                    "unknown date format `{s}`; use short, medium, long, full, month or month_long"
                ))
            }
        })
    }
}

/// Parses `2026-12-15` (a time or zone after the date is ignored) or `2026-12` (month).
pub fn parse_iso_date(text: &str) -> Result<(i32, u8, u8), String> {
    let t = text.trim();
    let date_part = t.split(['T', ' ']).next().unwrap_or(t);
    let parts: Vec<&str> = date_part.split('-').collect();
    let bad = || format!("`{text}` is not a date; write it as YYYY-MM-DD (ISO 8601)");
    let (y, m, d) = match parts[..] {
        [y, m, d] => (y, m, d),
        [y, m] => (y, m, "1"),
        _ => return Err(bad()),
    };
    let y: i32 = y.parse().map_err(|_| bad())?;
    let m: u8 = m.parse().map_err(|_| bad())?;
    let d: u8 = d.parse().map_err(|_| bad())?;
    Date::try_new_iso(y, m, d).map_err(|_| format!("`{text}` is not a real date"))?;
    Ok((y, m, d))
}

pub fn format_date(locale: &str, (y, m, d): (i32, u8, u8), style: DateStyle) -> Result<String, String> {
    use fieldsets::enums::{
        CalendarPeriodFieldSet as CP, CompositeDateTimeFieldSet as C, DateFieldSet as DF,
    };
    let date = Date::try_new_iso(y, m, d).map_err(|e| format!("invalid date {y}-{m}-{d}: {e:?}"))?;
    with_cached(
        &DATES,
        (locale.to_string(), style),
        || {
            let set = match style {
                DateStyle::Short => C::Date(DF::YMD(fieldsets::YMD::short())),
                DateStyle::Medium => C::Date(DF::YMD(fieldsets::YMD::medium())),
                DateStyle::Long => C::Date(DF::YMD(fieldsets::YMD::long())),
                DateStyle::Full => C::Date(DF::YMDE(fieldsets::YMDE::long())),
                DateStyle::Month => C::CalendarPeriod(CP::M(fieldsets::M::medium())),
                DateStyle::MonthLong => C::CalendarPeriod(CP::M(fieldsets::M::long())),
            };
            DateTimeFormatter::try_new(parse_locale(locale)?.into(), set)
                .map_err(|e| format!("no date format for locale {locale}: {e}"))
        },
        // The composite field set accepts date-time inputs; the time is not shown.
        |f| f.format(&DateTime { date, time: Time::start_of_day() }).write_to_string().into_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_the_locale() {
        let n = |l| format_number(l, 1234567.891, 2).unwrap();
        assert_eq!(n("en-GB"), "1,234,567.89");
        assert_eq!(n("en-US"), "1,234,567.89");
        assert_eq!(n("de-DE"), "1.234.567,89");
        assert_eq!(n("it-IT"), "1.234.567,89");
        assert_eq!(n("pl-PL"), "1\u{a0}234\u{a0}567,89");
        assert_eq!(n("zh-CN"), "1,234,567.89");
        assert_eq!(n("fr-FR"), "1\u{202f}234\u{202f}567,89");
        assert_eq!(n("es-ES"), "1.234.567,89");
        assert_eq!(format_number("en-GB", 12.0, 0).unwrap(), "12");
    }

    #[test]
    fn money_follows_the_locale() {
        assert_eq!(format_currency("en-GB", 1234.5, "GBP").unwrap(), "£1,234.50");
        assert_eq!(format_currency("en-US", 1234.5, "USD").unwrap(), "$1,234.50");
        assert_eq!(format_currency("de-DE", 1234.5, "EUR").unwrap(), "1.234,50\u{a0}€");
        assert_eq!(format_currency("it-IT", 1234.5, "EUR").unwrap(), "1234,50\u{a0}€");
        assert_eq!(format_currency("pl-PL", 1234.5, "PLN").unwrap(), "1234,50\u{a0}zł");
        assert_eq!(format_currency("zh-CN", 1234.5, "CNY").unwrap(), "¥1,234.50");
        assert_eq!(format_currency("fr-FR", 1234.5, "EUR").unwrap(), "1\u{202f}234,50\u{a0}€");
        assert_eq!(format_currency("es-ES", 1234.5, "EUR").unwrap(), "1234,50\u{a0}€");
        assert_eq!(
            format_currency("en-GB", 1234.5, "EUR").unwrap(),
            "€1,234.50",
            "currency and locale are independent"
        );
        assert!(format_currency("en-GB", 1.0, "EURO").unwrap_err().contains("ISO 4217"));
    }

    #[test]
    fn percentages_follow_the_locale() {
        let p = |l| format_percent(l, -3.45, 1).unwrap();
        assert_eq!(p("en-GB"), "-3.5%");
        assert_eq!(p("de-DE"), "-3,5\u{a0}%");
        assert_eq!(p("fr-FR"), "-3,5\u{a0}%");
        assert_eq!(p("pl-PL"), "-3,5%");
    }

    #[test]
    fn dates_follow_the_locale() {
        let d = parse_iso_date("2026-12-15").unwrap();
        assert_eq!(format_date("en-GB", d, DateStyle::Long).unwrap(), "15 December 2026");
        assert_eq!(format_date("en-US", d, DateStyle::Long).unwrap(), "December 15, 2026");
        assert_eq!(format_date("de-DE", d, DateStyle::Long).unwrap(), "15. Dezember 2026");
        assert_eq!(format_date("it-IT", d, DateStyle::Long).unwrap(), "15 dicembre 2026");
        assert_eq!(format_date("pl-PL", d, DateStyle::Long).unwrap(), "15 grudnia 2026");
        assert_eq!(format_date("zh-CN", d, DateStyle::Long).unwrap(), "2026年12月15日");
        assert_eq!(format_date("fr-FR", d, DateStyle::Long).unwrap(), "15 décembre 2026");
        assert_eq!(format_date("es-ES", d, DateStyle::Long).unwrap(), "15 de diciembre de 2026");
        assert_eq!(format_date("fr-FR", (2026, 2, 1), DateStyle::MonthLong).unwrap(), "février");
        assert_eq!(format_date("en-GB", d, DateStyle::Short).unwrap(), "15/12/2026");
        assert_eq!(format_date("de-DE", (2026, 3, 1), DateStyle::Month).unwrap(), "Mär");
        assert_eq!(format_date("de-DE", (2026, 3, 1), DateStyle::MonthLong).unwrap(), "März");
        assert!(parse_iso_date("15/12/2026").unwrap_err().contains("YYYY-MM-DD"));
        assert!(parse_iso_date("2026-02-30").unwrap_err().contains("not a real date"));
    }
}
