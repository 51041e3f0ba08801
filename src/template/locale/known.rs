//! Which locales billreel formats for, and which way their text runs.
//!
//! Any well-formed BCP 47 tag parses, and ICU4X then formats with whatever its compiled data
//! falls back to: for a language it has no data for (`jp-JP`, a typo for `ja-JP`) that is the
//! root locale, which writes `JP¥`, "2027 M04 12" and month labels "M10". A bill in that form
//! is wrong without anyone noticing, so a locale is *known* only when the compiled data has
//! the language's own month names: the request for them resolves to something other than the
//! root locale `und` (ICU4X's baked data reports the locale it fell back to in
//! `DataResponseMetadata::locale`). Month names are the test because every language with CLDR
//! data of "basic" coverage or better has them, and root's are the tell-tale "M01".

use icu::datetime::provider::names::DatetimeNamesMonthGregorianV1;
use icu::decimal::provider::DecimalDigitsV1;
use icu::decimal::DecimalFormatter;
use icu::locale::{Locale, LocaleCanonicalizer, LocaleExpander};
use icu_provider::prelude::*;

use super::{parse_locale, LocaleError};

/// Parses `tag` and checks that ICU4X has data for its language (and for its numbering system,
/// when it names one with `-u-nu-`): an unknown locale is an error that suggests a known one
/// when it can (`jp-JP`: "did you mean ja-JP?").
pub fn check_locale(tag: &str) -> Result<Locale, LocaleError> {
    let locale = parse_locale(tag)?;
    if !has_language_data(&locale) {
        return Err(LocaleError::Unknown { tag: tag.trim().into(), suggestion: suggest(&locale) });
    }
    if let Some(nu) = locale.extensions.unicode.keywords.get(&icu::locale::extensions::unicode::key!("nu")) {
        let nu = nu.to_string();
        if !has_numbering_system(&locale, &nu) {
            return Err(LocaleError::UnknownNumberingSystem { tag: tag.trim().into(), nu });
        }
    }
    Ok(locale)
}

/// Whether `tag` is a locale whose text runs right to left (ar-SA, he-IL, fa-IR, ur-PK), by the
/// script CLDR's likely subtags give its language. A tag that does not parse is not. The
/// answer is the text layout's own (`scene::text::locale_is_rtl`), so both always agree.
pub fn is_rtl(tag: &str) -> bool {
    parse_locale(tag).is_ok_and(|l| crate::scene::text::locale_is_rtl(&l.to_string()))
}

/// Whether the compiled data has month names of `locale`'s language (not only root's).
fn has_language_data(locale: &Locale) -> bool {
    if locale.id.language.is_unknown() {
        return false;
    }
    let data_locale = DataLocale::from(locale);
    // "5": the wide format names, the ones `| date('month_long')` writes.
    let attrs = DataMarkerAttributes::from_str_or_panic("5");
    let request = DataRequest {
        id: DataIdentifierBorrowed::for_marker_attributes_and_locale(attrs, &data_locale),
        metadata: silent(),
    };
    match DataProvider::<DatetimeNamesMonthGregorianV1>::load(&icu::datetime::provider::Baked, request) {
        // `locale` is set only when the data fell back; `und` is the root locale.
        Ok(response) => !response.metadata.locale.is_some_and(|l| l.language.is_unknown()),
        Err(_) => false,
    }
}

