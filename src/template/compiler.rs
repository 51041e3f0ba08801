//! Compiling a storyboard's bindable values once, before any record is bound.
//!
//! The [`Compiler`] visits every [`Bindable`] and [`Expr`] (each owner names its fields and
//! their paths), adds templates to the environment and checks expressions, and gives each value
//! its slot. [`Compiler::finish`] then compiles them for good into [`Compiled`]: binding a record
//! only evaluates them, by slot.

use minijinja::{Environment, ErrorKind, Expression, Template};

use std::sync::Arc;

use super::messages::{MessageUse, Messages};
use super::types::{self, Need, Used};
use crate::storyboard::{Bindable, Expr, FromText, Slot};

/// A problem found while compiling: the value's path, the message and a hint.
#[derive(Debug, Clone, PartialEq)]
pub struct CompileProblem {
    pub path: String,
    pub message: String,
    pub hint: String,
}

/// Collects a storyboard's templates and expressions.
pub struct Compiler {
    env: Environment<'static>,
    /// Template names (their paths), by slot.
    templates: Vec<String>,
    /// Expression sources, by slot.
    exprs: Vec<String>,
    /// What each template's and expression's operators need of the values they read, by slot.
    template_needs: Vec<Vec<Need>>,
    expr_needs: Vec<Vec<Need>>,
    /// The `t("id")` calls with a literal id, where they are.
    message_uses: Vec<MessageUse>,
    problems: Vec<CompileProblem>,
}

impl Compiler {
    pub fn new(default_currency: Option<String>) -> Compiler {
        Compiler::with_limits(default_currency, &crate::limits::Limits::default())
    }

    /// A compiler whose environment runs under `limits` (fuel, output size, list sizes).
    pub fn with_limits(default_currency: Option<String>, limits: &crate::limits::Limits) -> Compiler {
        let mut env = super::env::environment(default_currency, limits);
        super::env::add_translations(&mut env, None);
        Compiler {
            env,
            templates: Vec::new(),
            exprs: Vec::new(),
            template_needs: Vec::new(),
            expr_needs: Vec::new(),
            message_uses: Vec::new(),
            problems: Vec::new(),
        }
    }

    /// The storyboard's translations, read by `t()` (call before compiling the values).
    pub fn translations(&mut self, messages: Arc<Messages>) {
        super::env::add_translations(&mut self.env, Some(messages));
    }

    /// The `t("id")` calls with a literal id compiled so far, with the paths of their values.
    pub fn message_uses(&self) -> &[MessageUse] {
        &self.message_uses
    }

    /// Compiles a string with bindings (or parses a literal once) found at `path`. The path names
    /// the template, which picks its escaping: text layers' `….text` escape values as markup.
    pub fn template<T: FromText>(&mut self, value: &mut Bindable<T>, path: String) {
        if !value.is_template() {
            // A literal that does not parse (a bad colour) is reported by validation; binding it
            // would be an internal error, never the raw text.
            let slot = T::from_text(value.source()).map_or(Slot::None, Slot::Literal);
            value.set_compiled(path, slot);
            return;
        }
        let needs = match types::of_template(value.source()) {
            Ok(needs) => needs,
            Err(why) => return self.refuse(path, why),
        };
        self.check_names(&types::used_in_template(value.source()), &path, value.source());
        let source =
            types::format_read_as_name(value.source(), true).unwrap_or_else(|| value.source().to_string());
        match self.env.add_template_owned(path.clone(), source) {
            Ok(()) => {
                let slot = Slot::Template(self.templates.len());
                self.templates.push(path.clone());
                self.template_needs.push(needs);
                value.set_compiled(path, slot);
            }
            Err(e) => self.problems.push(CompileProblem {
                message: match unclosed(value.source()) {
                    Some((open, close, at)) => format!(
                        "`{open}` at character {at} of the text is never closed; add `{close}` after what it holds"
                    ),
                    None => format!("template error: {}", e.detail().unwrap_or(&e.to_string())),
                },
                hint:
                    "templates use minijinja syntax: {{ customer.first_name }}, {{ bill.total | currency }}"
                        .into(),
                path,
            }),
        }
    }

    /// Compiles an optional template.
    pub fn template_opt<T: FromText>(&mut self, value: &mut Option<Bindable<T>>, path: String) {
        if let Some(v) = value {
            self.template(v, path);
        }
    }

