//! How a use-case service is declared: a struct holding its ports and policies, built by `new`
//! from one argument per field, in the order declared. Every service is built that way, and
//! every service is a cheap `Clone` (its ports are `Arc`s, its policies small values) that the
//! composition root hands to each worker and route, so both are written once, here.

/// Declares the struct (deriving `Clone`) and its `new`. The `pub fn new;` line stands for the
/// constructor (and carries its attributes), so a reader finds it where the struct is declared.
macro_rules! service_struct {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $($(#[$field_meta:meta])* $field:ident: $ty:ty),+ $(,)?
        }
        $(#[$new_meta:meta])*
        pub fn new;
    ) => {
        $(#[$meta])*
        #[derive(Clone)]
        pub struct $name {
            $($(#[$field_meta])* $field: $ty),+
        }

        impl $name {
            $(#[$new_meta])*
            pub fn new($($field: $ty),+) -> Self {
                Self { $($field),+ }
            }
        }
    };
}

pub(crate) use service_struct;
