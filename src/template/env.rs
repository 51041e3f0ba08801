//! The template environment: minijinja, sandboxed, with billreel's filters.
//!
//! `Environment::new()` brings the builtin filters and tests (upper, round, default, map, join,
//! ...) but no loader, so templates cannot read files. Auto-escaping is set explicitly: the
//! templates of text layers (named `….text`) escape inserted values as rich-text markup, so
//! record data shows literally and never opens a tag; every other template escapes nothing (its
//! output is drawn or checked, not served). Undefined values are errors, so a missing field names
//! itself, and a fuel limit ends a runaway loop with an error, not a hang. Customer data is only
//! ever context, never template source: a name such as `{{ 7*7 }}` is drawn literally.
//!
//! Fuel counts instructions, not what one instruction costs, so the builtins that can grow their
//! output by a factor their input does not pay for are bounded by `template_output_bytes`
//! before they run: `format` (widths and precisions), `indent` (width times lines), `replace`
//! (matches times the replacement), `join`, `pprint`; `batch` and `slice` (groups, each
//! allocated up front) by `list_items`; and every filter that walks a list refuses one of more
//! than [`MAX_ITEMS`] items (`[0] * 1000000000` is a lazy list of that length). What a template
//! prints is counted as it is printed, within `template_output_bytes` per evaluation. `debug()`
//! is removed: it prints the whole context, that is the customer's record.
//!
//! Not bounded here: minijinja's string operators. `'x' * n` is capped by minijinja itself at
//! 100,000,000 bytes, and `~`/`+` concatenation not at all (each doubling costs one
//! instruction); the compiler refuses arithmetic on strings.

use std::fmt::Write as _;

use minijinja::value::{Kwargs, Rest, StringInput, Value, ValueKind};
use minijinja::{filters, Environment, ErrorKind, State, UndefinedBehavior};

use super::locale;
use super::messages::{self, MessageError, Messages};
use crate::limits::{self, Limits};
use crate::storyboard::markup;

/// The most items a list may have when a filter walks it, as minijinja's own `range()`.
pub const MAX_ITEMS: usize = 100_000;

/// Fuel for one template or expression evaluation: generous for real templates, small enough
/// that a runaway loop fails in milliseconds.
pub const FUEL: u64 = 50_000;

/// Locale used when neither the record nor the storyboard names one.
pub const DEFAULT_LOCALE: &str = "en-GB";

/// The sandboxed template environment with billreel's filters, bounded by `limits` (fuel,
/// `template_output_bytes`, `list_items`).
pub fn environment(default_currency: Option<String>, limits: &Limits) -> Environment<'static> {
    // `new()` brings the builtin filters and tests (upper, round, default, map, join, ...) but
    // no loader, so templates still cannot read files; auto-escaping is switched off below.
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_fuel(Some(limits.fuel));
    env.set_auto_escape_callback(
        |name| if name.ends_with(".text") { MARKUP } else { minijinja::AutoEscape::None },
    );
    let max_out = limits.template_output_bytes;
    env.set_formatter(move |out, state, value| {
        if state.auto_escape() == MARKUP && !value.is_safe() {
            if !value.is_undefined() && !value.is_none() {
                check_items(std::slice::from_ref(value), "print")?;
                let shown = shown_len(value, max_out, false);
                count_output(state, shown, max_out)?;
                let text = markup::escape(&value.to_string());
                // Escaping adds to the text: what is printed is counted, once.
                count_output(state, text.len().saturating_sub(shown), max_out)?;
                out.write_str(&text)?;
            }
            Ok(())
        } else {
            check_items(std::slice::from_ref(value), "print")?;
            count_output(state, shown_len(value, max_out, false), max_out)?;
            minijinja::escape_formatter(out, state, value)
        }
    });
    bound_builtins(&mut env, limits);
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
    case_filters(&mut env);
    // For expressions of time (`1 + 0.04 * sin(2 * pi * t)`), through the audited floats.
    env.add_function("sin", |x: f64| crate::math::sin(x));
    env.add_function("cos", |x: f64| crate::math::cos(x));
    env.add_global("pi", std::f64::consts::PI);
    env
}

/// `t("id", name=value, …)`: message `id` of the storyboard's translations in the record's
/// locale (see [`messages`]). In a text layer the message is rich-text markup (a translator may
/// bold a word) and the text passed to it is escaped, as any value a text layer prints. Without
/// `translations:` (`None`) the function still exists, so that the compiler can say what is
/// missing rather than "unknown function".
pub fn add_translations(env: &mut Environment<'static>, translations: Option<std::sync::Arc<Messages>>) {
    env.add_function("t", move |state: &State, id: &str, kwargs: Kwargs| {
        let fail = |e: MessageError| {
            minijinja::Error::new(ErrorKind::InvalidOperation, format!("{e}; {}", e.hint())).with_source(e)
        };
        let Some(m) = &translations else { return Err(fail(MessageError::NoTranslations { id: id.into() })) };
        let markup = state.auto_escape() == MARKUP;
        let args = messages::args(id, &kwargs, markup).map_err(fail)?;
        let text = m.format(&state_locale(state), id, &args).map_err(fail)?;
        Ok(if markup { Value::from_safe_string(text) } else { Value::from(text) })
    });
}