    /// Compiles an expression found at `path`.
    pub fn expr(&mut self, expr: &mut Expr, path: String) {
        // Template delimiters have no place in an expression, and minijinja 2.24's lexer
        // panics on a closing one there (`a }} b`: "empty lexer stack", found by fuzzing).
        if let Some(d) = ["{{", "}}", "{%", "%}", "{#", "#}"].into_iter().find(|d| expr.source().contains(d))
        {
            return self.problems.push(CompileProblem {
                message: format!(
                    "expression error in `{}`: `{d}` does not belong in an expression",
                    expr.source()
                ),
                hint: "expressions are written without braces, e.g. `bill.overdue_days > 0`".into(),
                path,
            });
        }
        let needs = match types::of_expression(expr.source()) {
            Ok(needs) => needs,
            Err(why) => return self.refuse(path, why),
        };
        self.check_names(&types::used_in_expression(expr.source()), &path, expr.source());
        let source =
            types::format_read_as_name(expr.source(), false).unwrap_or_else(|| expr.source().to_string());
        match self.env.compile_expression(&source) {
            Ok(_) => {
                let slot = self.exprs.len();
                self.exprs.push(source);
                self.expr_needs.push(needs);
                expr.set_compiled(path, slot);
            }
            Err(e) => self.problems.push(CompileProblem {
                message: format!(
                    "expression error in `{}`: {}",
                    expr.source(),
                    e.detail().unwrap_or(&e.to_string())
                ),
                hint: "expressions are written without braces, e.g. `bill.overdue_days > 0`".into(),
                path,
            }),
        }
    }

    /// Compiles an optional expression (a `when:`).
    pub fn expr_opt(&mut self, expr: &mut Option<Expr>, path: String) {
        if let Some(e) = expr {
            self.expr(e, path);
        }
    }

    /// Every filter, test and function a template calls must exist: minijinja would find out
    /// only when a record is rendered, once per record, with no suggestion. Whether a name
    /// exists is asked of the environment itself; [`KNOWN_NAMES`] only feeds "did you mean".
    fn check_names(&mut self, used: &Used, path: &str, source: &str) {
        for call in &used.messages {
            let (id, names) = (call.id.clone(), call.names.clone());
            self.message_uses.push(MessageUse { id, names, path: path.to_string() });
        }
        let state = self.env.empty_state();
        let mut unknown: Vec<(&str, &str, Vec<&str>)> = Vec::new();
        for name in &used.filters {
            // A known filter called without its input fails otherwise; it does no work.
            if state.apply_filter(name, &[]).is_err_and(|e| e.kind() == ErrorKind::UnknownFilter) {
                let known = KNOWN_FILTERS.iter().copied().filter(|f| {
                    state.apply_filter(f, &[]).map_or_else(|e| e.kind() != ErrorKind::UnknownFilter, |_| true)
                });
                unknown.push(("filter", name, known.collect()));
            }
        }
        for name in &used.tests {
            if state.perform_test(name, &[]).is_err_and(|e| e.kind() == ErrorKind::UnknownTest) {
                let known = KNOWN_TESTS.iter().copied().filter(|t| {
                    state.perform_test(t, &[]).map_or_else(|e| e.kind() != ErrorKind::UnknownTest, |_| true)
                });
                unknown.push(("test", name, known.collect()));
            }
        }
        // The callable globals (not constants such as `pi`).
        let globals: Vec<&str> = self
            .env
            .globals()
            .filter(|(_, v)| v.kind() == minijinja::value::ValueKind::Plain)
            .map(|(n, _)| n)
            .collect();
        for name in &used.functions {
            if !globals.contains(&name.as_str()) {
                unknown.push(("function", name, globals.clone()));
            }
        }
        // The storyboard's own text, cut so a long paragraph does not bury the name.
        let shown: String = match source.trim() {
            s if s.chars().count() > 80 => format!("{}…", s.chars().take(79).collect::<String>()),
            s => s.to_string(),
        };
        for (what, name, known) in unknown {
            let list = known.join(", ");
            let hint = match crate::storyboard::closest(name, known.iter().copied()) {
                Some(g) => format!("did you mean `{g}`? the {what}s are: {list}"),
                None => format!("the {what}s are: {list}"),
            };
            self.problems.push(CompileProblem {
                message: format!("unknown {what} `{name}` in `{shown}`"),
                hint,
                path: path.to_string(),
            });
        }
    }

    /// A value whose operators make no sense (arithmetic on text).
    fn refuse(&mut self, path: String, why: String) {
        self.problems.push(CompileProblem {
            message: why,
            hint: "numbers come from the record or from number literals; text is joined with `~`".into(),
            path,
        });
    }

    /// A problem found by the storyboard's owner while compiling (a var read before it is made).
    pub fn report(&mut self, path: String, message: String, hint: String) {
        self.problems.push(CompileProblem { path, message, hint });
    }

