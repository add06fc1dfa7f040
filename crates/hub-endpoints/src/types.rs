//! Wire types of the Inference Endpoints API (protocol §10): serde only, no behaviour.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
            /// A value this version does not know; kept verbatim.
            Unknown(String),
        }

        impl $name {
            /// The wire value.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $text,)*
                    $name::Unknown(s) => s,
                }
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                match s {
                    $($text => $name::$variant,)*
                    other => $name::Unknown(other.to_owned()),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Ok($name::from(s.as_str()))
            }
        }
    };
}

string_enum!(
    /// State of an Inference Endpoint.
    InferenceEndpointStatus {
        /// Created, waiting for resources.
        Pending => "pending",
        /// Starting.
        Initializing => "initializing",
        /// Applying an update.
        Updating => "updating",
        /// An update failed.
        UpdateFailed => "updateFailed",
        /// Serving requests.
        Running => "running",
        /// Paused by the user (needs `resume`).
        Paused => "paused",
        /// Deployment failed.
        Failed => "failed",
        /// Scaled to zero; restarts on the next request.
        ScaledToZero => "scaledToZero",
    }
);

string_enum!(
    /// Who may call an Inference Endpoint.
    InferenceEndpointType {
        /// Anyone.
        Public => "public",
        /// Anyone with a Hugging Face token of the namespace.
        Protected => "protected",
        /// Only through a private link.
        Private => "private",
    }
);

/// An endpoint as the API returns it (the fields the client needs; everything else stays in
/// [`InferenceEndpoint::raw`](crate::InferenceEndpoint::raw)).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct EndpointWire {
    pub(crate) name: String,
    #[serde(rename = "type")]
    pub(crate) kind: InferenceEndpointType,
    pub(crate) model: ModelWire,
    pub(crate) status: StatusWire,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct ModelWire {
    pub(crate) repository: String,
    #[serde(default)]
    pub(crate) framework: Option<String>,
    #[serde(default)]
    pub(crate) revision: Option<String>,
    #[serde(default)]
    pub(crate) task: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StatusWire {
    pub(crate) state: InferenceEndpointStatus,
    #[serde(default)]
    pub(crate) created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub(crate) updated_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub(crate) url: Option<String>,
    #[serde(default)]
    pub(crate) message: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ListWire {
    pub(crate) items: Vec<serde_json::Value>,
}

/// A custom container image (`model.image.custom`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomImage {
    /// Image URL, e.g. `ghcr.io/huggingface/text-generation-inference:1.1.0`.
    pub url: String,
    /// Route the platform probes for health, e.g. `/health`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health_route: Option<String>,
    /// Environment of the container.
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub env: BTreeMap<String, String>,
}
