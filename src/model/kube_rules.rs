//! The Kubernetes API server's own validation rules, for the objects a
//! scenario applies: names, labels, selectors, taints and
//! tolerations, rolling-update fenceposts. The messages are apimachinery's
//! (`k8s.io/apimachinery/pkg/util/validation`, `pkg/apis/core/validation`),
//! so that what a student learns here is what `kubectl apply` would say.

use crate::model::kube::{Requirement, SelectorOperator, Taint, Toleration, TolerationOperator};

/// A DNS label's most characters (RFC 1123), and a label value's.
pub const DNS1123_LABEL_MAX: usize = 63;
/// A DNS subdomain's most characters (RFC 1123).
pub const DNS1123_SUBDOMAIN_MAX: usize = 253;

/// `regexError`: the message with its examples and the pattern.
fn regex_error(message: &str, pattern: &str, examples: &[&str]) -> String {
    let mut out = format!("{message} (e.g. ");
    for (i, e) in examples.iter().enumerate() {
        if i > 0 {
            out.push_str(" or ");
        }
        out.push_str(&format!("'{e}', "));
    }
    out.push_str(&format!("regex used for validation is '{pattern}')"));
    out
}

fn is_label_chars(s: &str) -> bool {
    let b = s.as_bytes();
    let alnum = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    !b.is_empty()
        && b.first().is_some_and(alnum)
        && b.last().is_some_and(alnum)
        && b.iter().all(|c| alnum(c) || *c == b'-')
}

fn is_subdomain_chars(s: &str) -> bool {
    s.split('.').all(is_label_chars)
}

const LABEL_PATTERN: &str = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const SUBDOMAIN_PATTERN: &str = "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";

/// `IsDNS1123Label`: container names.
pub fn dns1123_label(value: &str) -> Vec<String> {
    let mut errors = Vec::new();
    if value.len() > DNS1123_LABEL_MAX {
        errors.push(format!("must be no more than {DNS1123_LABEL_MAX} characters"));
    }
    if !is_label_chars(value) {
        if is_subdomain_chars(value) {
            errors.push("must not contain dots".to_string());
        } else {
            errors.push(regex_error(
                "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
                LABEL_PATTERN,
                &["my-name", "123-abc"],
            ));
        }
    }
    errors
}

/// `IsDNS1123Subdomain`: the names of Deployments and HorizontalPodAutoscalers.
pub fn dns1123_subdomain(value: &str) -> Vec<String> {
    let mut errors = Vec::new();
    if value.len() > DNS1123_SUBDOMAIN_MAX {
        errors.push(format!("must be no more than {DNS1123_SUBDOMAIN_MAX} characters"));
    }
    if !is_subdomain_chars(value) {
        errors.push(regex_error(
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
            SUBDOMAIN_PATTERN,
            &["example.com"],
        ));
    }
    errors
}

/// `IsDNS1035Label`: the names of Services.
pub fn dns1035_label(value: &str) -> Vec<String> {
    let mut errors = Vec::new();
    if value.len() > DNS1123_LABEL_MAX {
        errors.push(format!("must be no more than {DNS1123_LABEL_MAX} characters"));
    }
    if !(is_label_chars(value) && value.as_bytes().first().is_some_and(u8::is_ascii_lowercase)) {
        errors.push(regex_error(
            "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
            "[a-z]([-a-z0-9]*[a-z0-9])?",
            &["my-name", "abc-123"],
        ));
    }
    errors
}

const QUALIFIED_PATTERN: &str = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const QUALIFIED_MESSAGE: &str =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

