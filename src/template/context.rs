//! One record's context: the values its templates and expressions see, and evaluating them.
//!
//! The context is the record's fields, then the storyboard's `vars` (evaluated in order), then
//! `locale`. Every failure becomes a [`BindError`] that names the record, the storyboard path
//! and, when a field is missing, the field.

use std::collections::{BTreeMap, HashMap, HashSet};

use indexmap::IndexMap;
use minijinja::value::{Value, ValueKind};
use minijinja::ErrorKind;

use super::compiler::Compiled;
use super::env::{kind_name, DEFAULT_LOCALE};
use super::error::{BindError, ProblemKind};
use super::locale;
use crate::record::Record;
use crate::storyboard::{Bindable, Expr, FromText, Slot};

/// Turns a storyboard path into `file:line:column`.
pub type Locate<'a> = &'a (dyn Fn(&str) -> Option<String> + Sync);

/// One record's values, and the storyboard's compiled templates to evaluate against them.
pub struct Context<'a> {
    compiled: &'a Compiled,
    record: &'a Record,
    locate: Locate<'a>,
    ctx: BTreeMap<String, Value>,
    /// `ctx` as one minijinja map, which templates and expressions read. Built from the values
    /// (shared, not copied) whenever `ctx` changes: handing minijinja the BTreeMap itself would
    /// serialise all of it on every render.
    scope: Value,
    /// Vars that came out undefined, with the record fields they needed and did not find: a
    /// template that uses one then names those fields, not the var.
    undefined_vars: HashMap<String, Vec<String>>,
    /// Skip work only rendering needs (`check` binds every record without drawing).
    check_only: bool,
}