/// minijinja's `upper`, `lower`, `title` and `capitalize`, by the record's locale's case rules
/// (tr-TR: "istanbul" → "İSTANBUL"; see [`locale::case`]). Words split as minijinja splits them,
/// and a value marked safe stays safe.
fn case_filters(env: &mut Environment<'static>) {
    type CaseFn = fn(&str, &str) -> String;
    let filters: [(&str, CaseFn); 4] = [
        ("upper", locale::case::upper),
        ("lower", locale::case::lower),
        ("title", locale::case::title),
        ("capitalize", locale::case::capitalize),
    ];
    for (name, map) in filters {
        env.add_filter(name, move |state: &State, value: StringInput<'_>| {
            value.preserve_safety(map(&state_locale(state), value.as_str()))
        });
    }
}

/// Adds `len` bytes to what this evaluation has printed; an error past `max`.
fn count_output(state: &State, len: usize, max: usize) -> Result<(), minijinja::Error> {
    const KEY: &str = "billreel.printed";
    let so_far = state.get_temp(KEY).and_then(|v| v.as_usize()).unwrap_or(0);
    let total = so_far.saturating_add(len);
    if total > max {
        return Err(too_large("the template's output", total, max));
    }
    state.set_temp(KEY, Value::from(total));
    Ok(())
}

fn too_large(what: &str, bytes: usize, max: usize) -> minijinja::Error {
    op_error(format!(
        "{what} would be {bytes} bytes; a template may produce at most {} (raise it with --limit template-output-bytes=SIZE)",
        limits::bytes(max as u64)
    ))
}

/// How many bytes `value` shows as text (`pretty`: as `pprint` shows it), counted as it is
/// written, without holding it (its items are within [`MAX_ITEMS`], see [`check_items`]).
fn shown_len(value: &Value, max: usize, pretty: bool) -> usize {
    if let Some(s) = value.as_str() {
        return s.len();
    }
    struct Count {
        bytes: usize,
        max: usize,
    }
    impl std::fmt::Write for Count {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            self.bytes = self.bytes.saturating_add(s.len());
            if self.bytes > self.max {
                Err(std::fmt::Error)
            } else {
                Ok(())
            }
        }
    }
    let mut count = Count { bytes: 0, max };
    let _ = if pretty { write!(count, "{value:#?}") } else { write!(count, "{value}") };
    count.bytes
}

/// A value of more than [`MAX_ITEMS`] items, nested lists and maps counted, given to a filter
/// or printed: refused before anything walks it whole (a lazy `[x] * n` has its length without
/// holding it, and Rust's list formatting would go through all of it).
fn check_items(args: &[Value], filter: &str) -> Result<(), minijinja::Error> {
    let Some(value) = args.first() else { return Ok(()) };
    let mut budget = MAX_ITEMS;
    if let Err(n) = count_items(value, &mut budget) {
        let what = if filter == "print" { "`{{ }}`".to_string() } else { format!("`| {filter}`") };
        let n = n.map_or_else(|| format!("more than {MAX_ITEMS}"), |n| n.to_string());
        return Err(op_error(format!(
            "{what} got a list of {n} items; a template's lists have at most {MAX_ITEMS}"
        )));
    }
    Ok(())
}

/// Takes the items of `value` and of the lists and maps in it from `budget`; `Err` with the
/// length of the list that did not fit (when it has one) once the budget is spent.
fn count_items(value: &Value, budget: &mut usize) -> Result<(), Option<usize>> {
    if !matches!(value.kind(), ValueKind::Seq | ValueKind::Iterable | ValueKind::Map) {
        return Ok(());
    }
    if let Some(n) = value.len() {
        if n > *budget {
            return Err(Some(n));
        }
    }
    let Ok(items) = value.try_iter() else { return Ok(()) };
    let is_map = value.kind() == ValueKind::Map;
    for item in items {
        *budget = budget.checked_sub(1).ok_or(None)?;
        let item = if is_map { value.get_item(&item).unwrap_or_default() } else { item };
        count_items(&item, budget)?;
    }
    Ok(())
}

