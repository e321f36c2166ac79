//! Decoding a YAML tree straight into the API's types, strictly, as the API
//! server's strict field validation decodes: an error names the field's path
//! (`spec.template.spec.containers[0].resources`), and every field the type
//! does not have is collected by its path instead of being dropped. A field
//! written as `null` is absent, as the API server reads it.
//!
//! The tree is its own deserializer, so each node knows its path: no wrapper
//! around the types' visitors, whose copies for every API type would weigh
//! on the browser build.

use std::cell::RefCell;
use std::fmt;

use serde::de::value::{BorrowedStrDeserializer, StrDeserializer};
use serde::de::{self, DeserializeOwned, DeserializeSeed, Visitor};

use super::yaml::{Node, Value, join};

/// Why decoding failed, and where.
#[derive(Debug)]
pub struct Error {
    /// The field's path; `None` until the field that failed is known.
    path: Option<String>,
    message: String,
}

impl Error {
    /// The path of the field that failed (empty for the object itself) and the message.
    pub fn into_parts(self) -> (String, String) {
        (self.path.unwrap_or_default(), self.message)
    }

    fn at(mut self, path: &str) -> Error {
        if self.path.is_none() {
            self.path = Some(path.to_string());
        }
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(message: T) -> Error {
        Error { path: None, message: message.to_string() }
    }
}

/// The object as `T`, with the paths of the fields `T` does not have, in file order.
pub fn decode<T: DeserializeOwned>(root: &Node) -> Result<(T, Vec<String>), Error> {
    let unknown = RefCell::new(Vec::new());
    let value = T::deserialize(At { node: root, path: String::new(), unknown: &unknown }).map_err(|e| e.at(""))?;
    Ok((value, unknown.into_inner()))
}

/// A node being decoded, with its path from the object's root.
struct At<'de, 'u> {
    node: &'de Node,
    path: String,
    unknown: &'u RefCell<Vec<String>>,
}

impl<'de> de::Deserializer<'de> for At<'de, '_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.node.value {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Int(i) => visitor.visit_i64(*i),
            Value::Uint(u) => visitor.visit_u64(*u),
            Value::Float(f) => visitor.visit_f64(*f),
            Value::Str(s) => visitor.visit_borrowed_str(s),
            Value::Seq(items) => {
                let len = items.len();
                let mut seq = Items { items: items.iter().enumerate(), path: &self.path, unknown: self.unknown };
                let value = visitor.visit_seq(&mut seq)?;
                match seq.items.len() {
                    0 => Ok(value),
                    left => Err(de::Error::invalid_length(len - left, &"fewer elements in the list")),
                }
            }
            Value::Map(entries) => visitor.visit_map(Entries {
                entries: entries.iter(),
                value: None,
                path: &self.path,
                unknown: self.unknown,
            }),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.node.value {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match &self.node.value {
            Value::Str(s) => visitor.visit_enum(StrDeserializer::<Error>::new(s)),
            _ => Err(de::Error::invalid_type(self.unexpected(), &"a string")),
        }
    }

    /// A field the type does not have: noted, unless it is written as `null`.
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if !matches!(self.node.value, Value::Null) {
            self.unknown.borrow_mut().push(self.path);
        }
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct identifier
    }
}

impl At<'_, '_> {
    fn unexpected(&self) -> de::Unexpected<'_> {
        match &self.node.value {
            Value::Null => de::Unexpected::Unit,
            Value::Bool(b) => de::Unexpected::Bool(*b),
            Value::Int(i) => de::Unexpected::Signed(*i),
            Value::Uint(u) => de::Unexpected::Unsigned(*u),
            Value::Float(f) => de::Unexpected::Float(*f),
            Value::Str(s) => de::Unexpected::Str(s),
            Value::Seq(_) => de::Unexpected::Seq,
            Value::Map(_) => de::Unexpected::Map,
        }
    }
}

/// The items of a list, each at `path[i]`.
struct Items<'a, I> {
    items: I,
    path: &'a str,
    unknown: &'a RefCell<Vec<String>>,
}

impl<'de, I> de::SeqAccess<'de> for Items<'_, I>
where
    I: ExactSizeIterator<Item = (usize, &'de Node)>,
{
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, Error> {
        let Some((i, node)) = self.items.next() else { return Ok(None) };
        let path = format!("{}[{i}]", self.path);
        match seed.deserialize(At { node, path: path.clone(), unknown: self.unknown }) {
            Ok(v) => Ok(Some(v)),
            Err(e) => Err(e.at(&path)),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

/// The entries of a mapping, in file order, each value at `path.key`.
struct Entries<'a, 'de, I> {
    entries: I,
    value: Option<(&'de str, &'de Node)>,
    path: &'a str,
    unknown: &'a RefCell<Vec<String>>,
}

impl<'de, I> de::MapAccess<'de> for Entries<'_, 'de, I>
where
    I: ExactSizeIterator<Item = &'de (super::yaml::Key, Node)>,
{
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Error> {
        let Some((key, node)) = self.entries.next() else { return Ok(None) };
        self.value = Some((&key.name, node));
        let path = join(self.path, &key.name);
        seed.deserialize(BorrowedStrDeserializer::<Error>::new(&key.name)).map(Some).map_err(|e| e.at(&path))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let Some((key, node)) = self.value.take() else {
            return Err(de::Error::custom("a value asked for before its key"));
        };
        let path = join(self.path, key);
        match seed.deserialize(At { node, path: path.clone(), unknown: self.unknown }) {
            Ok(v) => Ok(v),
            Err(e) => Err(e.at(&path)),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}
