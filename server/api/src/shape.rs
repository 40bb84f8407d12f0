//! Request bodies in the shape their schema gives, not only one serde
//! accepts: serde's derived `Deserialize` of a struct also takes a JSON
//! array of its fields in order, so `{"contacts": [[null, null]]}` would
//! parse as a contact. Found by schemathesis (`--checks all`: "schema-
//! violating request accepted"). [`misshapen`] walks a parsed body along
//! the JSON Schema that the document publishes for it (schemars, the same
//! one dropshot puts in the document) and names the first place whose JSON
//! type the schema does not admit (an array where an object belongs), or
//! an integer beyond the documents' maximum of `2^53 - 1`.

use std::any::TypeId;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

use schemars::JsonSchema;
use schemars::schema::{InstanceType, RootSchema, Schema, SchemaObject, SingleOrVec};
use serde_json::Value;

/// The schema of each body type, generated once (read-locked after).
fn schema_of<T: JsonSchema + 'static>() -> Arc<RootSchema> {
    static SCHEMAS: OnceLock<RwLock<HashMap<TypeId, Arc<RootSchema>>>> = OnceLock::new();
    let schemas = SCHEMAS.get_or_init(Default::default);
    let known = schemas
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .get(&TypeId::of::<T>())
        .cloned();
    known.unwrap_or_else(|| {
        let schema =
            Arc::new(schemars::r#gen::SchemaGenerator::default().into_root_schema_for::<T>());
        schemas
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(TypeId::of::<T>(), Arc::clone(&schema));
        schema
    })
}

/// The first place where `body` has a JSON type the schema of `T` does not
/// admit, as a path (`contacts[0]`), or `None` when it has none.
pub fn misshapen<T: JsonSchema + 'static>(body: &Value) -> Option<String> {
    let root = schema_of::<T>();
    walk(&root, &root.schema, body, String::new(), 0)
}

/// The largest integer a document admits (`2^53 - 1`, the largest every
/// JSON reader holds exactly): the documents declare it as the maximum of
/// every 64-bit integer, so a body may not go beyond it either.
pub const MAX_SAFE_INTEGER: u128 = (1 << 53) - 1;

/// Whether an integer is beyond [`MAX_SAFE_INTEGER`] either way: the one
/// rule for bodies (here) and for query parameters (in the handlers that
/// take integers, each answering in its API's own error shape).
pub fn beyond_safe(n: i128) -> bool {
    n.unsigned_abs() > MAX_SAFE_INTEGER
}

/// How deep a walk follows the schema (recursive types end somewhere).
const MAX_DEPTH: usize = 32;

fn walk(
    root: &RootSchema,
    schema: &SchemaObject,
    value: &Value,
    path: String,
    depth: usize,
) -> Option<String> {
    if depth > MAX_DEPTH {
        return None;
    }
    if let Some(reference) = &schema.reference {
        let name = reference.trim_start_matches("#/definitions/");
        let Some(Schema::Object(target)) = root.definitions.get(name) else {
            return None;
        };
        return walk(root, target, value, path, depth + 1);
    }
    if let Some(subschemas) = &schema.subschemas {
        // Every part of an allOf applies; an anyOf/oneOf is checked only
        // when all its branches refuse the value.
        for part in subschemas.all_of.iter().flatten() {
            if let Schema::Object(part) = part
                && let Some(found) = walk(root, part, value, path.clone(), depth + 1)
            {
                return Some(found);
            }
        }
        for branches in [&subschemas.any_of, &subschemas.one_of]
            .into_iter()
            .flatten()
        {
            let refusals: Vec<String> = branches
                .iter()
                .filter_map(|branch| match branch {
                    Schema::Object(branch) => walk(root, branch, value, path.clone(), depth + 1),
                    Schema::Bool(_) => None,
                })
                .collect();
            if !branches.is_empty() && refusals.len() == branches.len() {
                return refusals.into_iter().next();
            }
        }
    }
    // Where a refusal points: the value's path, or the body itself.
    let place = || {
        if path.is_empty() {
            "the body".to_string()
        } else {
            path.clone()
        }
    };
    if let Some(n) = value
        .as_i64()
        .map(i128::from)
        .or(value.as_u64().map(i128::from))
        && beyond_safe(n)
    {
        return Some(format!(
            "{} is {n}, beyond the largest integer this API accepts ({MAX_SAFE_INTEGER})",
            place()
        ));
    }
    if let Some(expected) = refused(schema, value) {
        return Some(format!(
            "{} is {}; its schema expects {expected}",
            place(),
            kind_name(&kind_of(value))
        ));
    }
    match value {
        Value::Array(items) => {
            let item_schema = match schema.array.as_ref().and_then(|a| a.items.as_ref()) {
                Some(SingleOrVec::Single(item)) => Some(item.as_ref()),
                _ => None,
            };
            if let Some(Schema::Object(item)) = item_schema {
                for (n, item_value) in items.iter().enumerate() {
                    if let Some(found) =
                        walk(root, item, item_value, format!("{path}[{n}]"), depth + 1)
                    {
                        return Some(found);
                    }
                }
            }
            None
        }
        Value::Object(fields) => {
            let object = schema.object.as_ref()?;
            for (name, field_value) in fields {
                let field_schema = object
                    .properties
                    .get(name)
                    .or(object.additional_properties.as_deref());
                if let Some(Schema::Object(field_schema)) = field_schema {
                    let field_path = if path.is_empty() {
                        name.clone()
                    } else {
                        format!("{path}.{name}")
                    };
                    if let Some(found) =
                        walk(root, field_schema, field_value, field_path, depth + 1)
                    {
                        return Some(found);
                    }
                }
            }
            None
        }
        _ => None,
    }
}

