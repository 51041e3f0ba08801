//! What a template or expression expects of the values it reads.
//!
//! minijinja orders values of different kinds instead of refusing to compare them, so
//! `overdue_days > 0` is true when the record holds the string `"abc"`, and the video says
//! "overdue by abc days". It has no hook on its operators, so billreel reads each template's
//! syntax tree once, when the storyboard is compiled, and writes down what its operators need:
//! a field compared with a number, used in arithmetic or given to a number filter must be a
//! (finite) number; two fields compared with each other must be of one kind. The record is then
//! checked against that list before the template runs, and a wrong value fails the record with
//! the field's name instead of drawing a wrong video.
//!
//! Arithmetic on a text literal (`'x' * 10000000`) is refused outright: no storyboard needs it.
//!
//! The syntax tree comes from minijinja's `unstable_machinery` API, which has no semver promise:
//! `Cargo.toml` pins minijinja's minor version, and the tests of this module fail first if a
//! release changes the tree.

use std::collections::HashSet;

use minijinja::machinery::ast::{self, BinOpKind, CallArg, CompareOpKind, Expr, Stmt, UnaryOpKind};
use minijinja::machinery::{parse, parse_expr, WhitespaceConfig};
use minijinja::syntax::SyntaxConfig;
use minijinja::value::ValueKind;

/// One thing a template needs of its values to mean what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Need {
    /// The value at `field` (a dotted path: `bill.overdue_days`) must be a finite number.
    Number { field: String, because: String },
    /// The values at `left` and `right` are compared, so they must be of one kind.
    SameKind { left: String, right: String, because: String },
}

/// The filters, tests and functions a template calls, and the names it reads from its
/// context (record fields and vars; loop names and `set` names are not), each once, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Used {
    pub filters: Vec<String>,
    pub tests: Vec<String>,
    pub functions: Vec<String>,
    pub roots: Vec<String>,
    /// The `t("id", …)` calls whose id is a text literal, in order.
    pub messages: Vec<MessageCall>,
}

/// A `t("id", name=value, …)` call: its id, and the names it passes (`None`: it passes
/// `**values`, whose names are known only per record).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageCall {
    pub id: String,
    pub names: Option<Vec<String>>,
}

impl Used {
    fn note(list: &mut Vec<String>, name: &str) {
        if !list.iter().any(|n| n == name) {
            list.push(name.to_string());
        }
    }
}

/// What a template calls and reads (nothing when it does not parse: the compiler reports that).
pub fn used_in_template(source: &str) -> Used {
    let Ok(stmt) = parse(source, "<template>", SyntaxConfig, WhitespaceConfig::default()) else {
        return Used::default();
    };
    let mut w = Walker::new(source);
    w.stmt(&stmt);
    w.used
}

/// What an expression calls and reads.
pub fn used_in_expression(source: &str) -> Used {
    // minijinja 2.24's lexer panics on a closing delimiter in an expression (`a }} b`, found by
    // fuzzing); such an expression is refused by the compiler anyway.
    if ["{{", "}}", "{%", "%}", "{#", "#}"].iter().any(|d| source.contains(d)) {
        return Used::default();
    }
    let Ok(expr) = parse_expr(source) else { return Used::default() };
    let mut w = Walker::new(source);
    w.expr(&expr);
    w.used
}

/// The dotted paths an expression reads from its context (`layers.greeting.height`), each once.
pub fn dotted_reads(source: &str) -> Vec<String> {
    if ["{{", "}}", "{%", "%}", "{#", "#}"].iter().any(|d| source.contains(d)) {
        return Vec::new();
    }
    let env = minijinja::Environment::empty();
    let Ok(e) = env.compile_expression(source) else { return Vec::new() };
    let mut reads: Vec<String> = e.undeclared_variables(true).into_iter().collect();
    reads.sort();
    reads
}

/// The name under which a template reads the format its video is made in.
pub const FORMAT: &str = "format";