/// Whether ICU4X formats `locale`'s numbers in numbering system `nu` (`latn`, `arab`): it
/// otherwise uses the locale's default digits without a word. The numbering system a
/// `DecimalFormatter` resolved to is the attribute of the last `DecimalDigitsV1` it loads
/// (the way `icu::decimal::provider`'s documentation shows).
fn has_numbering_system(locale: &Locale, nu: &str) -> bool {
    struct Inspect(std::cell::RefCell<Option<String>>);
    impl<M: DataMarker> DataProvider<M> for Inspect
    where
        icu::decimal::provider::Baked: DataProvider<M>,
    {
        fn load(&self, req: DataRequest) -> Result<DataResponse<M>, DataError> {
            if M::INFO == DecimalDigitsV1::INFO {
                *self.0.borrow_mut() = Some(req.id.marker_attributes.as_str().to_string());
            }
            icu::decimal::provider::Baked.load(req)
        }
    }
    let inspect = Inspect(Default::default());
    let built = DecimalFormatter::try_new_unstable(&inspect, locale.into(), Default::default());
    built.is_ok() && inspect.0.into_inner().as_deref() == Some(nu)
}

/// A request that ICU4X does not log when it fails: the tag can be the customer's data, and
/// the caller reports the problem itself.
fn silent() -> DataRequestMetadata {
    let mut m = DataRequestMetadata::default();
    m.silent = true;
    m
}

/// A known locale close to `locale`: its canonical form (`iw-IL` → `he-IL`), else the language
/// most spoken in the region the tag names, or in the region its language code reads as (the
/// common mistake of writing a country code for the language: `jp` → `ja`, `cn` → `zh`, `gr` →
/// `el`, `ua` → `uk`, `kr` → `ko`, `dk` → `da`, `cz` → `cs`, `se-SE` → `sv-SE`), by CLDR's
/// likely subtags.
pub(super) fn suggest(locale: &Locale) -> Option<String> {
    let mut canonical = locale.clone();
    LocaleCanonicalizer::new_extended().canonicalize(&mut canonical);
    if canonical != *locale && has_language_data(&canonical) {
        return Some(canonical.to_string());
    }
    let region = match locale.id.region {
        Some(r) => r,
        None => locale.id.language.as_str().to_ascii_uppercase().parse().ok()?,
    };
    let mut likely = icu::locale::LanguageIdentifier::UNKNOWN;
    likely.region = Some(region);
    LocaleExpander::new_extended().maximize(&mut likely);
    let mut guess = locale.clone();
    guess.id.language = likely.language;
    // The region stays as written: `jp` alone gets `ja`, not `ja-JP`.
    guess.id.script = None;
    (guess != *locale && has_language_data(&guess)).then(|| guess.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_without_data_are_unknown_and_get_a_suggestion() {
        for tag in ["en-GB", "ja-JP", "ar-SA", "ar-AE-u-nu-latn", "pt-BR", "zh-CN", "en-XX", "fil"] {
            assert!(check_locale(tag).is_ok(), "{tag}");
        }
        let cases = [
            ("jp-JP", Some("ja-JP")),
            ("jp", Some("ja")),
            ("cn-CN", Some("zh-CN")),
            ("gr-GR", Some("el-GR")),
            ("ua-UA", Some("uk-UA")),
            ("kr-KR", Some("ko-KR")),
            ("iw-IL", Some("he-IL")),
            ("xx-QQ", None),
        ];
        for (tag, want) in cases {
            match check_locale(tag) {
                Err(LocaleError::Unknown { suggestion, .. }) => {
                    assert_eq!(suggestion.as_deref(), want, "{tag}")
                }
                other => panic!("{tag}: {other:?}"),
            }
        }
        let e = check_locale("ar-SA-u-nu-abcd").unwrap_err();
        assert!(e.to_string().contains("numbering system `abcd`"), "{e}");
        let e = check_locale("en GB").unwrap_err();
        assert!(e.to_string().contains("is not a locale"), "{e}");
    }

    #[test]
    fn right_to_left_locales() {
        for tag in ["ar-SA", "ar-AE-u-nu-latn", "he-IL", "fa-IR", "ur-PK"] {
            assert!(is_rtl(tag), "{tag}");
        }
        for tag in ["en-GB", "tr-TR", "hi-IN", "zh-CN", "not a tag", ""] {
            assert!(!is_rtl(tag), "{tag}");
        }
    }
}
