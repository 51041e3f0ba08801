//! Template: the storyboard's `{{ }}` bindings, conditions and derived values, evaluated with
//! minijinja against one record.
//!
//! - [`env`]: the sandboxed environment and billreel's filters (`currency`, `number`,
//!   `percent`, `date`, formatted by [`locale`] from CLDR data through ICU4X);
//! - [`compiler`]: every bindable value of a storyboard compiled once, before any record;
//! - [`messages`]: the storyboard's translations (Fluent `.ftl` files), read by `t()`;
//! - [`types`]: what each template's operators need of its values (a number, one kind);
//! - [`context`]: one record's values, and evaluating compiled values against them;
//! - [`redact`]: keeping customers' values out of errors and logs (kind and size instead);
//! - [`error`]: why a record could not be bound ([`BindError`], [`ProblemKind`]).

pub mod compiler;
pub mod context;
pub mod env;
pub mod error;
pub mod locale;
pub mod messages;
pub mod redact;
pub mod types;

pub use compiler::{CompileProblem, Compiled, Compiler};
pub use context::{Context, Locate, Mode};
pub use env::{DEFAULT_LOCALE, FUEL};
pub use error::{BindError, ProblemKind};
pub use minijinja::value::Value;