/// `source` with every whole read of [`FORMAT`] made a read of its name (`format == "portrait"`
/// becomes `format.name == "portrait"`), so the format is both a name and a mapping with
/// `width` and `height`: minijinja compares a mapping with a string as unequal and has no hook
/// to change that. The places come from the syntax tree, so a `format` inside a string or a
/// longer name is left alone. None when nothing changes.
pub fn format_read_as_name(source: &str, is_template: bool) -> Option<String> {
    let mut w = Walker::new(source);
    if is_template {
        w.stmt(&parse(source, "<template>", SyntaxConfig, WhitespaceConfig::default()).ok()?);
    } else {
        if ["{{", "}}", "{%", "%}", "{#", "#}"].iter().any(|d| source.contains(d)) {
            return None;
        }
        w.expr(&parse_expr(source).ok()?);
    }
    if w.bare_format.is_empty() {
        return None;
    }
    let mut out = source.to_string();
    w.bare_format.sort_unstable();
    for end in w.bare_format.into_iter().rev() {
        out.insert_str(end, ".name");
    }
    Some(out)
}

/// The filters that take a number.
const NUMBER_FILTERS: &[&str] = &["currency", "number", "percent", "round", "abs"];

/// What an expression's operators need.
pub fn of_expression(source: &str) -> Result<Vec<Need>, String> {
    // A syntax error is minijinja's compiler's to report (it says more about it).
    let Ok(expr) = parse_expr(source) else { return Ok(Vec::new()) };
    let mut w = Walker::new(source);
    w.expr(&expr);
    w.finish()
}

/// What a template's operators need.
pub fn of_template(source: &str) -> Result<Vec<Need>, String> {
    let Ok(stmt) = parse(source, "<template>", SyntaxConfig, WhitespaceConfig::default()) else {
        return Ok(Vec::new());
    };
    let mut w = Walker::new(source);
    w.stmt(&stmt);
    w.finish()
}

struct Walker<'s> {
    source: &'s str,
    /// Names bound inside the template (loop targets, `set`, `with`): not record fields.
    locals: Vec<HashSet<String>>,
    needs: Vec<Need>,
    refused: Option<String>,
    used: Used,
    /// Where the name [`FORMAT`] is read whole (not `format.width`): the end of each, in bytes.
    bare_format: Vec<usize>,
}

