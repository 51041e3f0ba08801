//! Locale-aware formatting of numbers, money and dates from CLDR data (ICU4X, compiled in).
//!
//! Formatters are costly to build and cheap to use, so each thread keeps the ones it has built,
//! keyed by locale (and currency). Nothing here is specific to templates: the minijinja filters
//! in `bind` call these functions.
//!
//! The data is ICU4X 2.4's compiled data, generated from CLDR 49.0.0 (Unicode 18); see
//! `icu_decimal_data`'s README. tests/locales.rs holds the expected output of every supported
//! locale, typed from the CLDR JSON.
//!
//! [`check_locale`] says whether the data knows a locale at all (unknown ones fall back to root
//! without a word, see [`known`]); [`case`] maps case by the locale's rules.

pub mod case;
mod iso_symbols;
mod known;

pub use known::{check_locale, is_rtl};

/// The locales whose output tests/locales.rs checks against CLDR. Others that ICU4X has data
/// for work too, unchecked.
pub const TESTED: &[&str] = &[
    "en-GB",
    "en-US",
    "it-IT",
    "pl-PL",
    "de-DE",
    "fr-FR",
    "es-ES",
    "pt-BR",
    "tr-TR",
    "el-GR",
    "uk-UA",
    "zh-CN",
    "ja-JP",
    "hi-IN",
    "th-TH",
    "he-IL",
    "ar-SA",
    "ar-AE-u-nu-latn",
];

/// The hint of an unknown storyboard locale.
pub const SUPPORTED_HINT: &str = "tested: en-GB, en-US, it-IT, pl-PL, de-DE, fr-FR, es-ES, pt-BR, tr-TR, el-GR, uk-UA, zh-CN, ja-JP, hi-IN, th-TH, he-IL, ar-SA, ar-AE-u-nu-latn (any language with CLDR data works; see docs/storyboard.md, Locales)";

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
use icu::experimental::dimension::percent::formatter::PercentFormatter;
use icu::locale::Locale;
use icu_provider::prelude::*;
use thiserror::Error;
use writeable::Writeable;

/// Why a value could not be formatted for a locale (or a locale not read). The filters in
/// `bind` show the message to the storyboard author.
#[derive(Debug, Error)]
pub enum LocaleError {
    #[error("`{tag}` is not a locale; write a BCP 47 tag such as en-GB, de-DE or zh-CN")]
    NotALocale {
        tag: String,
        #[source]
        source: icu::locale::ParseError,
    },
    /// A well-formed tag whose language ICU4X's data does not have (it would format as root).
    #[error("`{tag}` is not a locale billreel has data for{}", suggestion.as_ref().map(|s| format!(" (did you mean {s}?)")).unwrap_or_else(|| " (write a BCP 47 tag such as en-GB, de-DE or zh-CN)".into()))]
    Unknown { tag: String, suggestion: Option<String> },
    /// `-u-nu-X` with a numbering system the locale has no digits and symbols for.
    #[error("`{tag}` asks for the numbering system `{nu}`, which billreel has no data for in that language; use `latn` (0-9) or the locale's own (e.g. `arab` for ar-SA)")]
    UnknownNumberingSystem { tag: String, nu: String },
    #[error("{0} is not a finite number")]
    NotFinite(f64),
    #[error("cannot format {value}: {source}")]
    Decimal {
        value: f64,
        #[source]
        source: fixed_decimal::ParseError,
    },
    #[error("`{0}` is not an ISO 4217 currency code like EUR, GBP or PLN")]
    CurrencyCode(String),
    #[error("`{0}` is not an ISO 4217 currency code")]
    UnknownCurrency(String),
    /// ICU4X has no data to build the formatter (`what`: "number format for locale de-DE").
    #[error("no {what}: {source}")]
    NoFormat {
        what: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("unknown date format `{0}`; use short, medium, long, full, month or month_long")]
    DateStyle(String),
    #[error("`{0}` is not a date; write it as YYYY-MM-DD (ISO 8601)")]
    NotADate(String),
    #[error("`{text}` is not a real date")]
    NotARealDate {
        text: String,
        #[source]
        source: icu::calendar::RangeError,
    },
    #[error("invalid date {y}-{m}-{d}: {source:?}")]
    InvalidDate {
        y: i32,
        m: u8,
        d: u8,
        #[source]
        source: icu::calendar::RangeError,
    },
}

