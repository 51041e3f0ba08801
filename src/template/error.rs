//! Why one record could not be bound: the kind of problem (as `check` counts them), the
//! record, where in the storyboard, and what went wrong.

use std::fmt;

/// Why one record could not be bound.
#[derive(Debug, Clone, PartialEq)]
pub struct BindError {
    pub kind: ProblemKind,
    pub record: String,
    /// Storyboard path of the value being resolved (`scenes[1].layers[2].text`).
    pub path: String,
    pub location: Option<String>,
    /// The message: it names fields, never quotes their values (see `template::redact`).
    pub message: String,
    /// The record field (or var) at fault, as a dotted path, when one is (`bill.overdue_days`).
    /// (Boxed: every `Result` of binding carries this error, so it stays small.)
    pub field: Option<Box<str>>,
}

impl BindError {
    /// The same error, naming the record field at fault.
    pub fn in_field(mut self, field: impl Into<String>) -> BindError {
        self.field = Some(field.into().into_boxed_str());
        self
    }
}

/// What kind of problem a record has, for `check`'s summary and the `error_kind` of a failed
/// line in a batch's manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// A bound field is not in the record.
    MissingField,
    /// A value has the wrong type or cannot be used (not a number, not a date, bad locale).
    WrongValue,
    /// An image the record selects does not exist or cannot be read.
    MissingAsset,
    /// Text does not fit its box even at its smallest size, or a QR code does not fit.
    TextOverflow,
    /// Text has characters no font has.
    MissingGlyph,
    /// The input line is not a record (bad JSON or CSV, no id, duplicate id).
    UnreadableLine,
    /// A `t("id")` message that no translation of the record's locale chain has.
    MissingMessage,
    /// Anything else (a template that fails, no scene to play).
    Other,
    /// Encoding the video or writing its files failed (batch only: `check` does not encode).
    Encode,
    /// billreel itself failed (a panic while rendering): a bug to report.
    Internal,
    /// The record took longer than its time budget (`--record-timeout`; batch only).
    Timeout,
}

impl ProblemKind {
    pub fn label(self) -> &'static str {
        match self {
            ProblemKind::MissingField => "missing field",
            ProblemKind::WrongValue => "wrong value",
            ProblemKind::MissingAsset => "missing asset",
            ProblemKind::TextOverflow => "text overflow",
            ProblemKind::MissingGlyph => "missing glyph",
            ProblemKind::UnreadableLine => "unreadable line",
            ProblemKind::MissingMessage => "missing message",
            ProblemKind::Other => "other",
            ProblemKind::Encode => "encode",
            ProblemKind::Internal => "internal",
            ProblemKind::Timeout => "timeout",
        }
    }
}

impl fmt::Display for BindError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "record {}: {}", self.record, self.message)?;
        match (&self.location, self.path.is_empty()) {
            (_, true) => Ok(()),
            (Some(loc), false) => write!(f, " (in {} at {loc})", self.path),
            (None, false) => write!(f, " (in {})", self.path),
        }
    }
}

impl std::error::Error for BindError {}
