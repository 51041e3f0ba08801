//! The customers an author can pick: the billing data file read once as a stream, keeping only
//! each record's id, a name to search by and its line, never the records themselves (a run of
//! millions stays a few tens of bytes a customer). The chosen record is read again from the
//! file when it is bound.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::limits::Limits;
use crate::record::{self, Record, RecordError, Records};

/// Fields tried in order for a customer's name when none is given (`--name-field`): a full
/// name, else first and last name joined.
const NAME_FIELDS: [&str; 3] = ["customer.name", "name", "customer.full_name"];

/// One customer of the data file, as the picker lists it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Customer {
    pub id: String,
    pub name: String,
    /// The record's line in the data file (1-based).
    pub line: usize,
}

/// Every readable record's id and name, in file order.
#[derive(Debug, Default)]
pub struct CustomerIndex {
    pub path: PathBuf,
    pub id_field: String,
    customers: Vec<Customer>,
    /// Lines that could not be read, for the status bar.
    pub unreadable: usize,
}

impl CustomerIndex {
    /// Reads `path` once, keeping ids, names and lines.
    pub fn build(
        path: &Path,
        id_field: &str,
        name_field: Option<&str>,
        limits: &Limits,
    ) -> Result<CustomerIndex, RecordError> {
        let mut index = CustomerIndex { path: path.into(), id_field: id_field.into(), ..Default::default() };
        for item in Records::open(path, id_field, limits)? {
            match item {
                Ok(rec) => {
                    let name = name_of(&rec, name_field);
                    index.customers.push(Customer { id: rec.id, name, line: rec.line });
                }
                Err(_) => index.unreadable += 1,
            }
        }
        tracing::debug!(customers = index.customers.len(), path = %path.display(), "customers indexed");
        Ok(index)
    }

    pub fn len(&self) -> usize {
        self.customers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.customers.is_empty()
    }

    pub fn first(&self) -> Option<&Customer> {
        self.customers.first()
    }

    /// Customers whose id or name contains `query` (case-insensitive; every customer for an
    /// empty query), ids that start with it first, at most `limit`.
    pub fn search(&self, query: &str, limit: usize) -> Vec<Customer> {
        let q = query.trim().to_lowercase();
        if q.is_empty() {
            return self.customers.iter().take(limit).cloned().collect();
        }
        let mut starts = Vec::new();
        let mut contains = Vec::new();
        for c in &self.customers {
            let id = c.id.to_lowercase();
            if id.starts_with(&q) {
                starts.push(c);
            } else if id.contains(&q) || c.name.to_lowercase().contains(&q) {
                contains.push(c);
            }
            if starts.len() >= limit {
                break;
            }
        }
        starts.into_iter().chain(contains).take(limit).cloned().collect()
    }

    /// Whether a customer with this id is in the file.
    pub fn has(&self, id: &str) -> bool {
        self.customers.iter().any(|c| c.id == id)
    }

    /// The record with this id, read again from the file (it may have changed since).
    pub fn fetch(&self, id: &str, limits: &Limits) -> Result<Record, RecordError> {
        record::find_with(&self.path, id, &self.id_field, limits)
    }
}

/// The customer's name: `name_field` when given, else the first of [`NAME_FIELDS`], else
/// `customer.first_name` and `customer.last_name` joined; empty when there is none.
fn name_of(rec: &Record, name_field: Option<&str>) -> String {
    let text = |field: &str| match record::lookup(&rec.data, field) {
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        Some(v @ serde_json::Value::Number(_)) => Some(v.to_string()),
        _ => None,
    };
    if let Some(field) = name_field {
        return text(field).unwrap_or_default();
    }
    if let Some(name) = NAME_FIELDS.iter().find_map(|f| text(f)) {
        return name;
    }
    let parts: Vec<String> =
        ["customer.first_name", "customer.last_name"].iter().filter_map(|f| text(f)).collect();
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(lines: &str) -> CustomerIndex {
        let dir = std::env::temp_dir().join(format!("billreel-customers-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join(format!("{}.jsonl", lines.len()));
        std::fs::write(&file, lines).unwrap();
        CustomerIndex::build(&file, "id", None, &Limits::default()).unwrap()
    }

    #[test]
    fn customers_are_found_by_id_or_name_ids_first() {
        let ix = index(concat!(
            "{\"id\":\"C1\",\"customer\":{\"first_name\":\"Ada\",\"last_name\":\"Lovelace\"}}\n",
            "not json\n",
            "{\"id\":\"X9\",\"name\":\"Cecile C1ark\"}\n",
            "{\"id\":\"C10\",\"customer\":{\"name\":\"Bob\"}}\n",
        ));
        assert_eq!(ix.len(), 3);
        assert_eq!(ix.unreadable, 1);
        let ids = |q: &str| ix.search(q, 10).into_iter().map(|c| c.id).collect::<Vec<_>>();
        assert_eq!(ids("c1"), ["C1", "C10", "X9"]);
        assert_eq!(ids("love"), ["C1"]);
        assert_eq!(ids(""), ["C1", "X9", "C10"]);
        assert_eq!(ix.search("c", 1).len(), 1);
        let first = ix.first().unwrap();
        assert_eq!((first.name.as_str(), first.line), ("Ada Lovelace", 1));
        assert_eq!(ix.fetch("C10", &Limits::default()).unwrap().line, 4);
    }
}
