//! A `t()` call's arguments as Fluent values, and Fluent's numbers written by ICU4X in the
//! record's locale.
//!
//! A number stays a number for Fluent, so a selector picks its plural variant; only writing it
//! is ours: fluent-bundle's own writes `1234.5` in every language. Its formatter hook is a
//! plain `fn` whose only context is the bundle's plural-rules memoizer, which knows the
//! language of the file (`pt`) but not the record's whole tag (`pt-BR`, `ar-AE-u-nu-latn` with
//! its digits). So [`with_locale`] hands the tag to [`format`] through a thread-local, set for
//! the length of one `format_pattern` call on this thread and cleared after.

use std::cell::RefCell;

use fluent_bundle::types::{FluentNumber, FluentNumberOptions};
use fluent_bundle::{FluentArgs, FluentValue};
use minijinja::value::{Kwargs, Value, ValueKind};

use super::MessageError;
use crate::storyboard::markup;
use crate::template::locale;

thread_local! {
    /// The locale numbers are written in while a message is formatted on this thread.
    static NUMBERS_LOCALE: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Runs `f` with numbers written in `locale`.
pub(super) fn with_locale<T>(locale: &str, f: impl FnOnce() -> T) -> T {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            NUMBERS_LOCALE.with(|l| l.borrow_mut().take());
        }
    }
    NUMBERS_LOCALE.with(|l| *l.borrow_mut() = Some(locale.to_string()));
    let _reset = Reset;
    f()
}

/// The fraction digits a number shows when the message does not say (`NUMBER($x,
/// maximumFractionDigits: 2)`): at most 3, as `Intl.NumberFormat`'s default that Fluent's
/// `NUMBER()` follows, and no trailing zeros.
const DEFAULT_MAX_FRACTION_DIGITS: usize = 3;

/// Fluent's formatter hook: a number written by ICU4X in the record's locale (`1 234,5` in
/// fr-FR), with the message's `minimumFractionDigits`/`maximumFractionDigits`; anything else
/// (text) as Fluent writes it.
pub(super) fn format<M>(value: &FluentValue, _memoizer: &M) -> Option<String> {
    let FluentValue::Number(n) = value else { return None };
    let locale = NUMBERS_LOCALE.with(|l| l.borrow().clone())?;
    let max = n.options.maximum_fraction_digits.unwrap_or(DEFAULT_MAX_FRACTION_DIGITS).min(12);
    let min = n.options.minimum_fraction_digits.unwrap_or(0).min(max);
    locale::format_number(&locale, n.value, fraction_digits(n.value, min, max) as u8).ok()
}

/// The digits after the point `value` needs (its shortest exact form rounded to `max`, without
/// trailing zeros), and at least `min`.
fn fraction_digits(value: f64, min: usize, max: usize) -> usize {
    let rounded = format!("{value:.max$}");
    let shown = match rounded.split_once('.') {
        Some((_, frac)) => frac.trim_end_matches('0').len(),
        None => 0,
    };
    shown.max(min)
}

/// A `t()` call's keyword arguments as Fluent's: numbers stay numbers (plural selection),
/// text is text (escaped as rich-text markup in a text layer, `markup`, so a customer's name
/// never opens a tag), a boolean is `"true"`/`"false"` (for a selector).
pub fn args(id: &str, kwargs: &Kwargs, markup_text: bool) -> Result<FluentArgs<'static>, MessageError> {
    let mut out = FluentArgs::new();
    for name in kwargs.args() {
        let value: Value = kwargs.get(name).unwrap_or_default();
        let bad = |what: &str| MessageError::Argument { id: id.into(), name: name.into(), what: what.into() };
        let v: FluentValue<'static> = match value.kind() {
            ValueKind::Number => {
                let f = f64::try_from(value).map_err(|_| bad("a number Fluent cannot hold"))?;
                if !f.is_finite() {
                    return Err(bad("a number that is not finite"));
                }
                FluentValue::Number(FluentNumber::new(f, FluentNumberOptions::default()))
            }
            ValueKind::String => {
                let s = value.as_str().unwrap_or_default();
                let s = if markup_text && !value.is_safe() { markup::escape(s) } else { s.to_string() };
                FluentValue::String(s.into())
            }
            ValueKind::Bool => FluentValue::String(if value.is_true() { "true" } else { "false" }.into()),
            ValueKind::Undefined | ValueKind::None => return Err(bad("nothing (undefined or none)")),
            _ => {
                return Err(bad(&format!(
                    "{} (a list or an object)",
                    crate::template::env::kind_name(&value)
                )))
            }
        };
        out.set(name.to_string(), v);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fraction_digits_are_the_shortest_within_the_bounds() {
        assert_eq!(fraction_digits(1234.5, 0, 3), 1);
        assert_eq!(fraction_digits(30.0, 0, 3), 0);
        assert_eq!(fraction_digits(0.1 + 0.2, 0, 3), 1);
        assert_eq!(fraction_digits(2.0, 2, 3), 2);
        assert_eq!(fraction_digits(1.23456, 0, 2), 2);
    }
}
