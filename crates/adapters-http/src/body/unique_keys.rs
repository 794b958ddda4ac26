//! JSON parsing that refuses an object with the same key twice, at any depth.
//!
//! `serde_json::from_slice::<Value>` silently keeps the last of two equal keys, while a proxy, a
//! WAF or the merchant's own logging may read the first: the two would then disagree about what
//! was asked (e.g. `{"amount":1,"amount":100000}`). This deserializer builds the same `Value` in
//! one pass and fails on the first repeated key, naming it and the object it is in.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// Parses `bytes` as JSON like `serde_json::from_slice::<Value>`, but an object that has a key
/// twice is an error whose message names the key and where the object is (`$` is the root,
/// then `.key` and `[index]` steps).
pub fn from_slice(bytes: &[u8]) -> serde_json::Result<Value> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = UniqueKeys { path: "$" }.deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

/// A JSON value at `path`, whose objects must have distinct keys.
struct UniqueKeys<'p> {
    path: &'p str,
}

impl<'de> DeserializeSeed<'de> for UniqueKeys<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for UniqueKeys<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        // serde_json never produces a non-finite float from JSON text; `Null` is what
        // `Value` itself would hold for one.
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(UniqueKeys {
            path: &format!("{}[{}]", self.path, items.len()),
        })? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if object.contains_key(&key) {
                return Err(de::Error::custom(format!(
                    "the key {key:?} appears more than once in the object at {}",
                    self.path
                )));
            }
            let value = map.next_value_seed(UniqueKeys {
                path: &format!("{}.{key}", self.path),
            })?;
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn refusal(text: &str) -> String {
        match from_slice(text.as_bytes()) {
            Ok(v) => panic!("{text} was accepted as {v}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn a_body_without_repeated_keys_parses_exactly_like_serde_json() {
        for text in [
            r#"{"orderNo":"O-1","amount":15000,"methodCode":"CARD","productName":"커피"}"#,
            r#"{"a":{"b":[1,-2,3.5,1e300,{"c":null,"d":true}],"e":"\u0000"},"f":[]}"#,
            r#"[{"k":1},{"k":2}]"#,
            r#"18446744073709551615"#,
            r#" "text" "#,
            "null",
        ] {
            let expected: Value = serde_json::from_str(text).unwrap();
            assert_eq!(from_slice(text.as_bytes()).unwrap(), expected, "{text}");
        }
    }

    #[test]
    fn a_top_level_key_sent_twice_is_refused_and_named() {
        let message = refusal(r#"{"amount":1,"orderNo":"O-1","amount":2}"#);
        assert!(
            message.contains(r#"the key "amount" appears more than once in the object at $"#),
            "{message}"
        );
    }

    #[test]
    fn a_key_sent_twice_in_a_nested_object_is_refused_with_its_path() {
        let message = refusal(r#"{"a":{"b":[{"c":1},{"c":1,"c":2}]}}"#);
        assert!(
            message.contains(r#"the key "c" appears more than once in the object at $.a.b[1]"#),
            "{message}"
        );
    }

    #[test]
    fn keys_that_differ_only_after_unescaping_are_the_same_key() {
        let message = refusal(r#"{"amount":1,"\u0061mount":2}"#);
        assert!(message.contains(r#""amount""#), "{message}");
    }

    #[test]
    fn the_same_key_in_sibling_objects_is_fine() {
        let value = from_slice(br#"{"a":{"k":1},"b":{"k":1},"k":[{"k":1}]}"#).unwrap();
        assert_eq!(
            value,
            json!({ "a": { "k": 1 }, "b": { "k": 1 }, "k": [{ "k": 1 }] })
        );
    }

    #[test]
    fn trailing_bytes_and_invalid_json_are_still_refused() {
        for text in [r#"{"a":1} x"#, r#"{"a":1"#, "", r#"{"a":1,}"#] {
            refusal(text);
        }
    }

    #[test]
    fn nesting_deeper_than_serde_jsons_limit_is_refused_not_a_stack_overflow() {
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(refusal(&deep).contains("recursion limit"));
    }
}
