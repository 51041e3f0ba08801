//! Compiling a storyboard's bindable values once, before any record is bound.
//!
//! The [`Compiler`] visits every [`Bindable`] and [`Expr`] (each owner names its fields and
//! their paths), adds templates to the environment and checks expressions, and gives each value
//! its slot. [`Compiler::finish`] then compiles them for good into [`Compiled`]: binding a record
//! only evaluates them, by slot.

use minijinja::{Environment, Expression, Template};

use super::types::{self, Need};
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
    problems: Vec<CompileProblem>,
}

impl Compiler {
    pub fn new(default_currency: Option<String>) -> Compiler {
        Compiler::with_limits(default_currency, &crate::limits::Limits::default())
    }

    /// A compiler whose environment runs under `limits` (fuel, output size, list sizes).
    pub fn with_limits(default_currency: Option<String>, limits: &crate::limits::Limits) -> Compiler {
        Compiler {
            env: super::env::environment(default_currency, limits),
            templates: Vec::new(),
            exprs: Vec::new(),
            template_needs: Vec::new(),
            expr_needs: Vec::new(),
            problems: Vec::new(),
        }
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
        match self.env.add_template_owned(path.clone(), value.source().to_string()) {
            Ok(()) => {
                let slot = Slot::Template(self.templates.len());
                self.templates.push(path.clone());
                self.template_needs.push(needs);
                value.set_compiled(path, slot);
            }
            Err(e) => self.problems.push(CompileProblem {
                message: format!("template error: {}", e.detail().unwrap_or(&e.to_string())),
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
        match self.env.compile_expression(expr.source()) {
            Ok(_) => {
                let slot = self.exprs.len();
                self.exprs.push(expr.source().to_string());
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

    /// A value whose operators make no sense (arithmetic on text).
    fn refuse(&mut self, path: String, why: String) {
        self.problems.push(CompileProblem {
            message: why,
            hint: "numbers come from the record or from number literals; text is joined with `~`".into(),
            path,
        });
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
