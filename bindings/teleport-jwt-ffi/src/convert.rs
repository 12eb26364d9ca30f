//! How a field of the core's [`teleport_jwt::Identity`] crosses to Kotlin and Swift, written
//! once per type: [`IntoFfi`], both ways. The identity record is declared from the core's list
//! of its fields (`identity.rs`), so each field's type is converted through this trait.
//!
//! Public (hidden) only because the identity record names `<T as IntoFfi>::Ffi` as field types.

use std::collections::{BTreeMap, HashMap};

use teleport_jwt::{Algorithm, TokenKind};

/// A core value as Kotlin and Swift receive and give it.
#[doc(hidden)]
pub trait IntoFfi: Sized {
    /// The type UniFFI carries.
    type Ffi;
    /// The value as UniFFI carries it.
    fn into_ffi(self) -> Self::Ffi;
    /// The value as the core types it.
    fn from_ffi(value: Self::Ffi) -> Self;
}

/// The types UniFFI carries as the core has them.
trait AsIs {}
impl AsIs for String {}
impl AsIs for i64 {}
impl AsIs for Algorithm {}
impl AsIs for TokenKind {}

impl<T: AsIs> IntoFfi for T {
    type Ffi = T;
    fn into_ffi(self) -> T {
        self
    }
    fn from_ffi(value: T) -> T {
        value
    }
}

/// UniFFI has no sorted map: the traits cross as a map (sorted again on the way back).
impl IntoFfi for BTreeMap<String, Vec<String>> {
    type Ffi = HashMap<String, Vec<String>>;
    fn into_ffi(self) -> Self::Ffi {
        self.into_iter().collect()
    }
    fn from_ffi(value: Self::Ffi) -> Self {
        value.into_iter().collect()
    }
}

impl<T: IntoFfi> IntoFfi for Option<T> {
    type Ffi = Option<T::Ffi>;
    fn into_ffi(self) -> Self::Ffi {
        self.map(T::into_ffi)
    }
    fn from_ffi(value: Self::Ffi) -> Self {
        value.map(T::from_ffi)
    }
}

impl<T: IntoFfi> IntoFfi for Vec<T> {
    type Ffi = Vec<T::Ffi>;
    fn into_ffi(self) -> Self::Ffi {
        self.into_iter().map(T::into_ffi).collect()
    }
    fn from_ffi(value: Self::Ffi) -> Self {
        value.into_iter().map(T::from_ffi).collect()
    }
}
