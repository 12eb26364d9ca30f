//! The verified caller, as a plain record: every field of the core's
//! [`teleport_jwt::Identity`] (declared from the core's description of them,
//! `teleport_jwt::describe_identity_fields!`), the full claim set as JSON text.

use crate::convert::IntoFfi;
use crate::error::VerifyError;

/// Declares [`Identity`] from the core's description of its fields, with both conversions
/// (the claim set crosses as JSON text).
macro_rules! ffi_identity {
    ($( $(#[$doc:meta])* $field:ident: $ty:ty, )*) => {
        /// A verified Teleport identity. Every field comes from a token whose signature, issuer,
        /// audience and times have been checked.
        #[derive(Debug, Clone, PartialEq, uniffi::Record)]
        pub struct Identity {
            $( $(#[$doc])* pub $field: <$ty as IntoFfi>::Ffi, )*
            /// The whole verified claim set as a JSON object, for claims this record does not
            /// model.
            pub claims_json: String,
        }

        impl From<teleport_jwt::Identity> for Identity {
            fn from(id: teleport_jwt::Identity) -> Self {
                Identity {
                    claims_json: claims_json(&id.claims),
                    $( $field: id.$field.into_ffi(), )*
                }
            }
        }

        /// The core identity behind a binding identity (the claim set parsed back from its
        /// JSON), for calls that take an identity from Kotlin or Swift (policy questions,
        /// permission mappers).
        impl TryFrom<Identity> for teleport_jwt::Identity {
            type Error = VerifyError;

            fn try_from(id: Identity) -> Result<Self, VerifyError> {
                let claims = match serde_json::from_str::<serde_json::Value>(&id.claims_json) {
                    Ok(serde_json::Value::Object(m)) => m,
                    _ => {
                        return Err(VerifyError::InvalidClaim {
                            message: "Identity.claimsJson is not a JSON object".into(),
                        })
                    }
                };
                Ok(teleport_jwt::Identity {
                    $( $field: IntoFfi::from_ffi(id.$field), )*
                    claims: claims.into(),
                })
            }
        }
    };
}

teleport_jwt::describe_identity_fields!(ffi_identity);

/// The claim set as JSON text: the verified payload itself when the identity has one (valid
/// UTF-8, a strict JSON object: verification checked both), so no map is built or written;
/// else the map, serialized.
fn claims_json(claims: &teleport_jwt::Claims) -> String {
    match std::str::from_utf8(claims.payload_json()) {
        Ok(text) if !text.is_empty() => text.to_owned(),
        _ => serde_json::Value::Object(claims.as_map().clone()).to_string(),
    }
}

/// A verified identity as the verifier shares it (the record is built from a copy, since it
/// crosses the boundary by value anyway).
impl From<std::sync::Arc<teleport_jwt::Identity>> for Identity {
    fn from(id: std::sync::Arc<teleport_jwt::Identity>) -> Self {
        std::sync::Arc::unwrap_or_clone(id).into()
    }
}
