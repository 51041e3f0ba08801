//! The template environment: minijinja, sandboxed, with billreel's filters.
//!
//! `Environment::new()` brings the builtin filters and tests (upper, round, default, map, join,
//! ...) but no loader, so templates cannot read files. Auto-escaping is set explicitly: the
//! templates of text layers (named `….text`) escape inserted values as rich-text markup, so
//! record data shows literally and never opens a tag; every other template escapes nothing (its
//! output is drawn or checked, not served). Undefined values are errors, so a missing field names
//! itself, and a fuel limit ends a runaway loop with an error, not a hang. Customer data is only
//! ever context, never template source: a name such as `{{ 7*7 }}` is drawn literally.

use minijinja::value::{Value, ValueKind};
use minijinja::{Environment, ErrorKind, State, UndefinedBehavior};

use super::locale;
use crate::storyboard::markup;

/// Fuel for one template or expression evaluation: generous for real templates, small enough
/// that a runaway loop fails in milliseconds.
pub const FUEL: u64 = 50_000;

/// Locale used when neither the record nor the storyboard names one.
pub const DEFAULT_LOCALE: &str = "en-GB";

/// The sandboxed template environment with billreel's filters.
pub fn environment(default_currency: Option<String>) -> Environment<'static> {
    // `new()` brings the builtin filters and tests (upper, round, default, map, join, ...) but
    // no loader, so templates still cannot read files; auto-escaping is switched off below.
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_fuel(Some(FUEL));
    env.set_auto_escape_callback(
        |name| if name.ends_with(".text") { MARKUP } else { minijinja::AutoEscape::None },
    );
    env.set_formatter(|out, state, value| {
        if state.auto_escape() == MARKUP && !value.is_safe() {
            if !value.is_undefined() && !value.is_none() {
                out.write_str(&markup::escape(&value.to_string()))?;
            }
            Ok(())
        } else {
            minijinja::escape_formatter(out, state, value)
        }
    });
    env.add_filter("currency", move |state: &State, value: Value, code: Option<String>| {
        let v = number_arg(&value, "currency")?;
        let code = code.or_else(|| default_currency.clone()).ok_or_else(|| {
            op_error("`| currency` needs a currency code: write `| currency('EUR')` or set `currency:` in the storyboard")
        })?;
        locale::format_currency(&state_locale(state), v, &code).map_err(op_error)
    });
    env.add_filter("number", |state: &State, value: Value, decimals: Option<u8>| {
        let v = number_arg(&value, "number")?;
        locale::format_number(&state_locale(state), v, decimals.unwrap_or(0).min(12)).map_err(op_error)
    });
    env.add_filter("percent", |state: &State, value: Value, decimals: Option<u8>| {
        let v = number_arg(&value, "percent")?;
        locale::format_percent(&state_locale(state), v, decimals.unwrap_or(0).min(12)).map_err(op_error)
    });
    env.add_filter("date", |state: &State, value: Value, style: Option<String>| {
        let text = value.as_str().ok_or_else(|| {
            op_error(format!("`| date` expects a date string like \"2026-12-15\", but got {value}"))
        })?;
        let date = locale::parse_iso_date(text).map_err(op_error)?;
        let style = locale::DateStyle::parse(style.as_deref().unwrap_or("long")).map_err(op_error)?;
        locale::format_date(&state_locale(state), date, style).map_err(op_error)
    });
    env
}

fn op_error(msg: impl std::fmt::Display) -> minijinja::Error {
    minijinja::Error::new(ErrorKind::InvalidOperation, msg.to_string())
}

fn number_arg(value: &Value, filter: &str) -> Result<f64, minijinja::Error> {
    match value.kind() {
        ValueKind::Number => f64::try_from(value.clone())
            .map_err(|_| op_error(format!("`| {filter}` got a value that is not a number: {value}"))),
        _ => Err(op_error(format!("`| {filter}` expects a number, but got {} `{value}`", kind_name(value)))),
    }
}

pub fn kind_name(v: &Value) -> &'static str {
    match v.kind() {
        ValueKind::Undefined => "nothing",
        ValueKind::None => "null",
        ValueKind::Bool => "the boolean",
        ValueKind::Number => "the number",
        ValueKind::String => "the string",
        ValueKind::Seq => "the list",
        ValueKind::Map => "the object",
        _ => "the value",
    }
}

fn state_locale(state: &State) -> String {
    state
        .lookup("locale")
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| DEFAULT_LOCALE.into())
}

/// The auto-escape mode of text layers' templates: values they insert have `[` doubled, so
/// record data shows literally and never opens a rich-text tag.
const MARKUP: minijinja::AutoEscape = minijinja::AutoEscape::Custom("billreel-markup");
