//! The payment enums of the wire format are the domain's own ([`PaymentStatus`], [`MethodCode`],
//! [`Actor`]): declared once, for the server and this client, and written as their upper-case
//! names (`#[serde(with = "crate::wire::name")]`, or `wire::optional_name` for an `Option`).

use domain::payment::{Actor, CancelStatus, MethodCode, PaymentStatus};

/// An enum written on the wire as its name.
pub(crate) trait WireName: Copy {
    /// What the enum is, for the error of an unknown name.
    const WHAT: &'static str;
    fn name(self) -> &'static str;
    fn from_name(raw: &str) -> Option<Self>;
}

/// Each enum's name is its `as_str`; `from_name` is its `parse`.
macro_rules! wire_names {
    ($($enum:ty => $what:literal, |$raw:ident| $parse:expr;)*) => {$(
        impl WireName for $enum {
            const WHAT: &'static str = $what;
            fn name(self) -> &'static str {
                self.as_str()
            }
            fn from_name($raw: &str) -> Option<Self> {
                $parse
            }
        }
    )*};
}

wire_names! {
    PaymentStatus => "payment status", |raw| Self::parse(raw).ok();
    MethodCode => "method code", |raw| Self::parse(raw).ok();
    Actor => "actor", |raw| Self::parse(raw);
    CancelStatus => "cancel status", |raw| Self::parse(raw);
}

fn from_name<T: WireName, E: serde::de::Error>(raw: &str) -> Result<T, E> {
    T::from_name(raw).ok_or_else(|| E::custom(format_args!("unknown {} `{raw}`", T::WHAT)))
}

pub(crate) mod name {
    use serde::{Deserialize, Deserializer, Serializer};

    use super::WireName;

    pub(crate) fn serialize<T: WireName, S: Serializer>(
        value: &T,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(value.name())
    }

    pub(crate) fn deserialize<'de, T: WireName, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<T, D::Error> {
        super::from_name(&String::deserialize(deserializer)?)
    }
}

pub(crate) mod optional_name {
    use serde::{Deserialize, Deserializer, Serializer};

    use super::WireName;

    pub(crate) fn serialize<T: WireName, S: Serializer>(
        value: &Option<T>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(value) => serializer.serialize_some(value.name()),
            None => serializer.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, T: WireName, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<T>, D::Error> {
        Option::<String>::deserialize(deserializer)?
            .map(|raw| super::from_name(&raw))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Row {
        #[serde(with = "name")]
        status: PaymentStatus,
        #[serde(with = "optional_name", default)]
        from: Option<PaymentStatus>,
        #[serde(with = "name")]
        method: MethodCode,
        #[serde(with = "name")]
        actor: Actor,
    }

    #[test]
    fn the_domain_enums_travel_as_their_upper_case_names_both_ways() {
        let row = Row {
            status: PaymentStatus::Canceled,
            from: Some(PaymentStatus::Approved),
            method: MethodCode::Mobile,
            actor: Actor::Admin,
        };
        let json = serde_json::to_string(&row).unwrap();
        assert_eq!(
            json,
            r#"{"status":"CANCELED","from":"APPROVED","method":"MOBILE","actor":"ADMIN"}"#
        );
        assert_eq!(serde_json::from_str::<Row>(&json).unwrap(), row);
    }

    #[test]
    fn an_unknown_name_is_refused_with_what_it_should_have_been() {
        let err = serde_json::from_str::<Row>(
            r#"{"status":"PAID","from":null,"method":"CARD","actor":"SYSTEM"}"#,
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("unknown payment status `PAID`"),
            "{err}"
        );
    }
}