    /// What did not compile.
    pub fn problems(&self) -> &[CompileProblem] {
        &self.problems
    }

    /// Compiles every value for good.
    pub fn finish(self) -> Compiled {
        let (templates, exprs) = (self.templates, self.exprs);
        let (template_needs, expr_needs) = (self.template_needs, self.expr_needs);
        Compiled::new(self.env, |env| Parts {
            templates: templates.iter().map(|name| env.get_template(name).ok()).collect(),
            exprs: exprs.into_iter().map(|source| env.compile_expression_owned(source).ok()).collect(),
            template_needs,
            expr_needs,
        })
    }
}

/// The first `{{`, `{%` or `{#` with no closing delimiter after it: its opener, its closer and
/// its place (1-based, in characters).
fn unclosed(source: &str) -> Option<(&'static str, &'static str, usize)> {
    let mut from = 0;
    while let Some(i) = source[from..].find('{').map(|i| from + i) {
        let pair =
            [("{{", "}}"), ("{%", "%}"), ("{#", "#}")].into_iter().find(|(o, _)| source[i..].starts_with(o));
        match pair {
            Some((open, close)) => match source[i + 2..].find(close) {
                Some(j) => from = i + 2 + j + 2,
                None => return Some((open, close, source[..i].chars().count() + 1)),
            },
            None => from = i + 1,
        }
    }
    None
}

/// Filter and test names offered in "did you mean" (those the environment has): minijinja's
/// builtins and billreel's own. It cannot list its filters, so they are written down here.
const KNOWN_FILTERS: &[&str] = &[
    "abs",
    "attr",
    "batch",
    "bool",
    "capitalize",
    "chain",
    "count",
    "currency",
    "d",
    "date",
    "default",
    "dictsort",
    "e",
    "escape",
    "first",
    "float",
    "format",
    "groupby",
    "indent",
    "int",
    "items",
    "join",
    "last",
    "length",
    "lines",
    "list",
    "lower",
    "map",
    "max",
    "min",
    "number",
    "percent",
    "pprint",
    "reject",
    "rejectattr",
    "replace",
    "reverse",
    "round",
    "safe",
    "select",
    "selectattr",
    "slice",
    "sort",
    "split",
    "string",
    "sum",
    "title",
    "tojson",
    "trim",
    "unique",
    "upper",
    "urlencode",
    "zip",
];
const KNOWN_TESTS: &[&str] = &[
    "boolean",
    "defined",
    "divisibleby",
    "endingwith",
    "eq",
    "equalto",
    "escaped",
    "even",
    "false",
    "filter",
    "float",
    "ge",
    "greaterthan",
    "gt",
    "in",
    "integer",
    "iterable",
    "le",
    "lessthan",
    "lower",
    "lt",
    "mapping",
    "ne",
    "none",
    "number",
    "odd",
    "safe",
    "sameas",
    "sequence",
    "startingwith",
    "string",
    "test",
    "true",
    "undefined",
    "upper",
];

/// Templates and expressions compiled against the environment, by slot.
pub struct Parts<'env> {
    pub(super) templates: Vec<Option<Template<'env, 'env>>>,
    pub(super) exprs: Vec<Option<Expression<'env, 'static>>>,
    pub(super) template_needs: Vec<Vec<Need>>,
    pub(super) expr_needs: Vec<Vec<Need>>,
}

self_cell::self_cell!(
    /// The environment and the storyboard's templates and expressions compiled in it (they
    /// borrow it).
    pub struct Compiled {
        owner: Environment<'static>,
        #[covariant]
        dependent: Parts,
    }
);

impl Compiled {
    pub(super) fn template(&self, slot: usize) -> Option<&Template<'_, '_>> {
        self.borrow_dependent().templates.get(slot)?.as_ref()
    }

    pub(super) fn expression(&self, slot: usize) -> Option<&Expression<'_, 'static>> {
        self.borrow_dependent().exprs.get(slot)?.as_ref()
    }

    /// Whether `name` is one of the environment's functions (`range`, `dict`).
    pub(super) fn is_global(&self, name: &str) -> bool {
        self.borrow_owner().globals().any(|(n, _)| n == name)
    }

    /// What the template in `slot` needs of its values.
    pub(super) fn template_needs(&self, slot: usize) -> &[Need] {
        self.borrow_dependent().template_needs.get(slot).map_or(&[], Vec::as_slice)
    }

    /// What the expression in `slot` needs of its values.
    pub(super) fn expression_needs(&self, slot: usize) -> &[Need] {
        self.borrow_dependent().expr_needs.get(slot).map_or(&[], Vec::as_slice)
    }
}
