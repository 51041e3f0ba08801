//! Bindable values: storyboard strings that are evaluated for each record.
//!
//! A [`Bindable<T>`] is a string that may hold `{{ }}` bindings and gives a `T` once rendered
//! (text, a colour); an [`Expr`] is an expression (`bill.overdue_days > 0`, `usage.kwh`). Both
//! carry their source and, once the storyboard is compiled (`template::Compiler`), their YAML
//! path and the slot of their compiled form: binding a record looks the compiled form up by slot,
//! never by rebuilding a path string, and a value that was never compiled is an internal error
//! that names its place, never its raw source drawn on screen.

use std::fmt;

use serde::{Deserialize, Deserializer};

use crate::style::{parse_color, Rgba};

/// What a bindable value's text turns into.
pub trait FromText: Sized + Clone {
    fn from_text(text: &str) -> Result<Self, String>;
}

impl FromText for String {
    fn from_text(text: &str) -> Result<Self, String> {
        Ok(text.to_string())
    }
}

impl FromText for Rgba {
    fn from_text(text: &str) -> Result<Self, String> {
        parse_color(text).map_err(|e| e.to_string())
    }
}

/// Where the compiled form of a bindable value is.
#[derive(Debug, Clone, PartialEq)]
pub enum Slot<T> {
    /// Not compiled (yet): binding it is an internal error.
    None,
    /// No bindings: the value, worked out once.
    Literal(T),
    /// A template, compiled at this index of the storyboard's compiled templates.
    Template(usize),
}

/// A storyboard string with `{{ }}` bindings (or none) that gives a `T` per record.
#[derive(Clone)]
pub struct Bindable<T> {
    source: String,
    path: String,
    slot: Slot<T>,
}

impl<T> Bindable<T> {
    /// A value as written in a storyboard (or a default), not compiled yet.
    pub fn new(source: impl Into<String>) -> Bindable<T> {
        Bindable { source: source.into(), path: String::new(), slot: Slot::None }
    }

    /// The text as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Where it is in the storyboard (`scenes[1].layers[2].text`); empty until compiled.
    pub fn path(&self) -> &str {
        &self.path
    }

    pub fn slot(&self) -> &Slot<T> {
        &self.slot
    }

    /// Whether the text holds bindings or template tags.
    pub fn is_template(&self) -> bool {
        self.source.contains("{{") || self.source.contains("{%")
    }

    /// Called by the compiler: where the value is, and its compiled form.
    pub fn set_compiled(&mut self, path: String, slot: Slot<T>) {
        self.path = path;
        self.slot = slot;
    }
}

impl<T> fmt::Debug for Bindable<T> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{:?}", self.source)
    }
}

impl<'de, T> Deserialize<'de> for Bindable<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Bindable::new)
    }
}

/// An expression evaluated per record: a condition, a derived value, chart data.
#[derive(Clone)]
pub struct Expr {
    source: String,
    path: String,
    slot: Option<usize>,
}

impl Expr {
    pub fn new(source: impl Into<String>) -> Expr {
        Expr { source: source.into(), path: String::new(), slot: None }
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    /// Index of the compiled expression; None until compiled.
    pub fn slot(&self) -> Option<usize> {
        self.slot
    }

    /// Called by the compiler.
    pub fn set_compiled(&mut self, path: String, slot: usize) {
        self.path = path;
        self.slot = Some(slot);
    }
}

impl fmt::Debug for Expr {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{:?}", self.source)
    }
}

impl<'de> Deserialize<'de> for Expr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Expr::new)
    }
}

/// In the JSON Schema (`billreel schema`), a bindable value is its type written out, or a
/// string with `{{ }}` bindings (checked per record); a bindable string is any string.
impl<T: schemars::JsonSchema> schemars::JsonSchema for Bindable<T> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        format!("Bindable_{}", T::schema_name()).into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let literal = generator.subschema_for::<T>();
        if literal.get("type").and_then(|t| t.as_str()) == Some("string") && literal.get("pattern").is_none()
        {
            return literal;
        }
        // `check_color` and its kin skip a value with `{{`: it is checked when a record binds it.
        schemars::json_schema!({
            "anyOf": [
                literal,
                {
                    "type": "string",
                    "pattern": "\\{\\{",
                    "description": "A template with `{{ }}` bindings, evaluated for each record.",
                },
            ],
        })
    }
}

/// In the JSON Schema, an expression is a string (its syntax is checked when the storyboard is
/// compiled).
impl schemars::JsonSchema for Expr {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Expr".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string" })
    }
}
