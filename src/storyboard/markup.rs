//! Rich-text markup inside a text layer: `[b]bold[/b]`, `[color=#ffb74d]amber[/color]`,
//! `[font=semibold]another font[/font]`, nested as needed; `[[` writes a literal `[` and `[]` a
//! literal `]` (anywhere, a tag's argument included).
//!
//! In: the text as rendered by bind, where every value a `{{ }}` inserted went through
//! [`escape`] (`[` -> `[[`, `]` -> `[]`): record data can never open a tag, and inside a tag's
//! argument (`[color={{ c }}]`) it can never close it, since a lone `]` only ever comes from
//! the storyboard. Out: the plain text and the runs of style covering it. A colour is checked
//! here, without quoting it (it may be a customer's data); font names stay strings, which bind
//! resolves.

use thiserror::Error;

/// A mistake in a text's tags; the message says which tag is wrong and how to write it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MarkupError {
    #[error(
        "`[` opens a tag that is never closed with `]`; write `[[` for a literal bracket (tags: {})",
        TAGS
    )]
    UnclosedBracket,
    #[error("`[/{name}]` closes `[{open}]`, which is still open; close the inner tag first")]
    Misnested { name: String, open: &'static str },
    #[error("`[/{0}]` has no opening `[{0}]`")]
    NoOpening(String),
    #[error("unknown tag `[{0}]`; the tags are {tags}, and `[[` writes a literal bracket", tags = TAGS)]
    UnknownTag(String),
    #[error("`[{0}]` is never closed; add `[/{0}]`")]
    NeverClosed(&'static str),
    /// The argument of `[color=…]` is not a colour. Its text is not quoted: it may come from a
    /// record.
    #[error(
        "`[color=…]` needs a colour like #rrggbb, #rgb, #rrggbbaa, white, black or transparent, \
         but got {0}"
    )]
    NotAColour(String),
}

/// A style in effect over part of the text; `None` fields inherit the layer's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpanStyle {
    pub bold: bool,
    pub font: Option<String>,
    pub color: Option<String>,
}

/// Plain text with consecutive runs of style: `runs[i]` = (end byte, style), in order, the last
/// ending at `text.len()`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Marked {
    pub text: String,
    pub runs: Vec<(usize, SpanStyle)>,
}

impl Marked {
    /// Whether any part of the text is styled differently from the layer.
    pub fn is_plain(&self) -> bool {
        self.runs.iter().all(|(_, s)| *s == SpanStyle::default())
    }
}

/// The tags a storyboard author may write, for messages.
pub const TAGS: &str = "[b]…[/b], [color=#rrggbb]…[/color], [font=name]…[/font]";

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tag {
    Bold,
    Color(String),
    Font(String),
}

impl Tag {
    fn name(&self) -> &'static str {
        match self {
            Tag::Bold => "b",
            Tag::Color(_) => "color",
            Tag::Font(_) => "font",
        }
    }
}

/// Writes `[` as `[[` and `]` as `[]`, so that text shows literally wherever it is inserted,
/// inside a tag's argument too, whatever it holds.
pub fn escape(s: &str) -> String {
    if !s.contains(['[', ']']) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '[' => out.push_str("[["),
            ']' => out.push_str("[]"),
            c => out.push(c),
        }
    }
    out
}

/// Parses markup; the error says which tag is wrong and how to write it.
pub fn parse(src: &str) -> Result<Marked, MarkupError> {
    parse_with(src, true)
}

/// A tag's body (between its `[` and its `]`, both left out) and the rest after its `]`: `[[`
/// and `[]` inside are a literal `[` and `]`; the first lone `]` ends the tag.
fn tag_body(after_open: &str) -> Option<(String, &str)> {
    let mut body = String::new();
    let mut chars = after_open.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            ']' => return Some((body, &after_open[i + 1..])),
            '[' if after_open[i + 1..].starts_with(['[', ']']) => {
                let (_, escaped) = chars.next()?;
                body.push(escaped);
            }
            c => body.push(c),
        }
    }
    None
}

/// A short description of an argument for messages: its kind and length, never its text.
fn describe_arg(arg: &str) -> String {
    let n = arg.chars().count();
    format!("a string of {n} character{}", if n == 1 { "" } else { "s" })
}

