//! The JSON Schema of each unit (`billreel schema`): a `pattern` that matches what the unit's
//! parser accepts, so an editor flags `duration: 4` or `color: "#ff00"` as the parser would.
//!
//! The patterns are written for every regex dialect a validator may use (ECMA-262 in editors,
//! Python's `re`, Rust's `regex`): no `\d` or `\s` (Unicode-dependent and different in each),
//! explicit classes instead, and the whitespace class is exactly what `str::trim` removes. The
//! tests below hold each pattern to its parser on a list of strings and on every short string of
//! the unit's alphabet. What a pattern cannot say is a number's size: `1e999s` has the shape of a
//! duration and overflows, and a cubic-bezier's x values must lie within 0 and 1; the parser
//! refuses those with a message. `patternErrorMessage` (a keyword of the YAML language server's,
//! ignored by other validators) says in words what a pattern wants.

use std::borrow::Cow;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};

use super::{Duration, Easing, Length, Rgba};

/// What `str::trim` removes: Unicode's White_Space property.
const WS: &str = "[\t-\r \u{85}\u{a0}\u{1680}\u{2000}-\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}]*";

/// An unsigned number as Rust's float parser reads it (`5`, `5.`, `.5`, `1.5e3`), without the
/// words `inf` and `nan`, which no unit accepts.
const NUMBER: &str = "(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?";

/// `4s`, `1.5s`, `500ms`: a number that is not negative, then `s` or `ms`.
pub fn duration_pattern() -> String {
    format!("^{WS}\\+?{NUMBER}{WS}(?:ms|s){WS}$")
}

/// `120`, `120px`, `50%`, `-10px`: a number, then nothing, `px` or `%`.
pub fn length_pattern() -> String {
    format!("^{WS}[+-]?{NUMBER}{WS}(?:px|%|s%|vmin|vmax|vw|vh)?{WS}$")
}

/// The colour names [`super::parse_color`] knows, in any ASCII case.
pub const COLOUR_NAMES: &[&str] = &["white", "black", "transparent"];

/// `#rgb`, `#rrggbb`, `#rrggbbaa`, or a name of [`COLOUR_NAMES`] in any ASCII case.
pub fn colour_pattern() -> String {
    let any_case = |name: &str| -> String {
        name.chars().map(|c| format!("[{}{}]", c, c.to_ascii_uppercase())).collect()
    };
    let names: Vec<String> = COLOUR_NAMES.iter().map(|n| any_case(n)).collect();
    let hex = "[0-9a-fA-F]";
    format!("^{WS}(?:#(?:{hex}{{8}}|{hex}{{6}}|{hex}{{3}})|{}){WS}$", names.join("|"))
}

/// The named easing curves.
pub const EASING_NAMES: &[&str] = &["linear", "ease-in", "ease-out", "ease-in-out"];

/// A named curve, or `cubic-bezier(x1, y1, x2, y2)` with four numbers.
pub fn easing_pattern() -> String {
    let n = format!("{WS}[+-]?{NUMBER}{WS}");
    format!("^{WS}(?:{}|cubic-bezier\\({n},{n},{n},{n}\\)){WS}$", EASING_NAMES.join("|"))
}

// Written back as an author writes them, so that the schema's `default`s read like the docs.

impl serde::Serialize for Duration {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("{}s", self.0))
    }
}

impl serde::Serialize for Length {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Length::Px(v) => s.serialize_f64(*v),
            Length::Percent(p) => s.collect_str(&format_args!("{p}%")),
            Length::Vw(p) => s.collect_str(&format_args!("{p}vw")),
            Length::Vh(p) => s.collect_str(&format_args!("{p}vh")),
            Length::Vmin(p) => s.collect_str(&format_args!("{p}vmin")),
            Length::Vmax(p) => s.collect_str(&format_args!("{p}vmax")),
            Length::Safe(p) => s.collect_str(&format_args!("{p}s%")),
        }
    }
}

impl serde::Serialize for Easing {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Easing::Linear => s.serialize_str("linear"),
            Easing::EaseIn => s.serialize_str("ease-in"),
            Easing::EaseOut => s.serialize_str("ease-out"),
            Easing::EaseInOut => s.serialize_str("ease-in-out"),
            Easing::CubicBezier(a, b, c, d) => {
                s.collect_str(&format_args!("cubic-bezier({a}, {b}, {c}, {d})"))
            }
        }
    }
}

