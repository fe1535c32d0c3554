//! References to directory objects of any kind (group members and owners, role holders).

use uuid::Uuid;

/// The kind of a directory object, with Graph's `@odata.type` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ObjectKind {
    /// `#microsoft.graph.user`
    User,
    /// `#microsoft.graph.group`
    Group,
    /// `#microsoft.graph.servicePrincipal`
    ServicePrincipal,
}

impl ObjectKind {
    /// Stable storage name (also Graph's type name without the namespace).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Group => "group",
            Self::ServicePrincipal => "servicePrincipal",
        }
    }

    /// Parses the storage name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "user" => Some(Self::User),
            "group" => Some(Self::Group),
            "servicePrincipal" => Some(Self::ServicePrincipal),
            _ => None,
        }
    }
}

/// A typed reference to one directory object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectRef {
    /// What it is.
    pub kind: ObjectKind,
    /// Its object id.
    pub id: Uuid,
}
