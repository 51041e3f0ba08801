//! Merge: the parts a file includes, and the file over them.
//!
//! The rules (docs/storyboard.md, "Including shared parts"):
//! - mappings merge key by key, at every depth (`fonts`, `vars`, `video`, a layer's `enter`);
//!   where both sides have a key and either value is not a mapping, the including file's value
//!   wins whole (a list such as `fallback_fonts.bold` or a scene's `layers` is replaced, not
//!   appended). Keys keep the order they first appear in, the parts' keys first: the first font
//!   stays the default, and `vars` are evaluated in that order;
//! - `scenes` are placed by `id`: the including file's list gives the order; an item whose `id`
//!   names a scene of a part is that scene, with the item's other keys merged over it; the
//!   parts' scenes it does not name follow its own, in include order;
//! - parts included side by side merge in order (a later part's keys win); a scene id two
//!   parts share is one scene.
//!
//! Every value remembers where it was written ([`Origins`]), so that a problem found later in
//! the merged storyboard points at the file and line that wrote it.

use std::collections::BTreeMap;

use serde_yaml::{Mapping, Value};

use crate::storyboard::spans::{self, join_index, join_key};

/// Path in a merged value -> the path in the assembled text it was written at. A path not in
/// the map is found through its nearest parent that is (see [`resolve`]).
pub(super) type Origins = BTreeMap<String, String>;

/// A mapping being merged, and where each of its values was written.
#[derive(Debug, Clone)]
pub(super) struct Piece {
    pub value: Value,
    pub origins: Origins,
}

impl Piece {
    /// A value written whole at path `from` of the assembled text.
    pub fn whole(value: Value, from: String) -> Piece {
        Piece { value, origins: Origins::from([(String::new(), from)]) }
    }

    /// Parts included side by side, merged in order: a later part's keys win, and scenes with
    /// the same id are one scene.
    pub fn combine(pieces: impl IntoIterator<Item = Piece>) -> Piece {
        let mut pieces = pieces.into_iter();
        let mut acc =
            pieces.next().unwrap_or_else(|| Piece::whole(Value::Mapping(Mapping::new()), String::new()));
        for p in pieces {
            acc.merge(p, Scenes::Append);
        }
        acc
    }

    /// The including file's own keys over the parts it includes (this piece).
    pub fn merge_over(&mut self, over: Piece) {
        self.merge(over, Scenes::PlaceById);
    }

    fn merge(&mut self, over: Piece, scenes: Scenes) {
        let Piece { value, origins: over_origins } = over;
        let (Value::Mapping(base), Value::Mapping(mut over)) = (&mut self.value, value) else {
            unreachable!("parts are mappings: include::Assembled::merge makes them so")
        };
        if let (Some(Value::Sequence(_)), Some(Value::Sequence(_))) = (base.get("scenes"), over.get("scenes"))
        {
            let Some(Value::Sequence(items)) = over.remove("scenes") else { unreachable!() };
            let Some(Value::Sequence(base_items)) = base.get_mut("scenes") else { unreachable!() };
            merge_scenes(base_items, &mut self.origins, items, &over_origins, scenes);
        }
        put(&mut self.value, &mut self.origins, "", Value::Mapping(over), &over_origins, "");
    }
}

/// How a list of scenes takes another.
#[derive(Clone, Copy, PartialEq)]
enum Scenes {
    /// Side by side parts: the second list's scenes follow the first's (one scene per id).
    Append,
    /// The including file's list over its parts': it gives the order.
    PlaceById,
}