impl JsonSchema for Duration {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": duration_pattern(),
            "patternErrorMessage": "expected a duration with a unit, like `4s` or `500ms`",
            "description": "A duration with its unit: `4s`, `1.5s`, `500ms` (a bare number is refused: it could mean frames, seconds or milliseconds).",
            "examples": ["2s", "500ms"],
        })
    }
}

impl JsonSchema for Length {
    fn schema_name() -> Cow<'static, str> {
        "Length".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A length: pixels (`120` or `120px`), a percentage of the canvas along the same axis (`50%`), of its width, height, smaller or larger side (`10vw`, `10vh`, `10vmin`, `10vmax`), or of the safe area (`90s%`).",
            "anyOf": [
                { "type": "number" },
                {
                    "type": "string",
                    "pattern": length_pattern(),
                    "patternErrorMessage": "expected a length like `120`, `120px`, `50%`, `10vmin` or `90s%`",
                },
            ],
            "examples": [120, "50%"],
        })
    }
}

impl JsonSchema for Rgba {
    fn schema_name() -> Cow<'static, str> {
        "Colour".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": colour_pattern(),
            "patternErrorMessage": "expected a colour like `#1a73e8`, `#fff`, `#1a73e880` or white, black, transparent (or a `{{ }}` binding)",
            "description": "A colour: `#rgb`, `#rrggbb`, `#rrggbbaa` (alpha last) or white, black, transparent.",
            "examples": ["#0b1f3a", "#ffffffcc"],
        })
    }
}

