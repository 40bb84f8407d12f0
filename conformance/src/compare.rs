//! The comparator: does an actual response answer as documented?
//!
//! Rules, applied at every level of the documented body:
//! - the same keys (none missing, none extra) and the same JSON types;
//! - equal values, except
//!   - timestamps: a documented timestamp fixes the *format* (ISO 8601 as
//!     `2024-01-16T14:30:00Z`, or Woodpecker's `2025-03-05 17:57:00`), so
//!     the actual value must have exactly that shape;
//!   - paths listed as free: values the page cannot fix (generated ids),
//!     where only the type is compared;
//! - arrays: every actual element has the structure of the first
//!   documented element.

use serde_json::Value;

/// One difference between the documented and the actual answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// Where, as a dotted path (`data.campaign.status`; `$` is the root).
    pub path: String,
    /// What differs.
    pub problem: String,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.problem)
    }
}

/// The documented timestamp formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampFormat {
    /// `2024-01-16T14:30:00Z`.
    Iso8601,
    /// `2025-03-05 17:57:00` (UTC, Woodpecker).
    SpaceSeparated,
}

/// The format of a documented timestamp, if `text` is one.
pub fn timestamp_format(text: &str) -> Option<TimestampFormat> {
    match shape(text).as_str() {
        "dddd-dd-dd dd:dd:dd" => Some(TimestampFormat::SpaceSeparated),
        _ if chrono::DateTime::parse_from_rfc3339(text).is_ok() => Some(TimestampFormat::Iso8601),
        _ => None,
    }
}