impl LocaleError {
    fn no_format<E: std::error::Error + Send + Sync + 'static>(
        what: String,
    ) -> impl FnOnce(E) -> LocaleError {
        move |e| LocaleError::NoFormat { what, source: Box::new(e) }
    }
}

/// Parses a BCP 47 locale such as `en-GB`, `pl-PL` or `zh-CN`.
pub fn parse_locale(tag: &str) -> Result<Locale, LocaleError> {
    Locale::try_from_str(tag.trim()).map_err(|source| LocaleError::NotALocale { tag: tag.into(), source })
}

thread_local! {
    static PERCENTS: RefCell<HashMap<String, Percents>> = RefCell::new(HashMap::new());
    static DECIMALS: RefCell<HashMap<String, DecimalFormatter>> = RefCell::new(HashMap::new());
    static MONEY: RefCell<HashMap<(String, String), CurrencyFormatter<DecimalFormatter>>> = RefCell::new(HashMap::new());
    static DATES: RefCell<HashMap<(String, DateStyle), DateFormat>> = RefCell::new(HashMap::new());
}

/// Formats with a formatter from a per-thread cache, building it on first use for `key`.
fn with_cached<K: Eq + std::hash::Hash, F>(
    cache: &'static std::thread::LocalKey<RefCell<HashMap<K, F>>>,
    key: K,
    build: impl FnOnce() -> Result<F, LocaleError>,
    format: impl FnOnce(&F) -> String,
) -> Result<String, LocaleError> {
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
fn decimal(value: f64, decimals: u8) -> Result<Decimal, LocaleError> {
    if !value.is_finite() {
        return Err(LocaleError::NotFinite(value));
    }
    Decimal::from_str(&format!("{value:.*}", decimals as usize))
        .map_err(|source| LocaleError::Decimal { value, source })
}

/// `1234.5` with 2 decimals -> `1,234.50` (en-GB), `1.234,50` (de-DE), `1 234,50` (pl-PL).
pub fn format_number(locale: &str, value: f64, decimals: u8) -> Result<String, LocaleError> {
    let d = decimal(value, decimals)?;
    with_cached(
        &DECIMALS,
        locale.to_string(),
        || {
            DecimalFormatter::try_new(parse_locale(locale)?.into(), Default::default())
                .map_err(LocaleError::no_format(format!("number format for locale {locale}")))
        },
        |f| f.format(&d).write_to_string().into_owned(),
    )
}

/// `1234.5 EUR` -> `€1,234.50` (en-GB), `1.234,50 €` (de-DE), `1234,50 €` (it-IT).
/// The fraction digits are the currency's own (CLDR's supplemental currency data: 2 for EUR, 0
/// for JPY, 3 for KWD); the amount is rounded once, to those digits, half to even (as ICU).
pub fn format_currency(locale: &str, value: f64, code: &str) -> Result<String, LocaleError> {
    let code_upper = code.trim().to_ascii_uppercase();
    if code_upper.len() != 3 || !code_upper.chars().all(|c| c.is_ascii_alphabetic()) {
        return Err(LocaleError::CurrencyCode(code.into()));
    }
    let currency = CurrencyType::try_from_str(&code_upper.to_ascii_lowercase())
        .map_err(|_| LocaleError::UnknownCurrency(code.into()))?;
    let d = decimal(value, minor_digits(currency)?)?;
    with_cached(
        &MONEY,
        (locale.to_string(), code_upper.clone()),
        || {
            let loc = parse_locale(locale)?;
            let built = if iso_symbols::writes_iso_code(&loc, currency) {
                CurrencyFormatter::try_new_code((&loc).into(), currency, Default::default())
            } else {
                CurrencyFormatter::try_new_symbol((&loc).into(), currency, Default::default())
            };
            built.map_err(LocaleError::no_format(format!("currency format for {code_upper} in {locale}")))
        },
        |f| f.format_fixed_decimal(&d).write_to_string().into_owned(),
    )
}

/// The digits after the decimal point of `currency`'s amounts (ISO 4217's minor unit as CLDR
/// gives it). ICU4X's formatter rounds to them too, but only after we have made a decimal of
/// the float: rounding once, here, keeps 1.2345 KWD from becoming 1.23 and then 1.230.
fn minor_digits(currency: CurrencyType) -> Result<u8, LocaleError> {
    use icu::experimental::dimension::provider::currency::fractions::CurrencyFractionsV1;
    let fractions: DataPayload<CurrencyFractionsV1> = icu::experimental::provider::Baked
        .load(Default::default())
        .map_err(LocaleError::no_format("currency fraction digits".into()))?
        .payload;
    Ok(fractions.get().resolve(currency).digits)
}

/// A percentage (the value is already in percent): `-3.4` -> `-3.4%` (en), `-3,4 %` (fr-FR),
/// `-%3,4` (tr-TR), `؜-٣٫٤٪؜` (ar-SA).
pub fn format_percent(locale: &str, value: f64, decimals: u8) -> Result<String, LocaleError> {
    let d = decimal(value, decimals)?;
    with_cached(
        &PERCENTS,
        locale.to_string(),
        || {
            let prefs = parse_locale(locale)?;
            let decimal = DecimalFormatter::try_new((&prefs).into(), Default::default())
                .map_err(LocaleError::no_format(format!("number format for locale {locale}")))?;
            let arabic_digits = prefs.id.language.as_str() == "ar"
                && decimal.format(&Decimal::from(0)).write_to_string() == "\u{660}";
            let percent = PercentFormatter::try_new((&prefs).into(), Default::default())
                .map_err(LocaleError::no_format(format!("percent format for locale {locale}")))?;
            Ok(Percents { percent, decimal, arabic_digits })
        },
        |f| {
            if f.arabic_digits {
                // ICU4X 0.7's percent data is for Latin digits only (`DecimalPercentV1` has no
                // numbering-system attribute): with Arabic-Indic digits it writes the Latin
                // minus (LRM + "-") and no ALM. CLDR's `arab` symbols for every `ar` locale:
                // minus "؜-" (ALM + "-", which the decimal formatter writes), pattern
                // `#,##0%`, percent sign "٪؜" (U+066A, ALM).
                format!("{}\u{66a}\u{61c}", f.decimal.format(&d).write_to_string())
            } else {
                f.percent.format(&d).write_to_string().into_owned()
            }
        },
    )
}

/// The formatters of one locale's percentages.
struct Percents {
    percent: PercentFormatter<DecimalFormatter>,
    decimal: DecimalFormatter,
    /// `ar` with the `arab` numbering system (ar-SA's default, or `-u-nu-arab`).
    arabic_digits: bool,
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
    pub fn parse(s: &str) -> Result<DateStyle, LocaleError> {
        Ok(match s {
            "short" => DateStyle::Short,
            "medium" => DateStyle::Medium,
            "long" => DateStyle::Long,
            "full" => DateStyle::Full,
            "month" => DateStyle::Month,
            "month_long" => DateStyle::MonthLong,
            _ => return Err(LocaleError::DateStyle(s.into())),
        })
    }
}

/// Parses `2026-12-15` (a time or zone after the date is ignored) or `2026-12` (month).
pub fn parse_iso_date(text: &str) -> Result<(i32, u8, u8), LocaleError> {
    let t = text.trim();
    let date_part = t.split(['T', ' ']).next().unwrap_or(t);
    let parts: Vec<&str> = date_part.split('-').collect();
    let bad = || LocaleError::NotADate(text.into());
    let (y, m, d) = match parts[..] {
        [y, m, d] => (y, m, d),
        [y, m] => (y, m, "1"),
        _ => return Err(bad()),
    };
    let y: i32 = y.parse().map_err(|_| bad())?;
    let m: u8 = m.parse().map_err(|_| bad())?;
    let d: u8 = d.parse().map_err(|_| bad())?;
    Date::try_new_iso(y, m, d).map_err(|source| LocaleError::NotARealDate { text: text.into(), source })?;
    Ok((y, m, d))
}

pub fn format_date(locale: &str, (y, m, d): (i32, u8, u8), style: DateStyle) -> Result<String, LocaleError> {
    use fieldsets::enums::{
        CalendarPeriodFieldSet as CP, CompositeDateTimeFieldSet as C, DateFieldSet as DF,
    };
    let date = Date::try_new_iso(y, m, d).map_err(|source| LocaleError::InvalidDate { y, m, d, source })?;
    with_cached(
        &DATES,
        (locale.to_string(), style),
        || {
            let loc = parse_locale(locale)?;
            if let Some(pattern) = cldr_date_pattern(&loc, style) {
                return DateFormat::cldr(&loc, pattern).map_err(|source| LocaleError::NoFormat {
                    what: format!("date pattern {pattern} for locale {locale}"),
                    source,
                });
            }
            let set = match style {
                DateStyle::Short => C::Date(DF::YMD(fieldsets::YMD::short())),
                DateStyle::Medium => C::Date(DF::YMD(fieldsets::YMD::medium())),
                DateStyle::Long => C::Date(DF::YMD(fieldsets::YMD::long())),
                DateStyle::Full => C::Date(DF::YMDE(fieldsets::YMDE::long())),
                DateStyle::Month => C::CalendarPeriod(CP::M(fieldsets::M::medium())),
                DateStyle::MonthLong => C::CalendarPeriod(CP::M(fieldsets::M::long())),
            };
            DateTimeFormatter::try_new(loc.into(), set)
                .map(|f| DateFormat::Icu(Box::new(f)))
                .map_err(LocaleError::no_format(format!("date format for locale {locale}")))
        },
        |f| f.format(date),
    )
}

/// Where ICU4X 2.4 writes a date otherwise than CLDR's `dateFormats` for the locale's
/// (Gregorian) calendar: (language, style, CLDR's pattern). ICU4X builds its patterns from its
/// own skeleton data; for hi it puts a comma before the year of a long date ("15 दिसंबर,
/// 2026") where CLDR's `long` is `d MMMM y` (tests/locales.rs holds both).
const CLDR_DATE_PATTERNS: &[(&str, DateStyle, &str)] = &[("hi", DateStyle::Long, "d MMMM y")];

/// CLDR's pattern for `style` in `locale`, where ICU4X's differs and the calendar is Gregorian.
fn cldr_date_pattern(locale: &Locale, style: DateStyle) -> Option<&'static str> {
    use icu::locale::extensions::unicode::{key, value};
    let calendar = locale.extensions.unicode.keywords.get(&key!("ca"));
    if calendar.is_some_and(|c| *c != value!("gregory")) {
        return None;
    }
    CLDR_DATE_PATTERNS
        .iter()
        .find(|(lang, s, _)| *lang == locale.id.language.as_str() && *s == style)
        .map(|(_, _, pattern)| *pattern)
}