impl<'a> Context<'a> {
    /// The context of `record`: its fields, its locale (or `default_locale`), then `vars`.
    pub fn new(
        compiled: &'a Compiled,
        record: &'a Record,
        default_locale: Option<&str>,
        vars: &IndexMap<String, Expr>,
        locate: Locate<'a>,
        check_only: bool,
    ) -> Result<Context<'a>, BindError> {
        let mut cx = Context {
            compiled,
            record,
            locate,
            ctx: BTreeMap::new(),
            scope: Value::UNDEFINED,
            undefined_vars: HashMap::new(),
            check_only,
        };
        let data = Value::from_serialize(&record.data);
        if let Some(obj) = record.data.as_object() {
            for k in obj.keys() {
                cx.ctx.insert(k.clone(), data.get_attr(k).unwrap_or_default());
            }
        }
        let loc = match record.data.get("locale") {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(other) => {
                return Err(cx.err(
                    ProblemKind::WrongValue,
                    "",
                    format!("the record's `locale` must be a string like \"de-DE\", but is {other}"),
                ))
            }
            None => default_locale.unwrap_or(DEFAULT_LOCALE).to_string(),
        };
        locale::parse_locale(&loc)
            .map_err(|e| cx.err(ProblemKind::WrongValue, "", format!("field `locale`: {e}")))?;
        cx.ctx.insert("locale".into(), Value::from(loc));
        cx.refresh_scope();
        for (name, expr) in vars {
            let v = cx.eval(expr)?;
            if v.is_undefined() {
                let missing = cx.missing_in(expr);
                cx.undefined_vars.insert(name.clone(), missing);
            }
            cx.ctx.insert(name.clone(), v);
            cx.refresh_scope();
        }
        Ok(cx)
    }

    pub fn record(&self) -> &Record {
        self.record
    }

    /// Whether this binding is for `check` only (nothing will be drawn).
    pub fn check_only(&self) -> bool {
        self.check_only
    }

    /// The record's locale (`en-GB`).
    pub fn locale(&self) -> String {
        self.ctx.get("locale").and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
    }

    fn refresh_scope(&mut self) {
        self.scope = Value::from_iter(self.ctx.iter().map(|(k, v)| (k.clone(), v.clone())));
    }

    /// A problem of this record with the value at `path`.
    pub fn err(&self, kind: ProblemKind, path: &str, message: impl Into<String>) -> BindError {
        BindError {
            kind,
            record: self.record.id.clone(),
            path: path.to_string(),
            location: (self.locate)(path),
            message: message.into(),
        }
    }

    /// A value that was never compiled: a defect of billreel, not of the storyboard or record.
    fn uncompiled(&self, path: &str, source: &str) -> BindError {
        self.err(
            ProblemKind::Other,
            path,
            format!("internal error: `{source}` was never compiled; please report it"),
        )
    }

    /// The scope with a few more values (`value` for a label, `count` for a count-up).
    fn scope_with(&self, extra: &[(&str, Value)]) -> Value {
        if extra.is_empty() {
            return self.scope.clone();
        }
        let extra = Value::from_iter(extra.iter().map(|(k, v)| (k.to_string(), v.clone())));
        minijinja::value::merge_maps([extra, self.scope.clone()])
    }

    /// Turns a minijinja error into one that names the record and, when a field is missing,
    /// the field's path.
    fn template_err(&self, path: &str, e: minijinja::Error, referenced: HashSet<String>) -> BindError {
        if e.kind() == ErrorKind::UndefinedError {
            if let Some(first) = self.missing_fields(referenced).first() {
                return self.err(
                    ProblemKind::MissingField,
                    path,
                    format!("the record has no field `{first}`"),
                );
            }
        }
        let detail = e.detail().map(str::to_string).unwrap_or_else(|| e.to_string());
        let (kind, msg) = match e.kind() {
            ErrorKind::OutOfFuel => (
                ProblemKind::Other,
                "the template ran too long (fuel limit reached); is there a loop that never ends?"
                    .to_string(),
            ),
            ErrorKind::UndefinedError => {
                (ProblemKind::MissingField, format!("a value is undefined: {detail}"))
            }
            // Our filters fail with InvalidOperation when a value cannot be formatted.
            ErrorKind::InvalidOperation => (ProblemKind::WrongValue, detail),
            _ => (ProblemKind::Other, detail),
        };
        self.err(kind, path, msg)
    }

    /// The record fields `expr` refers to and the record lacks (through undefined vars too).
    fn missing_in(&self, expr: &Expr) -> Vec<String> {
        match expr.slot().and_then(|s| self.compiled.expression(s)) {
            Some(e) => self.missing_fields(e.undeclared_variables(true)),
            None => Vec::new(),
        }
    }

    /// Of the dotted paths a template or expression refers to, those the record lacks, sorted;
    /// an undefined var stands for the fields it lacked.
    fn missing_fields(&self, referenced: HashSet<String>) -> Vec<String> {
        let mut missing: Vec<String> = referenced
            .into_iter()
            .flat_map(|p| match self.undefined_vars.get(p.split('.').next().unwrap_or_default()) {
                Some(fields) => fields.clone(),
                None => vec![p],
            })
            .filter(|p| !self.has_path(p))
            .collect();
        missing.sort();
        missing.dedup();
        missing
    }

    /// Whether a dotted path exists in the context (`customer.first_name`).
    fn has_path(&self, dotted: &str) -> bool {
        let mut parts = dotted.split('.');
        let Some(first) = parts.next() else {
            return false;
        };
        let Some(mut v) = self.ctx.get(first).cloned() else {
            return false;
        };
        for p in parts {
            match v.get_attr(p) {
                Ok(next) if !next.is_undefined() => v = next,
                _ => return false,
            }
        }
        true
    }

    /// Evaluates an expression (a condition, a var, a data reference).
    pub fn eval(&self, expr: &Expr) -> Result<Value, BindError> {
        self.eval_with(expr, &[])
    }

    /// Evaluates an expression with a few more values in scope (a table's `row`).
    pub fn eval_with(&self, expr: &Expr, extra: &[(&str, Value)]) -> Result<Value, BindError> {
        let path = expr.path();
        let compiled = expr.slot().and_then(|s| self.compiled.expression(s));
        let Some(e) = compiled else {
            return Err(self.uncompiled(path, expr.source()));
        };
        let scope = self.scope_with(extra);
        e.eval(&scope).map_err(|err| self.template_err(path, err, e.undeclared_variables(true)))
    }

    /// Whether an optional condition holds (no condition: it does).
    pub fn holds(&self, when: &Option<Expr>) -> Result<bool, BindError> {
        match when {
            None => Ok(true),
            Some(e) => Ok(self.eval(e)?.is_true()),
        }
    }

    /// Renders a bindable string.
    pub fn text(&self, value: &Bindable<String>) -> Result<String, BindError> {
        self.text_with(value, &[])
    }

    /// Renders a bindable string with a few more values in scope.
    pub fn text_with(&self, value: &Bindable<String>, extra: &[(&str, Value)]) -> Result<String, BindError> {
        self.render(value, extra)
    }

    /// A bindable value (a colour): the literal, or the template rendered and parsed.
    pub fn value<T: FromText>(&self, value: &Bindable<T>) -> Result<T, BindError> {
        match value.slot() {
            Slot::Literal(v) => Ok(v.clone()),
            _ => {
                let text = self.render(value, &[])?;
                T::from_text(&text).map_err(|e| self.err(ProblemKind::WrongValue, value.path(), e))
            }
        }
    }

    fn render<T: FromText>(&self, value: &Bindable<T>, extra: &[(&str, Value)]) -> Result<String, BindError> {
        let path = value.path();
        match value.slot() {
            Slot::Literal(_) => Ok(value.source().to_string()),
            Slot::Template(i) => match self.compiled.template(*i) {
                Some(t) => t
                    .render(self.scope_with(extra))
                    .map_err(|e| self.template_err(path, e, t.undeclared_variables(true))),
                None => Err(self.uncompiled(path, value.source())),
            },
            Slot::None => Err(self.uncompiled(path, value.source())),
        }
    }

    /// A number, or a [`ProblemKind::WrongValue`] that says what it is instead.
    pub fn number(&self, path: &str, v: &Value, what: &str) -> Result<f64, BindError> {
        match v.kind() {
            ValueKind::Number => f64::try_from(v.clone())
                .map_err(|_| self.err(ProblemKind::WrongValue, path, format!("{what} is not a number: {v}"))),
            ValueKind::None | ValueKind::Undefined => Err(self.err(
                ProblemKind::WrongValue,
                path,
                format!("{what} must be a number, but is {}", kind_name(v)),
            )),
            _ => Err(self.err(
                ProblemKind::WrongValue,
                path,
                format!("{what} must be a number, but is {} `{v}`", kind_name(v)),
            )),
        }
    }

    /// An expression that must give a number; `key` names it in messages.
    pub fn eval_number(&self, expr: &Expr, key: &str) -> Result<f64, BindError> {
        let v = self.eval(expr)?;
        self.number(expr.path(), &v, &format!("`{key}` (`{}`)", expr.source()))
    }

    /// A list, or a [`ProblemKind::WrongValue`].
    pub fn list(&self, path: &str, v: Value, what: &str) -> Result<Vec<Value>, BindError> {
        if v.kind() != ValueKind::Seq {
            return Err(self.err(
                ProblemKind::WrongValue,
                path,
                format!("{what} must be a list, but is {} `{v}`", kind_name(&v)),
            ));
        }
        Ok(v.try_iter().map(|it| it.collect()).unwrap_or_default())
    }

    /// A list of numbers from an expression (`usage.kwh`).
    pub fn numbers(&self, expr: &Expr) -> Result<Vec<f64>, BindError> {
        let path = expr.path();
        let items = self.list(path, self.eval(expr)?, "values")?;
        items
            .iter()
            .enumerate()
            .map(|(j, v)| self.number(path, v, &format!("value {j} of `{}`", expr.source())))
            .collect()
    }
}