fn kind_of(value: &Value) -> InstanceType {
    match value {
        Value::Null => InstanceType::Null,
        Value::Bool(_) => InstanceType::Boolean,
        Value::Number(n) if n.is_f64() => InstanceType::Number,
        Value::Number(_) => InstanceType::Integer,
        Value::String(_) => InstanceType::String,
        Value::Array(_) => InstanceType::Array,
        Value::Object(_) => InstanceType::Object,
    }
}

fn kind_name(kind: &InstanceType) -> &'static str {
    match kind {
        InstanceType::Null => "null",
        InstanceType::Boolean => "a boolean",
        InstanceType::Number => "a number",
        InstanceType::Integer => "an integer",
        InstanceType::String => "a string",
        InstanceType::Array => "an array",
        InstanceType::Object => "an object",
    }
}

/// What the schema's type expects, when it names types and the value's
/// JSON type is none of them. Serde has already parsed the body, so a
/// refusal here is what serde lets through: a struct given as an array.
fn refused(schema: &SchemaObject, value: &Value) -> Option<String> {
    let kind = kind_of(value);
    let named = |k: &InstanceType| {
        *k == kind || (*k == InstanceType::Number && kind == InstanceType::Integer)
    };
    let kinds: Vec<&InstanceType> = match &schema.instance_type {
        Some(SingleOrVec::Single(k)) => vec![k.as_ref()],
        Some(SingleOrVec::Vec(kinds)) => kinds.iter().collect(),
        None => return None,
    };
    if kinds.iter().any(|k| named(k)) {
        return None;
    }
    Some(
        kinds
            .into_iter()
            .map(kind_name)
            .collect::<Vec<_>>()
            .join(" or "),
    )
}

#[cfg(test)]
mod tests {
    use super::misshapen;
    use schemars::JsonSchema;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Deserialize, JsonSchema)]
    #[allow(dead_code)]
    struct Contact {
        phone: Option<String>,
        name: Option<String>,
    }

    #[derive(Deserialize, JsonSchema)]
    #[allow(dead_code)]
    struct Upload {
        name: String,
        contacts: Vec<Contact>,
        extra: Option<Contact>,
    }

    #[test]
    fn an_array_where_an_object_belongs_is_named_and_serde_alone_would_take_it() {
        let body = json!({"name": "x", "contacts": [{"phone": "1"}, [null, null]]});
        // The trap: serde builds a Contact from the array.
        assert!(serde_json::from_value::<Upload>(body.clone()).is_ok());
        assert_eq!(
            misshapen::<Upload>(&body).as_deref(),
            Some("contacts[1] is an array; its schema expects an object")
        );
        let nested = json!({"name": "x", "contacts": [], "extra": ["1", "n"]});
        assert!(serde_json::from_value::<Upload>(nested.clone()).is_ok());
        assert!(
            misshapen::<Upload>(&nested)
                .unwrap()
                .starts_with("extra is an array")
        );
        assert_eq!(
            misshapen::<Upload>(&json!(["x", []])).as_deref(),
            Some("the body is an array; its schema expects an object")
        );
    }

    #[derive(Deserialize, JsonSchema)]
    #[allow(dead_code)]
    struct Advance {
        seconds: u64,
        back: Option<i64>,
    }

    #[test]
    fn integers_beyond_the_documents_maximum_are_named() {
        let body = json!({"seconds": 9_007_199_254_740_992u64});
        assert!(serde_json::from_value::<Advance>(body.clone()).is_ok());
        assert_eq!(
            misshapen::<Advance>(&body).as_deref(),
            Some(
                "seconds is 9007199254740992, beyond the largest integer this API accepts (9007199254740991)"
            )
        );
        let low = json!({"seconds": 1, "back": -9_007_199_254_740_992i64});
        assert!(
            misshapen::<Advance>(&low)
                .unwrap()
                .starts_with("back is -9007199254740992")
        );
        assert_eq!(
            misshapen::<Advance>(&json!({"seconds": 9_007_199_254_740_991u64})),
            None
        );
    }

    #[test]
    fn well_shaped_bodies_pass() {
        let body = json!({"name": "x", "contacts": [{"phone": "1"}], "extra": null});
        assert_eq!(misshapen::<Upload>(&body), None);
        assert_eq!(misshapen::<Vec<Contact>>(&json!([{"phone": "1"}])), None);
    }
}
