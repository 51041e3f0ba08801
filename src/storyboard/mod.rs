//! Storyboard: the YAML template a communications team writes.
//!
//! In: a `.yaml` file. Out: a [`Storyboard`] (typed, units parsed, still holding the `{{ }}`
//! templates and expressions that are evaluated per record), or every problem found, each with
//! file:line:column, what was expected and a hint.
//!
//! - [`schema`]: the types (each layer's own keys are its kind's, in `layers`);
//! - [`parse`]: YAML -> types, piece by piece, so one pass reports a problem in every piece;
//! - [`validate`]: what the types cannot say (sizes, references, colours, assets);
//! - [`include`]: the shared parts a storyboard includes, merged under it;
//! - [`diagnostics`]: problems located by [`spans`] (in the file that wrote them), collected by
//!   a [`Reporter`];
//! - [`formats`]: the screen shapes a storyboard declares, and its per-format overrides;
//! - [`bindable`]: the strings evaluated per record; [`markup`]: rich text in text layers.

pub mod bindable;
pub mod diagnostics;
pub mod formats;
pub mod include;
pub mod json_schema;
pub mod markup;
pub mod parse;
pub mod schema;
pub mod spans;
pub mod validate;

pub use bindable::{Bindable, Expr, FromText, Slot};
pub use diagnostics::{closest, describe, Diagnostic, Diagnostics, Reporter};
pub use formats::Format;
pub use parse::{load_partial, parse_partial};
pub use schema::*;
pub use spans::{Located, Pos, SpanMap};
pub use validate::{check_color, check_paint, validate};