impl JsonSchema for Easing {
    fn schema_name() -> Cow<'static, str> {
        "Easing".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        // The names as an enum too, so that editors offer them.
        json_schema!({
            "description": "An easing curve, as in CSS: linear, ease-in, ease-out, ease-in-out or `cubic-bezier(x1, y1, x2, y2)` with x1 and x2 between 0 and 1.",
            "anyOf": [
                { "enum": EASING_NAMES },
                {
                    "type": "string",
                    "pattern": easing_pattern(),
                    "patternErrorMessage": "expected linear, ease-in, ease-out, ease-in-out or cubic-bezier(x1, y1, x2, y2)",
                },
            ],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::style::{parse_color, parse_duration, parse_easing, parse_length};

    type Parser = fn(&str) -> bool;

    fn units() -> [(&'static str, String, Parser); 4] {
        [
            ("duration", duration_pattern(), |s| parse_duration(s).is_ok()),
            ("length", length_pattern(), |s| parse_length(s).is_ok()),
            ("colour", colour_pattern(), |s| parse_color(s).is_ok()),
            ("easing", easing_pattern(), |s| parse_easing(s).is_ok()),
        ]
    }

    fn matches(pattern: &str, text: &str) -> bool {
        regex::Regex::new(pattern).unwrap().is_match(text)
    }

    /// Strings the pattern and the parser must agree on: (unit, text, accepted).
    const CASES: &[(&str, &str, bool)] = &[
        ("duration", "4s", true),
        ("duration", "500ms", true),
        ("duration", "1.5s", true),
        ("duration", ".5s", true),
        ("duration", "5.s", true),
        ("duration", "+2s", true),
        ("duration", "1e3ms", true),
        ("duration", " 2 s ", true),
        ("duration", "0s", true),
        ("duration", "4", false),
        ("duration", "-1s", false),
        ("duration", "-0s", false),
        ("duration", "-1e-400s", false),
        ("duration", "4 sec", false),
        ("duration", "4m", false),
        ("duration", "infs", false),
        ("duration", "nanms", false),
        ("duration", "s", false),
        ("duration", ".s", false),
        ("duration", "1_000ms", false),
        ("duration", "٤s", false),
        ("duration", "4mss", false),
        ("length", "120", true),
        ("length", "120px", true),
        ("length", "50%", true),
        ("length", "-10px", true),
        ("length", "12.5 %", true),
        ("length", "1e2", true),
        ("length", "px", false),
        ("length", "%", false),
        ("length", "50%%", false),
        ("length", "5px%", false),
        ("length", "inf", false),
        ("length", "nan%", false),
        ("length", "12em", false),
        ("length", "1,5", false),
        ("colour", "#fff", true),
        ("colour", "#0b1f3a", true),
        ("colour", "#0B1F3A80", true),
        ("colour", " white ", true),
        ("colour", "TRANSPARENT", true),
        ("colour", "Black", true),
        ("colour", "#ff00", false),
        ("colour", "#fffff", false),
        ("colour", "#ggg", false),
        ("colour", "fff", false),
        ("colour", "red", false),
        ("colour", "whitex", false),
        ("colour", "#", false),
        ("easing", "linear", true),
        ("easing", " ease-in-out ", true),
        ("easing", "cubic-bezier(0.2, 0, 0.2, 1)", true),
        ("easing", "cubic-bezier(.25,-1.5,.75,2.5)", true),
        ("easing", "Linear", false),
        ("easing", "ease", false),
        ("easing", "cubic-bezier(0.2, 0, 0.2)", false),
        ("easing", "cubic-bezier(0.2, x, 0, 0.2, 1)", false),
        ("easing", "cubic-bezier(0, inf, 1, 1)", false),
        ("easing", "cubic-bezier (0, 0, 1, 1)", false),
        ("easing", "bouncy", false),
    ];

    #[test]
    fn each_pattern_accepts_what_its_parser_accepts_on_the_listed_strings() {
        for (unit, pattern, parse) in units() {
            for &(u, text, accepted) in CASES.iter().filter(|c| c.0 == unit) {
                assert_eq!(parse(text), accepted, "{u} parser on {text:?}");
                assert_eq!(matches(&pattern, text), accepted, "{u} pattern {pattern} on {text:?}");
            }
        }
    }

    /// Every string of up to `len` characters from `alphabet`.
    fn all_strings(alphabet: &[&str], len: usize) -> Vec<String> {
        let mut out = vec![String::new()];
        let mut last = vec![String::new()];
        for _ in 0..len {
            last = last.iter().flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}"))).collect();
            out.extend(last.iter().cloned());
        }
        out
    }

    #[test]
    fn each_pattern_and_its_parser_agree_on_every_short_string_of_its_alphabet() {
        let alphabets: [(&str, &[&str], usize); 3] = [
            ("duration", &["0", "5", ".", "e", "-", "+", "s", "ms", " ", "\u{a0}", "x"], 5),
            ("length", &["1", ".", "e", "-", "+", "px", "%", " ", "\u{3000}", "a"], 5),
            ("colour", &["#", "f", "ff", "0", "a", "g", "F", "white", " ", "\u{85}"], 5),
        ];
        let mut compared = 0;
        for (unit, pattern, parse) in units() {
            let Some((_, alphabet, len)) = alphabets.iter().find(|a| a.0 == unit) else { continue };
            let re = regex::Regex::new(&pattern).unwrap();
            for s in all_strings(alphabet, *len) {
                assert_eq!(re.is_match(&s), parse(&s), "{unit} pattern and parser disagree on {s:?}");
                compared += 1;
            }
        }
        assert!(compared > 200_000, "{compared}");
    }

    #[test]
    fn what_a_pattern_cannot_say_is_a_numbers_size() {
        // The shape is right, the value is not: these are the parser's to refuse, with a message.
        for (unit, text) in [
            ("duration", "1e999s"),
            ("length", "1e999"),
            ("easing", "cubic-bezier(1.5, 0, 0.2, 1)"),
            ("easing", "cubic-bezier(0, 1e99, 1, 1)"),
        ] {
            let (_, pattern, parse) = units().into_iter().find(|u| u.0 == unit).unwrap();
            assert!(matches(&pattern, text) && !parse(text), "{unit} {text:?}");
        }
    }

    #[test]
    fn a_unit_written_back_reads_as_itself() {
        for d in ["0.5s", "0.06s", "2s"] {
            let written = serde_json::to_value(parse_duration(d).unwrap()).unwrap();
            assert_eq!(written, d);
        }
        assert_eq!(serde_json::to_value(parse_length("50%").unwrap()).unwrap(), "50%");
        assert_eq!(serde_json::to_value(parse_length("80").unwrap()).unwrap(), 80.0);
        for e in ["ease-out", "cubic-bezier(0.2, 0, 0.2, 1)"] {
            assert_eq!(serde_json::to_value(parse_easing(e).unwrap()).unwrap(), e);
        }
    }

    #[test]
    fn the_easing_names_are_the_parsers() {
        for name in EASING_NAMES {
            assert!(parse_easing(name).is_ok(), "{name}");
        }
        for name in COLOUR_NAMES {
            assert!(parse_color(name).is_ok(), "{name}");
        }
    }
}