/// [`parse`]; `check_colours` is off for [`check_template`], whose colours the storyboard's
/// own check reports, quoting them (they are the author's, not a record's).
fn parse_with(src: &str, check_colours: bool) -> Result<Marked, MarkupError> {
    let mut out = Marked::default();
    let mut open: Vec<Tag> = Vec::new();
    let style_of = |open: &[Tag]| SpanStyle {
        bold: open.contains(&Tag::Bold),
        font: open.iter().rev().find_map(|t| if let Tag::Font(f) = t { Some(f.clone()) } else { None }),
        color: open.iter().rev().find_map(|t| if let Tag::Color(c) = t { Some(c.clone()) } else { None }),
    };
    let mut style = SpanStyle::default();
    let mut rest = src;
    while let Some(i) = rest.find('[') {
        out.text.push_str(&rest[..i]);
        rest = &rest[i..];
        if let Some(after) = rest.strip_prefix("[[") {
            out.text.push('[');
            rest = after;
            continue;
        }
        if let Some(after) = rest.strip_prefix("[]") {
            out.text.push(']');
            rest = after;
            continue;
        }
        let Some((body, after)) = tag_body(&rest[1..]) else {
            return Err(MarkupError::UnclosedBracket);
        };
        rest = after;
        let body = body.as_str();
        if let Some(name) = body.strip_prefix('/') {
            match open.last() {
                Some(t) if t.name() == name => {
                    open.pop();
                }
                Some(t) => return Err(MarkupError::Misnested { name: name.into(), open: t.name() }),
                None => return Err(MarkupError::NoOpening(name.into())),
            }
        } else {
            let (name, arg) = body.split_once('=').map_or((body, None), |(n, a)| (n, Some(a.trim())));
            let tag = match (name.trim(), arg) {
                ("b", None) => Tag::Bold,
                ("color", Some(c)) if !c.is_empty() => {
                    if check_colours && crate::style::parse_color(c).is_err() {
                        return Err(MarkupError::NotAColour(describe_arg(c)));
                    }
                    Tag::Color(c.to_string())
                }
                ("font", Some(f)) if !f.is_empty() => Tag::Font(f.to_string()),
                _ => return Err(MarkupError::UnknownTag(body.into())),
            };
            open.push(tag);
        }
        let next = style_of(&open);
        if next != style {
            push_run(&mut out, std::mem::replace(&mut style, next));
        }
    }
    out.text.push_str(rest);
    if let Some(t) = open.last() {
        return Err(MarkupError::NeverClosed(t.name()));
    }
    push_run(&mut out, style.clone());
    if out.runs.is_empty() {
        out.runs.push((0, style));
    }
    Ok(out)
}

/// Ends the current run at the text's end (empty runs are dropped).
fn push_run(out: &mut Marked, style: SpanStyle) {
    let start = out.runs.last().map_or(0, |r| r.0);
    if out.text.len() > start {
        out.runs.push((out.text.len(), style));
    }
}

/// Stands for a `{{ }}` value in [`check_template`]'s result: a tag argument holding it (a
/// colour chosen by data) can only be checked per record.
pub const BOUND: char = '\u{FFFC}';

