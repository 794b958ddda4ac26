//! The merchant-supplied fields of a payment.

use crate::named_enum::named_enum;
use crate::validation::{bounded_text, bounded_token, checked_string};

checked_string!(
    /// The merchant's order number: 1–64 chars of `[A-Za-z0-9_\-:.]`, unique per merchant.
    OrderNo,
    |raw| {
        bounded_token(
            raw,
            1,
            64,
            |c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ':' | '.'),
            "letters, digits, '_', '-', ':' and '.'",
        )
    }
);

checked_string!(
    /// Product description, at most 128 characters.
    ProductName,
    |raw| bounded_text(raw, 0, 128)
);

checked_string!(
    /// Customer display name, at most 64 characters.
    CustomerName,
    |raw| bounded_text(raw, 0, 64)
);

checked_string!(
    /// Why a payment was canceled: 1–200 characters, not blank.
    CancelReason,
    |raw| bounded_text(raw, 1, 200)
);

checked_string!(
    /// Machine-readable failure code reported by the acquirer or the server, e.g. `CARD_DECLINED`.
    FailureCode,
    |raw| {
        bounded_token(
            raw,
            1,
            64,
            |c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_',
            "upper-case letters, digits and '_'",
        )
    }
);

checked_string!(
    /// Human-readable failure description, at most 255 characters.
    FailureMessage,
    |raw| bounded_text(raw, 0, 255)
);

named_enum! {
    /// How the customer pays.
    pub enum MethodCode {
        Card = "CARD",
        Bank = "BANK",
        Mobile = "MOBILE",
    }
    parse -> Invalid;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validation::assert_parser;

    #[test]
    fn order_numbers_follow_the_documented_alphabet() {
        assert_parser(
            OrderNo::parse,
            &["ORDER-1:a.b_c"],
            &["", &"a".repeat(65), "주문1", "a b"],
        );
    }

    #[test]
    fn names_count_characters_not_bytes() {
        assert_parser(
            CustomerName::parse,
            &[&"홍".repeat(64)],
            &[&"홍".repeat(65)],
        );
        assert_parser(ProductName::parse, &[""], &[&"x".repeat(129)]);
    }

    #[test]
    fn a_cancel_reason_must_not_be_blank() {
        assert_parser(
            CancelReason::parse,
            &["customer asked"],
            &["   ", "", &"r".repeat(201)],
        );
    }
}
