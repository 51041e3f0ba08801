//! Messages: a storyboard's translations, Project Fluent files that templates read with
//! `{{ t("amount-due", amount=bill.total | currency) }}`.
//!
//! In: the `translations:` folder (one folder per locale of `.ftl` files, see [`files`]), read
//! and parsed once when the storyboard loads. Out: for a record's locale and a message id, the
//! message's text with its variables put in, or a [`MessageError`] that names the id, the
//! locales tried and the files.
//!
//! A record's locale picks the message by ICU4X's locale fallback (CLDR's parent locales):
//! `pt-BR` → `pt` → then the storyboard's `locale:` the same way (`en-GB` → `en-001` → `en`).
//! Plural and select variants are Fluent's, with the plural rules (CLDR's, through
//! `intl_pluralrules`) of the language the message is written in; numbers in a message are
//! written by the record's locale with ICU4X ([`numbers`]), as `| number` writes them. Bidi
//! isolation marks (U+2068…U+2069 around each variable) are off: the text layout resolves
//! mixed directions by the Unicode Bidirectional Algorithm already, and the marks would land in
//! every caption file and landing page of every customer.

mod files;
mod numbers;
mod variables;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use thiserror::Error;

use crate::limits::Limits;
use crate::storyboard::{closest, Diagnostic};

pub use numbers::args;

type Bundle = FluentBundle<Arc<FluentResource>>;

/// A storyboard's translations: a bundle of messages per locale folder.
pub struct Messages {
    locales: Vec<Locale>,
    /// The storyboard's locale (`locale:`, else en-GB): where every record's chain ends.
    default: String,
}

/// One locale folder's messages.
struct Locale {
    /// Normalised as [`fallbacks`] writes it (`pt-BR`, `en`).
    tag: String,
    files: Vec<PathBuf>,
    /// `resources[i]` is `files[i]`, parsed (the bundle holds them too, without their names).
    resources: Vec<Arc<FluentResource>>,
    bundle: Bundle,
}

/// A `t("id")` call with a literal id, found where the storyboard's value at `path` is compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageUse {
    pub id: String,
    /// The names the call passes (`None`: it passes `**values`).
    pub names: Option<Vec<String>>,
    pub path: String,
}

/// Why a message could not be written for a record.
#[derive(Debug, Clone, Error)]
pub enum MessageError {
    /// No locale of the record's chain has the message.
    #[error("no message `{id}` for locale {locale}: tried {} in {}", tried.join(" → "), shown_files(files))]
    Missing { id: String, locale: String, tried: Vec<String>, files: Vec<PathBuf> },
    #[error("message `{id}` ({}) has no attribute `.{attribute}`", file.display())]
    NoAttribute { id: String, attribute: String, file: PathBuf },
    #[error("message `{id}` ({}) has only attributes; call `t(\"{id}.NAME\")` for one of them", file.display())]
    NoValue { id: String, file: PathBuf },
    /// Fluent could not write the message: a variable the call does not pass, a message or term
    /// it references that does not exist.
    #[error("message `{id}` ({}): {}; the call passes {}", file.display(), problems.join("; "), passed_list(passed))]
    Resolve { id: String, file: PathBuf, problems: Vec<String>, passed: Vec<String> },
    /// A `t()` argument Fluent cannot take (a list, nothing).
    #[error("argument `{name}` of `t(\"{id}\")` is {what}; pass text or a number")]
    Argument { id: String, name: String, what: String },
    #[error("`t(\"{id}\")` reads a translation, but the storyboard has no `translations:` folder")]
    NoTranslations { id: String },
}

fn shown_files(files: &[PathBuf]) -> String {
    if files.is_empty() {
        return "no .ftl file (no folder of the translations is for these locales)".into();
    }
    files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>().join(", ")
}

fn passed_list(passed: &[String]) -> String {
    if passed.is_empty() {
        return "no variables".into();
    }
    passed.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", ")
}

impl MessageError {
    /// What to do about it.
    pub fn hint(&self) -> String {
        match self {
            MessageError::Missing { id, files, .. } => match files.first() {
                Some(f) => {
                    format!("add `{id} = …` to {} (or to a file of the record's language)", f.display())
                }
                None => format!(
                    "add `{id} = …` to a .ftl file of the record's language or of the storyboard's locale"
                ),
            },
            MessageError::Resolve { .. } => {
                "pass every `{ $variable }` the message uses as `name=value` in the `t()` call".into()
            }
            _ => "see docs/storyboard.md, Translations".into(),
        }
    }
}