impl<'s> Walker<'s> {
    fn new(source: &'s str) -> Walker<'s> {
        Walker {
            source,
            locals: vec![HashSet::new()],
            needs: Vec::new(),
            refused: None,
            used: Used::default(),
            bare_format: Vec::new(),
        }
    }

    fn finish(self) -> Result<Vec<Need>, String> {
        match self.refused {
            Some(why) => Err(why),
            None => {
                let mut needs = self.needs;
                needs.dedup();
                Ok(needs)
            }
        }
    }

    /// The source text of a node, for messages (`overdue_days > 0`).
    fn snippet(&self, span: minijinja::machinery::Span) -> String {
        let (a, b) = (span.start_offset as usize, span.end_offset as usize);
        self.source.get(a..b).unwrap_or_default().trim().to_string()
    }

    fn is_local(&self, name: &str) -> bool {
        name == "loop" || self.locals.iter().any(|s| s.contains(name))
    }

    fn bind_target(&mut self, target: &Expr) {
        match target {
            Expr::Var(v) => {
                let name = v.id.to_string();
                if let Some(scope) = self.locals.last_mut() {
                    scope.insert(name);
                }
            }
            Expr::List(l) => l.items.iter().for_each(|t| self.bind_target(t)),
            _ => {}
        }
    }

    /// The dotted path of a field reference (`bill.overdue_days`), if `e` is one.
    fn path(&self, e: &Expr) -> Option<String> {
        match e {
            Expr::Var(v) if !self.is_local(v.id) => Some(v.id.to_string()),
            Expr::GetAttr(g) => self.path(&g.expr).map(|p| format!("{p}.{}", g.name)),
            _ => None,
        }
    }

    fn need_number(&mut self, e: &Expr, because: &str) {
        if let Some(field) = self.path(e) {
            self.needs.push(Need::Number { field, because: because.to_string() });
        }
    }

    /// Two operands that must be numbers when either is one, and of one kind in any case.
    fn compared(&mut self, left: &Expr, right: &Expr, because: &str) {
        match (number_const(left), number_const(right)) {
            (true, _) => self.need_number(right, because),
            (_, true) => self.need_number(left, because),
            _ => {
                if let (Some(l), Some(r)) = (self.path(left), self.path(right)) {
                    self.needs.push(Need::SameKind { left: l, right: r, because: because.to_string() });
                }
            }
        }
    }

    fn arithmetic(&mut self, left: &Expr, right: &Expr, op: &str, because: &str) {
        for side in [left, right] {
            if text_const(side) {
                self.refused.get_or_insert_with(|| {
                    format!(
                        "`{because}` uses `{op}` on a piece of text; arithmetic works on numbers only \
                         (join text with `~`)"
                    )
                });
            }
            self.need_number(side, because);
        }
    }

    fn stmt(&mut self, s: &Stmt) {
        match s {
            Stmt::Template(t) => t.children.iter().for_each(|c| self.stmt(c)),
            Stmt::EmitExpr(e) => self.expr(&e.expr),
            Stmt::EmitRaw(_) => {}
            Stmt::ForLoop(f) => {
                self.expr(&f.iter);
                self.locals.push(HashSet::new());
                self.bind_target(&f.target);
                if let Some(filter) = &f.filter_expr {
                    self.expr(filter);
                }
                f.body.iter().for_each(|c| self.stmt(c));
                self.locals.pop();
                f.else_body.iter().for_each(|c| self.stmt(c));
            }
            Stmt::IfCond(i) => {
                self.expr(&i.expr);
                i.true_body.iter().for_each(|c| self.stmt(c));
                i.false_body.iter().for_each(|c| self.stmt(c));
            }
            Stmt::WithBlock(w) => {
                w.assignments.iter().for_each(|(_, value)| self.expr(value));
                self.locals.push(HashSet::new());
                w.assignments.iter().for_each(|(target, _)| self.bind_target(target));
                w.body.iter().for_each(|c| self.stmt(c));
                self.locals.pop();
            }
            Stmt::Set(set) => {
                self.expr(&set.expr);
                self.bind_target(&set.target);
            }
            Stmt::SetBlock(set) => {
                set.body.iter().for_each(|c| self.stmt(c));
                if let Some(f) = &set.filter {
                    self.expr(f);
                }
                self.bind_target(&set.target);
            }
            Stmt::AutoEscape(a) => {
                self.expr(&a.enabled);
                a.body.iter().for_each(|c| self.stmt(c));
            }
            Stmt::FilterBlock(f) => {
                self.expr(&f.filter);
                f.body.iter().for_each(|c| self.stmt(c));
            }
            Stmt::Do(d) => self.call(&d.call),
        }
    }

    fn call(&mut self, c: &ast::Call) {
        if let Expr::Var(v) = &c.expr {
            if !self.is_local(v.id) {
                Used::note(&mut self.used.functions, v.id);
                if v.id == "t" {
                    if let Some(CallArg::Pos(Expr::Const(k))) = c.args.first() {
                        if let Some(id) = k.value.as_str() {
                            let mut names = Some(Vec::new());
                            for a in &c.args[1..] {
                                match (a, names.as_mut()) {
                                    (CallArg::Kwarg(name, _), Some(list)) => list.push(name.to_string()),
                                    (CallArg::KwargSplat(_) | CallArg::PosSplat(_), _) => names = None,
                                    _ => {}
                                }
                            }
                            self.used.messages.push(MessageCall { id: id.to_string(), names });
                        }
                    }
                }
            }
        } else {
            self.expr(&c.expr);
        }
        self.args(&c.args);
    }

    fn args(&mut self, args: &[CallArg]) {
        for a in args {
            match a {
                CallArg::Pos(e) | CallArg::Kwarg(_, e) | CallArg::PosSplat(e) | CallArg::KwargSplat(e) => {
                    self.expr(e)
                }
            }
        }
    }

    fn expr(&mut self, e: &Expr) {
        match e {
            Expr::Var(v) => {
                if !self.is_local(v.id) {
                    Used::note(&mut self.used.roots, v.id);
                    if v.id == FORMAT {
                        self.bare_format.push(v.span().end_offset as usize);
                    }
                }
            }
            Expr::Const(_) => {}
            Expr::Slice(s) => {
                self.expr(&s.expr);
                for part in [&s.start, &s.stop, &s.step].into_iter().flatten() {
                    self.expr(part);
                }
            }
            Expr::UnaryOp(u) => {
                if matches!(u.op, UnaryOpKind::Neg) {
                    let because = self.snippet(e_span(e));
                    self.need_number(&u.expr, &because);
                }
                self.expr(&u.expr);
            }
            Expr::BinOp(b) => {
                let because = self.snippet(e_span(e));
                match b.op {
                    BinOpKind::Eq
                    | BinOpKind::Ne
                    | BinOpKind::Lt
                    | BinOpKind::Lte
                    | BinOpKind::Gt
                    | BinOpKind::Gte => self.compared(&b.left, &b.right, &because),
                    BinOpKind::Sub => self.arithmetic(&b.left, &b.right, "-", &because),
                    BinOpKind::Mul => self.arithmetic(&b.left, &b.right, "*", &because),
                    BinOpKind::Div => self.arithmetic(&b.left, &b.right, "/", &because),
                    BinOpKind::FloorDiv => self.arithmetic(&b.left, &b.right, "//", &because),
                    BinOpKind::Rem => self.arithmetic(&b.left, &b.right, "%", &because),
                    BinOpKind::Pow => self.arithmetic(&b.left, &b.right, "**", &because),
                    // `+` adds numbers and joins text: a number on either side makes it a sum.
                    BinOpKind::Add => self.compared(&b.left, &b.right, &because),
                    BinOpKind::ScAnd | BinOpKind::ScOr | BinOpKind::Concat | BinOpKind::In => {}
                }
                self.expr(&b.left);
                self.expr(&b.right);
            }
            Expr::Compare(c) => {
                let because = self.snippet(e_span(e));
                let mut left = &c.expr;
                for op in &c.ops {
                    if !matches!(op.op, CompareOpKind::In | CompareOpKind::NotIn) {
                        self.compared(left, &op.expr, &because);
                    }
                    left = &op.expr;
                }
                self.expr(&c.expr);
                c.ops.iter().for_each(|op| self.expr(&op.expr));
            }
            Expr::IfExpr(i) => {
                self.expr(&i.test_expr);
                self.expr(&i.true_expr);
                if let Some(f) = &i.false_expr {
                    self.expr(f);
                }
            }
            Expr::Filter(f) => {
                Used::note(&mut self.used.filters, f.name);
                if let Some(input) = &f.expr {
                    if NUMBER_FILTERS.contains(&f.name) {
                        // The filter's span starts at its name; the message shows its input too.
                        let (from, to) = (e_span(input), e_span(e));
                        let because = self
                            .source
                            .get(from.start_offset as usize..to.end_offset as usize)
                            .unwrap_or_default()
                            .trim()
                            .to_string();
                        self.need_number(input, &because);
                    }
                    self.expr(input);
                }
                self.args(&f.args);
            }
            Expr::Test(t) => {
                Used::note(&mut self.used.tests, t.name);
                self.expr(&t.expr);
                self.args(&t.args);
            }
            // `format.width` reads an attribute of the format, not the format whole.
            Expr::GetAttr(g) => match &g.expr {
                Expr::Var(v) if v.id == FORMAT && !self.is_local(v.id) => {
                    Used::note(&mut self.used.roots, v.id)
                }
                _ => self.expr(&g.expr),
            },
            Expr::GetItem(g) => {
                match &g.expr {
                    Expr::Var(v) if v.id == FORMAT && !self.is_local(v.id) => {
                        Used::note(&mut self.used.roots, v.id)
                    }
                    _ => self.expr(&g.expr),
                }
                self.expr(&g.subscript_expr);
            }
            Expr::Call(c) => self.call(c),
            Expr::List(l) => l.items.iter().for_each(|i| self.expr(i)),
            Expr::Map(m) => m.keys.iter().chain(m.values.iter()).for_each(|i| self.expr(i)),
        }
    }
}

/// The span of an expression node.
fn e_span(e: &Expr) -> minijinja::machinery::Span {
    match e {
        Expr::Var(s) => s.span(),
        Expr::Const(s) => s.span(),
        Expr::Slice(s) => s.span(),
        Expr::UnaryOp(s) => s.span(),
        Expr::BinOp(s) => s.span(),
        Expr::Compare(s) => s.span(),
        Expr::IfExpr(s) => s.span(),
        Expr::Filter(s) => s.span(),
        Expr::Test(s) => s.span(),
        Expr::GetAttr(s) => s.span(),
        Expr::GetItem(s) => s.span(),
        Expr::Call(s) => s.span(),
        Expr::List(s) => s.span(),
        Expr::Map(s) => s.span(),
    }
}

fn number_const(e: &Expr) -> bool {
    match e {
        Expr::Const(c) => c.value.kind() == ValueKind::Number,
        Expr::UnaryOp(u) => matches!(u.op, UnaryOpKind::Neg) && number_const(&u.expr),
        _ => false,
    }
}

fn text_const(e: &Expr) -> bool {
    matches!(e, Expr::Const(c) if c.value.kind() == ValueKind::String)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers(needs: &[Need]) -> Vec<&str> {
        needs
            .iter()
            .filter_map(|n| match n {
                Need::Number { field, .. } => Some(field.as_str()),
                Need::SameKind { .. } => None,
            })
            .collect()
    }

    #[test]
    fn the_format_read_whole_is_read_as_its_name() {
        let e = |s: &str| format_read_as_name(s, false);
        assert_eq!(e("format == 'portrait'").as_deref(), Some("format.name == 'portrait'"));
        assert_eq!(
            e("format in ['a', 'b'] and format.width > 700").as_deref(),
            Some("format.name in ['a', 'b'] and format.width > 700")
        );
        assert_eq!(e("format.name == 'x'"), None);
        assert_eq!(e("formats == 'format'"), None);
        let t = format_read_as_name(
            "{{ format }} {{ format.height }} {% if format != 'square' %}!{% endif %}",
            true,
        );
        assert_eq!(
            t.as_deref(),
            Some("{{ format.name }} {{ format.height }} {% if format.name != 'square' %}!{% endif %}")
        );
        assert_eq!(format_read_as_name("{% for format in xs %}{{ format }}{% endfor %}", true), None);
    }

    #[test]
    fn fields_compared_with_numbers_or_used_in_arithmetic_must_be_numbers() {
        let needs = of_expression("overdue_days > 0").unwrap();
        assert_eq!(
            needs,
            vec![Need::Number { field: "overdue_days".into(), because: "overdue_days > 0".into() }]
        );
        let needs = of_expression("bill.total - bill.previous_total").unwrap();
        assert_eq!(numbers(&needs), ["bill.total", "bill.previous_total"]);
        let needs = of_expression("-(bill.credit) == 0 and plan == 'gold'").unwrap();
        assert_eq!(numbers(&needs), ["bill.credit"]);
        let needs = of_template("Due {{ bill.total | currency }} in {{ 30 - days }} days").unwrap();
        assert_eq!(numbers(&needs), ["bill.total", "days"]);
    }

    #[test]
    fn two_fields_compared_must_be_of_one_kind_and_loop_names_are_not_fields() {
        let needs = of_expression("bill.total > bill.previous_total").unwrap();
        assert!(
            matches!(&needs[..], [Need::SameKind { left, right, .. }] if left == "bill.total" && right == "bill.previous_total")
        );
        let needs =
            of_template("{% for r in rows %}{{ r.amount * 2 }}{{ loop.index - 1 }}{% endfor %}{{ n + 1 }}")
                .unwrap();
        assert_eq!(numbers(&needs), ["n"]);
    }

    #[test]
    fn the_names_a_template_calls_and_reads_are_listed_once() {
        let u = used_in_template(
            "{% for r in rows | sort %}{{ r.x | upperr }}{{ loop.index }}{% endfor %}{{ total | round }}\
             {{ foo(1) }}{{ x is oddd }}{{ range(2) | sort }}",
        );
        assert_eq!(u.filters, ["sort", "upperr", "round"]);
        assert_eq!(u.tests, ["oddd"]);
        assert_eq!(u.functions, ["foo", "range"]);
        assert_eq!(u.roots, ["rows", "total", "x"], "loop names and functions are not read");
        assert_eq!(used_in_expression("a + b.c | abs").roots, ["a", "b"]);
    }

    #[test]
    fn arithmetic_on_text_literals_is_refused() {
        let e = of_expression("'x' * 10000000").unwrap_err();
        assert!(e.contains("'x' * 10000000") && e.contains("text"), "{e}");
        assert!(of_expression("'a' ~ name").is_ok());
        assert!(of_expression("'gold' == plan").is_ok());
    }
}
