//! The core's [`Algorithm`] and [`TokenKind`], exported as they are: UniFFI remote enums
//! declared from the core's own description (`teleport_jwt::describe_alg_enums!`), the list the
//! core defines the enums from, so the variants and their docs are the core's.

use teleport_jwt::{Algorithm, TokenKind};

/// Declares each enum of a core description (`describe_*_enums!`) as a UniFFI remote enum:
/// its docs and variants (the names are the core's business: Kotlin and Swift use the
/// variants).
macro_rules! remote_enums {
    ($(
        $(#[doc = $doc:literal])*
        $(#[default($default:ident)])?
        pub enum $ty:ident {
            $( $(#[doc = $vdoc:literal])* $variant:ident => $name:literal $(| $alias:literal)* ),+ $(,)?
        }
    )*) => {$(
        $(#[doc = $doc])*
        #[uniffi::remote(Enum)]
        pub enum $ty {
            $( $(#[doc = $vdoc])* $variant, )+
        }
    )*};
}

#[cfg(feature = "testing")] // the mock's enums (mock.rs)
pub(crate) use remote_enums;

teleport_jwt::describe_alg_enums!(remote_enums);