/// The builtins replaced by bounded versions, and `debug` removed (see the module header).
fn bound_builtins(env: &mut Environment<'static>, limits: &Limits) {
    env.remove_global("debug");
    // Filters that walk a list: the builtin, once the list's length is checked.
    macro_rules! walks {
        ($($name:literal => $f:path),* $(,)?) => {$(
            let builtin = Value::from_function($f);
            env.add_filter($name, move |state: &State, args: Rest<Value>| {
                check_items(&args, $name)?;
                builtin.call(state, &args)
            });
        )*};
    }
    walks! {
        "list" => filters::list, "sort" => filters::sort, "unique" => filters::unique,
        "reverse" => filters::reverse, "sum" => filters::sum, "min" => filters::min,
        "max" => filters::max, "first" => filters::first, "last" => filters::last,
        "dictsort" => filters::dictsort, "items" => filters::items, "map" => filters::map,
        "select" => filters::select, "reject" => filters::reject,
        "selectattr" => filters::selectattr, "rejectattr" => filters::rejectattr,
        "groupby" => filters::groupby, "chain" => filters::chain, "zip" => filters::zip,
        "string" => filters::string,
    }
    let max = limits.template_output_bytes;
    let groups = limits.list_items;
    env.add_filter("format", move |state: &State, format: &Value, args: Rest<Value>| {
        for a in args.iter() {
            check_items(std::slice::from_ref(a), "format")?;
        }
        let bytes = format_size(format.as_str().unwrap_or_default(), &args, max);
        if bytes > max {
            return Err(too_large("`| format`'s result", bytes, max));
        }
        filters::format(state, format, args)
    });
    env.add_filter(
        "indent",
        move |value: StringInput<'_>,
              width: Option<usize>,
              first: Option<bool>,
              blank: Option<bool>,
              kwargs: Kwargs| {
            let w = match width {
                Some(w) => w,
                None => kwargs.peek::<Option<usize>>("width")?.unwrap_or(4),
            };
            let lines = value.as_str().matches('\n').count() + 1;
            let bytes = lines.saturating_mul(w).saturating_add(value.as_str().len());
            if bytes > max {
                return Err(too_large("`| indent`'s result", bytes, max));
            }
            filters::indent(value, width, first, blank, kwargs)
        },
    );
    env.add_filter(
        "replace",
        move |state: &State, value: StringInput<'_>, from: StringInput<'_>, to: StringInput<'_>| {
            let text = value.as_str();
            let matches = if from.as_str().is_empty() {
                text.chars().count() + 1
            } else {
                text.matches(from.as_str()).count()
            };
            let bytes =
                matches.saturating_mul(to.as_str().len().saturating_mul(2)).saturating_add(text.len());
            if bytes > max {
                return Err(too_large("`| replace`'s result", bytes, max));
            }
            filters::replace(state, value, from, to)
        },
    );
    env.add_filter("join", move |state: &State, value: &Value, joiner: Option<StringInput<'_>>| {
        check_items(std::slice::from_ref(value), "join")?;
        let sep = joiner.as_ref().map_or(0, |j| j.as_str().len());
        let mut bytes = 0usize;
        if let Ok(items) = value.try_iter() {
            for item in items {
                bytes = bytes.saturating_add(shown_len(&item, max, false)).saturating_add(sep);
                if bytes > max {
                    return Err(too_large("`| join`'s result", bytes, max));
                }
            }
        }
        filters::join(state, value, joiner)
    });
    env.add_filter("pprint", move |value: &Value| {
        check_items(std::slice::from_ref(value), "pprint")?;
        let len = shown_len(value, max, true);
        if len > max {
            return Err(too_large("`| pprint`'s result", len, max));
        }
        Ok(filters::pprint(value))
    });
    for name in ["batch", "slice"] {
        let builtin = Value::from_function(if name == "batch" { filters::batch } else { filters::slice });
        env.add_filter(name, move |state: &State, args: Rest<Value>| {
            check_items(&args, name)?;
            if let Some(n) = args.get(1).and_then(Value::as_usize) {
                if n > groups {
                    return Err(op_error(format!(
                        "`| {name}({n})` would make groups of {n}; at most {groups} (raise it with --limit list-items=N)"
                    )));
                }
            }
            builtin.call(state, &args)
        });
    }
}