/// The tags a template's literal parts use, checked before any record is bound: `{{ }}` values
/// become [`BOUND`] (what they insert is escaped) and `{% %}` blocks are left out.
pub fn check_template(src: &str) -> Result<Marked, MarkupError> {
    let mut literal = String::new();
    let mut rest = src;
    while let Some(i) = rest.find(['{']) {
        literal.push_str(&rest[..i]);
        let close = match &rest[i..] {
            s if s.starts_with("{{") => "}}",
            s if s.starts_with("{%") => "%}",
            s if s.starts_with("{#") => "#}",
            _ => {
                literal.push('{');
                rest = &rest[i + 1..];
                continue;
            }
        };
        if close == "}}" {
            literal.push(BOUND);
        }
        match rest[i..].find(close) {
            Some(j) => rest = &rest[i + j + 2..],
            // An unclosed `{{`: the template does not compile, and the compiler says so; the
            // tags before it cannot be judged (a `[/b]` may sit inside what was meant as text).
            None => return Ok(Marked::default()),
        }
    }
    literal.push_str(rest);
    parse_with(&literal, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bold() -> SpanStyle {
        SpanStyle { bold: true, ..Default::default() }
    }

    #[test]
    fn plain_text_is_one_run() {
        let m = parse("Hello Zoë").unwrap();
        assert_eq!(m.text, "Hello Zoë");
        assert_eq!(m.runs, vec![(10, SpanStyle::default())]);
        assert!(m.is_plain());
        assert_eq!(parse("").unwrap().runs.len(), 1);
    }

    #[test]
    fn tags_nest_and_the_innermost_colour_wins() {
        let m = parse("Due: [b]£12 [color=#f00]now[/color][/b]!").unwrap();
        assert_eq!(m.text, "Due: £12 now!");
        let red_bold = SpanStyle { bold: true, color: Some("#f00".into()), font: None };
        assert_eq!(
            m.runs,
            vec![(5, SpanStyle::default()), (10, bold()), (13, red_bold), (14, SpanStyle::default())]
        );
        assert!(!m.is_plain());
    }

    #[test]
    fn doubled_brackets_are_literal_and_escape_round_trips() {
        let data = "[b]Mallory[/b] [[x]";
        let m = parse(&format!("Hi {}", escape(data))).unwrap();
        assert_eq!(m.text, format!("Hi {data}"));
        assert!(m.is_plain());
    }

    #[test]
    fn mistakes_are_explained() {
        assert!(parse("[b]open").unwrap_err().to_string().contains("never closed; add `[/b]`"));
        assert!(parse("[i]x[/i]").unwrap_err().to_string().contains("unknown tag `[i]`"));
        assert!(parse("[b][color=#fff]x[/b][/color]")
            .unwrap_err()
            .to_string()
            .contains("close the inner tag first"));
        assert!(parse("x[/b]").unwrap_err().to_string().contains("no opening"));
        assert!(parse("a [ b").unwrap_err().to_string().contains("`[[`"));
        assert!(parse("[color=]x[/color]").unwrap_err().to_string().contains("unknown tag"));
    }

    #[test]
    fn templates_are_checked_without_their_bindings() {
        let m = check_template("Pay [b]{{ bill.total | currency }}[/b] by {{ due }} {% if x %}[[{% endif %}")
            .unwrap();
        assert_eq!(m.text, "Pay \u{FFFC} by \u{FFFC} [");
        assert!(check_template("{{ a }}[b]{{ b }}").is_err());
        // A colour chosen by data.
        let m = check_template("[color={{ c }}]x[/color]").unwrap();
        assert_eq!(m.runs[0].1.color.as_deref(), Some("\u{FFFC}"));
    }

    #[test]
    fn data_inside_a_tag_argument_cannot_close_the_tag() {
        // The reported case: a colour chosen by data, holding `]` and text after it.
        let injected = format!("[color={}]x[/color]", escape("#fff]INJECTED[b]"));
        let e = parse(&injected).unwrap_err();
        assert_eq!(e, MarkupError::NotAColour("a string of 16 characters".into()));
        assert!(!e.to_string().contains("INJECTED"), "the value is not quoted: {e}");
        // A good colour from data still works, and `]` / `[` in data show literally anywhere.
        let m = parse(&format!("[color={}]{}[/color]", escape("#ffb74d"), escape("a]b[c"))).unwrap();
        assert_eq!(m.text, "a]b[c");
        assert_eq!(m.runs, vec![(5, SpanStyle { color: Some("#ffb74d".into()), ..Default::default() })]);
        // Data right after a tag, starting with `]`, is text, not part of the tag.
        let m = parse(&format!("[b]{}[/b]", escape("]]x"))).unwrap();
        assert_eq!((m.text.as_str(), m.runs.len()), ("]]x", 1));
        // A font name from data keeps its brackets inside the argument (bind then looks it up).
        let m = parse(&format!("[font={}]x[/font]", escape("bold]y"))).unwrap();
        assert_eq!(m.runs[0].1.font.as_deref(), Some("bold]y"));
    }

    #[test]
    fn escape_round_trips_whatever_the_text() {
        for data in ["", "[", "]", "[]", "[[", "]]", "[b]", "[/b]", "x]y[z", "[color=#f00]", "🙂]["] {
            let m = parse(&escape(data)).unwrap();
            assert_eq!(m.text, data);
            assert!(m.is_plain());
        }
        assert_eq!(escape("no brackets"), "no brackets");
    }

    #[test]
    fn a_literal_bad_colour_is_left_to_the_storyboard_check() {
        // check_template does not judge colours (validate reports them with their text).
        assert!(check_template("[color=teal]x[/color]").is_ok());
        assert!(matches!(parse("[color=teal]x[/color]"), Err(MarkupError::NotAColour(_))));
        assert_eq!(parse("[color=#F0F]x[/color]").unwrap().runs[0].1.color.as_deref(), Some("#F0F"));
    }
}
