//! Which properties of each directory resource `$filter`, `$orderby` and `$search` may use, and
//! with which operators: Graph's documented support ("Supports $filter (eq, ne, not, in,
//! startsWith)" on each property of the v1.0 reference), restricted to what Portico stores.

/// The value type of a filterable property.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// Text, compared case-insensitively.
    Text,
    /// Boolean.
    Bool,
    /// An object id.
    Guid,
    /// A date-time.
    DateTime,
    /// Text with a fixed set of values.
    Enum(&'static [&'static str]),
    /// A collection of strings (`otherMails`, `identifierUris`, ...), filtered with `any()`.
    TextList,
    /// `identities`, filtered with `any()` on issuer and issuerAssignedId.
    Identities,
    /// A collection of objects of the named Graph type (`targetResources`), filtered with
    /// `any()` on one of the listed properties (each with its own operators).
    Objects(&'static str, &'static [Field]),
}

impl FieldType {
    /// A short description for error messages.
    #[must_use]
    pub fn describe(self) -> &'static str {
        match self {
            Self::Text => "a string in quotes",
            Self::Bool => "true or false",
            Self::Guid => "a GUID",
            Self::DateTime => "a date-time like 2026-01-31T00:00:00Z",
            Self::Enum(_) => "one of its values in quotes",
            Self::TextList | Self::Identities | Self::Objects(..) => "a collection: use any()",
        }
    }
}

/// A set of operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ops(u8);

impl Ops {
    /// `eq` (and `eq null` on nullable properties).
    pub const EQ: Self = Self(1);
    /// `ne`.
    pub const NE: Self = Self(2);
    /// `in`.
    pub const IN: Self = Self(4);
    /// `startswith`.
    pub const STARTS: Self = Self(8);
    /// `endswith`.
    pub const ENDS: Self = Self(16);
    /// `lt`, `le`, `gt`, `ge`.
    pub const RANGE: Self = Self(32);

    /// The union of sets.
    #[must_use]
    pub const fn with(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// Whether every operator of `other` is in the set.
    #[must_use]
    pub const fn has(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }
}

const EQ_NE_IN: Ops = Ops::EQ.with(Ops::NE).with(Ops::IN);
const TEXT: Ops = EQ_NE_IN.with(Ops::STARTS);
const TEXT_ENDS: Ops = TEXT.with(Ops::ENDS);
const BOOL: Ops = Ops::EQ.with(Ops::NE);
const TIME: Ops = EQ_NE_IN.with(Ops::RANGE);
const ID: Ops = Ops::EQ.with(Ops::IN);
const ANY_EQ: Ops = Ops::EQ;
const ANY_TEXT: Ops = Ops::EQ.with(Ops::STARTS);

/// One filterable property.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// Graph's property name.
    pub name: &'static str,
    /// Its type.
    pub ty: FieldType,
    /// Allowed operators.
    pub ops: Ops,
    /// May be null (`eq null` allowed).
    pub nullable: bool,
}

const fn f(name: &'static str, ty: FieldType, ops: Ops, nullable: bool) -> Field {
    Field {
        name,
        ty,
        ops,
        nullable,
    }
}

/// A resource's query support.
#[derive(Debug)]
pub struct Resource {
    /// Graph type name without the namespace (`user`).
    pub type_name: &'static str,
    /// Filterable properties.
    pub fields: &'static [Field],
    /// Every property of the type (to tell "unsupported" from "no such property").
    pub properties: &'static [&'static str],
    /// `$orderby` properties.
    pub order_by: &'static [&'static str],
    /// `$search` properties.
    pub search: &'static [&'static str],
}

impl Resource {
    /// Whether the type has the property at all (case-insensitive).
    #[must_use]
    pub fn is_property(&self, name: &str) -> bool {
        let head = name.split('/').next().unwrap_or(name);
        self.properties.iter().any(|p| p.eq_ignore_ascii_case(head))
    }
}

/// `userType` values.
pub const USER_TYPES: &[&str] = &["Member", "Guest"];
/// `creationType` values.
pub const CREATION_TYPES: &[&str] = &[
    "Invitation",
    "SelfServiceSignUp",
    "LocalAccount",
    "EmailVerified",
];
/// `externalUserState` values.
pub const EXTERNAL_USER_STATES: &[&str] = &["PendingAcceptance", "Accepted"];

