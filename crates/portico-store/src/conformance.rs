//! The store conformance suite: behaviour every backend must show, run against SQLite and
//! PostgreSQL by `tests/conformance.rs` (and usable by any future backend).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use crate::{Store, StoreError, StoredSecret, constraint};
use portico_domain::application::{
    NewApplication, PasswordCredential, RedirectUris, ServicePrincipal,
};
use portico_domain::audit::{AuditCategory, AuditEvent, Initiator};
use portico_domain::directory_object::{ObjectKind, ObjectRef};
use portico_domain::group::NewGroup;
use portico_domain::paging::PageRequest;
use portico_domain::role::{DirectoryRole, RoleAssignment};
use portico_domain::tenant::{Branding, Domain, Tenant, VerificationMethod};
use portico_domain::user::{
    CreationType, ExternalUserState, NewUser, ObjectIdentity, User, UserFilter, UserType,
};
use portico_domain::validate::DomainName;
use portico_domain::*;
use std::sync::Arc;
use time::OffsetDateTime;

pub fn now() -> OffsetDateTime {
    to_storage_precision(OffsetDateTime::now_utc())
}

pub fn audit(activity: &str) -> AuditEvent {
    AuditEvent::success(
        now(),
        AuditCategory::DirectoryManagement,
        activity,
        "Other",
        Initiator::System {
            name: "conformance".into(),
        },
        CorrelationId::new(),
    )
}

fn domain(name: &str, initial: bool) -> Domain {
    Domain {
        name: DomainName::parse("d", name).unwrap(),
        is_initial: initial,
        is_verified: initial,
        is_default: initial,
        verification_code: "code123".into(),
        verification_method: initial.then_some(VerificationMethod::Initial),
        created_at: now(),
        verified_at: initial.then(now),
    }
}

/// Creates a tenant `<label>.test` and returns it.
pub async fn tenant(store: &dyn Store, label: &str) -> Tenant {
    let t = Tenant {
        id: TenantId::new(),
        display_name: format!("Tenant {label}"),
        initial_domain: DomainName::parse("d", &format!("{label}.onportico.test")).unwrap(),
        branding: Branding::default(),
        default_language: "en-US".into(),
        created_at: now(),
    };
    store
        .create_tenant(
            &t,
            &domain(t.initial_domain.as_str(), true),
            &audit("Add tenant"),
        )
        .await
        .unwrap();
    t
}

pub fn new_user(upn: &str) -> User {
    NewUser {
        display_name: format!("User {upn}"),
        user_principal_name: upn.into(),
        ..NewUser::default()
    }
    .build(now())
    .unwrap()
}

fn email_identity(issuer: &str, id: &str) -> ObjectIdentity {
    ObjectIdentity {
        sign_in_type: "emailAddress".into(),
        issuer: issuer.into(),
        issuer_assigned_id: Some(id.into()),
    }
}

