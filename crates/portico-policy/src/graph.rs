//! Who may call which Graph operation: the one decision point for the `/v1.0` API. An app
//! acts with the application permissions (app roles of Microsoft Graph) granted to it; a user
//! acts with the delegated scopes the app holds, and never beyond what the user may do
//! (guests get Entra's restricted default view).

/// A Graph operation, by what it touches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphAction {
    /// `GET /me`.
    ReadOwnProfile,
    /// Read users other than oneself.
    ReadUsers,
    /// `GET /organization`.
    ReadOrganization,
}

/// The caller, as far as the decision needs it.
#[derive(Debug, Clone, Copy)]
pub enum GraphCaller<'a> {
    /// App-only token: Graph app roles granted to the client.
    App {
        /// Role values (`User.Read.All`, ...).
        roles: &'a [String],
    },
    /// Delegated token: the app's scopes for a signed-in user.
    User {
        /// Scope values (`User.Read`, ...).
        scopes: &'a [String],
        /// The user is a member (not a guest) of the tenant.
        member: bool,
    },
}

/// The committed table: for each action, the app roles and the delegated scopes that allow it,
/// and whether guests are allowed with those scopes.
const TABLE: &[(GraphAction, &[&str], &[&str], bool)] = &[
    (
        GraphAction::ReadOwnProfile,
        &[],
        &[
            "User.Read",
            "User.ReadWrite",
            "User.Read.All",
            "User.ReadWrite.All",
            "Directory.Read.All",
            "Directory.AccessAsUser.All",
        ],
        true,
    ),
    (
        GraphAction::ReadUsers,
        &[
            "User.Read.All",
            "User.ReadWrite.All",
            "Directory.Read.All",
            "Directory.ReadWrite.All",
        ],
        &[
            "User.Read.All",
            "User.ReadWrite.All",
            "Directory.Read.All",
            "Directory.AccessAsUser.All",
        ],
        false,
    ),
    (
        GraphAction::ReadOrganization,
        &["Directory.Read.All", "Directory.ReadWrite.All"],
        &[
            "User.Read",
            "User.Read.All",
            "Directory.Read.All",
            "Directory.AccessAsUser.All",
        ],
        true,
    ),
];

/// Whether `caller` may perform `action`.
#[must_use]
pub fn graph_allows(caller: GraphCaller<'_>, action: GraphAction) -> bool {
    let Some((_, roles, scopes, guests)) = TABLE.iter().find(|(a, ..)| *a == action) else {
        return false;
    };
    match caller {
        GraphCaller::App { roles: held } => held.iter().any(|r| roles.contains(&r.as_str())),
        GraphCaller::User {
            scopes: held,
            member,
        } => (member || *guests) && held.iter().any(|s| scopes.contains(&s.as_str())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn every_action_has_a_row() {
        for a in [
            GraphAction::ReadOwnProfile,
            GraphAction::ReadUsers,
            GraphAction::ReadOrganization,
        ] {
            assert!(TABLE.iter().any(|(x, ..)| *x == a), "{a:?}");
        }
    }

    #[test]
    fn apps_need_application_permissions() {
        let none = v(&[]);
        let read = v(&["User.Read.All"]);
        assert!(!graph_allows(
            GraphCaller::App { roles: &none },
            GraphAction::ReadUsers
        ));
        assert!(graph_allows(
            GraphCaller::App { roles: &read },
            GraphAction::ReadUsers
        ));
        assert!(
            !graph_allows(
                GraphCaller::App { roles: &read },
                GraphAction::ReadOwnProfile
            ),
            "no 'me' for apps"
        );
        assert!(!graph_allows(
            GraphCaller::App { roles: &read },
            GraphAction::ReadOrganization
        ));
        assert!(graph_allows(
            GraphCaller::App {
                roles: &v(&["Directory.Read.All"])
            },
            GraphAction::ReadOrganization
        ));
    }

    #[test]
    fn users_need_scopes_and_guests_see_less() {
        let basic = v(&["User.Read", "openid"]);
        let all = v(&["User.Read.All"]);
        let member = |scopes| GraphCaller::User {
            scopes,
            member: true,
        };
        let guest = |scopes| GraphCaller::User {
            scopes,
            member: false,
        };
        assert!(graph_allows(member(&basic), GraphAction::ReadOwnProfile));
        assert!(graph_allows(guest(&basic), GraphAction::ReadOwnProfile));
        assert!(!graph_allows(member(&basic), GraphAction::ReadUsers));
        assert!(graph_allows(member(&all), GraphAction::ReadUsers));
        assert!(
            !graph_allows(guest(&all), GraphAction::ReadUsers),
            "guests do not enumerate the directory"
        );
        assert!(graph_allows(guest(&basic), GraphAction::ReadOrganization));
        assert!(!graph_allows(
            member(&v(&["openid"])),
            GraphAction::ReadOwnProfile
        ));
    }
}