/// Digits become `d`; everything else stays: `2024-01-16T14:30:00Z` is
/// `dddd-dd-ddTdd:dd:ddZ`.
fn shape(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_ascii_digit() { 'd' } else { c })
        .collect()
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn join(path: &str, key: &str) -> String {
    if path == "$" {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// Compares `actual` with `documented`; `free` lists dotted paths whose
/// values the documentation cannot fix. Returns every difference.
pub fn compare(documented: &Value, actual: &Value, free: &[String]) -> Vec<Difference> {
    let mut differences = Vec::new();
    walk(documented, actual, "$", free, true, &mut differences);
    differences
}

fn walk(
    documented: &Value,
    actual: &Value,
    path: &str,
    free: &[String],
    compare_values: bool,
    out: &mut Vec<Difference>,
) {
    let mut differ = |problem: String| {
        out.push(Difference {
            path: path.to_string(),
            problem,
        })
    };
    if type_name(documented) != type_name(actual) {
        differ(format!(
            "expected {} {documented}, got {} {actual}",
            type_name(documented),
            type_name(actual)
        ));
        return;
    }
    let compare_values = compare_values && !free.iter().any(|f| f == path);
    match (documented, actual) {
        (Value::Object(expected), Value::Object(got)) => {
            for key in expected.keys().filter(|k| !got.contains_key(*k)) {
                out.push(Difference {
                    path: join(path, key),
                    problem: "missing".into(),
                });
            }
            for key in got.keys().filter(|k| !expected.contains_key(*k)) {
                out.push(Difference {
                    path: join(path, key),
                    problem: format!("not documented (value {})", got[key]),
                });
            }
            for (key, value) in expected {
                if let Some(actual_value) = got.get(key) {
                    walk(
                        value,
                        actual_value,
                        &join(path, key),
                        free,
                        compare_values,
                        out,
                    );
                }
            }
        }
        (Value::Array(expected), Value::Array(got)) => {
            if let Some(first) = expected.first() {
                for (index, item) in got.iter().enumerate() {
                    walk(first, item, &format!("{path}[{index}]"), free, false, out);
                }
            }
        }
        (Value::String(expected), Value::String(got)) => match timestamp_format(expected) {
            Some(format)
                if shape(expected) != shape(got) || timestamp_format(got) != Some(format) =>
            {
                differ(format!(
                    "timestamp {got:?} is not in the documented format of {expected:?}"
                ))
            }
            None if compare_values && expected != got => {
                differ(format!("expected {expected:?}, got {got:?}"))
            }
            _ => {}
        },
        (expected, got) if compare_values && expected != got => {
            differ(format!("expected {expected}, got {got}"))
        }
        _ => {}
    }
}

/// Checks that `actual` holds at least what `expected` holds: every key of
/// an expected object with a matching value; arrays element by element,
/// of the same length. For scenario checks on sandbox state.
pub fn contains(expected: &Value, actual: &Value) -> Vec<Difference> {
    let mut out = Vec::new();
    contains_at(expected, actual, "$", &mut out);
    out
}

fn contains_at(expected: &Value, actual: &Value, path: &str, out: &mut Vec<Difference>) {
    match (expected, actual) {
        (Value::Object(expected), Value::Object(got)) => {
            for (key, value) in expected {
                match got.get(key) {
                    Some(actual_value) => contains_at(value, actual_value, &join(path, key), out),
                    None => out.push(Difference {
                        path: join(path, key),
                        problem: "missing".into(),
                    }),
                }
            }
        }
        (Value::Array(expected), Value::Array(got)) => {
            if expected.len() != got.len() {
                out.push(Difference {
                    path: path.to_string(),
                    problem: format!("expected {} items, got {}", expected.len(), got.len()),
                });
            }
            for (index, (e, a)) in expected.iter().zip(got).enumerate() {
                contains_at(e, a, &format!("{path}[{index}]"), out);
            }
        }
        (expected, got) if expected != got => out.push(Difference {
            path: path.to_string(),
            problem: format!("expected {expected}, got {got}"),
        }),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn voicegenie_404() -> Value {
        json!({"success": false, "message": "Campaign not found", "error": "NOT_FOUND"})
    }

    #[test]
    fn an_identical_answer_has_no_differences() {
        assert!(compare(&voicegenie_404(), &voicegenie_404(), &[]).is_empty());
    }

    #[test]
    fn a_different_error_code_fails() {
        let actual = json!({"success": false, "message": "Campaign not found", "error": "CAMPAIGN_NOT_FOUND"});
        let differences = compare(&voicegenie_404(), &actual, &[]);
        assert_eq!(differences.len(), 1);
        assert_eq!(differences[0].path, "error");
        assert_eq!(
            differences[0].to_string(),
            "error: expected \"NOT_FOUND\", got \"CAMPAIGN_NOT_FOUND\""
        );
    }

    #[test]
    fn a_missing_key_fails() {
        let actual = json!({"success": false, "message": "Campaign not found"});
        let differences = compare(&voicegenie_404(), &actual, &[]);
        assert_eq!(
            differences,
            vec![Difference {
                path: "error".into(),
                problem: "missing".into()
            }]
        );
    }

    #[test]
    fn an_extra_key_fails() {
        let mut actual = voicegenie_404();
        actual["request_id"] = json!("abc");
        assert_eq!(
            compare(&voicegenie_404(), &actual, &[])[0].path,
            "request_id"
        );
    }

    #[test]
    fn a_wrong_type_fails() {
        let actual =
            json!({"success": "false", "message": "Campaign not found", "error": "NOT_FOUND"});
        assert_eq!(compare(&voicegenie_404(), &actual, &[])[0].path, "success");
    }

    #[test]
    fn a_timestamp_in_another_format_fails() {
        let documented = json!({"title": "Bad Request", "timestamp": "2025-03-05 17:57:00"});
        let iso = json!({"title": "Bad Request", "timestamp": "2025-03-05T17:57:00Z"});
        let differences = compare(&documented, &iso, &[]);
        assert_eq!(differences.len(), 1, "{differences:?}");
        assert_eq!(differences[0].path, "timestamp");
        let later = json!({"title": "Bad Request", "timestamp": "2026-01-05 09:00:00"});
        assert!(
            compare(&documented, &later, &[]).is_empty(),
            "another time, same format"
        );

        let documented = json!({"data": {"paused_at": "2024-01-16T14:30:00Z"}});
        let millis = json!({"data": {"paused_at": "2024-01-16T14:30:00.123Z"}});
        assert_eq!(compare(&documented, &millis, &[]).len(), 1);
        let offset = json!({"data": {"paused_at": "2024-01-16T14:30:00+00:00"}});
        assert_eq!(compare(&documented, &offset, &[]).len(), 1);
    }

    #[test]
    fn free_paths_compare_types_only() {
        let documented = json!({"id": "camp_123", "status": "paused"});
        let actual = json!({"id": "camp_9f8e7d", "status": "paused"});
        assert_eq!(compare(&documented, &actual, &[]).len(), 1);
        assert!(compare(&documented, &actual, &["id".to_string()]).is_empty());
        let wrong_type = json!({"id": 7, "status": "paused"});
        assert_eq!(
            compare(&documented, &wrong_type, &["id".to_string()]).len(),
            1
        );
    }

    #[test]
    fn contains_checks_subsets_and_lengths() {
        let expected = json!({"items": [{"status": "paused"}, {"status": "paused"}]});
        let actual =
            json!({"items": [{"id": 1, "status": "paused"}, {"id": 2, "status": "active"}]});
        let differences = contains(&expected, &actual);
        assert_eq!(differences.len(), 1);
        assert_eq!(differences[0].path, "items[1].status");
        assert_eq!(
            contains(&json!({"items": [1]}), &json!({"items": [1, 2]})).len(),
            1
        );
    }
}
