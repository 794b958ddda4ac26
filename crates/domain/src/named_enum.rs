//! Enums whose values have one fixed name each (on the wire, in storage, in messages).

/// Declares the enum (a plain value: `Clone, Copy, PartialEq, Eq, Hash, Debug`), `ALL` (every
/// value, in declaration order), `as_str` (the value's name) and `Display` (the name). A trailing
/// `parse -> Option;` adds `parse` answering `None` for an unknown name; `parse -> Invalid;`
/// adds `parse` refusing it with "must be one of …", listing every name.
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $($(#[$variant_meta:meta])* $variant:ident = $text:literal),+ $(,)?
        }
        parse -> $parse:ident;
    ) => {
        $crate::named_enum::named_enum! {
            $(#[$meta])*
            pub enum $name {
                $($(#[$variant_meta])* $variant = $text),+
            }
        }
        $crate::named_enum::named_enum!(@parse $parse $name $($text),+);
    };
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $($(#[$variant_meta:meta])* $variant:ident = $text:literal),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
        pub enum $name {
            $($(#[$variant_meta])* $variant),+
        }

        impl $name {
            pub const ALL: [Self; [$($text),+].len()] = [$(Self::$variant),+];

            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
    (@parse Option $name:ident $($text:literal),+) => {
        impl $name {
            pub fn parse(raw: &str) -> Option<Self> {
                Self::ALL.into_iter().find(|value| value.as_str() == raw)
            }
        }
    };
    (@parse Invalid $name:ident $first:literal $(, $text:literal)*) => {
        impl $name {
            pub fn parse(raw: &str) -> Result<Self, $crate::validation::Invalid> {
                Self::ALL
                    .into_iter()
                    .find(|value| value.as_str() == raw)
                    .ok_or_else(|| {
                        $crate::validation::Invalid::new(concat!(
                            "must be one of ", $first $(, ", ", $text)*
                        ))
                    })
            }
        }
    };
}

pub(crate) use named_enum;