fn conflict_name(e: StoreError) -> String {
    match e {
        StoreError::Conflict { constraint } => constraint,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

fn user_ref(u: &User) -> ObjectRef {
    ObjectRef {
        kind: ObjectKind::User,
        id: u.id.0,
    }
}

pub async fn migrations_are_idempotent(store: Arc<dyn Store>) {
    let again = store.migrate().await.unwrap();
    assert!(again.is_current());
    assert_eq!(store.schema_status().await.unwrap(), again);
    store.ping().await.unwrap();
    let cols = store.describe_columns().await.unwrap();
    assert!(
        cols.iter()
            .any(|(t, c)| t == "users" && c == "user_principal_name")
    );
}

pub async fn bootstrap_happens_once(store: Arc<dyn Store>) {
    assert!(!store.is_bootstrapped().await.unwrap());
    let record = |label: &str| {
        let t = Tenant {
            id: TenantId::new(),
            display_name: "Default Directory".into(),
            initial_domain: DomainName::parse("d", &format!("{label}.onportico.test")).unwrap(),
            branding: Branding::default(),
            default_language: "en-US".into(),
            created_at: now(),
        };
        let admin = new_user(&format!("admin@{label}.onportico.test"));
        crate::BootstrapRecord {
            initial_domain: domain(t.initial_domain.as_str(), true),
            admin_role: RoleAssignment {
                id: RoleAssignmentId::new(),
                role: DirectoryRole::GlobalAdministrator,
                principal: user_ref(&admin),
                directory_scope_id: "/".into(),
                created_at: now(),
            },
            admin,
            admin_password_hash: "$argon2id$fake".into(),
            audit: vec![audit("Bootstrap")],
            tenant: t,
        }
    };
    let first = record("first");
    assert!(store.bootstrap(&first).await.unwrap());
    assert!(store.is_bootstrapped().await.unwrap());
    assert!(
        !store.bootstrap(&record("second")).await.unwrap(),
        "a second bootstrap must do nothing"
    );
    let tenants = store.list_tenants().await.unwrap();
    assert_eq!(tenants.len(), 1);
    let roles = store
        .list_role_assignments(first.tenant.id, Some(first.admin.id.0))
        .await
        .unwrap();
    assert_eq!(roles.len(), 1);
    assert_eq!(roles[0].role, DirectoryRole::GlobalAdministrator);
    assert_eq!(
        store
            .password_hash(first.tenant.id, first.admin.id)
            .await
            .unwrap()
            .as_deref(),
        Some("$argon2id$fake")
    );
}

pub async fn tenants_and_domains(store: Arc<dyn Store>) {
    let a = tenant(&*store, "alpha").await;
    let b = tenant(&*store, "beta").await;
    assert_eq!(store.get_tenant(a.id).await.unwrap(), a);
    assert!(matches!(
        store.get_tenant(TenantId::new()).await,
        Err(StoreError::NotFound("tenant"))
    ));
    assert_eq!(
        store
            .find_tenant_by_domain(&a.initial_domain)
            .await
            .unwrap()
            .id,
        a.id
    );

    let contoso = DomainName::parse("d", "contoso.com").unwrap();
    store
        .add_domain(a.id, &domain("contoso.com", false), &audit("Add domain"))
        .await
        .unwrap();
    assert!(
        matches!(
            store.find_tenant_by_domain(&contoso).await,
            Err(StoreError::NotFound(_))
        ),
        "unverified domains do not route"
    );
    assert_eq!(
        conflict_name(
            store
                .add_domain(a.id, &domain("contoso.com", false), &audit("x"))
                .await
                .unwrap_err()
        ),
        constraint::DOMAIN
    );
    // Another tenant may claim the same name, but only one can verify it.
    store
        .add_domain(b.id, &domain("contoso.com", false), &audit("Add domain"))
        .await
        .unwrap();
    let verified = store
        .verify_domain(
            a.id,
            &contoso,
            VerificationMethod::DnsTxt,
            now(),
            &audit("Verify domain"),
        )
        .await
        .unwrap();
    assert!(verified.is_verified);
    assert_eq!(
        verified.verification_method,
        Some(VerificationMethod::DnsTxt)
    );
    assert_eq!(
        store.find_tenant_by_domain(&contoso).await.unwrap().id,
        a.id
    );
    let e = store
        .verify_domain(
            b.id,
            &contoso,
            VerificationMethod::AdminOverride,
            now(),
            &audit("Verify domain"),
        )
        .await
        .unwrap_err();
    assert_eq!(conflict_name(e), constraint::DOMAIN_VERIFIED);
    assert!(
        !store.get_domain(b.id, &contoso).await.unwrap().is_verified,
        "the failed verification changed nothing"
    );

    store
        .set_default_domain(a.id, &contoso, &audit("Set default"))
        .await
        .unwrap();
    let domains = store.list_domains(a.id).await.unwrap();
    assert_eq!(domains.iter().filter(|d| d.is_default).count(), 1);
    assert!(domains.iter().any(|d| d.name == contoso && d.is_default));
    let unverified = DomainName::parse("d", "fabrikam.com").unwrap();
    store
        .add_domain(a.id, &domain("fabrikam.com", false), &audit("Add domain"))
        .await
        .unwrap();
    assert!(matches!(
        store
            .set_default_domain(a.id, &unverified, &audit("x"))
            .await,
        Err(StoreError::NotFound(_))
    ));

    store
        .remove_domain(b.id, &contoso, &audit("Remove domain"))
        .await
        .unwrap();
    assert!(matches!(
        store.get_domain(b.id, &contoso).await,
        Err(StoreError::NotFound("domain"))
    ));
    assert!(matches!(
        store.remove_domain(b.id, &contoso, &audit("x")).await,
        Err(StoreError::NotFound(_))
    ));

    let mut updated = a.clone();
    updated.display_name = "Alpha Corp".into();
    updated.branding = Branding {
        name: Some("Alpha".into()),
        logo_url: Some("https://cdn.alpha.test/logo.png".into()),
        accent_color: Some("#112233".into()),
        privacy_statement_url: Some("https://alpha.test/privacy".into()),
    };
    updated.default_language = "fr-FR".into();
    store
        .update_tenant(&updated, &audit("Update tenant"))
        .await
        .unwrap();
    assert_eq!(store.get_tenant(a.id).await.unwrap(), updated);
    assert_eq!(store.list_tenants().await.unwrap().len(), 2);
}

pub async fn users_round_trip_and_stay_unique(store: Arc<dyn Store>) {
    let t = tenant(&*store, "users").await;
    let other = tenant(&*store, "other").await;
    let mut u = NewUser {
        display_name: "Ann Lee".into(),
        user_principal_name: "ann_fabrikam.com#EXT#@users.onportico.test".into(),
        user_type: Some(UserType::Guest),
        account_enabled: Some(false),
        given_name: Some("Ann".into()),
        surname: Some("Lee".into()),
        mail: Some("ann@fabrikam.com".into()),
        other_mails: vec!["ann.lee@fabrikam.com".into()],
        creation_type: Some(CreationType::Invitation),
        external_user_state: Some(ExternalUserState::PendingAcceptance),
        identities: vec![email_identity("fabrikam.com", "ann@fabrikam.com")],
        company_name: Some("Fabrikam".into()),
        job_title: Some("Buyer".into()),
        preferred_language: Some("en-GB".into()),
        ..NewUser::default()
    }
    .build(now())
    .unwrap();
    store
        .create_user(t.id, &u, None, &audit("Add user"))
        .await
        .unwrap();
    let read = store.get_user(t.id, u.id).await.unwrap();
    assert_eq!(read, u, "every property round-trips");
    assert!(
        matches!(
            store.get_user(other.id, u.id).await,
            Err(StoreError::NotFound("user"))
        ),
        "tenants are isolated"
    );
    let by_mail = store
        .find_users_by_mail(t.id, "ANN@Fabrikam.com")
        .await
        .unwrap();
    assert_eq!(by_mail.len(), 1);
    assert_eq!(by_mail[0].id, u.id);
    assert!(
        store
            .find_users_by_mail(other.id, "ann@fabrikam.com")
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .find_user_by_upn(t.id, "ANN_FABRIKAM.COM#EXT#@USERS.ONPORTICO.TEST")
            .await
            .unwrap()
            .id,
        u.id
    );
    assert_eq!(
        store
            .find_user_by_identity(t.id, &email_identity("FABRIKAM.com", "Ann@Fabrikam.com"))
            .await
            .unwrap()
            .id,
        u.id
    );
    assert!(
        store
            .find_user_by_identity(
                other.id,
                &email_identity("fabrikam.com", "ann@fabrikam.com")
            )
            .await
            .is_err()
    );

    let mut dup_upn = new_user("ANN_fabrikam.com#EXT#@users.onportico.test");
    dup_upn.mail = None;
    assert_eq!(
        conflict_name(
            store
                .create_user(t.id, &dup_upn, None, &audit("Add user"))
                .await
                .unwrap_err()
        ),
        constraint::USER_UPN
    );
    let mut dup_identity = new_user("someone@users.onportico.test");
    dup_identity.identities = vec![email_identity("fabrikam.com", "ANN@fabrikam.com")];
    assert_eq!(
        conflict_name(
            store
                .create_user(t.id, &dup_identity, None, &audit("Add user"))
                .await
                .unwrap_err()
        ),
        constraint::USER_IDENTITY
    );
    assert!(
        matches!(
            store.get_user(t.id, dup_identity.id).await,
            Err(StoreError::NotFound(_))
        ),
        "a refused create leaves nothing behind"
    );
    // The same UPN and identity are fine in another tenant.
    let mut elsewhere = u.clone();
    elsewhere.id = UserId::new();
    store
        .create_user(other.id, &elsewhere, None, &audit("Add user"))
        .await
        .unwrap();

    u.display_name = "Ann Lee-Smith".into();
    u.account_enabled = true;
    u.external_user_state = Some(ExternalUserState::Accepted);
    u.external_user_state_change_date_time = Some(now());
    u.identities = vec![ObjectIdentity {
        sign_in_type: "federated".into(),
        issuer: "https://idp.fabrikam.com".into(),
        issuer_assigned_id: Some("Sub-1".into()),
    }];
    store
        .update_user(t.id, &u, &audit("Update user"))
        .await
        .unwrap();
    assert_eq!(store.get_user(t.id, u.id).await.unwrap(), u);
    assert!(
        store
            .find_user_by_identity(t.id, &email_identity("fabrikam.com", "ann@fabrikam.com"))
            .await
            .is_err(),
        "old identity released"
    );
    let fed = |sub: &str| ObjectIdentity {
        sign_in_type: "federated".into(),
        issuer: "https://idp.fabrikam.com".into(),
        issuer_assigned_id: Some(sub.into()),
    };
    assert_eq!(
        store
            .find_user_by_identity(t.id, &fed("Sub-1"))
            .await
            .unwrap()
            .id,
        u.id
    );
    assert!(
        store
            .find_user_by_identity(t.id, &fed("sub-1"))
            .await
            .is_err(),
        "federated subjects are case-sensitive"
    );
    let mut ghost = new_user("ghost@users.onportico.test");
    ghost.id = UserId::new();
    assert!(matches!(
        store.update_user(t.id, &ghost, &audit("x")).await,
        Err(StoreError::NotFound(_))
    ));
}

pub async fn users_list_with_paging_and_filters(store: Arc<dyn Store>) {
    let t = tenant(&*store, "list").await;
    let mut ids = Vec::new();
    for (i, name) in ["alice", "bob", "carol", "dave", "erin_x"]
        .iter()
        .enumerate()
    {
        let mut u = new_user(&format!("{name}@list.onportico.test"));
        if i % 2 == 1 {
            u.user_type = UserType::Guest;
        }
        store
            .create_user(t.id, &u, None, &audit("Add user"))
            .await
            .unwrap();
        ids.push(u.id);
    }
    let mut seen = Vec::new();
    let mut page = PageRequest {
        top: Some(2),
        after: None,
    };
    loop {
        let p = store
            .list_users(t.id, &UserFilter::default(), &page)
            .await
            .unwrap();
        assert!(p.items.len() <= 2);
        seen.extend(p.items.iter().map(|u| u.id));
        match p.next {
            Some(next) => page.after = Some(next),
            None => break,
        }
    }
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(seen, expected, "paging visits every user once, in id order");

    let guests = UserFilter {
        user_type: Some(UserType::Guest),
        ..UserFilter::default()
    };
    assert_eq!(store.count_users(t.id, &guests).await.unwrap(), 2);
    assert_eq!(
        store
            .list_users(t.id, &guests, &PageRequest::default())
            .await
            .unwrap()
            .items
            .len(),
        2
    );
    let prefix = UserFilter {
        starts_with: Some("CAR".into()),
        ..UserFilter::default()
    };
    assert_eq!(
        store
            .list_users(t.id, &prefix, &PageRequest::default())
            .await
            .unwrap()
            .items
            .len(),
        1
    );
    let wildcard = UserFilter {
        starts_with: Some("%".into()),
        ..UserFilter::default()
    };
    assert_eq!(
        store.count_users(t.id, &wildcard).await.unwrap(),
        0,
        "LIKE wildcards are literal"
    );
    let underscore = UserFilter {
        starts_with: Some("erin_".into()),
        ..UserFilter::default()
    };
    assert_eq!(store.count_users(t.id, &underscore).await.unwrap(), 1);
    let disabled = UserFilter {
        account_enabled: Some(false),
        ..UserFilter::default()
    };
    assert_eq!(store.count_users(t.id, &disabled).await.unwrap(), 0);
}

pub async fn passwords_soft_delete_restore_and_purge(store: Arc<dyn Store>) {
    let t = tenant(&*store, "life").await;
    let mut u = new_user("pat@life.onportico.test");
    u.identities = vec![email_identity(
        "life.onportico.test",
        "pat@life.onportico.test",
    )];
    store
        .create_user(t.id, &u, Some("$argon2id$v1"), &audit("Add user"))
        .await
        .unwrap();
    assert!(store.get_user(t.id, u.id).await.unwrap().has_password);
    let at = now();
    store
        .set_password(
            t.id,
            u.id,
            "$argon2id$v2",
            true,
            at,
            &audit("Reset password"),
        )
        .await
        .unwrap();
    assert_eq!(
        store.password_hash(t.id, u.id).await.unwrap().as_deref(),
        Some("$argon2id$v2")
    );
    let read = store.get_user(t.id, u.id).await.unwrap();
    assert!(read.force_change_password_next_sign_in);
    assert_eq!(read.last_password_change_date_time, Some(at));

    let deleted_at = now();
    store
        .soft_delete_user(t.id, u.id, deleted_at, &audit("Delete user"))
        .await
        .unwrap();
    assert!(matches!(
        store.get_user(t.id, u.id).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.password_hash(t.id, u.id).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.soft_delete_user(t.id, u.id, now(), &audit("x")).await,
        Err(StoreError::NotFound(_))
    ));
    let deleted = store.list_deleted_users(t.id).await.unwrap();
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0].deleted_date_time, Some(deleted_at));

    // While deleted, its UPN and identity are free; restoring then conflicts.
    let mut taker = new_user("PAT@life.onportico.test");
    taker.identities = u.identities.clone();
    store
        .create_user(t.id, &taker, None, &audit("Add user"))
        .await
        .unwrap();
    assert_eq!(
        conflict_name(
            store
                .restore_user(t.id, u.id, &audit("Restore user"))
                .await
                .unwrap_err()
        ),
        constraint::USER_UPN
    );
    assert_eq!(
        store.list_deleted_users(t.id).await.unwrap().len(),
        1,
        "the failed restore changed nothing"
    );
    store
        .soft_delete_user(t.id, taker.id, now(), &audit("Delete user"))
        .await
        .unwrap();
    store
        .purge_user(t.id, taker.id, &audit("Hard delete user"))
        .await
        .unwrap();
    let restored = store
        .restore_user(t.id, u.id, &audit("Restore user"))
        .await
        .unwrap();
    assert_eq!(restored.deleted_date_time, None);
    assert_eq!(
        store
            .find_user_by_identity(t.id, &u.identities[0])
            .await
            .unwrap()
            .id,
        u.id,
        "identities come back"
    );
    assert!(
        matches!(
            store.purge_user(t.id, u.id, &audit("x")).await,
            Err(StoreError::NotFound(_))
        ),
        "only deleted users can be purged"
    );

    // Expiry purge across tenants, with memberships.
    let g = NewGroup {
        display_name: "G".into(),
        ..NewGroup::default()
    }
    .build(now())
    .unwrap();
    store
        .create_group(t.id, &g, &[], &audit("Add group"))
        .await
        .unwrap();
    store
        .add_group_member(t.id, g.id, user_ref(&u), now(), &audit("Add member"))
        .await
        .unwrap();
    let old = now() - time::Duration::days(31);
    store
        .soft_delete_user(t.id, u.id, old, &audit("Delete user"))
        .await
        .unwrap();
    assert!(
        store
            .list_group_members(t.id, g.id)
            .await
            .unwrap()
            .is_empty(),
        "deleted users are hidden from members"
    );
    assert_eq!(
        store
            .purge_users_deleted_before(
                now() - time::Duration::days(30),
                &audit("Hard delete user")
            )
            .await
            .unwrap(),
        1
    );
    assert!(store.list_deleted_users(t.id).await.unwrap().is_empty());
    let purged = store.list_audit_events(t.id, 10, None).await.unwrap();
    assert!(
        purged
            .iter()
            .any(|e| e.activity_display_name == "Hard delete user"
                && e.target_resources
                    .first()
                    .is_some_and(|r| r.id == u.id.to_string())),
        "each purge is audited"
    );
    assert_eq!(
        store
            .purge_users_deleted_before(now(), &audit("Hard delete user"))
            .await
            .unwrap(),
        0
    );
}