/// The locales ICU4X's fallback goes through from `tag` (`pt-BR` → `pt`; `en-GB` → `en-001` →
/// `en`; `zh-TW` → `zh-Hant-TW` → `zh-Hant`), without the root. Empty when `tag` does not parse.
pub fn fallbacks(tag: &str) -> Vec<String> {
    let Ok(locale) = icu::locale::Locale::try_from_str(tag) else { return Vec::new() };
    let fallbacker = icu::locale::fallback::LocaleFallbacker::new();
    let mut it = fallbacker.for_config(Default::default()).fallback_for((&locale).into());
    let mut out = Vec::new();
    // A chain has a handful of steps; the bound only keeps a surprise in the data from looping.
    while !it.get().is_unknown() && out.len() < 16 {
        out.push(it.get().to_string());
        it.step();
    }
    out
}

/// The language subtag of a tag (`pt` of `pt-BR`).
fn language(tag: &str) -> &str {
    tag.split(['-', '_']).next().unwrap_or(tag)
}

impl Messages {
    /// Reads and parses the translations in `folder` (the storyboard's key joined to its
    /// folder, `storyboard_dir`). `default` is the storyboard's locale; its chain must reach a
    /// locale folder, since every record's chain ends there. With problems, the messages that
    /// did parse come back too, so that the storyboard's calls are checked in the same pass.
    pub fn load(
        folder: &Path,
        storyboard_dir: &Path,
        default: &str,
        limits: &Limits,
    ) -> (Option<Messages>, Vec<Diagnostic>) {
        let (found, mut problems) = files::read(folder, storyboard_dir, limits);
        let mut locales: Vec<Locale> = Vec::new();
        for lf in found {
            if let Some(other) = locales.iter().find(|l| l.tag == lf.tag) {
                problems.push(Diagnostic {
                    file: folder.join(&lf.name),
                    pos: None,
                    path: String::new(),
                    message: format!("`{}` is the same locale as {}", lf.name, other.files[0].display()),
                    hint: Some("keep one folder per locale".into()),
                });
                continue;
            }
            locales.push(Locale::bundle(lf, &mut problems));
        }
        let messages = Messages { locales, default: default.to_string() };
        if messages.default_locales().next().is_none() {
            problems.push(Diagnostic {
                file: folder.to_path_buf(),
                pos: None,
                path: String::new(),
                message: format!(
                    "no folder of the translations is for the storyboard's locale {default} (looked for {})",
                    fallbacks(default).join(", ")
                ),
                hint: Some(format!(
                    "a message missing in a record's language is taken from the storyboard's locale: add {}",
                    folder.join(language(default)).join("messages.ftl").display()
                )),
            });
            return (None, problems);
        }
        (Some(messages), problems)
    }

    /// Every file the messages came from with its text, as read when the storyboard loaded, in
    /// a stable order: what a batch's input hash covers, so that a changed translation renders
    /// again.
    pub fn sources(&self) -> impl Iterator<Item = (&Path, &str)> {
        self.locales
            .iter()
            .flat_map(|l| l.files.iter().zip(&l.resources))
            .map(|(path, res)| (path.as_path(), res.source()))
    }

    /// The locales tried for a record in `locale`, in order: its own chain, then the
    /// storyboard's locale's.
    pub fn chain(&self, locale: &str) -> Vec<String> {
        let mut tried = fallbacks(locale);
        for tag in fallbacks(&self.default) {
            if !tried.contains(&tag) {
                tried.push(tag);
            }
        }
        tried
    }

    fn find(&self, tag: &str) -> Option<&Locale> {
        self.locales.iter().find(|l| l.tag == tag)
    }

    /// The locale folders of the storyboard's locale's chain.
    fn default_locales(&self) -> impl Iterator<Item = &Locale> {
        fallbacks(&self.default).into_iter().filter_map(|t| self.find(&t))
    }