/// A date formatter: ICU4X's for a field set, or a CLDR pattern with the locale's names.
enum DateFormat {
    Icu(Box<DateTimeFormatter<fieldsets::enums::CompositeDateTimeFieldSet>>),
    Cldr(
        Box<icu::datetime::pattern::FixedCalendarDateTimeNames<icu::calendar::Gregorian>>,
        icu::datetime::pattern::DateTimePattern,
    ),
}

impl DateFormat {
    fn cldr(locale: &Locale, pattern: &str) -> Result<DateFormat, Box<dyn std::error::Error + Send + Sync>> {
        use icu::datetime::pattern::{DateTimePattern, FixedCalendarDateTimeNames};
        let pattern = DateTimePattern::try_from_pattern_str(pattern)?;
        let mut names = FixedCalendarDateTimeNames::<icu::calendar::Gregorian>::try_new(locale.into())?;
        names.include_for_pattern(&pattern).map_err(|e| format!("{e:?}"))?;
        Ok(DateFormat::Cldr(Box::new(names), pattern))
    }

    fn format(&self, date: Date<icu::calendar::Iso>) -> String {
        // The composite field set accepts date-time inputs; the time is not shown.
        match self {
            DateFormat::Icu(f) => {
                f.format(&DateTime { date, time: Time::start_of_day() }).write_to_string().into_owned()
            }
            DateFormat::Cldr(names, pattern) => {
                let date = date.to_calendar(icu::calendar::Gregorian);
                let formatted = names
                    .with_pattern_unchecked(pattern)
                    .format(&DateTime { date, time: Time::start_of_day() });
                // Every name the pattern needs was loaded with it; a failure still writes
                // something (the field's fallback), and is a bug of ours, not the data's.
                writeable::TryWriteable::try_write_to_string(&formatted)
                    .unwrap_or_else(|(_, s)| s)
                    .into_owned()
            }
        }
    }
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
        assert!(format_currency("en-GB", 1.0, "EURO").unwrap_err().to_string().contains("ISO 4217"));
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
        assert!(parse_iso_date("15/12/2026").unwrap_err().to_string().contains("YYYY-MM-DD"));
        assert!(parse_iso_date("2026-02-30").unwrap_err().to_string().contains("not a real date"));
    }
}