/// An upper bound of what a printf-style `format` string makes from `args`: its own text, every
/// width and precision written in it, every argument as text, and, should a width or precision
/// be taken from the arguments (`*`; minijinja 2.24 refuses it in printf style, a later version
/// may not), every number among them.
fn format_size(format: &str, args: &[Value], max: usize) -> usize {
    let mut bytes = format.len();
    let mut number = 0usize;
    let mut in_spec = false;
    let mut star = false;
    for c in format.chars() {
        if in_spec {
            if let Some(d) = c.to_digit(10) {
                number = number.saturating_mul(10).saturating_add(d as usize);
                continue;
            }
            bytes = bytes.saturating_add(number);
            number = 0;
            star |= c == '*';
            if c.is_ascii_alphabetic() || c == '%' {
                in_spec = false;
            }
        } else if c == '%' {
            in_spec = true;
        }
    }
    bytes = bytes.saturating_add(number);
    for a in args {
        bytes = bytes.saturating_add(shown_len(a, max, false));
        if star {
            if let Some(n) = a.as_usize() {
                bytes = bytes.saturating_add(n);
            }
        }
    }
    bytes
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The bounded builtins give what minijinja's own give, keyword arguments included.
    #[test]
    fn bounded_builtins_match_minijinja_within_the_limits() {
        let ours = environment(None, &Limits::default());
        let plain = Environment::new();
        let ctx = minijinja::context! {
            items => vec![
                minijinja::context! { name => "b", total => 3, tags => vec!["x", "y"] },
                minijinja::context! { name => "a", total => 1, tags => vec!["z"] },
                minijinja::context! { name => "c", total => 2, tags => Vec::<&str>::new() },
            ],
            text => "one\ntwo\n\nthree",
        };
        for t in [
            "{{ items|map(attribute='name')|join(', ') }}",
            "{{ items|sort(attribute='total', reverse=true)|map(attribute='name')|list }}",
            "{{ items|selectattr('total', 'gt', 1)|map(attribute='name')|join }}",
            "{{ items|rejectattr('total', 'odd')|list|length }}",
            "{{ items|groupby('total')|length }} {{ items|first }} {{ items|last }}",
            "{{ items|map(attribute='total')|sum }} {{ items|map(attribute='total')|min }} {{ [3, 1]|max }}",
            "{{ [3, 1, 3]|unique|list }} {{ [1, 2]|reverse|list }} {{ {'b': 1, 'a': 2}|dictsort }} {{ {'a': 1}|items|list }}",
            "{{ [1, 2, 3, 4, 5]|batch(2, 0)|list }} {{ [1, 2, 3, 4, 5]|slice(2)|list }} {{ [1]|chain([2])|list }} {{ [1, 2]|zip(['a', 'b'])|list }}",
            "{{ text|indent }}|{{ text|indent(2, true) }}|{{ text|indent(width=3, first=true, blank=true) }}",
            "{{ '%s has %05.1f%% and %-4d|%x'|format('Ann', 12.345, 7, 255) }}",
            "{{ 'banana'|replace('a', 'o') }} {{ 'ab'|replace('', '-') }} {{ [1, 'a', none]|join('/') }}",
            "{{ items[0]|pprint }} {{ 42|string }} {{ items|select|list|length }} {{ [0, 1]|reject|list }}",
        ] {
            let a = ours.render_str(t, &ctx).unwrap_or_else(|e| panic!("{t}: {e}"));
            let b = plain.render_str(t, &ctx).unwrap_or_else(|e| panic!("{t}: {e}"));
            assert_eq!(a, b, "{t}");
        }
        assert!(ours.render_str("{{ debug() }}", &ctx).is_err());
        assert!(plain.render_str("{{ debug() }}", &ctx).is_ok(), "the plain environment still has it");
    }

    #[test]
    fn fuel_and_output_follow_the_limits() {
        let small = Limits { fuel: 100, template_output_bytes: 10, ..Limits::default() };
        let env = environment(None, &small);
        let e = env.render_str("{% for i in range(1000) %}{% endfor %}", ()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::OutOfFuel);
        let e = env.render_str("{{ [0] * 1000000000 }}", ()).unwrap_err();
        assert!(e.to_string().contains("`{{ }}` got a list of 1000000000 items"), "{e}");
        let e = env.render_str("{{ '%s'|format([0] * 1000000000) }}", ()).unwrap_err();
        assert!(e.to_string().contains("`| format` got a list of 1000000000 items"), "{e}");
        let e = env.render_str("{{ [[0] * 1000000000] }}", ()).unwrap_err();
        assert!(e.to_string().contains("`{{ }}` got a list of 1000000000 items"), "{e}");
        let e = env.render_str("{{ [[0] * 1000000000]|join }}", ()).unwrap_err();
        assert!(e.to_string().contains("`| join` got a list of 1000000000 items"), "{e}");
        let e = env.render_str("{{ {'a': [0] * 1000000000} }}", ()).unwrap_err();
        assert!(e.to_string().contains("`{{ }}` got a list of 1000000000 items"), "{e}");
        let e = env.render_str("{{ 'abcdef' }}{{ 'ghijkl' }}", ()).unwrap_err();
        assert!(
            e.to_string()
                .contains("the template's output would be 12 bytes; a template may produce at most 10B"),
            "{e}"
        );
        assert_eq!(env.render_str("{{ 'abcde' }}{{ 'fghij' }}", ()).unwrap(), "abcdefghij");
    }
}
