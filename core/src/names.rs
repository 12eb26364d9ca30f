//! Stable names for the field-less enums the bindings show ([`crate::Algorithm`],
//! [`crate::TokenKind`], the mock's `Ca`, `RotationPhase`, `KeyChoice`, `JwtClaims`, ...): each
//! enum is written out where it lives, followed by one list of its names, from which `ALL`,
//! `as_str`, `Display`, `FromStr` and serde are derived, so no binding keeps a string table of
//! its own.

/// Implements `ALL`, `as_str`, `Display`, `FromStr` and serde (as the name) for a field-less
/// enum from one list of `Variant => "name"` pairs (`| "alias"` for extra spellings `FromStr`
/// and `Deserialize` accept). An unknown name is `invalid_config` naming the accepted ones.
macro_rules! named_enum {
    ($ty:ident { $($variant:ident => $name:literal $(| $alias:literal)*),+ $(,)? }) => {
        impl $ty {
            /// Every value, in declaration order.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            /// The stable name (what `Display` writes and `FromStr` reads).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $name),+
                }
            }
        }

        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $ty {
            type Err = $crate::error::VerifyError;
            fn from_str(s: &str) -> ::std::result::Result<$ty, $crate::error::VerifyError> {
                match s {
                    $($name $(| $alias)* => Ok($ty::$variant),)+
                    other => Err($crate::error::VerifyError::new(
                        $crate::error::Reason::InvalidConfig,
                        format!(
                            "unknown {} {other:?} (one of: {})",
                            stringify!($ty),
                            [$($name),+].join(", ")
                        ),
                    )),
                }
            }
        }

        impl ::serde::Serialize for $ty {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> ::std::result::Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> ::std::result::Result<$ty, D::Error> {
                let name = <::std::string::String as ::serde::Deserialize>::deserialize(d)?;
                name.parse()
                    .map_err(|e: $crate::error::VerifyError| ::serde::de::Error::custom(e.message()))
            }
        }
    };
}

pub(crate) use named_enum;
