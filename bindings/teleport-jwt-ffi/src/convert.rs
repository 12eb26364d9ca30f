//! How a core type crosses to Kotlin and Swift, written once per type: [`IntoFfi`] for what the
//! core answers, [`FromFfi`] for what Kotlin and Swift give. Every record and method generated
//! from the core's descriptions (`teleport_jwt::describe_*!`: identity, policy, mock) converts
//! through them, so no generated item converts anything itself.
//!
//! Public (hidden) only because generated records name `<T as IntoFfi>::Ffi` as field types.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use teleport_jwt::{Algorithm, TokenKind};

/// A core value as Kotlin and Swift receive it.
#[doc(hidden)]
pub trait IntoFfi {
    /// The type UniFFI carries.
    type Ffi;
    /// The value as UniFFI carries it.
    fn into_ffi(self) -> Self::Ffi;
}

/// A value Kotlin and Swift give, as the core types it.
#[doc(hidden)]
pub trait FromFfi: IntoFfi {
    /// The value as the core types it.
    fn from_ffi(value: Self::Ffi) -> Self;
}

/// `IntoFfi` (and, with `<->`, `FromFfi`) for each `Type => Ffi = |value| out <-> |ffi| in;`.
macro_rules! ffi_types {
    ($($ty:ty => $ffi:ty = |$v:ident| $out:expr $(, <- |$f:ident| $in:expr)?;)*) => {$(
        impl $crate::convert::IntoFfi for $ty {
            type Ffi = $ffi;
            fn into_ffi(self) -> $ffi {
                let $v = self;
                $out
            }
        }
        $(impl $crate::convert::FromFfi for $ty {
            fn from_ffi($f: $ffi) -> $ty {
                $in
            }
        })?
    )*};
}
pub(crate) use ffi_types;

ffi_types! {
    () => () = |v| v, <- |f| f;
    bool => bool = |v| v, <- |f| f;
    i64 => i64 = |v| v, <- |f| f;
    String => String = |v| v, <- |f| f;
    Algorithm => Algorithm = |v| v, <- |f| f;
    TokenKind => TokenKind = |v| v, <- |f| f;
    // Counts are `Long` in Kotlin (`Int64` in Swift): Java has no unsigned types.
    u64 => i64 = |v| i64::try_from(v).unwrap_or(i64::MAX);
    // Indexes are `Int` (`Int32`); a policy never has 2^31 rules.
    usize => i32 = |v| i32::try_from(v).unwrap_or(i32::MAX);
    // UniFFI has no sorted collections: a sorted set is a sorted list, a sorted map a map.
    BTreeSet<String> => Vec<String> = |v| v.into_iter().collect();
    BTreeMap<String, Vec<String>> => HashMap<String, Vec<String>> =
        |v| v.into_iter().collect(), <- |f| f.into_iter().collect();
    // A path is its text.
    PathBuf => String = |v| v.to_string_lossy().into_owned(), <- |f| PathBuf::from(f);
}

impl<T: IntoFfi> IntoFfi for Option<T> {
    type Ffi = Option<T::Ffi>;
    fn into_ffi(self) -> Self::Ffi {
        self.map(T::into_ffi)
    }
}

impl<T: FromFfi> FromFfi for Option<T> {
    fn from_ffi(value: Self::Ffi) -> Self {
        value.map(T::from_ffi)
    }
}

impl<T: IntoFfi> IntoFfi for Vec<T> {
    type Ffi = Vec<T::Ffi>;
    fn into_ffi(self) -> Self::Ffi {
        self.into_iter().map(T::into_ffi).collect()
    }
}

impl<T: FromFfi> FromFfi for Vec<T> {
    fn from_ffi(value: Self::Ffi) -> Self {
        value.into_iter().map(T::from_ffi).collect()
    }
}