    /// Message `id` (or `id.attribute`) for a record in `locale`, its variables from `args`,
    /// numbers written by `locale`.
    pub fn format(&self, locale: &str, id: &str, args: &FluentArgs) -> Result<String, MessageError> {
        let (message_id, attribute) = match id.split_once('.') {
            Some((m, a)) => (m, Some(a)),
            None => (id, None),
        };
        let tried = self.chain(locale);
        let mut files = Vec::new();
        for tag in &tried {
            let Some(loc) = self.find(tag) else { continue };
            let Some(message) = loc.bundle.get_message(message_id) else {
                files.extend(loc.files.iter().cloned());
                continue;
            };
            let file = loc.file_of(message_id);
            let pattern = match attribute {
                Some(a) => match message.get_attribute(a) {
                    Some(attr) => attr.value(),
                    None => {
                        let (id, attribute) = (message_id.into(), a.into());
                        return Err(MessageError::NoAttribute { id, attribute, file });
                    }
                },
                None => match message.value() {
                    Some(p) => p,
                    None => return Err(MessageError::NoValue { id: message_id.into(), file }),
                },
            };
            let mut errors = Vec::new();
            let text = numbers::with_locale(locale, || {
                loc.bundle.format_pattern(pattern, Some(args), &mut errors).into_owned()
            });
            if !errors.is_empty() {
                return Err(MessageError::Resolve {
                    id: id.into(),
                    file,
                    problems: errors.iter().map(|e| e.to_string()).collect(),
                    passed: args.iter().map(|(k, _)| k.to_string()).collect(),
                });
            }
            return Ok(text);
        }
        Err(MessageError::Missing { id: id.into(), locale: locale.into(), tried, files })
    }

    /// Checks the storyboard's `t("…")` calls when it loads: each id must be a message of the
    /// storyboard's locale, where every record's chain ends. `(path, message, hint)` per problem.
    pub fn check_uses(&self, uses: &[MessageUse]) -> Vec<(String, String, String)> {
        let mut problems = Vec::new();
        for u in uses {
            let (message_id, attribute) = match u.id.split_once('.') {
                Some((m, a)) => (m, Some(a)),
                None => (u.id.as_str(), None),
            };
            let found = self.default_locales().find_map(|l| l.bundle.get_message(message_id).map(|m| (l, m)));
            let files: Vec<String> = self
                .default_locales()
                .flat_map(|l| l.files.iter().map(|f| f.display().to_string()))
                .collect();
            match found {
                None => {
                    let ids = self.default_locales().flat_map(|l| l.ids());
                    let guess = closest(message_id, ids);
                    let hint = match guess {
                        Some(g) => format!("did you mean `{g}`? or add `{message_id} = …` to {}", files[0]),
                        None => format!("add `{message_id} = …` to {}", files[0]),
                    };
                    problems.push((
                        u.path.clone(),
                        format!(
                            "`t(\"{}\")`: no message `{message_id}` in the storyboard's locale {} ({})",
                            u.id,
                            self.default,
                            files.join(", ")
                        ),
                        hint,
                    ));
                }
                Some((_, m)) => {
                    if let Some(names) = &u.names {
                        problems.extend(self.unpassed(u, message_id, attribute, names));
                    }
                    if let Some(a) = attribute.filter(|a| m.get_attribute(a).is_none()) {
                        let has: Vec<String> = m.attributes().map(|x| format!(".{}", x.id())).collect();
                        problems.push((
                            u.path.clone(),
                            format!("`t(\"{}\")`: message `{message_id}` has no attribute `.{a}`", u.id),
                            format!(
                                "its attributes: {}",
                                if has.is_empty() { "none".into() } else { has.join(", ") }
                            ),
                        ));
                    }
                }
            }
        }
        problems
    }

    /// The variables a locale's text of the message reads that the call `u` does not pass
    /// (`names`): Fluent would fail every record of that locale, so it is said at load, with the
    /// place of the call and of the text.
    fn unpassed(
        &self,
        u: &MessageUse,
        id: &str,
        attribute: Option<&str>,
        names: &[String],
    ) -> Vec<(String, String, String)> {
        let mut problems = Vec::new();
        for loc in &self.locales {
            let Some(m) = loc.bundle.get_message(id) else { continue };
            let pattern = match attribute {
                Some(a) => m.get_attribute(a).map(|x| x.value()),
                None => m.value(),
            };
            let mut vars = Vec::new();
            if let Some(p) = pattern {
                variables::of_pattern(p, &mut vars);
            }
            for var in vars {
                if names.iter().any(|n| n == var) {
                    continue;
                }
                let at = loc.defined_at(id);
                let passed = passed_list(names);
                let hint = match closest(var, names.iter().map(String::as_str)) {
                    Some(g) => {
                        format!("did you mean `{g}`? correct `${var}` in {at}, or pass `{var}=…` in the call")
                    }
                    None => format!("pass `{var}=…` in the call, or take `${var}` out of {at}"),
                };
                problems.push((
                    u.path.clone(),
                    format!("`t(\"{}\")`: the {} text ({at}) uses `${var}`, which the call does not pass (it passes {passed})", u.id, loc.tag),
                    hint,
                ));
            }
        }
        problems
    }