/// Merges the scenes `over` (written where `over_origins` says) with `base` (the parts').
fn merge_scenes(
    base: &mut Vec<Value>,
    origins: &mut Origins,
    over: Vec<Value>,
    over_origins: &Origins,
    how: Scenes,
) {
    let before = origins.clone();
    origins.retain(|p, _| !under(p, "scenes") || p == "scenes");
    origins.insert("scenes".into(), resolve(over_origins, "scenes"));
    let old: Vec<Value> = std::mem::take(base);
    let mut placed = vec![false; old.len()];
    // The scenes in their new order; `keep_base` moves one of the parts' scenes there, with
    // where it was written.
    let mut out: Vec<Value> = Vec::new();
    let keep_base = |out: &mut Vec<Value>, origins: &mut Origins, i: usize| {
        let at = join_index("scenes", out.len());
        place(origins, &at, &before, &join_index("scenes", i));
        out.push(old[i].clone());
        out.len() - 1
    };
    if how == Scenes::Append {
        placed.fill(true);
        for i in 0..old.len() {
            keep_base(&mut out, origins, i);
        }
    }
    for (k, item) in over.into_iter().enumerate() {
        let from = join_index("scenes", k);
        let target = match scene_id(&item) {
            Some(id) if how == Scenes::Append => out.iter().position(|s| scene_id(s) == Some(id)),
            Some(id) => (0..old.len()).find(|&i| !placed[i] && scene_id(&old[i]) == Some(id)).map(|i| {
                placed[i] = true;
                keep_base(&mut out, origins, i)
            }),
            None => None,
        };
        match target {
            Some(j) => put(&mut out[j], origins, &join_index("scenes", j), item, over_origins, &from),
            None => {
                place(origins, &join_index("scenes", out.len()), over_origins, &from);
                out.push(item);
            }
        }
    }
    for i in (0..old.len()).filter(|&i| !placed[i]) {
        keep_base(&mut out, origins, i);
    }
    *base = out;
}

fn scene_id(scene: &Value) -> Option<&str> {
    scene.get("id").and_then(Value::as_str)
}

/// Puts `over` (at `over_at` of the piece `over_origins` describes) at `at` of `base`:
/// mappings merge key by key, `over`'s keys winning; anything else replaces.
fn put(
    base: &mut Value,
    origins: &mut Origins,
    at: &str,
    over: Value,
    over_origins: &Origins,
    over_at: &str,
) {
    match (base, over) {
        (Value::Mapping(b), Value::Mapping(o)) => {
            // The base's keys stay where the base wrote them (those `over` has too are moved
            // below); the mapping itself is now the including file's.
            for k in b.keys() {
                let p = join_key(at, &key_text(k));
                let from = resolve(origins, &p);
                origins.insert(p, from);
            }
            origins.insert(at.to_string(), resolve(over_origins, over_at));
            for (k, v) in o {
                let name = key_text(&k);
                let (p, from) = (join_key(at, &name), join_key(over_at, &name));
                match b.get_mut(&k) {
                    Some(slot) => put(slot, origins, &p, v, over_origins, &from),
                    None => {
                        place(origins, &p, over_origins, &from);
                        b.insert(k, v);
                    }
                }
            }
        }
        (base, over) => {
            place(origins, at, over_origins, over_at);
            *base = over;
        }
    }
}

/// Records that what is at `at` now comes whole from `from` of the piece `from_origins`
/// describes.
fn place(origins: &mut Origins, at: &str, from_origins: &Origins, from: &str) {
    origins.retain(|p, _| !under(p, at));
    origins.insert(at.to_string(), resolve(from_origins, from));
    for (p, written) in from_origins.iter().filter(|(p, _)| under(p, from) && p.as_str() != from) {
        origins.insert(rebase(p, from, at), written.clone());
    }
}

/// Where the value at `path` was written: its nearest recorded parent's origin, with the rest
/// of the path.
pub(super) fn resolve(origins: &Origins, path: &str) -> String {
    let mut p = path.to_string();
    loop {
        if let Some(from) = origins.get(&p) {
            return rebase(path, &p, from);
        }
        match spans::parent(&p) {
            Some(up) => p = up,
            None => return path.to_string(),
        }
    }
}

/// `path` (under `from`) moved under `to`.
fn rebase(path: &str, from: &str, to: &str) -> String {
    let rest = &path[from.len()..];
    // `rest` starts with `.` or `[`, unless `from` is the root.
    let rest = match (from.is_empty(), rest.starts_with(['.', '['])) {
        (true, false) if !rest.is_empty() => format!(".{rest}"),
        _ => rest.to_string(),
    };
    match to {
        "" => rest.strip_prefix('.').unwrap_or(&rest).to_string(),
        _ => format!("{to}{rest}"),
    }
}

/// True when `path` is `prefix` or inside it.
fn under(path: &str, prefix: &str) -> bool {
    prefix.is_empty()
        || path == prefix
        || (path.starts_with(prefix) && matches!(path.as_bytes().get(prefix.len()), Some(b'.' | b'[')))
}

