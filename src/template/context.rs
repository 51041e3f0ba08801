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
use super::env::DEFAULT_LOCALE;
use super::error::{BindError, ProblemKind};
use super::locale;
use super::types::Need;
use crate::record::Record;
use crate::storyboard::{Bindable, Expr, FromText, Slot};

mod explain;

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
    /// Quote the record's values in errors (`--show-values`, the operator's choice): off, an
    /// error gives a value's kind and length only.
    show_values: bool,
    output_limit: usize,
    /// The storyboard's vars: a problem with a value made from one names the fields it read.
    vars: &'a IndexMap<String, Expr>,
}

/// How the context is made: for `check` only (nothing drawn), whether errors may quote
/// values, and how much text one template may make.
#[derive(Debug, Clone, Copy)]
pub struct Mode<'a> {
    pub check_only: bool,
    pub show_values: bool,
    /// Most bytes one template may produce (`--limit template-output-bytes`).
    pub output_limit: usize,
    /// The format the video is made in, read as `format` (`format.name`, `format.width`,
    /// `format.height`, `format.safe_area.top`…; `format == "portrait"` compares its name).
    pub format: Option<&'a serde_json::Value>,
}

impl<'a> Context<'a> {
    /// The context of `record`: its fields, its locale (or `default_locale`), then `vars`. A
    /// locale ICU4X has no data for fails the record, unless the storyboard names a
    /// `fallback_locale` (then used, with a warning).
    pub fn new(
        compiled: &'a Compiled,
        record: &'a Record,
        default_locale: Option<&str>,
        fallback_locale: Option<&str>,
        vars: &'a IndexMap<String, Expr>,
        locate: Locate<'a>,
        mode: Mode<'a>,
    ) -> Result<Context<'a>, BindError> {
        let mut cx = Context {
            compiled,
            record,
            locate,
            ctx: BTreeMap::new(),
            scope: Value::UNDEFINED,
            undefined_vars: HashMap::new(),
            check_only: mode.check_only,
            show_values: mode.show_values,
            output_limit: mode.output_limit,
            vars,
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
                let shape = cx.shape(&Value::from_serialize(other));
                return Err(cx
                    .err(
                        ProblemKind::WrongValue,
                        "",
                        format!("the record's `locale` must be a string like \"de-DE\", but is {shape}"),
                    )
                    .in_field("locale"));
            }
            None => default_locale.unwrap_or(DEFAULT_LOCALE).to_string(),
        };
        let loc = cx.known_locale(loc, fallback_locale)?;
        cx.ctx.insert("locale".into(), Value::from(loc));
        // After the record's fields: the storyboard's `format` is the one the video is made in.
        if let Some(format) = mode.format {
            cx.ctx.insert(crate::template::types::FORMAT.into(), Value::from_serialize(format));
        }
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

    /// `loc` if ICU4X has data for it, else `fallback` (logged), else an error naming the
    /// field, the tag and a known locale close to it.
    fn known_locale(&self, loc: String, fallback: Option<&str>) -> Result<String, BindError> {
        let Err(e) = locale::check_locale(&loc) else { return Ok(loc) };
        if let Some(fallback) = fallback {
            tracing::warn!(record = %self.record.id, locale = %loc, fallback, "{e}; formatted with the storyboard's fallback_locale");
            return Ok(fallback.to_string());
        }
        let fix =
            "set the record's `locale` to a supported one, or declare `fallback_locale:` in the storyboard";
        let mut err = self.err(ProblemKind::WrongValue, "", format!("field `locale`: {e}; {fix}"));
        // `err` describes record values instead of quoting them. A tag is quoted back only when
        // it is a known confusion (`jp-JP`, did you mean ja-JP?) or asks for a numbering system:
        // a code, and the fix needs it. A plain word (`abc`, `Maria`) is well-formed too, but
        // could be anything the customer typed, so it stays described.
        let quoted = matches!(
            e,
            locale::LocaleError::Unknown { suggestion: Some(_), .. }
                | locale::LocaleError::UnknownNumberingSystem { .. }
        );
        if quoted {
            err.message = format!("field `locale`: {e}; {fix}");
        }
        Err(err.in_field("locale"))
    }

    /// Whether this binding is for `check` only (nothing will be drawn).
    pub fn check_only(&self) -> bool {
        self.check_only
    }

    /// The record's locale (`en-GB`).
    pub fn locale(&self) -> String {
        self.ctx.get("locale").and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
    }

    /// Adds `name` for every template evaluated from now on: a value known only once part of
    /// the record is bound (`video`, after the timeline). `vars` were evaluated before it.
    pub fn define(&mut self, name: &str, value: serde_json::Value) {
        self.ctx.insert(name.into(), Value::from_serialize(&value));
        self.refresh_scope();
    }

    fn refresh_scope(&mut self) {
        self.scope = Value::from_iter(self.ctx.iter().map(|(k, v)| (k.clone(), v.clone())));
    }

    /// A problem of this record with the value at `path`. Any of the record's values that the
    /// message quotes (a library's message, text that did not parse as a colour) is replaced
    /// by its kind and length, unless the operator asked for values (`--show-values`).
    pub fn err(&self, kind: ProblemKind, path: &str, message: impl Into<String>) -> BindError {
        BindError {
            kind,
            record: self.record.id.clone(),
            path: path.to_string(),
            location: (self.locate)(path),
            message: super::redact::scrub(&message.into(), &self.record.data, self.show_values),
            field: None,
        }
    }

    /// A problem with a value made from record `fields` (a text, a link, a QR code): the
    /// message gets ` (from `a`, `b`)` where `{from}` stands, and the error names the first
    /// field as the one at fault.
    pub fn err_from(&self, kind: ProblemKind, path: &str, fields: &[String], message: &str) -> BindError {
        let from =
            if fields.is_empty() { String::new() } else { format!(" (from `{}`)", fields.join("`, `")) };
        let e = self.err(kind, path, message.replace("{from}", &from));
        match fields.first() {
            Some(f) => e.in_field(f.clone()),
            None => e,
        }
    }

    /// How a value is described in an error: its kind and size, and with `--show-values` the
    /// value itself, cut to 80 characters with control characters escaped.
    pub fn shape(&self, v: &Value) -> String {
        let shape = super::redact::shape_of(v);
        match v.kind() {
            ValueKind::String | ValueKind::Number if self.show_values => {
                format!("{shape} ({})", super::redact::quote(&v.to_string()))
            }
            _ => shape,
        }
    }

    /// Checks what a template's operators need of the values it reads (see [`super::types`]):
    /// a field compared with a number is a number, two compared fields are of one kind.
    fn check_needs(&self, needs: &[Need], path: &str, extra: &[(&str, Value)]) -> Result<(), BindError> {
        for need in needs {
            match need {
                Need::Number { field, because } => {
                    if let Some(v) = self.lookup(field, extra) {
                        if !finite_number(&v) {
                            return Err(self.not_a_number(path, field, &v, because));
                        }
                    }
                }
                Need::SameKind { left, right, because } => {
                    let (Some(l), Some(r)) = (self.lookup(left, extra), self.lookup(right, extra)) else {
                        continue;
                    };
                    let numbers = (l.kind() == ValueKind::Number, r.kind() == ValueKind::Number);
                    let wrong = match numbers {
                        (true, _) if !finite_number(&l) => Some((left, &l)),
                        (_, true) if !finite_number(&r) => Some((right, &r)),
                        (true, false) => Some((right, &r)),
                        (false, true) => Some((left, &l)),
                        _ => None,
                    };
                    if let Some((field, v)) = wrong {
                        return Err(self.not_a_number(path, field, v, because));
                    }
                }
            }
        }
        Ok(())
    }

    fn not_a_number(&self, path: &str, field: &str, v: &Value, because: &str) -> BindError {
        let shape = self.shape(v);
        if !self.is_var(field) {
            return self
                .err(
                    ProblemKind::WrongValue,
                    path,
                    format!("field `{field}` must be a number for `{because}`, but is {shape}"),
                )
                .in_field(field);
        }
        // A var that is not a number came from fields that are: the arithmetic overflowed.
        let fields = self.record_fields(vec![field.to_string()]);
        let e = self.err(
            ProblemKind::WrongValue,
            path,
            format!(
                "value `{field}` (made from `{}`) must be a number for `{because}`, but is {shape}",
                fields.join("`, `")
            ),
        );
        match fields.first() {
            Some(f) => e.in_field(f.clone()),
            None => e,
        }
    }

    /// The value at a dotted path, if the context (or `extra`) has it and it is defined.
    fn lookup(&self, dotted: &str, extra: &[(&str, Value)]) -> Option<Value> {
        let mut parts = dotted.split('.');
        let first = parts.next()?;
        let mut v = match extra.iter().find(|(k, _)| *k == first) {
            Some((_, v)) => v.clone(),
            None => self.ctx.get(first)?.clone(),
        };
        for p in parts {
            v = v.get_attr(p).ok()?;
        }
        (!v.is_undefined()).then_some(v)
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

    /// The vars `referenced` reads that came out undefined for this record, sorted.
    fn undefined_read(&self, referenced: &HashSet<String>) -> Vec<String> {
        let mut vars: Vec<String> = referenced
            .iter()
            .map(|p| p.split('.').next().unwrap_or_default().to_string())
            .filter(|root| self.undefined_vars.contains_key(root))
            .collect();
        vars.sort();
        vars.dedup();
        vars
    }

    /// The fields (and vars) a bindable value's template reads, sorted: what a problem with
    /// its output names.
    pub fn fields_of<T>(&self, value: &Bindable<T>) -> Vec<String> {
        let fields: Vec<String> = match value.slot() {
            Slot::Template(i) => self
                .compiled
                .template(*i)
                .map(|t| t.undeclared_variables(true).into_iter().collect())
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        self.record_fields(fields)
    }

    /// The record fields an expression reads (its vars replaced by theirs), sorted.
    pub fn expr_fields(&self, expr: &Expr) -> Vec<String> {
        let read = match expr.slot().and_then(|s| self.compiled.expression(s)) {
            Some(e) => e.undeclared_variables(true).into_iter().collect(),
            None => Vec::new(),
        };
        self.record_fields(read)
    }

    /// `fields` with each var (`name`) replaced by the record fields its expression reads,
    /// sorted: what an error names.
    fn record_fields(&self, mut fields: Vec<String>) -> Vec<String> {
        let mut seen = HashSet::new();
        while let Some(i) = fields.iter().position(|f| self.is_var(f)) {
            let var = fields.swap_remove(i);
            let root = var.split('.').next().unwrap_or_default().to_string();
            if seen.insert(root.clone()) {
                if let Some(e) =
                    self.vars.get(&root).and_then(|e| e.slot()).and_then(|s| self.compiled.expression(s))
                {
                    fields.extend(e.undeclared_variables(true));
                }
            }
        }
        fields.retain(|f| f != "locale");
        fields.sort();
        fields.dedup();
        fields
    }

    /// Whether a dotted path starts at one of the storyboard's vars (not a record field).
    fn is_var(&self, dotted: &str) -> bool {
        let root = dotted.split('.').next().unwrap_or_default();
        self.vars.contains_key(root) && self.record.data.get(root).is_none()
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
        if let Some(slot) = expr.slot() {
            self.check_needs(self.compiled.expression_needs(slot), path, extra)?;
        }
        let scope = self.scope_with(extra);
        e.eval(&scope)
            .map_err(|err| self.template_err(path, err, e.undeclared_variables(true), expr.source()))
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
                Some(t) => {
                    self.check_needs(self.compiled.template_needs(*i), path, extra)?;
                    render_bounded(t, self.scope_with(extra), self.output_limit)
                        .map_err(|e| self.template_err(path, e, t.undeclared_variables(true), value.source()))
                }
                None => Err(self.uncompiled(path, value.source())),
            },
            Slot::None => Err(self.uncompiled(path, value.source())),
        }
    }

    /// A number, or a [`ProblemKind::WrongValue`] that says what it is instead.
    pub fn number(&self, path: &str, v: &Value, what: &str) -> Result<f64, BindError> {
        match v.kind() {
            ValueKind::Number if finite_number(v) => f64::try_from(v.clone())
                .map_err(|_| self.err(ProblemKind::WrongValue, path, format!("{what} is not a number"))),
            _ => Err(self.err(
                ProblemKind::WrongValue,
                path,
                format!("{what} must be a number, but is {}", self.shape(v)),
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
                format!("{what} must be a list, but is {}", self.shape(&v)),
            ));
        }
        Ok(v.try_iter().map(|it| it.collect()).unwrap_or_default())
    }

    /// A list of numbers from an expression (`usage.kwh`).
    pub fn numbers(&self, expr: &Expr) -> Result<Vec<f64>, BindError> {
        let path = expr.path();
        let what = format!("the values of `{}`", expr.source());
        let items = self.list(path, self.eval(expr)?, &what).map_err(|e| e.in_field(expr.source()))?;
        items
            .iter()
            .enumerate()
            .map(|(j, v)| self.number(path, v, &format!("value {j} of `{}`", expr.source())))
            .collect()
    }
}

fn finite_number(v: &Value) -> bool {
    v.kind() == ValueKind::Number && f64::try_from(v.clone()).is_ok_and(f64::is_finite)
}

/// Renders a template, failing once its output passes `limit` bytes: a loop over a long list
/// cannot build a text of gigabytes before anything looks at it.
fn render_bounded(t: &minijinja::Template, scope: Value, limit: usize) -> Result<String, minijinja::Error> {
    struct Bounded {
        out: Vec<u8>,
        limit: usize,
    }
    impl std::io::Write for Bounded {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if self.out.len() + buf.len() > self.limit {
                return Err(std::io::Error::other("over the limit"));
            }
            self.out.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut w = Bounded { out: Vec::new(), limit };
    match t.render_captured_to(scope, &mut w) {
        Ok(_) => Ok(String::from_utf8_lossy(&w.out).into_owned()),
        Err(e) if e.kind() == ErrorKind::WriteFailure => Err(minijinja::Error::new(
            ErrorKind::InvalidOperation,
            format!(
                "the text it makes is over {} (`--limit template-output-bytes`)",
                crate::limits::bytes(limit as u64)
            ),
        )),
        Err(e) => Err(e),
    }
}
