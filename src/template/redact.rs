//! Keeping a customer's data out of errors and logs.
//!
//! Errors go to stdout, the manifest, `check`'s report and the logs, which many people and
//! systems read; a customer's name or IBAN must not. So an error describes a record's value by
//! its kind and size ("a string of 22 characters"), and [`scrub`] replaces any of the record's
//! values that a message quotes anyway (a library's message, text that did not parse as a
//! colour). With `--show-values` (the operator's choice, for a debugging session) the value
//! is shown, cut to 80 characters and with control characters escaped, so that it can never
//! forge a log line.

use minijinja::value::{Value, ValueKind};

/// The longest quoted value with `--show-values`, in characters.
const QUOTE_CHARS: usize = 80;

/// Values shorter than this (in UTF-8 bytes) are not looked for in messages: they are too
/// common to tell apart from the message's own words ("a", "12"), and too short to identify
/// anyone. Two characters of most scripts other than Latin are longer.
const SCRUB_MIN_BYTES: usize = 3;

/// A value's kind and size, never its content: "a string of 22 characters".
pub fn shape_of(v: &Value) -> String {
    match v.kind() {
        ValueKind::Undefined => "missing".into(),
        ValueKind::None => "null".into(),
        ValueKind::Bool => "a boolean".into(),
        ValueKind::Number => match f64::try_from(v.clone()) {
            Ok(f) if !f.is_finite() => "a number that is not finite".into(),
            _ => "a number".into(),
        },
        ValueKind::String => text_shape(v.as_str().unwrap_or_default()),
        ValueKind::Seq => match v.len() {
            Some(1) => "a list of 1 item".into(),
            Some(n) => format!("a list of {n} items"),
            None => "a list".into(),
        },
        ValueKind::Map => "an object".into(),
        _ => "a value".into(),
    }
}

/// "an empty string", "a string of 1 character", "a string of 22 characters".
fn text_shape(s: &str) -> String {
    match s.chars().count() {
        0 => "an empty string".into(),
        1 => "a string of 1 character".into(),
        n => format!("a string of {n} characters"),
    }
}

/// A value quoted for an operator: at most 80 characters, control characters escaped.
pub fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for (i, c) in s.chars().enumerate() {
        if i == QUOTE_CHARS {
            out.push('…');
            break;
        }
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `message` with every one of the record's values it quotes replaced by the value's shape
/// (or, with `show_values`, by the value quoted), and control characters escaped.
pub fn scrub(message: &str, record: &serde_json::Value, show_values: bool) -> String {
    let mut leaves = Vec::new();
    collect_leaves(record, &mut leaves);
    // Longest first, so a name is replaced whole before a part of it is looked for.
    leaves.sort_by_key(|s| std::cmp::Reverse(s.len()));
    leaves.dedup();
    let mut out = message.to_string();
    for leaf in leaves {
        if out.contains(&leaf) {
            let replacement = if show_values { quote(&leaf) } else { format!("‹{}›", text_shape(&leaf)) };
            out = out.replace(&leaf, &replacement);
        }
    }
    escape_controls(&out)
}

/// Every string in a record that could identify someone, and numbers long enough to (account
/// numbers): the values a message must not quote.
fn collect_leaves(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) if s.len() >= SCRUB_MIN_BYTES => {
            out.push(s.clone());
            // A value with control characters may reach a message trimmed or split.
            out.extend(
                s.split(|c: char| c.is_control())
                    .map(str::trim)
                    .filter(|p| p.len() >= SCRUB_MIN_BYTES && p.len() < s.len())
                    .map(str::to_string),
            );
        }
        serde_json::Value::Number(n) => {
            let text = n.to_string();
            if text.len() >= 6 {
                out.push(text);
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|i| collect_leaves(i, out)),
        serde_json::Value::Object(map) => map.values().for_each(|i| collect_leaves(i, out)),
        _ => {}
    }
}

/// Control characters (newline, NUL, escape, ...) written as escapes, so that no message can
/// end a log line or start a forged one.
pub fn escape_controls(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return s.to_string();
    }
    s.chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() { c.escape_default().collect() } else { vec![c] };
            escaped
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_message_quoting_a_value_keeps_its_shape_only() {
        let record = json!({"customer": {"name": "CanaryFirst5 CanaryLast5", "iban": "DE89370400440532013006"},
                            "account": 12345678, "plan": "ok"});
        let m = scrub(
            "got the string `CanaryFirst5 CanaryLast5`; `DE89370400440532013006` is not a date; 12345678",
            &record,
            false,
        );
        assert!(!m.contains("Canary") && !m.contains("DE8937") && !m.contains("12345678"), "{m}");
        assert!(m.contains("‹a string of 24 characters›"), "{m}");
        let shown = scrub("`DE89370400440532013006` is not a date", &record, true);
        assert!(shown.contains("\"DE89370400440532013006\""), "{shown}");
    }

    #[test]
    fn control_characters_never_reach_a_message_raw() {
        let record = json!({"name": "Eve\nINFO forged line\u{0}"});
        let m = scrub("bad name Eve\nINFO forged line\u{0}", &record, false);
        assert!(!m.chars().any(char::is_control), "{m:?}");
        assert!(!m.contains("forged"), "{m}");
        let q = quote(&format!("a\nb{}", "x".repeat(200)));
        assert!(q.starts_with("\"a\\nb") && q.ends_with("…\"") && q.chars().count() < 90, "{q}");
    }

    #[test]
    fn shapes_say_kind_and_size() {
        assert_eq!(shape_of(&Value::from("abc")), "a string of 3 characters");
        assert_eq!(shape_of(&Value::from(vec![1, 2])), "a list of 2 items");
        assert_eq!(shape_of(&Value::from(f64::INFINITY)), "a number that is not finite");
        assert_eq!(shape_of(&Value::from(())), "null");
    }
}