/// A mapping key as paths write it.
fn key_text(k: &Value) -> String {
    match k {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => "?".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn piece(yaml: &str, from: &str) -> Piece {
        Piece::whole(serde_yaml::from_str(yaml).unwrap(), from.into())
    }

    #[test]
    fn maps_merge_deeply_and_the_including_file_wins() {
        let mut p =
            piece("fonts: { body: a.otf, bold: b.otf }\nvideo: { fps: 30, width: 10 }\nlist: [1, 2]\n", "P");
        p.merge_over(piece("fonts: { bold: c.otf, mono: d.otf }\nvideo: { fps: 25 }\nlist: [3]\n", ""));
        let want: Value = serde_yaml::from_str(
            "fonts: { body: a.otf, bold: c.otf, mono: d.otf }\nvideo: { fps: 25, width: 10 }\nlist: [3]\n",
        )
        .unwrap();
        assert_eq!(p.value, want);
        let keys: Vec<&str> =
            p.value["fonts"].as_mapping().unwrap().keys().filter_map(Value::as_str).collect();
        assert_eq!(keys, ["body", "bold", "mono"], "the part's first font stays the default");
        assert_eq!(resolve(&p.origins, "fonts.body"), "P.fonts.body");
        assert_eq!(resolve(&p.origins, "fonts.bold"), "fonts.bold");
        assert_eq!(resolve(&p.origins, "fonts.mono"), "fonts.mono");
        assert_eq!(resolve(&p.origins, "video.width"), "P.video.width");
        assert_eq!(resolve(&p.origins, "list[0]"), "list[0]");
    }

    #[test]
    fn scenes_are_placed_by_id_and_the_rest_follow() {
        let mut p =
            piece("scenes: [ { id: intro, duration: 2s }, { id: pay, duration: 3s, layers: [1] } ]", "P");
        p.merge_over(piece("scenes: [ { id: hello, duration: 1s }, { id: pay, duration: 4s } ]", ""));
        let ids: Vec<&str> = p.value["scenes"].as_sequence().unwrap().iter().filter_map(scene_id).collect();
        assert_eq!(ids, ["hello", "pay", "intro"]);
        assert_eq!(p.value["scenes"][1]["duration"], Value::from("4s"));
        assert_eq!(p.value["scenes"][1]["layers"][0], Value::from(1));
        assert_eq!(resolve(&p.origins, "scenes[0].id"), "scenes[0].id");
        assert_eq!(resolve(&p.origins, "scenes[1].duration"), "scenes[1].duration");
        assert_eq!(resolve(&p.origins, "scenes[1].layers[0]"), "P.scenes[1].layers[0]");
        assert_eq!(resolve(&p.origins, "scenes[2].duration"), "P.scenes[0].duration");
    }

    #[test]
    fn parts_side_by_side_append_scenes_and_share_ids() {
        let a = piece("scenes: [ { id: x }, { id: y, duration: 2s } ]\nvars: { a: '1' }", "A");
        let b = piece("scenes: [ { id: y, when: 'z' }, { id: z } ]\nvars: { a: '2', b: '3' }", "B");
        let p = Piece::combine([a, b]);
        let ids: Vec<&str> = p.value["scenes"].as_sequence().unwrap().iter().filter_map(scene_id).collect();
        assert_eq!(ids, ["x", "y", "z"]);
        assert_eq!(p.value["vars"]["a"], Value::from("2"));
        assert_eq!(resolve(&p.origins, "scenes[1].when"), "B.scenes[0].when");
        assert_eq!(
            resolve(&p.origins, "scenes[1].duration"),
            "A.scenes[1].duration",
            "where the first part wrote it"
        );
        assert_eq!(resolve(&p.origins, "scenes[2]"), "B.scenes[1]");
    }

    #[test]
    fn paths_rebase_across_the_root() {
        assert_eq!(rebase("a.b", "", "X"), "X.a.b");
        assert_eq!(rebase("a[1].b", "a[1]", ""), "b");
        assert_eq!(rebase("a[1][2]", "a[1]", "s"), "s[2]");
        assert!(under("scenes[1].x", "scenes[1]") && !under("scenes[10]", "scenes[1]"));
    }
}
