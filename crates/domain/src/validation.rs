//! Field-level validation results, so every rejection can name the offending field.

use std::fmt;

/// Why one value was rejected. The message completes the sentence "`<field>` ...".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

impl Invalid {
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

/// One offending field of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    pub field: String,
    pub message: String,
}

/// Every offending field of a request (never empty when returned as an error).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Violations(Vec<FieldViolation>);

impl Violations {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn single(field: impl Into<String>, message: impl Into<String>) -> Self {
        let mut v = Self::new();
        v.push(field, message);
        v
    }

    pub fn push(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldViolation {
            field: field.into(),
            message: message.into(),
        });
    }

    /// Runs a parser and records its failure under `field`.
    pub fn check<T>(&mut self, field: &str, result: Result<T, Invalid>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.push(field, e.0);
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &FieldViolation> {
        self.0.iter()
    }

    /// `Ok(())` when nothing was recorded, so callers can `?` out of a parse.
    pub fn into_result(self) -> Result<(), Self> {
        if self.is_empty() { Ok(()) } else { Err(self) }
    }
}

impl fmt::Display for Violations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|v| format!("{} {}", v.field, v.message))
            .collect();
        f.write_str(&parts.join("; "))
    }
}

impl std::error::Error for Violations {}

/// Declares a newtype over `String` (a plain value: `Clone, PartialEq, Eq, PartialOrd, Ord,
/// Hash, Debug`) that can only hold what `$rule` (a `fn(&str) -> Result<(), Invalid>`) accepts:
/// `parse` is the only way in, `as_str` and `Display` read it back.
macro_rules! checked_string {
    ($(#[$meta:meta])* $name:ident, $rule:expr) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
        pub struct $name(String);

        impl $name {
            pub fn parse(raw: &str) -> Result<Self, $crate::validation::Invalid> {
                let rule: fn(&str) -> Result<(), $crate::validation::Invalid> = $rule;
                rule(raw)?;
                Ok(Self(raw.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

pub(crate) use checked_string;

/// Shared rule for identifiers: `min..=max` characters of `[A-Za-z0-9_-]`.
pub(crate) fn url_safe_token(raw: &str, min: usize, max: usize) -> Result<(), Invalid> {
    bounded_token(
        raw,
        min,
        max,
        |c| c.is_ascii_alphanumeric() || c == '_' || c == '-',
        "letters, digits, '_' and '-'",
    )
}

/// Shared rule for references chosen by the other side: `1..=max` visible ASCII characters.
pub(crate) fn visible_ascii(raw: &str, max: usize) -> Result<(), Invalid> {
    bounded_token(
        raw,
        1,
        max,
        |c| c.is_ascii_graphic(),
        "visible ASCII characters",
    )
}

/// Shared rule: `min..=max` characters (Unicode scalar values) of `allowed`.
pub(crate) fn bounded_token(
    raw: &str,
    min: usize,
    max: usize,
    allowed: impl Fn(char) -> bool,
    what: &str,
) -> Result<(), Invalid> {
    let len = raw.chars().count();
    if len < min || len > max {
        return Err(Invalid::new(format!(
            "must be {min} to {max} characters long"
        )));
    }
    if !raw.chars().all(allowed) {
        return Err(Invalid::new(format!("may only contain {what}")));
    }
    Ok(())
}

/// Shared rule for free text: `min..=max` characters, no control characters.
pub(crate) fn bounded_text(raw: &str, min: usize, max: usize) -> Result<(), Invalid> {
    let len = raw.chars().count();
    if len < min || len > max {
        return Err(if min == 0 {
            Invalid::new(format!("must be at most {max} characters long"))
        } else {
            Invalid::new(format!("must be {min} to {max} characters long"))
        });
    }
    if raw.chars().any(char::is_control) {
        return Err(Invalid::new("must not contain control characters"));
    }
    if min > 0 && raw.trim().is_empty() {
        return Err(Invalid::new("must not be blank"));
    }
    Ok(())
}

/// Asserts that `parse` accepts every one of `accepted` and refuses every one of `refused`,
/// naming the input that went the other way: the table the value types' tests are written as.
#[cfg(test)]
pub(crate) fn assert_parser<T, E>(
    parse: impl Fn(&str) -> Result<T, E>,
    accepted: &[&str],
    refused: &[&str],
) {
    for raw in accepted {
        assert!(parse(raw).is_ok(), "{raw:?} should be accepted");
    }
    for raw in refused {
        assert!(parse(raw).is_err(), "{raw:?} should be refused");
    }
}