fn is_qualified_chars(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.first().is_some_and(u8::is_ascii_alphanumeric)
        && b.last().is_some_and(u8::is_ascii_alphanumeric)
        && b.iter().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// `IsQualifiedName`: label keys, taint and toleration keys, topology keys.
pub fn qualified_name(value: &str) -> Vec<String> {
    let mut errors = Vec::new();
    let (prefix, name) = match value.split_once('/') {
        Some((p, n)) if !n.contains('/') => (Some(p), n),
        Some(_) => {
            errors.push(format!(
                "a qualified name {} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
                regex_error(QUALIFIED_MESSAGE, QUALIFIED_PATTERN, &["MyName", "my.name", "123-abc"])
            ));
            return errors;
        }
        None => (None, value),
    };
    if let Some(p) = prefix {
        if p.is_empty() {
            errors.push("prefix part must be non-empty".to_string());
        } else {
            errors.extend(dns1123_subdomain(p).into_iter().map(|e| format!("prefix part {e}")));
        }
    }
    if name.is_empty() {
        errors.push("name part must be non-empty".to_string());
    } else {
        if name.len() > DNS1123_LABEL_MAX {
            errors.push(format!("name part must be no more than {DNS1123_LABEL_MAX} characters"));
        }
        if !is_qualified_chars(name) {
            errors.push(format!(
                "name part {}",
                regex_error(QUALIFIED_MESSAGE, QUALIFIED_PATTERN, &["MyName", "my.name", "123-abc"])
            ));
        }
    }
    errors
}

/// `IsValidLabelValue`: label values, taint values.
pub fn label_value(value: &str) -> Vec<String> {
    let mut errors = Vec::new();
    if value.len() > DNS1123_LABEL_MAX {
        errors.push(format!("must be no more than {DNS1123_LABEL_MAX} characters"));
    }
    if !(value.is_empty() || is_qualified_chars(value)) {
        errors.push(regex_error(
            "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
            "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?",
            &["MyValue", "my_value", "12345"],
        ));
    }
    errors
}

/// `field.Invalid`'s wording: the value, then why.
pub fn invalid(value: &str, errors: &[String]) -> Option<String> {
    (!errors.is_empty())
        .then(|| format!("Invalid value: {}: {}", crate::engine::time::quoted(value), errors.join("; ")))
}

/// Problems with a map of labels, as `(field suffix, message)`.
pub fn labels<'a>(map: impl IntoIterator<Item = (&'a String, &'a String)>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (k, v) in map {
        if let Some(m) = invalid(k, &qualified_name(k)) {
            out.push((String::new(), m));
        }
        if let Some(m) = invalid(v, &label_value(v)) {
            out.push((format!("[{}]", crate::engine::time::quoted(k)), m));
        }
    }
    out
}

/// `validateTaints`, for one taint.
pub fn taint(t: &Taint) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(m) = invalid(&t.key, &qualified_name(&t.key)) {
        out.push((".key".to_string(), m));
    }
    if let Some(m) = invalid(&t.value, &label_value(&t.value)) {
        out.push((".value".to_string(), m));
    }
    out
}

/// `ValidateNodeSelectorRequirement`: the values an operator takes.
pub fn node_selector_requirement(r: &Requirement) -> Option<(String, String)> {
    let message = match r.operator {
        SelectorOperator::In | SelectorOperator::NotIn => {
            r.values.is_empty().then_some("Required value: must be specified when `operator` is 'In' or 'NotIn'")
        }
        SelectorOperator::Exists | SelectorOperator::DoesNotExist => (!r.values.is_empty())
            .then_some("Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'"),
        SelectorOperator::Gt | SelectorOperator::Lt => (r.values.len() != 1)
            .then_some("Required value: must be specified single value when `operator` is 'Lt' or 'Gt'"),
    };
    message.map(|m| (".values".to_string(), m.to_string()))
}

/// `validateTolerations`, for one toleration.
pub fn toleration(t: &Toleration) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if !t.key.is_empty()
        && let Some(m) = invalid(&t.key, &qualified_name(&t.key))
    {
        out.push((".key".to_string(), m));
    }
    if t.key.is_empty() && t.operator != TolerationOperator::Exists {
        out.push((
            ".operator".to_string(),
            format!("Invalid value: {:?}: operator must be Exists when `key` is empty, which means \"match all values and all keys\"", t.operator),
        ));
    }
    if t.toleration_seconds.is_some() && t.effect != Some(crate::model::kube::TaintEffect::NoExecute) {
        out.push((
            ".effect".to_string(),
            "Invalid value: effect must be 'NoExecute' when `tolerationSeconds` is set".to_string(),
        ));
    }
    match t.operator {
        TolerationOperator::Equal => {
            if let Some(m) = invalid(&t.value, &label_value(&t.value)) {
                out.push((".value".to_string(), m));
            }
        }
        TolerationOperator::Exists => {
            if !t.value.is_empty() {
                out.push((
                    ".operator".to_string(),
                    format!(
                        "Invalid value: {}: value must be empty when `operator` is 'Exists'",
                        crate::engine::time::quoted(&t.value)
                    ),
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_api_server() {
        assert!(dns1123_label("web-1").is_empty());
        assert_eq!(dns1123_label("a.b"), vec!["must not contain dots".to_string()]);
        assert!(dns1123_label("Web")[0].starts_with("a lowercase RFC 1123 label must consist"));
        assert!(dns1123_label(&"a".repeat(64))[0].contains("no more than 63"));
        assert!(dns1123_subdomain("web.example").is_empty());
        assert!(!dns1123_subdomain("-web").is_empty());
        assert!(dns1035_label("web").is_empty());
        assert!(!dns1035_label("1web").is_empty());
    }

    #[test]
    fn labels_follow_the_api_server() {
        assert!(qualified_name("topology.kubernetes.io/zone").is_empty());
        assert!(qualified_name("app").is_empty());
        assert!(!qualified_name("/app").is_empty());
        assert!(!qualified_name("a b").is_empty());
        assert!(label_value("").is_empty());
        assert!(label_value("My_Value.1").is_empty());
        assert!(!label_value("-x").is_empty());
    }
}
