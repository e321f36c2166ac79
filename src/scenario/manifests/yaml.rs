//! YAML documents as a tree whose every node keeps its line and column, so
//! that a problem found long after parsing (a wrong type, an unknown field, a
//! value validation refuses) can still be pointed at. kubectl reads YAML the
//! same way: into a generic tree first (sigs.k8s.io/yaml `YAMLToJSON`), then
//! decoded into the API's types; here the tree decodes itself (`decode.rs`).
//!
//! The parser is serde-saphyr's, with its budget: at most 64 levels deep and
//! a bounded number of aliases; the nodes and the scalar text the files of
//! one scenario expand to are counted against one [`Allowance`], so that a
//! hostile file (an alias bomb, say), or many of them, is refused instead of
//! filling memory.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

/// A place in a YAML file, 1-based; 0 when unknown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Mark {
    pub line: u64,
    pub column: u64,
}

/// A YAML node and where it starts.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub at: Mark,
    pub value: Value,
}

/// A YAML value; a mapping keeps its keys in file order.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Key, Node)>),
}

/// A mapping key (a scalar, as JSON requires) and where it is.
#[derive(Clone, Debug, PartialEq)]
pub struct Key {
    pub name: String,
    pub at: Mark,
}

impl Node {
    /// The nodes in this tree, keys included, and the bytes of its scalar text.
    pub fn size(&self) -> (usize, usize) {
        match &self.value {
            Value::Seq(items) => items.iter().fold((1, 0), |(n, b), i| {
                let (n2, b2) = i.size();
                (n + n2, b + b2)
            }),
            Value::Map(entries) => entries.iter().fold((1, 0), |(n, b), (k, v)| {
                let (n2, b2) = v.size();
                (n + 1 + n2, b + k.name.len() + b2)
            }),
            Value::Str(text) => (1, text.len()),
            _ => (1, 0),
        }
    }

    /// The value under `key` of a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|(k, _)| k.name == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The node a path such as `spec.template.spec.containers[0].image`
    /// names, or the deepest one on the way that exists, and whether the
    /// whole path was found. A map key written `[nvidia.com/gpu]` is
    /// looked up whole.
    pub fn find(&self, path: &str) -> (&Node, Option<&Key>, bool) {
        let mut node = self;
        let mut key = None;
        for step in steps(path) {
            let next = match (&node.value, step) {
                (Value::Map(entries), Step::Key(name)) => entries.iter().find(|(k, _)| k.name == name),
                (Value::Seq(items), Step::Index(i)) => match items.get(i) {
                    Some(n) => {
                        node = n;
                        key = None;
                        continue;
                    }
                    None => return (node, key, false),
                },
                _ => None,
            };
            match next {
                Some((k, v)) => {
                    key = Some(k);
                    node = v;
                }
                None => return (node, key, false),
            }
        }
        (node, key, true)
    }

    /// Where the field a path names is written: its key when it has one
    /// (`replicas:` rather than the `3` after it), else its value.
    pub fn mark_of(&self, path: &str) -> Mark {
        let (node, key, _) = self.find(path);
        key.map_or(node.at, |k| k.at)
    }

    /// The tree as JSON, as the API server would decode it. Every key is a
    /// string already; a float that JSON cannot hold (NaN, infinity) is null.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Uint(u) => J::from(*u),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::Str(s) => J::String(s.clone()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => J::Object(entries.iter().map(|(k, v)| (k.name.clone(), v.to_json())).collect()),
        }
    }
}

/// One step of a field path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// The steps of `a.b[2].c[key/with.dots]`.
pub fn steps(path: &str) -> Vec<Step<'_>> {
    let mut out = Vec::new();
    let mut rest = path;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('[') {
            let end = after.find(']').unwrap_or(after.len());
            let inside = &after[..end];
            out.push(match inside.parse::<usize>() {
                Ok(i) => Step::Index(i),
                Err(_) => Step::Key(inside),
            });
            rest = after.get(end + 1..).unwrap_or("");
        } else {
            let rest_trimmed = rest.strip_prefix('.').unwrap_or(rest);
            let end = rest_trimmed.find(['.', '[']).unwrap_or(rest_trimmed.len());
            if end > 0 {
                out.push(Step::Key(&rest_trimmed[..end]));
            }
            rest = &rest_trimmed[end..];
        }
    }
    out
}

