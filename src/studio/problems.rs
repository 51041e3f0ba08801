//! `check`'s problems as the studio lists them: each with its file, line and column and the
//! YAML line it points at, so the author sees the mistake without opening a terminal.
//!
//! In: a storyboard's [`Diagnostics`] (it did not load), or one record's gathered problems and
//! layout warnings ([`crate::bind::lint::Gather`], as `check --data` gathers them). Out:
//! [`Problem`]s, serialisable.

use std::path::Path;

use serde::Serialize;

use crate::bind::lint::Gather;
use crate::storyboard::Diagnostics;

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The storyboard does not load, or this record does not render.
    Error,
    /// It renders, but probably not as the author meant (text leaving the canvas, overlaps).
    Warning,
}

/// One problem, located.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Problem {
    pub severity: Severity,
    /// The file that holds the mistake (an included part, say), as the message names it.
    pub file: Option<String>,
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// Where in the document: `scenes[1].layers[2].text`.
    pub path: String,
    pub message: String,
    pub hint: Option<String>,
    /// The text of that line of that file, as it is on disk now.
    pub excerpt: Option<String>,
}

/// The problems of a storyboard that did not load.
pub fn of_storyboard(d: &Diagnostics) -> Vec<Problem> {
    d.0.iter()
        .map(|d| {
            let file = d.file.display().to_string();
            let (line, column) = d.pos.map_or((None, None), |p| (Some(p.line), Some(p.column)));
            Problem {
                severity: Severity::Error,
                excerpt: line.and_then(|l| excerpt(&d.file, l)),
                file: Some(file),
                line,
                column,
                path: d.path.clone(),
                message: d.message.clone(),
                hint: d.hint.clone(),
            }
        })
        .collect()
}

/// The problems and layout warnings of one record.
pub fn of_record(g: &Gather) -> Vec<Problem> {
    let errors =
        g.problems.iter().map(|e| located(Severity::Error, e.location.as_deref(), &e.path, &e.message));
    let warnings =
        g.warnings.iter().map(|w| located(Severity::Warning, w.location.as_deref(), &w.path, &w.message));
    errors.chain(warnings).collect()
}

fn located(severity: Severity, location: Option<&str>, path: &str, message: &str) -> Problem {
    let (file, line, column) = location.map_or((None, None, None), split_location);
    Problem {
        severity,
        excerpt: file.as_ref().zip(line).and_then(|(f, l)| excerpt(Path::new(f), l)),
        file,
        line,
        column,
        path: path.to_string(),
        message: message.to_string(),
        hint: None,
    }
}

/// `file:line:column` (a file name may hold colons: the numbers are taken from the right).
fn split_location(loc: &str) -> (Option<String>, Option<usize>, Option<usize>) {
    let mut parts = loc.rsplitn(3, ':');
    let (c, l, f) = (parts.next(), parts.next(), parts.next());
    match (f, l.and_then(|l| l.parse().ok()), c.and_then(|c| c.parse().ok())) {
        (Some(f), Some(l), Some(c)) => (Some(f.to_string()), Some(l), Some(c)),
        _ => (Some(loc.to_string()), None, None),
    }
}

/// Line `line` (1-based) of `file`, cut to 200 characters; None when it cannot be read.
fn excerpt(file: &Path, line: usize) -> Option<String> {
    // Storyboards are capped in size by `Limits`; reading one again per problem list is cheap.
    let text = std::fs::read_to_string(file).ok()?;
    let l = text.lines().nth(line.checked_sub(1)?)?;
    Some(l.chars().take(200).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_split_from_the_right() {
        assert_eq!(split_location("a:b.yaml:12:5"), (Some("a:b.yaml".into()), Some(12), Some(5)));
        assert_eq!(split_location("nowhere"), (Some("nowhere".into()), None, None));
    }
}
