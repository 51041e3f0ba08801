//! Explaining why a template failed for a record: which part of it, which field the record
//! lacks (or which var came out empty because of it) and what that field is likely a typo of.
//! Apart from `context` (the values a record's templates see) because it is a job of its own.

use std::collections::HashSet;

use minijinja::ErrorKind;

use super::Context;
use crate::template::error::{BindError, ProblemKind};

impl Context<'_> {
    /// Turns a minijinja error into one that names the record and, when a field is missing,
    /// the field's path. `source` is the template's (or expression's) text, for quoting the
    /// part that failed.
    pub(super) fn template_err(
        &self,
        path: &str,
        e: minijinja::Error,
        referenced: HashSet<String>,
        source: &str,
    ) -> BindError {
        if let Some(e) = self.message_err(path, &e) {
            return e;
        }
        let missing = self.missing_fields(referenced.clone());
        if e.kind() == ErrorKind::UndefinedError {
            // `range.__globals__`: an attribute of one of minijinja's functions, not a field.
            let is_global = |p: &&String| {
                let root = p.split('.').next().unwrap_or_default();
                !self.ctx.contains_key(root) && self.compiled.is_global(root)
            };
            if let Some(global) = missing.iter().find(is_global) {
                let (root, attr) = global.split_once('.').unwrap_or((global, ""));
                let what = if attr.is_empty() {
                    format!("`{root}` is a function, not a record field: call it, e.g. `{root}(3)`")
                } else {
                    format!("`{root}` is a function, not a record field: it has no attribute `{attr}`")
                };
                return self.err(ProblemKind::Other, path, what);
            }
        }
        if let Some(e) = self.missing_cause(path, &e, &referenced, missing) {
            return e;
        }
        // minijinja's own text, without the location it appends (we give ours).
        let mut detail = e.detail().map(str::to_string).unwrap_or_else(|| e.kind().to_string());
        if e.kind() == ErrorKind::UndefinedError {
            // Something along a path does not exist (`m.x.y` in a loop over the record's list):
            // quote the part of the template that failed.
            // minijinja's span starts at the failing attribute (`.x.y`): take in the name before it.
            let part = e
                .range()
                .and_then(|r| {
                    let head = source.get(..r.start)?;
                    let from = head
                        .rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
                        .map_or(0, |i| i + 1);
                    source.get(from..r.end)
                })
                .map(str::trim)
                .filter(|p| !p.is_empty());
            detail = match part {
                Some(p) => format!(
                    "`{p}` has no value for this record: a name, attribute or item in it does not exist"
                ),
                None => {
                    "a name, attribute or item the template reads does not exist for this record".to_string()
                }
            };
        }
        // A library's message ("tried to use - operator on unsupported types string and
        // number") names no field: say which ones the template reads.
        let fields = self.record_fields(referenced.into_iter().collect());
        if !fields.is_empty() && e.kind() != ErrorKind::OutOfFuel {
            detail = format!("{detail} (it reads `{}`)", fields.join("`, `"));
        }
        let (kind, msg) = match e.kind() {
            ErrorKind::OutOfFuel => (
                ProblemKind::Other,
                "the template ran too long (fuel limit reached); is there a loop that never ends?"
                    .to_string(),
            ),
            ErrorKind::UndefinedError => (ProblemKind::MissingField, detail),
            // Our filters fail with InvalidOperation when a value cannot be formatted.
            ErrorKind::InvalidOperation => (ProblemKind::WrongValue, detail),
            _ => (ProblemKind::Other, detail),
        };
        let e = self.err(kind, path, msg);
        match &fields[..] {
            [only] => e.in_field(only.clone()),
            _ => e,
        }
    }

    /// A `t()` call whose message no locale has: the translations' own message, which names
    /// the message, the locales tried and the files. Those are the storyboard's, except an id computed from the
    /// record (`t(plan.key)`), which alone is kept out of the text as any record value.
    fn message_err(&self, path: &str, e: &minijinja::Error) -> Option<BindError> {
        use crate::template::messages::MessageError;
        let source = std::error::Error::source(e)?.downcast_ref::<MessageError>()?;
        // Any other failure (an argument that is a list) is an operation's, said as those are,
        // with the fields the template reads.
        let MessageError::Missing { .. } = source else { return None };
        let mut source = source.clone();
        if let MessageError::Missing { id, .. } = &mut source {
            *id = super::super::redact::scrub(id, &self.record.data, self.show_values);
        }
        let mut err = self.err(ProblemKind::MissingMessage, path, "");
        err.message = format!("{source}; {}", source.hint());
        Some(err)
    }

    /// When a template failed because a field is missing (or a var made from fields came out
    /// empty), the error that says so: "the record has no field `bill.totl`, which var `due`
    /// is made from". `missing`: the fields the template reads that the record lacks.
    fn missing_cause(
        &self,
        path: &str,
        e: &minijinja::Error,
        referenced: &HashSet<String>,
        missing: Vec<String>,
    ) -> Option<BindError> {
        // A filter or operator that got nothing (`| currency` of a var made from a missing
        // field) failed because a field is missing: that is what to say, with the var between.
        // minijinja's functions (`range`) are read like fields but are not ones.
        let missing: Vec<String> = missing
            .into_iter()
            .filter(|p| {
                let root = p.split('.').next().unwrap_or_default();
                self.ctx.contains_key(root) || !self.compiled.is_global(root)
            })
            .collect();
        let from_nothing = e.kind() == ErrorKind::UndefinedError
            || (e.kind() == ErrorKind::InvalidOperation
                && !(missing.is_empty() && self.undefined_read(referenced).is_empty()));
        if from_nothing {
            if let Some(first) = missing.first() {
                let through = self.undefined_read(referenced);
                let via = match through.first() {
                    Some(var) => format!(", which var `{var}` is made from, so `{var}` has no value here"),
                    None => String::new(),
                };
                let guess =
                    self.near_field(first).map(|g| format!("; did you mean `{g}`?")).unwrap_or_default();
                let message = format!("the record has no field `{first}`{via}{guess}");
                return Some(self.err(ProblemKind::MissingField, path, message).in_field(first.clone()));
            }
            if let Some(var) = self.undefined_read(referenced).first() {
                // The fields are there but the var came out empty (`usage.kwh | last` of []).
                let made = self.vars.get(var.as_str()).map(|e| e.source().to_string()).unwrap_or_default();
                let fields = self.record_fields(vec![var.clone()]);
                let e = self.err(
                    ProblemKind::WrongValue,
                    path,
                    format!(
                        "var `{var}` (`{made}`) has no value for this record (it reads `{}`: is a list empty?); \
                         give it a default, e.g. `({made}) | default(0)`",
                        fields.join("`, `")
                    ),
                );
                return Some(match fields.first() {
                    Some(f) => e.in_field(f.clone()),
                    None => e,
                });
            }
        }
        None
    }

    /// A name close to a missing `dotted` path that the record (or the storyboard's vars, for a
    /// first name) has, when the missing one looks like its typo: `bill.totl` -> `bill.total`.
    /// Field names are the data's shape, not a customer's values, so they may be shown.
    fn near_field(&self, dotted: &str) -> Option<String> {
        let parts: Vec<&str> = dotted.split('.').collect();
        // The first name along the path that does not exist is the one to guess.
        let bad = (0..parts.len()).find(|&i| !self.has_path(&parts[..=i].join(".")))?;
        let names: Vec<String> = if bad == 0 {
            self.ctx.keys().cloned().collect()
        } else {
            let mut v = &self.record.data;
            for part in &parts[..bad] {
                v = v.get(part)?;
            }
            v.as_object()?.keys().cloned().collect()
        };
        // Stricter than a key's "did you mean": `first_name` is not a typo of `last_name`.
        let word = parts[bad];
        let guess = names
            .iter()
            .map(|n| (strsim::levenshtein(word, n), n.as_str()))
            .filter(|(d, _)| *d <= 1.max(word.chars().count() / 4))
            .min_by_key(|(d, _)| *d)
            .map(|(_, n)| n)?;
        let mut fixed: Vec<&str> = parts.clone();
        fixed[bad] = guess;
        Some(fixed.join("."))
    }
}
