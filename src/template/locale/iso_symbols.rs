//! Currencies that a language writes by their ISO code although root has a symbol for them.
//!
//! CLDR's Italian writes US dollars as "1234,56 USD", Ukrainian euros as "EUR", Spanish pounds
//! as "GBP". ICU4X 0.7's data generator leaves a symbol equal to the ISO code out (its
//! formatter writes the code for a missing symbol), but the compiled data then falls back to
//! root's symbol for the same request: `it` gets "US$", `uk` "€". A symbol request that
//! resolved to root is therefore ambiguous (root's symbol is right where the language inherits
//! it, as `€` in `it`), and this table, from CLDR, settles it for the languages billreel tests.
//!
//! Made from the CLDR 48 JSON (cldr-json branch `v48`): for each language, the currencies whose
//! `symbol` in `cldr-numbers-full/main/<lang>/currencies.json` is the ISO code while
//! `main/und`'s is not (root has a symbol other than the code for 23 currencies). Languages
//! with no entry (en) have none.

use icu::experimental::dimension::currency::CurrencyType;
use icu::experimental::dimension::provider::currency::symbols::CurrencySymbolsV1;
use icu::locale::Locale;
use icu_provider::prelude::*;

#[rustfmt::skip]
const ISO_CODE_SYMBOLS: &[(&str, &[&str])] = &[
    ("it", &["BRL", "HKD", "INR", "JPY", "KRW", "MXN", "TWD", "USD", "VND"]),
    ("pl", &["AUD", "CAD", "CNY", "GBP", "HKD", "ILS", "INR", "JPY", "KRW", "MXN", "NZD", "PHP", "TWD", "USD", "VND", "XCG"]),
    ("de", &["PHP", "XXX"]),
    ("fr", &["CNY", "HKD", "JPY", "PHP", "TWD", "XCD"]),
    ("es", &["AUD", "BRL", "CAD", "CNY", "GBP", "HKD", "ILS", "INR", "JPY", "KRW", "MXN", "NZD", "PHP", "TWD", "XAF", "XCD", "XOF"]),
    ("pt", &["PHP"]),
    ("tr", &["PHP"]),
    ("el", &["PHP"]),
    ("uk", &["AUD", "BRL", "CAD", "CNY", "EUR", "GBP", "HKD", "ILS", "INR", "KRW", "MXN", "NZD", "PHP", "TWD", "USD", "VND", "XCD"]),
    ("zh", &["PHP", "XXX"]),
    ("ja", &["PHP", "XXX"]),
    ("hi", &["PHP"]),
    ("th", &["PHP", "XXX"]),
    ("he", &["PHP"]),
    ("ar", &["PHP"]),
];

/// Whether `locale` writes `currency` by its ISO code where ICU4X's data would give root's
/// symbol: the language's CLDR symbol is the code, and the symbol request resolves to root
/// (a region with a symbol of its own, such as fr-CA, keeps it).
pub(super) fn writes_iso_code(locale: &Locale, currency: CurrencyType) -> bool {
    let code = currency.iso_code();
    let listed = ISO_CODE_SYMBOLS
        .iter()
        .any(|(lang, codes)| *lang == locale.id.language.as_str() && codes.contains(&code.as_str()));
    if !listed {
        return false;
    }
    let data_locale = DataLocale::from(locale);
    let mut buf = Default::default();
    let attrs = CurrencySymbolsV1::make_attributes(currency, CurrencySymbolsV1::SHORT, &mut buf);
    let mut metadata = DataRequestMetadata::default();
    metadata.silent = true;
    let request = DataRequest {
        id: DataIdentifierBorrowed::for_marker_attributes_and_locale(attrs, &data_locale),
        metadata,
    };
    match DataProvider::<CurrencySymbolsV1>::load(&icu::experimental::provider::Baked, request) {
        Ok(r) => r.metadata.locale.is_some_and(|l| l.language.is_unknown()),
        Err(_) => false,
    }
}