pub async fn groups_members_owners_and_nesting(store: Arc<dyn Store>) {
    let t = tenant(&*store, "groups").await;
    let other = tenant(&*store, "groups2").await;
    let owner = new_user("owner@groups.onportico.test");
    let member = new_user("member@groups.onportico.test");
    let stranger = new_user("stranger@groups2.onportico.test");
    store
        .create_user(t.id, &owner, None, &audit("Add user"))
        .await
        .unwrap();
    store
        .create_user(t.id, &member, None, &audit("Add user"))
        .await
        .unwrap();
    store
        .create_user(other.id, &stranger, None, &audit("Add user"))
        .await
        .unwrap();

    let outer = NewGroup {
        display_name: "Outer".into(),
        description: Some("top".into()),
        ..NewGroup::default()
    }
    .build(now())
    .unwrap();
    let inner = NewGroup {
        display_name: "Inner".into(),
        ..NewGroup::default()
    }
    .build(now())
    .unwrap();
    store
        .create_group(t.id, &outer, &[user_ref(&owner)], &audit("Add group"))
        .await
        .unwrap();
    store
        .create_group(t.id, &inner, &[], &audit("Add group"))
        .await
        .unwrap();
    assert_eq!(store.get_group(t.id, outer.id).await.unwrap(), outer);
    assert!(matches!(
        store.get_group(other.id, outer.id).await,
        Err(StoreError::NotFound("group"))
    ));
    let bad_owner = store
        .create_group(
            t.id,
            &NewGroup {
                display_name: "X".into(),
                ..NewGroup::default()
            }
            .build(now())
            .unwrap(),
            &[user_ref(&stranger)],
            &audit("Add group"),
        )
        .await;
    assert!(
        matches!(bad_owner, Err(StoreError::NotFound("owner"))),
        "owners from another tenant do not exist here"
    );
    assert_eq!(
        store
            .list_groups(t.id, &PageRequest::default())
            .await
            .unwrap()
            .items
            .len(),
        2,
        "the refused group was not created"
    );

    let inner_ref = ObjectRef {
        kind: ObjectKind::Group,
        id: inner.id.0,
    };
    let outer_ref = ObjectRef {
        kind: ObjectKind::Group,
        id: outer.id.0,
    };
    store
        .add_group_member(t.id, outer.id, inner_ref, now(), &audit("Add member"))
        .await
        .unwrap();
    store
        .add_group_member(
            t.id,
            inner.id,
            user_ref(&member),
            now(),
            &audit("Add member"),
        )
        .await
        .unwrap();
    assert_eq!(
        conflict_name(
            store
                .add_group_member(t.id, inner.id, user_ref(&member), now(), &audit("x"))
                .await
                .unwrap_err()
        ),
        constraint::GROUP_MEMBER
    );
    assert!(matches!(
        store
            .add_group_member(t.id, inner.id, user_ref(&stranger), now(), &audit("x"))
            .await,
        Err(StoreError::NotFound("member"))
    ));
    assert!(matches!(
        store
            .add_group_member(other.id, inner.id, user_ref(&stranger), now(), &audit("x"))
            .await,
        Err(StoreError::NotFound("group"))
    ));
    // A cycle must not hang transitive queries.
    store
        .add_group_member(t.id, inner.id, outer_ref, now(), &audit("Add member"))
        .await
        .unwrap();

    let mut expected_groups = vec![inner.id, outer.id];
    expected_groups.sort();
    assert_eq!(
        store.transitive_member_of(t.id, member.id.0).await.unwrap(),
        expected_groups
    );
    assert_eq!(
        store.member_of(t.id, member.id.0).await.unwrap(),
        vec![inner.id]
    );
    let transitive = store.transitive_members(t.id, outer.id).await.unwrap();
    assert!(transitive.contains(&user_ref(&member)) && transitive.contains(&inner_ref));
    assert!(
        !transitive.contains(&outer_ref),
        "a group is not its own member"
    );
    assert_eq!(
        store.list_group_owners(t.id, outer.id).await.unwrap(),
        vec![user_ref(&owner)]
    );
    assert_eq!(
        conflict_name(
            store
                .add_group_owner(t.id, outer.id, user_ref(&owner), now(), &audit("x"))
                .await
                .unwrap_err()
        ),
        constraint::GROUP_OWNER
    );

    store
        .remove_group_member(t.id, inner.id, outer.id.0, &audit("Remove member"))
        .await
        .unwrap();
    assert!(matches!(
        store
            .remove_group_member(t.id, inner.id, outer.id.0, &audit("x"))
            .await,
        Err(StoreError::NotFound("member"))
    ));
    store
        .remove_group_owner(t.id, outer.id, owner.id.0, &audit("Remove owner"))
        .await
        .unwrap();
    assert!(
        store
            .list_group_owners(t.id, outer.id)
            .await
            .unwrap()
            .is_empty()
    );

    let mut renamed = inner.clone();
    renamed.display_name = "Inner renamed".into();
    store
        .update_group(t.id, &renamed, &audit("Update group"))
        .await
        .unwrap();
    assert_eq!(
        store.get_group(t.id, inner.id).await.unwrap().display_name,
        "Inner renamed"
    );
    store
        .delete_group(t.id, inner.id, &audit("Delete group"))
        .await
        .unwrap();
    assert!(
        store
            .list_group_members(t.id, outer.id)
            .await
            .unwrap()
            .is_empty(),
        "a deleted group leaves the groups it was in"
    );
    assert!(
        store
            .transitive_member_of(t.id, member.id.0)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn applications_secrets_and_service_principals(store: Arc<dyn Store>) {
    let t = tenant(&*store, "apps").await;
    let other = tenant(&*store, "apps2").await;
    let app = NewApplication {
        display_name: "Payroll".into(),
        redirect_uris: RedirectUris {
            web: vec!["https://payroll.test/cb".into()],
            ..RedirectUris::default()
        },
        identifier_uris: vec!["api://payroll".into()],
        ..NewApplication::default()
    }
    .build(now())
    .unwrap();
    store
        .create_application(t.id, &app, &audit("Add application"))
        .await
        .unwrap();
    assert_eq!(store.get_application(t.id, app.id).await.unwrap(), app);
    assert!(matches!(
        store.get_application(other.id, app.id).await,
        Err(StoreError::NotFound("application"))
    ));
    assert_eq!(store.application_home(app.app_id).await.unwrap(), t.id);
    assert!(matches!(
        store.application_home(AppId::new()).await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(
        store
            .find_application_by_app_id(t.id, app.app_id)
            .await
            .unwrap()
            .id,
        app.id
    );
    assert_eq!(
        store
            .find_application_by_identifier_uri(t.id, "api://payroll")
            .await
            .unwrap()
            .id,
        app.id
    );
    assert!(
        matches!(
            store
                .find_application_by_identifier_uri(t.id, "api://PAYROLL")
                .await,
            Err(StoreError::NotFound(_))
        ),
        "exact match"
    );
    assert!(matches!(
        store
            .find_application_by_identifier_uri(other.id, "api://payroll")
            .await,
        Err(StoreError::NotFound(_))
    ));
    let mut same_uri = NewApplication {
        display_name: "Copycat".into(),
        identifier_uris: vec!["api://payroll".into()],
        ..NewApplication::default()
    }
    .build(now())
    .unwrap();
    assert_eq!(
        conflict_name(
            store
                .create_application(t.id, &same_uri, &audit("x"))
                .await
                .unwrap_err()
        ),
        constraint::APPLICATION_IDENTIFIER_URI
    );
    assert!(
        store.get_application(t.id, same_uri.id).await.is_err(),
        "the refused registration left nothing"
    );
    same_uri.app_id = AppId::new();
    store
        .create_application(other.id, &same_uri, &audit("Add application"))
        .await
        .unwrap();
    let mut clash = app.clone();
    clash.id = ApplicationId::new();
    assert_eq!(
        conflict_name(
            store
                .create_application(other.id, &clash, &audit("x"))
                .await
                .unwrap_err()
        ),
        constraint::APPLICATION_APP_ID
    );

    let secret = StoredSecret {
        credential: PasswordCredential {
            key_id: KeyId::new(),
            display_name: Some("ci".into()),
            hint: "abc".into(),
            start_date_time: now(),
            end_date_time: now() + time::Duration::days(180),
        },
        secret_hash: "sha256:deadbeef".into(),
    };
    store
        .add_application_secret(t.id, app.id, &secret, &audit("Add secret"))
        .await
        .unwrap();
    assert!(matches!(
        store
            .add_application_secret(other.id, app.id, &secret, &audit("x"))
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(
        store.application_secrets(t.id, app.id).await.unwrap(),
        vec![secret.clone()]
    );
    let listed = store
        .list_applications(t.id, &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(listed.items.len(), 1);
    assert_eq!(
        listed.items[0].password_credentials,
        vec![secret.credential.clone()]
    );
    store
        .remove_application_secret(
            t.id,
            app.id,
            secret.credential.key_id,
            &audit("Remove secret"),
        )
        .await
        .unwrap();
    assert!(
        store
            .application_secrets(t.id, app.id)
            .await
            .unwrap()
            .is_empty()
    );

    let mut changed = app.clone();
    changed.display_name = "Payroll v2".into();
    changed.redirect_uris.spa = vec!["https://payroll.test/spa".into()];
    changed.identifier_uris = vec!["api://payroll-v2".into()];
    store
        .update_application(t.id, &changed, &audit("Update application"))
        .await
        .unwrap();
    assert_eq!(store.get_application(t.id, app.id).await.unwrap(), changed);
    assert!(
        store
            .find_application_by_identifier_uri(t.id, "api://payroll")
            .await
            .is_err(),
        "the old URI is released"
    );
    assert_eq!(
        store
            .find_application_by_identifier_uri(t.id, "api://payroll-v2")
            .await
            .unwrap()
            .id,
        app.id
    );

    let sp = ServicePrincipal {
        id: ServicePrincipalId::new(),
        app_id: app.app_id,
        display_name: app.display_name.clone(),
        account_enabled: true,
        app_role_assignment_required: false,
        service_principal_type: "Application".into(),
        app_owner_organization_id: t.id,
        created_date_time: now(),
    };
    store
        .create_service_principal(t.id, &sp, &audit("Add service principal"))
        .await
        .unwrap();
    assert_eq!(store.get_service_principal(t.id, sp.id).await.unwrap(), sp);
    assert_eq!(
        store
            .find_service_principal_by_app_id(t.id, app.app_id)
            .await
            .unwrap(),
        sp
    );
    let mut twin = sp.clone();
    twin.id = ServicePrincipalId::new();
    assert_eq!(
        conflict_name(
            store
                .create_service_principal(t.id, &twin, &audit("x"))
                .await
                .unwrap_err()
        ),
        constraint::SERVICE_PRINCIPAL_APP_ID
    );
    // Another tenant may instantiate the same (multi-tenant) app.
    store
        .create_service_principal(other.id, &twin, &audit("Add service principal"))
        .await
        .unwrap();
    assert_eq!(
        store
            .list_service_principals(t.id, &PageRequest::default())
            .await
            .unwrap()
            .items,
        vec![sp.clone()]
    );
    store
        .delete_service_principal(t.id, sp.id, &audit("Delete service principal"))
        .await
        .unwrap();
    assert!(store.get_service_principal(t.id, sp.id).await.is_err());
    store
        .delete_application(t.id, app.id, &audit("Delete application"))
        .await
        .unwrap();
    assert!(store.get_application(t.id, app.id).await.is_err());
}

pub async fn role_assignments(store: Arc<dyn Store>) {
    let t = tenant(&*store, "roles").await;
    let u = new_user("helpdesk@roles.onportico.test");
    store
        .create_user(t.id, &u, None, &audit("Add user"))
        .await
        .unwrap();
    let assignment = |role| RoleAssignment {
        id: RoleAssignmentId::new(),
        role,
        principal: user_ref(&u),
        directory_scope_id: "/".into(),
        created_at: now(),
    };
    let a = assignment(DirectoryRole::HelpdeskAdministrator);
    store
        .assign_role(t.id, &a, &audit("Add member to role"))
        .await
        .unwrap();
    assert_eq!(
        conflict_name(
            store
                .assign_role(
                    t.id,
                    &assignment(DirectoryRole::HelpdeskAdministrator),
                    &audit("x")
                )
                .await
                .unwrap_err()
        ),
        constraint::ROLE_ASSIGNMENT
    );
    store
        .assign_role(
            t.id,
            &assignment(DirectoryRole::GuestInviter),
            &audit("Add member to role"),
        )
        .await
        .unwrap();
    let mut nobody = assignment(DirectoryRole::GlobalAdministrator);
    nobody.principal.id = uuid::Uuid::new_v4();
    assert!(matches!(
        store.assign_role(t.id, &nobody, &audit("x")).await,
        Err(StoreError::NotFound("principal"))
    ));
    let mine = store
        .list_role_assignments(t.id, Some(u.id.0))
        .await
        .unwrap();
    assert_eq!(mine.len(), 2);
    assert_eq!(mine[0], a);
    store
        .remove_role_assignment(t.id, a.id, &audit("Remove member from role"))
        .await
        .unwrap();
    assert_eq!(
        store.list_role_assignments(t.id, None).await.unwrap().len(),
        1
    );
    assert!(matches!(
        store.remove_role_assignment(t.id, a.id, &audit("x")).await,
        Err(StoreError::NotFound(_))
    ));
}

pub async fn audit_is_written_with_the_change_and_only_then(store: Arc<dyn Store>) {
    let t = tenant(&*store, "audit").await;
    let count = |events: &Vec<AuditEvent>, name: &str| {
        events
            .iter()
            .filter(|e| e.activity_display_name == name)
            .count()
    };
    let u = new_user("x@audit.onportico.test");
    let mut ev = audit("Add user").target_user(u.id, &u.user_principal_name, &u.display_name);
    ev.category = AuditCategory::UserManagement;
    ev.initiated_by = Initiator::User {
        id: uuid::Uuid::new_v4(),
        user_principal_name: "admin@audit.onportico.test".into(),
    };
    ev = ev.modified("accountEnabled", None, Some("true".into()));
    store.create_user(t.id, &u, None, &ev).await.unwrap();
    let _ = store
        .create_user(t.id, &u, None, &audit("Add user"))
        .await
        .unwrap_err();
    let events = store.list_audit_events(t.id, 100, None).await.unwrap();
    assert_eq!(
        count(&events, "Add user"),
        1,
        "the refused create wrote no audit event"
    );
    let stored = events.iter().find(|e| e.id == ev.id).unwrap();
    assert_eq!(stored, &ev, "every audit field round-trips");

    for i in 0..5 {
        let mut e = audit(&format!("Event {i}"));
        e.activity_date_time = now() + time::Duration::seconds(i);
        store.record_audit(t.id, &e).await.unwrap();
    }
    let first = store.list_audit_events(t.id, 3, None).await.unwrap();
    assert_eq!(
        first
            .iter()
            .map(|e| e.activity_display_name.as_str())
            .collect::<Vec<_>>(),
        ["Event 4", "Event 3", "Event 2"]
    );
    let rest = store
        .list_audit_events(t.id, 100, Some(first[2].id))
        .await
        .unwrap();
    assert_eq!(
        rest.len(),
        4,
        "two events and the tenant/user creation remain"
    );
    assert_eq!(rest[0].activity_display_name, "Event 1");
    let other = tenant(&*store, "audit2").await;
    assert_eq!(
        store
            .list_audit_events(other.id, 100, None)
            .await
            .unwrap()
            .len(),
        1,
        "audit is per tenant"
    );
}

pub async fn timestamps_keep_microseconds_and_order(store: Arc<dyn Store>) {
    let t = tenant(&*store, "time").await;
    let base = to_storage_precision(time::macros::datetime!(2026-03-01 10:00:00.5 UTC));
    let mut ids = Vec::new();
    for (i, offset_us) in [0i64, 1, 999_999, 1_000_000].iter().enumerate() {
        let mut e = audit(&format!("t{i}"));
        e.activity_date_time = base + time::Duration::microseconds(*offset_us);
        store.record_audit(t.id, &e).await.unwrap();
        ids.push(e.activity_date_time);
    }
    let events = store.list_audit_events(t.id, 100, None).await.unwrap();
    let times: Vec<_> = events
        .iter()
        .filter(|e| e.activity_display_name.starts_with('t'))
        .map(|e| e.activity_date_time)
        .collect();
    let mut expected = ids.clone();
    expected.sort();
    expected.reverse();
    assert_eq!(
        times, expected,
        "ordering by time is exact to the microsecond"
    );
    let nonutc =
        to_storage_precision(OffsetDateTime::now_utc().to_offset(time::macros::offset!(+5:30)));
    let mut e = audit("offset");
    e.activity_date_time = nonutc;
    store.record_audit(t.id, &e).await.unwrap();
    let back = store
        .list_audit_events(t.id, 100, None)
        .await
        .unwrap()
        .into_iter()
        .find(|x| x.id == e.id)
        .unwrap();
    assert_eq!(
        back.activity_date_time, nonutc,
        "the instant survives whatever the offset"
    );
}

pub async fn signing_keys_rotate_and_expire(store: Arc<dyn Store>) {
    let t0 = now();
    let key = |kid: &str, activates: OffsetDateTime| crate::StoredKey {
        kid: kid.into(),
        alg: "RS256".into(),
        public_jwk: format!(r#"{{"kid":"{kid}"}}"#),
        private_sealed: "v1.sealed".into(),
        created_at: t0,
        activates_at: activates,
        retires_at: None,
        expires_at: None,
    };
    store.insert_signing_key(&key("k1", t0)).await.unwrap();
    assert_eq!(
        conflict_name(store.insert_signing_key(&key("k1", t0)).await.unwrap_err()),
        constraint::PRIMARY_KEY
    );
    let next = t0 + time::Duration::hours(1);
    let mut k2 = key("k2", next);
    k2.created_at = t0 + time::Duration::seconds(1);
    store.insert_signing_key(&k2).await.unwrap();
    let expires = next + time::Duration::hours(24);
    assert_eq!(
        store
            .retire_signing_keys("k2", next, expires)
            .await
            .unwrap(),
        1
    );
    let keys = store.list_signing_keys(t0).await.unwrap();
    assert_eq!(
        keys.iter().map(|k| k.kid.as_str()).collect::<Vec<_>>(),
        ["k1", "k2"]
    );
    assert_eq!(keys[0].retires_at, Some(next));
    assert_eq!(keys[0].expires_at, Some(expires));
    assert_eq!(keys[1], k2, "the new key is untouched and round-trips");
    assert_eq!(
        store
            .retire_signing_keys("k2", next, expires)
            .await
            .unwrap(),
        0,
        "retiring again changes nothing"
    );
    assert_eq!(store.list_signing_keys(t0).await.unwrap(), keys);
    let later = expires + time::Duration::seconds(1);
    assert_eq!(
        store.list_signing_keys(later).await.unwrap().len(),
        1,
        "expired keys leave the list"
    );
    assert_eq!(store.delete_expired_signing_keys(later).await.unwrap(), 1);
    assert_eq!(store.delete_expired_signing_keys(later).await.unwrap(), 0);
}

pub async fn app_role_assignments(store: Arc<dyn Store>) {
    let t = tenant(&*store, "approles").await;
    let other = tenant(&*store, "approles2").await;
    let sp = |name: &str| ServicePrincipal {
        id: ServicePrincipalId::new(),
        app_id: AppId::new(),
        display_name: name.into(),
        account_enabled: true,
        app_role_assignment_required: false,
        service_principal_type: "Application".into(),
        app_owner_organization_id: t.id,
        created_date_time: now(),
    };
    let (client, resource) = (sp("daemon"), sp("api"));
    store
        .create_service_principal(t.id, &client, &audit("Add service principal"))
        .await
        .unwrap();
    store
        .create_service_principal(t.id, &resource, &audit("Add service principal"))
        .await
        .unwrap();
    let role = uuid::Uuid::new_v4();
    let assignment = portico_domain::application::AppRoleAssignment {
        id: uuid::Uuid::new_v4(),
        principal: ObjectRef {
            kind: ObjectKind::ServicePrincipal,
            id: client.id.0,
        },
        resource_id: resource.id,
        app_role_id: role,
        created_date_time: now(),
    };
    store
        .assign_app_role(
            t.id,
            &assignment,
            &audit("Add app role assignment to service principal"),
        )
        .await
        .unwrap();
    let mut again = assignment.clone();
    again.id = uuid::Uuid::new_v4();
    assert_eq!(
        conflict_name(
            store
                .assign_app_role(t.id, &again, &audit("x"))
                .await
                .unwrap_err()
        ),
        constraint::APP_ROLE_ASSIGNMENT
    );
    let mut no_resource = again.clone();
    no_resource.resource_id = ServicePrincipalId::new();
    assert!(matches!(
        store.assign_app_role(t.id, &no_resource, &audit("x")).await,
        Err(StoreError::NotFound("resource"))
    ));
    assert!(
        matches!(
            store.assign_app_role(other.id, &again, &audit("x")).await,
            Err(StoreError::NotFound("principal"))
        ),
        "tenants are isolated"
    );
    assert_eq!(
        store
            .app_role_assignments_of(t.id, client.id.0, Some(resource.id))
            .await
            .unwrap(),
        vec![assignment.clone()]
    );
    assert_eq!(
        store
            .app_role_assignments_of(t.id, client.id.0, Some(client.id))
            .await
            .unwrap(),
        vec![]
    );
    assert_eq!(
        store.app_role_assigned_to(t.id, resource.id).await.unwrap(),
        vec![assignment.clone()]
    );
    assert!(
        store
            .app_role_assigned_to(other.id, resource.id)
            .await
            .unwrap()
            .is_empty()
    );
    // Deleting the client removes what it held.
    store
        .delete_service_principal(t.id, client.id, &audit("Remove service principal"))
        .await
        .unwrap();
    assert!(
        store
            .app_role_assigned_to(t.id, resource.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        store
            .remove_app_role_assignment(t.id, assignment.id, &audit("x"))
            .await,
        Err(StoreError::NotFound(_))
    ));
}
