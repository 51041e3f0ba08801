//! The storyboard's translations as the binder uses them: loaded with the storyboard (the
//! folder kept inside the storyboard's folder tree), its `t("id")` calls checked against the
//! storyboard's locale, and, for `check`, the messages each locale of the data has no
//! translation of.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use super::Binder;
use crate::limits::Limits;
use crate::storyboard::{Reporter, Storyboard};
use crate::template::messages::{MessageUse, Messages};
use crate::template::DEFAULT_LOCALE;

/// Reads `translations:` (none: `None`); problems go to `rep`, at the key or in the `.ftl`
/// file that has them.
pub(super) fn load(sb: &Storyboard, limits: &Limits, rep: &mut Reporter) -> Option<Arc<Messages>> {
    let key = sb.translations.as_deref()?;
    let dir = match sb.source.file.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let folder = dir.join(key);
    let hint = "`translations:` names a folder next to the storyboard (or below it) with one folder per locale: translations/en/bill.ftl, translations/de/bill.ftl";
    let inside = match (std::fs::canonicalize(&folder), std::fs::canonicalize(dir)) {
        (Ok(f), Ok(d)) if f.is_dir() => f.starts_with(d),
        (Ok(_), Ok(_)) => {
            rep.error("translations", format!("{} is not a folder", folder.display()), Some(hint.into()));
            return None;
        }
        (Err(e), _) | (_, Err(e)) => {
            rep.error(
                "translations",
                format!("cannot read the translations folder {}: {e}", folder.display()),
                Some(hint.into()),
            );
            return None;
        }
    };
    if !inside {
        rep.error(
            "translations",
            format!("the translations folder {} is outside the storyboard's folder", folder.display()),
            Some("keep the translations in the storyboard's folder tree, so that the storyboard and its texts move together".into()),
        );
        return None;
    }
    let default = sb.locale.as_deref().unwrap_or(DEFAULT_LOCALE);
    let (messages, problems) = Messages::load(&folder, dir, default, limits);
    rep.found.extend(problems);
    messages.map(Arc::new)
}

/// Every `t("id")` call must name a message of the storyboard's locale; a call with no
/// `translations:` at all is an error too.
pub(super) fn check_uses(
    sb: &Storyboard,
    messages: Option<&Messages>,
    uses: &[MessageUse],
    rep: &mut Reporter,
) {
    match messages {
        Some(m) => {
            for (path, message, hint) in m.check_uses(uses) {
                rep.error(&path, message, Some(hint));
            }
        }
        // A folder that did not load was reported where it failed.
        None if sb.translations.is_some() => {}
        None => {
            for u in uses {
                rep.error(
                    &u.path,
                    format!("`t(\"{}\")` reads a translation, but the storyboard has no `translations:`", u.id),
                    Some("add `translations: translations` and the folder with one folder of .ftl files per locale (see docs/storyboard.md, Translations)".into()),
                );
            }
        }
    }
}

/// A message that the records of one locale find in no file of their language.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Untranslated {
    /// The records' locale (`pl-PL`).
    pub locale: String,
    /// The message id; `None`: the locale's language has no folder at all.
    pub message: Option<String>,
    /// How many records of the data are in `locale`.
    pub records: u64,
    /// The locales of the records' language looked in.
    pub tried: Vec<String>,
    /// The storyboard's locale whose text they get instead; `None`: those records fail.
    pub falls_back_to: Option<String>,
    /// Where the storyboard calls `t()` with this id (`file:line:column`).
    pub used_at: Vec<String>,
}

impl std::fmt::Display for Untranslated {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        let (n, loc) = (self.records, &self.locale);
        let who = if n == 1 { format!("the 1 {loc} record") } else { format!("the {n} {loc} records") };
        let s = if n == 1 { "s" } else { "" };
        let then = match &self.falls_back_to {
            Some(d) => format!("{who} get{s} the {d} text"),
            None => format!("{who} fail{s}"),
        };
        match &self.message {
            None => write!(
                f,
                "translations: no folder for {loc} (looked for {}): {then} of every message",
                self.tried.join(", ")
            ),
            Some(id) => {
                write!(
                    f,
                    "translations: message `{id}` is missing for {loc} (looked in {}): {then}",
                    self.tried.join(", ")
                )?;
                match self.used_at.as_slice() {
                    [] => Ok(()),
                    [one] => write!(f, " (t(\"{id}\") at {one})"),
                    [first, rest @ ..] => write!(f, " (t(\"{id}\") at {first} and {} more)", rest.len()),
                }
            }
        }
    }
}

impl Binder {
    /// The translation files and their text, as the storyboard loaded them (see
    /// [`Messages::sources`]); none without `translations:`.
    pub fn translation_sources(&self) -> Vec<(&Path, &str)> {
        self.messages.as_ref().map(|m| m.sources().collect()).unwrap_or_default()
    }

    /// For each locale of the data (with its count of records), every message the storyboard
    /// calls that the locale's language has no translation of, once per (locale, message).
    pub fn untranslated(&self, locales: &BTreeMap<String, u64>) -> Vec<Untranslated> {
        let Some(messages) = &self.messages else { return Vec::new() };
        let mut ids: Vec<&str> = Vec::new();
        for u in &self.message_uses {
            if !ids.contains(&u.id.as_str()) {
                ids.push(&u.id);
            }
        }
        let mut out = Vec::new();
        for (locale, &records) in locales {
            for u in messages.untranslated(locale, ids.iter().copied()) {
                let used_at = match &u.id {
                    Some(id) => self
                        .message_uses
                        .iter()
                        .filter(|m| &m.id == id)
                        .filter_map(|m| self.locate(&m.path))
                        .collect(),
                    None => Vec::new(),
                };
                out.push(Untranslated {
                    locale: u.locale,
                    message: u.id,
                    records,
                    tried: u.tried,
                    falls_back_to: u.falls_back_to,
                    used_at,
                });
            }
        }
        out
    }
}