/// `microsoft.graph.user`.
pub static USERS: Resource = Resource {
    type_name: "user",
    fields: &[
        f("id", FieldType::Guid, ID, false),
        f("displayName", FieldType::Text, TEXT, false),
        f("givenName", FieldType::Text, TEXT, true),
        f("surname", FieldType::Text, TEXT, true),
        f("mail", FieldType::Text, TEXT_ENDS, true),
        f("mailNickname", FieldType::Text, TEXT, true),
        f("userPrincipalName", FieldType::Text, TEXT_ENDS, false),
        f("jobTitle", FieldType::Text, TEXT, true),
        f("companyName", FieldType::Text, TEXT, true),
        f("preferredLanguage", FieldType::Text, Ops::EQ, true),
        f("accountEnabled", FieldType::Bool, BOOL, false),
        f("userType", FieldType::Enum(USER_TYPES), EQ_NE_IN, false),
        f(
            "creationType",
            FieldType::Enum(CREATION_TYPES),
            EQ_NE_IN,
            true,
        ),
        f(
            "externalUserState",
            FieldType::Enum(EXTERNAL_USER_STATES),
            EQ_NE_IN,
            true,
        ),
        f("createdDateTime", FieldType::DateTime, TIME, false),
        f("otherMails", FieldType::TextList, ANY_TEXT, false),
        f("identities", FieldType::Identities, ANY_EQ, false),
    ],
    properties: &[
        "id",
        "displayName",
        "givenName",
        "surname",
        "mail",
        "mailNickname",
        "userPrincipalName",
        "jobTitle",
        "companyName",
        "preferredLanguage",
        "accountEnabled",
        "userType",
        "creationType",
        "externalUserState",
        "externalUserStateChangeDateTime",
        "createdDateTime",
        "otherMails",
        "identities",
        "businessPhones",
        "mobilePhone",
        "officeLocation",
        "proxyAddresses",
        "department",
        "employeeId",
        "lastPasswordChangeDateTime",
        "passwordProfile",
        "signInActivity",
    ],
    order_by: &["displayName", "userPrincipalName"],
    search: &[
        "displayName",
        "mail",
        "userPrincipalName",
        "givenName",
        "surname",
    ],
};

/// `microsoft.graph.group`.
pub static GROUPS: Resource = Resource {
    type_name: "group",
    fields: &[
        f("id", FieldType::Guid, ID, false),
        f("displayName", FieldType::Text, TEXT, false),
        f("description", FieldType::Text, TEXT, true),
        f("mailNickname", FieldType::Text, TEXT, false),
        f("securityEnabled", FieldType::Bool, BOOL, false),
        f("mailEnabled", FieldType::Bool, BOOL, false),
        f("createdDateTime", FieldType::DateTime, TIME, false),
    ],
    properties: &[
        "id",
        "displayName",
        "description",
        "mailNickname",
        "securityEnabled",
        "mailEnabled",
        "createdDateTime",
        "groupTypes",
        "mail",
        "proxyAddresses",
        "visibility",
    ],
    order_by: &["displayName"],
    search: &["displayName", "description", "mailNickname"],
};

/// `microsoft.graph.application`.
pub static APPLICATIONS: Resource = Resource {
    type_name: "application",
    fields: &[
        f("id", FieldType::Guid, ID, false),
        f("appId", FieldType::Guid, ID, false),
        f("displayName", FieldType::Text, TEXT, false),
        f(
            "signInAudience",
            FieldType::Enum(&crate::application::SIGN_IN_AUDIENCES),
            EQ_NE_IN,
            false,
        ),
        f("identifierUris", FieldType::TextList, ANY_TEXT, false),
        f("createdDateTime", FieldType::DateTime, TIME, false),
    ],
    properties: &[
        "id",
        "appId",
        "displayName",
        "signInAudience",
        "identifierUris",
        "createdDateTime",
        "deletedDateTime",
        "web",
        "spa",
        "publicClient",
        "appRoles",
        "api",
        "requiredResourceAccess",
        "passwordCredentials",
        "keyCredentials",
        "publisherDomain",
        "description",
        "notes",
        "tags",
    ],
    order_by: &["displayName"],
    search: &["displayName"],
};