    /// The messages of `ids` that a record in `locale` does not find in its own language's
    /// folders, and where it finds them instead (a locale of the storyboard's chain, or none).
    /// A language with no folder at all is one [`Untranslated`] with no id.
    pub fn untranslated<'a>(&self, locale: &str, ids: impl Iterator<Item = &'a str>) -> Vec<Untranslated> {
        let lang = language(locale);
        let own: Vec<&Locale> =
            fallbacks(locale).iter().filter(|t| language(t) == lang).filter_map(|t| self.find(t)).collect();
        let fallback_for = |id: &str| {
            let id = id.split('.').next().unwrap_or(id);
            self.default_locales().find(|l| l.bundle.has_message(id)).map(|l| l.tag.clone())
        };
        if own.is_empty() {
            let falls_back_to = self.default_locales().next().map(|l| l.tag.clone());
            let tried = fallbacks(locale).into_iter().filter(|t| language(t) == lang).collect();
            return vec![Untranslated { locale: locale.into(), id: None, tried, falls_back_to }];
        }
        let mut out = Vec::new();
        for id in ids {
            let message_id = id.split('.').next().unwrap_or(id);
            if !own.iter().any(|l| l.bundle.has_message(message_id)) {
                out.push(Untranslated {
                    locale: locale.into(),
                    id: Some(id.to_string()),
                    tried: own.iter().map(|l| l.tag.clone()).collect(),
                    falls_back_to: fallback_for(id),
                });
            }
        }
        out
    }
}

/// A message a locale the data uses has no translation of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Untranslated {
    /// The records' locale (`pl-PL`).
    pub locale: String,
    /// The message; `None` when the locale's language has no folder at all.
    pub id: Option<String>,
    /// The locales of the record's language that were looked in.
    pub tried: Vec<String>,
    /// The storyboard's locale whose text those records get instead; `None`: they fail.
    pub falls_back_to: Option<String>,
}

impl Locale {
    /// One locale folder's files in one bundle; a message defined twice is a problem.
    fn bundle(lf: files::LocaleFiles, problems: &mut Vec<Diagnostic>) -> Locale {
        let lang: unic_langid::LanguageIdentifier = lf.tag.parse().unwrap_or_default();
        let mut bundle = Bundle::new_concurrent(vec![lang]);
        bundle.set_use_isolating(false);
        bundle.set_formatter(Some(numbers::format));
        // NUMBER() only: the bundle has no other builtin to clash with.
        let _ = bundle.add_builtins();
        let mut paths: Vec<PathBuf> = Vec::new();
        let mut resources: Vec<Arc<FluentResource>> = Vec::new();
        for (path, resource) in lf.files {
            if let Err(errors) = bundle.add_resource(Arc::clone(&resource)) {
                for e in errors {
                    let fluent_bundle::FluentError::Overriding { id, .. } = e else { continue };
                    let earlier =
                        paths.iter().zip(&resources).find(|(_, r)| files::message_ids(r).any(|m| m == id));
                    let first = earlier.map_or_else(
                        || "earlier in this file".into(),
                        |(p, _)| format!("in {}", p.display()),
                    );
                    problems.push(Diagnostic {
                        file: path.clone(),
                        pos: files::message_pos(&resource, &id),
                        path: String::new(),
                        message: format!("`{id}` is defined twice for locale {} (also {first})", lf.tag),
                        hint: Some("a locale defines each message once: rename or remove one".into()),
                    });
                }
            }
            paths.push(path);
            resources.push(resource);
        }
        Locale { tag: lf.tag, files: paths, resources, bundle }
    }

    /// `file:line:column` of message `id`'s definition.
    fn defined_at(&self, id: &str) -> String {
        for (path, res) in self.files.iter().zip(&self.resources) {
            if let Some(p) = files::message_pos(res, id) {
                return format!("{}:{}:{}", path.display(), p.line, p.column);
            }
        }
        self.file_of(id).display().to_string()
    }

    /// The file that defines message `id`.
    fn file_of(&self, id: &str) -> PathBuf {
        for (path, res) in self.files.iter().zip(&self.resources) {
            if files::message_ids(res).any(|m| m == id) {
                return path.clone();
            }
        }
        self.files.first().cloned().unwrap_or_default()
    }

    fn ids(&self) -> impl Iterator<Item = &str> {
        self.resources.iter().flat_map(|r| files::message_ids(r))
    }
}

#[cfg(test)]
mod tests;