/// `parent.key`, or `parent[key]` when the key has a dot, a slash or a bracket
/// (a label such as `app.kubernetes.io/name`).
pub fn join(parent: &str, key: &str) -> String {
    let plain = !key.is_empty() && !key.contains(['.', '/', '[', ']']);
    match (parent.is_empty(), plain) {
        (true, true) => key.to_string(),
        (false, true) => format!("{parent}.{key}"),
        (_, false) => format!("{parent}[{key}]"),
    }
}

fn mark_of<T>(s: &Spanned<T>) -> Mark {
    Mark { line: s.referenced.line(), column: s.referenced.column() }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<Value>::deserialize(d)?;
        let at = mark_of(&spanned);
        Ok(Node { at, value: spanned.value })
    }
}

/// A mapping key: any scalar, as text (sigs.k8s.io/yaml turns `1:` into `"1"`).
struct KeyText(String);

impl<'de> Deserialize<'de> for KeyText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::Str(s) => Ok(KeyText(s)),
            Value::Bool(b) => Ok(KeyText(b.to_string())),
            Value::Int(i) => Ok(KeyText(i.to_string())),
            Value::Uint(u) => Ok(KeyText(u.to_string())),
            Value::Float(f) => Ok(KeyText(f.to_string())),
            Value::Null => Ok(KeyText("null".to_string())),
            Value::Seq(_) | Value::Map(_) => Err(de::Error::custom("a mapping key must be a scalar, not a collection")),
        }
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Value;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a YAML value")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
                Ok(Value::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<Value, E> {
                Ok(Value::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
                Value::deserialize(d)
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
                Ok(Value::Bool(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
                Ok(Value::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
                Ok(i64::try_from(v).map_or(Value::Uint(v), Value::Int))
            }
            fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value, E> {
                i64::try_from(v)
                    .map(Value::Int)
                    .or_else(|_| u64::try_from(v).map(Value::Uint))
                    .map_err(|_| E::custom(format!("{v} is too large a number")))
            }
            fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
                u64::try_from(v).map(Value::Uint).map_err(|_| E::custom(format!("{v} is too large a number")))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
                Ok(Value::Float(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
                Ok(Value::Str(v.to_string()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
                Ok(Value::Str(v))
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Value, E> {
                std::str::from_utf8(v)
                    .map(|s| Value::Str(s.to_string()))
                    .map_err(|_| E::custom("bytes that are not text"))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
                let mut items = Vec::new();
                while let Some(n) = seq.next_element::<Node>()? {
                    items.push(n);
                }
                Ok(Value::Seq(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
                let mut entries: Vec<(Key, Node)> = Vec::new();
                while let Some(key) = map.next_key::<Spanned<KeyText>>()? {
                    let at = mark_of(&key);
                    let value = map.next_value::<Node>()?;
                    entries.push((Key { name: key.value.0, at }, value));
                }
                Ok(Value::Map(entries))
            }
        }
        d.deserialize_any(V)
    }
}

/// A YAML document of a file: its number (1 for the first) and its tree.
#[derive(Clone, Debug)]
pub struct Document {
    pub index: usize,
    pub root: Node,
}

/// Where a file does not parse as YAML.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub at: Mark,
    pub message: String,
}

/// The nodes the YAML files of one scenario may expand to, all together.
pub const MAX_NODES: usize = 250_000;

/// What the YAML files of one scenario may still expand to: nodes
/// (mappings, sequences, keys and scalars) and bytes of scalar text.
/// Aliases count as what they expand to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Allowance {
    pub nodes: usize,
    pub scalar_bytes: usize,
}

impl Default for Allowance {
    fn default() -> Self {
        Allowance { nodes: MAX_NODES, scalar_bytes: super::super::MAX_FILE_BYTES }
    }
}

/// The documents of a file, empty ones left out (as kubectl leaves them out).
/// Duplicate keys are an error, as they are for kubectl. YAML's standard
/// tags (`!!str`, `!!int`, `!!binary`, `!!map`…) are read on the values they
/// fit; any other tag (`!Ref`, a `%TAG` handle's) is an error: kubectl's
/// go-yaml would drop it and read the text after it, which means something
/// else to the tool the tag was written for. What they expand to is taken
/// from `allowance`.
pub fn documents(text: &str, allowance: &mut Allowance) -> Result<Vec<Document>, SyntaxError> {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_nodes = allowance.nodes;
    budget.max_total_scalar_bytes = allowance.scalar_bytes;
    let options = serde_saphyr::options! {
        with_snippet: false,
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::Error,
        reject_unsupported_tags: true,
        budget: Some(budget),
    };
    let roots: Vec<Node> =
        serde_saphyr::from_str_multiple_with_options::<Node, Vec<Node>>(text, options).map_err(|e| {
            let at = e.location().map_or(Mark::default(), |l| Mark { line: l.line(), column: l.column() });
            SyntaxError { at, message: message_of(&e) }
        })?;
    for root in &roots {
        let (nodes, bytes) = root.size();
        allowance.nodes = allowance.nodes.saturating_sub(nodes);
        allowance.scalar_bytes = allowance.scalar_bytes.saturating_sub(bytes);
    }
    let starts = document_starts(text);
    Ok(roots
        .into_iter()
        .map(|root| {
            // The document a node is in: how many documents start at or before its line.
            let index = starts.iter().filter(|&&l| l <= root.at.line).count().max(1);
            Document { index, root }
        })
        .collect())
}

/// The line each document starts on: the first line with content, and each
/// line after a `---` marker (which no scalar may contain at column 1).
fn document_starts(text: &str) -> Vec<u64> {
    let mut starts = Vec::new();
    let mut open = false;
    for (i, line) in text.lines().enumerate() {
        let n = i as u64 + 1;
        let marker = line == "---" || line.starts_with("--- ") || line.starts_with("---\t");
        let end = line == "..." || line.starts_with("... ");
        if marker {
            starts.push(n);
            open = true;
        } else if end {
            open = false;
        } else if !open {
            let t = line.trim();
            if !t.is_empty() && !t.starts_with('#') && !t.starts_with('%') {
                starts.push(n);
                open = true;
            }
        }
    }
    starts
}

/// The parser's message without its own location prefix.
fn message_of(e: &serde_saphyr::Error) -> String {
    let text = e.without_snippet().to_string();
    let text = text.lines().next().unwrap_or_default().to_string();
    // "line 3 column 5: message" and "message at line 3, column 5" both lose the place,
    // which the caller gives in its own form.
    let text = match text.split_once(": ") {
        Some((head, rest)) if head.starts_with("line ") || head.contains(" line ") => rest.to_string(),
        _ => text,
    };
    let text = match text.find(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    };
    // The parser's budget (see the module's documentation), in words.
    if let Some(what) = text.strip_prefix("budget breached: ") {
        return format!(
            "the file expands to more than the parser allows ({what}): the manifests of a scenario expand to at \
             most 250,000 nodes and 16 MiB of text all together, 64 levels deep, with aliases in proportion to anchors"
        );
    }
    // A local tag (`!Ref`, not `!!str` or `!<…>`): say what is read instead.
    if text.starts_with("unsupported tag `!") && !text.starts_with("unsupported tag `!!") && !text.contains("`!<") {
        return format!(
            "{text}: only YAML's standard tags (!!str, !!int, !!map…) are read; a local tag is for the tool that \
             expands it before kubectl applies the file"
        );
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_keep_their_line_and_column() {
        let docs =
            documents("kind: Deployment\nspec:\n  replicas: 3\n  labels: {a: b}\n", &mut Allowance::default()).unwrap();
        assert_eq!(docs.len(), 1);
        let root = &docs[0].root;
        assert_eq!(root.mark_of("spec.replicas"), Mark { line: 3, column: 3 });
        assert_eq!(root.find("spec.replicas").0.value, Value::Int(3));
        assert_eq!(root.find("spec.labels.a").0.as_str(), Some("b"));
        // A path that goes further than the file: the deepest node found.
        let (_, key, found) = root.find("spec.template.spec");
        assert!(!found);
        assert_eq!(key.map(|k| k.at.line), Some(2));
        assert_eq!(root.mark_of("spec.template.spec"), Mark { line: 2, column: 1 });
    }

    #[test]
    fn documents_are_numbered_as_written() {
        let text = "# a comment\n---\na: 1\n---\n---\nb: 2\n...\n---\nc: [1, 2]\n";
        let docs = documents(text, &mut Allowance::default()).unwrap();
        let indices: Vec<usize> = docs.iter().map(|d| d.index).collect();
        // The empty third document is left out, and the fourth keeps its number.
        assert_eq!(indices, vec![1, 3, 4]);
        let without_marker = documents("a: 1\n---\nb: 2\n", &mut Allowance::default()).unwrap();
        assert_eq!(without_marker.iter().map(|d| d.index).collect::<Vec<_>>(), vec![1, 2]);
    }

    #[test]
    fn a_syntax_error_has_its_place() {
        let err = documents("a: 1\nb: [1, 2\nc: 3\n", &mut Allowance::default()).unwrap_err();
        assert!(err.at.line >= 2, "{err:?}");
        assert!(!err.message.is_empty());
        let dup = documents("a: 1\na: 2\n", &mut Allowance::default()).unwrap_err();
        assert_eq!(dup.at.line, 2, "{dup:?}");
    }

    #[test]
    fn standard_tags_are_read_and_local_tags_refused() {
        let docs = documents(
            "a: !!int 2\nb: !!str 250m\nc: !!binary d2ViOjE=\nd: !!map {e: 1}\nf: ! 12\n",
            &mut Allowance::default(),
        )
        .unwrap();
        let root = &docs[0].root;
        assert_eq!(root.find("a").0.value, Value::Int(2));
        assert_eq!(root.find("b").0.as_str(), Some("250m"));
        // !!binary is base64, decoded as go-yaml decodes it.
        assert_eq!(root.find("c").0.as_str(), Some("web:1"));
        assert_eq!(root.find("d.e").0.value, Value::Int(1));
        assert_eq!(root.find("f").0.as_str(), Some("12"));
        for (text, tag, column) in [
            ("a: 1\nb: !Ref web\n", "!Ref", 9),
            ("a: 1\nb: !Thing {c: 1}\n", "!Thing", 11),
            ("a: 1\n!Key b: 1\n", "!Key", 6),
        ] {
            let err = documents(text, &mut Allowance::default()).unwrap_err();
            assert_eq!(err.at, Mark { line: 2, column }, "{text:?}");
            assert!(err.message.starts_with(&format!("unsupported tag `{tag}`: only YAML's standard tags")), "{err:?}");
        }
        // A standard tag on a value it does not fit: refused, without the word on local tags.
        let err = documents("a: !!map 3\n", &mut Allowance::default()).unwrap_err();
        assert_eq!(err.message, "unsupported tag `!!map`");
    }

    #[test]
    fn paths_split_into_steps() {
        assert_eq!(
            steps("spec.containers[0].resources.limits[nvidia.com/gpu]"),
            vec![
                Step::Key("spec"),
                Step::Key("containers"),
                Step::Index(0),
                Step::Key("resources"),
                Step::Key("limits"),
                Step::Key("nvidia.com/gpu")
            ]
        );
        assert_eq!(join("metadata.labels", "app.kubernetes.io/name"), "metadata.labels[app.kubernetes.io/name]");
        assert_eq!(join("", "spec"), "spec");
    }
}