/// `microsoft.graph.servicePrincipal`.
pub static SERVICE_PRINCIPALS: Resource = Resource {
    type_name: "servicePrincipal",
    fields: &[
        f("id", FieldType::Guid, ID, false),
        f("appId", FieldType::Guid, ID, false),
        f("displayName", FieldType::Text, TEXT, false),
        f("accountEnabled", FieldType::Bool, BOOL, false),
        f("appRoleAssignmentRequired", FieldType::Bool, BOOL, false),
        f(
            "servicePrincipalType",
            FieldType::Enum(&["Application", "ManagedIdentity", "Legacy", "SocialIdp"]),
            EQ_NE_IN,
            false,
        ),
        f("appOwnerOrganizationId", FieldType::Guid, ID, false),
    ],
    properties: &[
        "id",
        "appId",
        "displayName",
        "appDisplayName",
        "accountEnabled",
        "appRoleAssignmentRequired",
        "servicePrincipalType",
        "appOwnerOrganizationId",
        "servicePrincipalNames",
        "signInAudience",
        "appRoles",
        "oauth2PermissionScopes",
        "replyUrls",
        "tags",
        "passwordCredentials",
        "keyCredentials",
    ],
    order_by: &["displayName"],
    search: &["displayName"],
};

/// `microsoft.graph.oAuth2PermissionGrant`.
pub static PERMISSION_GRANTS: Resource = Resource {
    type_name: "oAuth2PermissionGrant",
    fields: &[
        f("id", FieldType::Guid, ID, false),
        f("clientId", FieldType::Guid, ID, false),
        f("resourceId", FieldType::Guid, ID, false),
        f("principalId", FieldType::Guid, ID, false),
        f(
            "consentType",
            FieldType::Enum(&["AllPrincipals", "Principal"]),
            Ops::EQ,
            false,
        ),
    ],
    properties: &[
        "id",
        "clientId",
        "resourceId",
        "principalId",
        "consentType",
        "scope",
    ],
    order_by: &[],
    search: &[],
};

/// `operationResult` values (`directoryAudit.result`).
pub const OPERATION_RESULTS: &[&str] = &["success", "failure", "timeout", "unknownFutureValue"];

/// What `targetResources/any()` may test on a `targetResource`.
const TARGET_RESOURCE: &[Field] = &[
    f("id", FieldType::Text, Ops::EQ, false),
    f("displayName", FieldType::Text, ANY_TEXT, false),
    f("userPrincipalName", FieldType::Text, ANY_TEXT, false),
];

/// `microsoft.graph.directoryAudit` (`auditLogs/directoryAudits`): Graph's documented filters
/// (`eq`, `ge`, `le`, `startswith`; `gt` and `lt` too) on what Portico records. The initiator's
/// display name is not recorded for users, so `initiatedBy/user/displayName` is refused.
pub static DIRECTORY_AUDITS: Resource = Resource {
    type_name: "directoryAudit",
    fields: &[
        f("id", FieldType::Guid, Ops::EQ, false),
        f("activityDisplayName", FieldType::Text, ANY_TEXT, false),
        f(
            "activityDateTime",
            FieldType::DateTime,
            Ops::EQ.with(Ops::RANGE),
            false,
        ),
        f("category", FieldType::Text, Ops::EQ, false),
        f("result", FieldType::Enum(OPERATION_RESULTS), Ops::EQ, false),
        f("correlationId", FieldType::Guid, Ops::EQ, false),
        f("loggedByService", FieldType::Text, Ops::EQ, false),
        f("operationType", FieldType::Text, Ops::EQ, false),
        f("initiatedBy/user/id", FieldType::Guid, Ops::EQ, false),
        f(
            "initiatedBy/user/userPrincipalName",
            FieldType::Text,
            ANY_TEXT,
            false,
        ),
        f("initiatedBy/app/appId", FieldType::Guid, Ops::EQ, false),
        f(
            "initiatedBy/app/servicePrincipalId",
            FieldType::Guid,
            Ops::EQ,
            false,
        ),
        f(
            "initiatedBy/app/displayName",
            FieldType::Text,
            Ops::EQ,
            false,
        ),
        f(
            "targetResources",
            FieldType::Objects("targetResource", TARGET_RESOURCE),
            ANY_TEXT,
            false,
        ),
    ],
    properties: &[
        "id",
        "category",
        "correlationId",
        "result",
        "resultReason",
        "activityDisplayName",
        "activityDateTime",
        "loggedByService",
        "operationType",
        "initiatedBy",
        "targetResources",
        "additionalDetails",
    ],
    order_by: &["activityDateTime"],
    search: &[],
};
