//! Use-case tests on SQLite and PostgreSQL: authorization, validation, audit and the
//! bootstrap, domain, user, group and purge flows.

// Test bodies run through `backend_tests!` or helpers, so clippy sees them as non-test code.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::needless_pass_by_value
)]

use portico_app::clock::ManualClock;
use portico_app::dns::StaticResolver;
use portico_app::domains::Verification;
use portico_app::passwords::PasswordService;
use portico_app::{Actor, App, AppConfig, AppError, Context};
use portico_crypto::password::PasswordParams;
use portico_domain::audit::AuditResult;
use portico_domain::directory_object::{ObjectKind, ObjectRef};
use portico_domain::group::NewGroup;
use portico_domain::role::{DirectoryRole, RoleAssignment};
use portico_domain::tenant::Tenant;
use portico_domain::user::{NewUser, UserFilter};
use portico_domain::{CorrelationId, RoleAssignmentId};
use portico_store::Store;
use std::collections::HashMap;
use std::sync::Arc;

/// The master key the test apps share (base64 of 32 bytes).
const MASTER: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

const FAST: PasswordParams = PasswordParams {
    memory_kib: 8 * 1024,
    iterations: 1,
    parallelism: 1,
};

fn app(store: Arc<dyn Store>, txt: &[(&str, &str)]) -> (App, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(
        time::macros::datetime!(2026-06-01 12:00 UTC),
    ));
    let mut records: HashMap<String, Vec<String>> = HashMap::new();
    for (name, value) in txt {
        records
            .entry((*name).to_owned())
            .or_default()
            .push((*value).to_owned());
    }
    let app = App {
        store,
        clock: clock.clone(),
        passwords: PasswordService::new(FAST, 2),
        dns: Arc::new(StaticResolver(records)),
        federation: Arc::new(
            portico_federation::Federation::new(portico_federation::FederationSettings::default())
                .unwrap(),
        ),
        caches: Default::default(),
        mail_queued: Default::default(),
        keys: Arc::new(portico_app::keys::KeyRing::new(
            portico_crypto::master::MasterKey::from_base64(MASTER).unwrap(),
        )),
        config: AppConfig {
            tenant_domain_suffix: "onportico.test".into(),
            public_url: "http://127.0.0.1:8080".into(),
            mail_from: "invites@onportico.test".into(),
            log_redeem_links: false,
            google_issuer: "https://accounts.google.com".into(),
            federation_skip_dns_authorization: false,
        },
    };
    (app, clock)
}

fn operator() -> Context {
    Context::system("test operator")
}

async fn member(app: &App, tenant: &Tenant, alias: &str, role: Option<DirectoryRole>) -> Context {
    let user = app
        .create_user(
            &operator(),
            tenant.id,
            NewUser {
                display_name: alias.into(),
                user_principal_name: format!("{alias}@{}", tenant.initial_domain),
                ..NewUser::default()
            },
            Some("Passw0rd!long"),
            false,
        )
        .await
        .unwrap();
    if let Some(role) = role {
        let a = RoleAssignment {
            id: RoleAssignmentId::new(),
            role,
            principal: ObjectRef {
                kind: ObjectKind::User,
                id: user.id.0,
            },
            directory_scope_id: "/".into(),
            created_at: app.clock.now(),
        };
        app.store
            .assign_role(
                tenant.id,
                &a,
                &operator().audit(
                    app,
                    portico_domain::audit::AuditCategory::RoleManagement,
                    "Add member to role",
                    "Assign",
                ),
            )
            .await
            .unwrap();
    }
    Context {
        actor: Actor::User {
            tenant: tenant.id,
            id: user.id,
            user_principal_name: user.user_principal_name,
        },
        correlation_id: CorrelationId::new(),
    }
}

async fn bootstrap_creates_one_tenant_and_a_global_admin_once(store: Arc<dyn Store>) {
    let (app, _) = app(store, &[]);
    let weak = app.bootstrap("Contoso", Some("short")).await.unwrap_err();
    assert!(
        matches!(&weak, AppError::Validation(v) if v.field == "PORTICO_BOOTSTRAP_ADMIN_PASSWORD"),
        "{weak:?}"
    );
    assert!(
        app.list_tenants().await.unwrap().is_empty(),
        "a refused bootstrap writes nothing"
    );

    let done = app
        .bootstrap("Contoso Ltd", None)
        .await
        .unwrap()
        .expect("bootstraps");
    assert_eq!(
        done.tenant.initial_domain.as_str(),
        "contosoltd.onportico.test"
    );
    assert_eq!(done.admin_upn, "admin@contosoltd.onportico.test");
    let password = done.generated_password.expect("a generated password");
    assert!(password.len() >= 20);
    let admin = app
        .find_user(&operator(), done.tenant.id, &done.admin_upn)
        .await
        .unwrap();
    assert!(
        admin.force_change_password_next_sign_in,
        "the one-time password must be changed"
    );
    let hash = app
        .store
        .password_hash(done.tenant.id, admin.id)
        .await
        .unwrap()
        .unwrap();
    assert!(app.passwords.verify(&password, &hash).await.unwrap());
    assert!(!hash.contains(&password));
    assert_eq!(
        app.roles_of(done.tenant.id, admin.id).await.unwrap(),
        vec![DirectoryRole::GlobalAdministrator]
    );
    let audit = app
        .store
        .list_audit_events(done.tenant.id, 10, None)
        .await
        .unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.activity_display_name == "Add member to role")
    );

    assert!(
        app.bootstrap("Other", None).await.unwrap().is_none(),
        "only the first start bootstraps"
    );
    assert_eq!(app.list_tenants().await.unwrap().len(), 1);
}

async fn operator_supplied_password_is_not_forced_or_echoed(store: Arc<dyn Store>) {
    let (app, _) = app(store, &[]);
    let done = app
        .bootstrap("Default Directory", Some("Automation-Pass1"))
        .await
        .unwrap()
        .unwrap();
    assert!(done.generated_password.is_none());
    let admin = app
        .find_user(&operator(), done.tenant.id, &done.admin_upn)
        .await
        .unwrap();
    assert!(!admin.force_change_password_next_sign_in);
}

async fn tenants_get_unique_initial_domains(store: Arc<dyn Store>) {
    let (app, _) = app(store, &[]);
    let a = app.create_tenant(&operator(), "Fabrikam").await.unwrap();
    let b = app.create_tenant(&operator(), "Fabrikam!").await.unwrap();
    assert_eq!(a.initial_domain.as_str(), "fabrikam.onportico.test");
    assert_eq!(b.initial_domain.as_str(), "fabrikam2.onportico.test");
    assert_eq!(
        app.resolve_tenant("FABRIKAM2.onportico.test")
            .await
            .unwrap()
            .id,
        b.id
    );
    assert_eq!(
        app.resolve_tenant(&a.id.to_string()).await.unwrap().id,
        a.id
    );
    assert!(matches!(
        app.resolve_tenant("nobody.example").await,
        Err(AppError::NotFound("tenant"))
    ));
    assert!(matches!(
        app.create_tenant(&operator(), "   ").await,
        Err(AppError::Validation(_))
    ));
    let user = member(
        &app,
        &a,
        "someone",
        Some(DirectoryRole::GlobalAdministrator),
    )
    .await;
    assert!(
        matches!(
            app.create_tenant(&user, "Mine").await,
            Err(AppError::Forbidden(_))
        ),
        "only operators create tenants"
    );
}

async fn users_need_a_verified_domain_a_strong_password_and_a_role(store: Arc<dyn Store>) {
    let (app, _) = app(store, &[]);
    let t = app.create_tenant(&operator(), "Woodgrove").await.unwrap();
    let other = app.create_tenant(&operator(), "Tailspin").await.unwrap();
    let new = |upn: &str| NewUser {
        display_name: "New".into(),
        user_principal_name: upn.into(),
        ..NewUser::default()
    };
    let e = app
        .create_user(&operator(), t.id, new("a@unverified.example"), None, false)
        .await
        .unwrap_err();
    assert!(
        matches!(&e, AppError::Validation(v) if v.field == "userPrincipalName"),
        "{e:?}"
    );
    let e = app
        .create_user(
            &operator(),
            t.id,
            new("a@woodgrove.onportico.test"),
            Some("password"),
            false,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&e, AppError::Validation(v) if v.field == "password"),
        "{e:?}"
    );
    assert_eq!(
        app.store
            .count_users(t.id, &UserFilter::default())
            .await
            .unwrap(),
        0,
        "refusals create nothing"
    );

    let plain = member(&app, &t, "plain", None).await;
    let e = app
        .create_user(&plain, t.id, new("b@woodgrove.onportico.test"), None, false)
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::Forbidden(_)));
    let refusals = app.store.list_audit_events(t.id, 50, None).await.unwrap();
    assert!(
        refusals
            .iter()
            .any(|e| e.result == AuditResult::Failure && e.activity_display_name == "Add user"),
        "refusals are audited"
    );
    let admin = member(
        &app,
        &t,
        "useradmin",
        Some(DirectoryRole::UserAdministrator),
    )
    .await;
    app.create_user(&admin, t.id, new("b@woodgrove.onportico.test"), None, false)
        .await
        .unwrap();
    let e = app
        .create_user(
            &admin,
            other.id,
            new("c@tailspin.onportico.test"),
            None,
            false,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(e, AppError::NotFound("tenant")),
        "another tenant is invisible, not forbidden"
    );
    let e = app
        .create_user(&admin, t.id, new("B@woodgrove.onportico.test"), None, false)
        .await
        .unwrap_err();
    assert!(
        matches!(&e, AppError::Conflict { message } if message.contains("userPrincipalName")),
        "{e:?}"
    );
    assert_eq!(
        app.list_users(&admin, t.id, &UserFilter::default(), &Default::default())
            .await
            .unwrap()
            .items
            .len(),
        3
    );
}

async fn password_resets_follow_role_rules(store: Arc<dyn Store>) {
    let (app, _) = app(store, &[]);
    let t = app.create_tenant(&operator(), "Litware").await.unwrap();
    let helpdesk = member(
        &app,
        &t,
        "helpdesk",
        Some(DirectoryRole::HelpdeskAdministrator),
    )
    .await;
    let global = member(&app, &t, "global", Some(DirectoryRole::GlobalAdministrator)).await;
    let plain = member(&app, &t, "plain", None).await;
    let id = |c: &Context| match &c.actor {
        Actor::User { id, .. } => *id,
        Actor::System { .. } | Actor::App { .. } => unreachable!(),
    };
    app.set_password(&helpdesk, t.id, id(&plain), "New-Passw0rd", true)
        .await
        .unwrap();
    let u = app
        .find_user(&operator(), t.id, &id(&plain).to_string())
        .await
        .unwrap();
    assert!(u.force_change_password_next_sign_in);
    let e = app
        .set_password(&helpdesk, t.id, id(&global), "New-Passw0rd", false)
        .await
        .unwrap_err();
    assert!(
        matches!(e, AppError::Forbidden(_)),
        "helpdesk cannot reset a global administrator"
    );
    let e = app
        .set_password(&plain, t.id, id(&helpdesk), "New-Passw0rd", false)
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::Forbidden(_)));
    app.set_password(&global, t.id, id(&helpdesk), "Another-Passw0rd", false)
        .await
        .unwrap();
    assert!(
        matches!(
            app.delete_user(&global, t.id, id(&global)).await,
            Err(AppError::Conflict { .. })
        ),
        "no self-deletion"
    );
}

async fn domains_verify_by_dns_or_override(store: Arc<dyn Store>) {
    let (app, _) = app(store.clone(), &[]);
    let t = app.create_tenant(&operator(), "Northwind").await.unwrap();
    let added = app
        .add_domain(&operator(), t.id, "Northwind.example")
        .await
        .unwrap();
    assert!(!added.is_verified);
    let e = app
        .verify_domain(&operator(), t.id, "northwind.example", Verification::Dns)
        .await
        .unwrap_err();
    assert!(
        matches!(&e, AppError::Precondition(m) if m.contains(&added.expected_txt_record())),
        "{e:?}"
    );
    assert!(
        !app.list_domains(t.id)
            .await
            .unwrap()
            .iter()
            .any(|d| d.name.as_str() == "northwind.example" && d.is_verified)
    );

    // Same store, now with the record published.
    let txt = added.expected_txt_record();
    let (app, _) = self::app(
        store,
        &[
            ("northwind.example", "v=spf1 -all"),
            ("northwind.example", txt.as_str()),
        ],
    );
    let v = app
        .verify_domain(&operator(), t.id, "northwind.example", Verification::Dns)
        .await
        .unwrap();
    assert!(v.is_verified);
    app.create_user(
        &operator(),
        t.id,
        NewUser {
            display_name: "N".into(),
            user_principal_name: "n@northwind.example".into(),
            ..NewUser::default()
        },
        None,
        false,
    )
    .await
    .unwrap();
    app.add_domain(&operator(), t.id, "offline.example")
        .await
        .unwrap();
    let o = app
        .verify_domain(
            &operator(),
            t.id,
            "offline.example",
            Verification::AdminOverride,
        )
        .await
        .unwrap();
    assert_eq!(
        o.verification_method,
        Some(portico_domain::tenant::VerificationMethod::AdminOverride)
    );
    assert!(matches!(
        app.remove_domain(&operator(), t.id, t.initial_domain.as_str())
            .await,
        Err(AppError::Conflict { .. })
    ));
    app.set_default_domain(&operator(), t.id, "northwind.example")
        .await
        .unwrap();
    assert!(matches!(
        app.remove_domain(&operator(), t.id, "northwind.example")
            .await,
        Err(AppError::Conflict { .. })
    ));
    app.remove_domain(&operator(), t.id, "offline.example")
        .await
        .unwrap();
    assert!(matches!(
        app.add_domain(&operator(), t.id, "not a domain").await,
        Err(AppError::Validation(_))
    ));
}

async fn groups_prevent_cycles_and_let_owners_manage_members(store: Arc<dyn Store>) {
    let (app, _) = app(store, &[]);
    let t = app.create_tenant(&operator(), "Adatum").await.unwrap();
    let owner = member(&app, &t, "owner", None).await;
    let guest = member(&app, &t, "guest", None).await;
    let owner_id = match &owner.actor {
        Actor::User { id, .. } => *id,
        Actor::System { .. } | Actor::App { .. } => unreachable!(),
    };
    let guest_id = match &guest.actor {
        Actor::User { id, .. } => *id,
        Actor::System { .. } | Actor::App { .. } => unreachable!(),
    };
    let a = app
        .create_group(
            &operator(),
            t.id,
            NewGroup {
                display_name: "A".into(),
                ..NewGroup::default()
            },
            &[owner_id],
        )
        .await
        .unwrap();
    let b = app
        .create_group(
            &operator(),
            t.id,
            NewGroup {
                display_name: "B".into(),
                ..NewGroup::default()
            },
            &[],
        )
        .await
        .unwrap();
    let g = |id: portico_domain::GroupId| ObjectRef {
        kind: ObjectKind::Group,
        id: id.0,
    };
    app.add_group_member(
        &owner,
        t.id,
        a.id,
        ObjectRef {
            kind: ObjectKind::User,
            id: guest_id.0,
        },
    )
    .await
    .unwrap();
    assert!(
        matches!(
            app.add_group_member(&guest, t.id, a.id, g(b.id)).await,
            Err(AppError::Forbidden(_))
        ),
        "members are not owners"
    );
    app.add_group_member(&operator(), t.id, a.id, g(b.id))
        .await
        .unwrap();
    assert!(
        matches!(
            app.add_group_member(&operator(), t.id, b.id, g(a.id)).await,
            Err(AppError::Conflict { .. })
        ),
        "cycles are refused"
    );
    assert!(matches!(
        app.add_group_member(&operator(), t.id, a.id, g(a.id)).await,
        Err(AppError::Conflict { .. })
    ));
    assert_eq!(
        app.list_group_members(&owner, t.id, a.id)
            .await
            .unwrap()
            .len(),
        2
    );
    app.remove_group_member(&owner, t.id, a.id, guest_id.0)
        .await
        .unwrap();
    assert!(matches!(
        app.remove_group_member(&owner, t.id, a.id, guest_id.0)
            .await,
        Err(AppError::NotFound("member"))
    ));
}

async fn deleted_users_are_purged_after_thirty_days(store: Arc<dyn Store>) {
    let (app, clock) = app(store, &[]);
    let t = app.create_tenant(&operator(), "Proseware").await.unwrap();
    let u = member(&app, &t, "leaver", None).await;
    let id = match &u.actor {
        Actor::User { id, .. } => *id,
        Actor::System { .. } | Actor::App { .. } => unreachable!(),
    };
    app.delete_user(&operator(), t.id, id).await.unwrap();
    clock.advance(time::Duration::days(29));
    assert_eq!(app.purge_expired_deleted_users().await.unwrap(), 0);
    app.restore_user(&operator(), t.id, id).await.unwrap();
    app.delete_user(&operator(), t.id, id).await.unwrap();
    clock.advance(time::Duration::days(31));
    assert_eq!(app.purge_expired_deleted_users().await.unwrap(), 1);
    assert!(matches!(
        app.restore_user(&operator(), t.id, id).await,
        Err(AppError::NotFound(_))
    ));
}

async fn privileged_actions_need_privileged_actors(store: Arc<dyn Store>) {
    let (app, _) = app(store, &[]);
    let t = app.create_tenant(&operator(), "Contoso").await.unwrap();
    let global = member(&app, &t, "global", Some(DirectoryRole::GlobalAdministrator)).await;
    let useradmin = member(
        &app,
        &t,
        "useradmin",
        Some(DirectoryRole::UserAdministrator),
    )
    .await;
    let other_global = member(
        &app,
        &t,
        "global2",
        Some(DirectoryRole::GlobalAdministrator),
    )
    .await;
    let id = |c: &Context| match &c.actor {
        Actor::User { id, .. } => *id,
        Actor::System { .. } | Actor::App { .. } => unreachable!(),
    };

    // Claiming a domain without DNS proof is for operators only, even for a Global Administrator.
    app.add_domain(&global, t.id, "gmail.com").await.unwrap();
    let e = app
        .verify_domain(&global, t.id, "gmail.com", Verification::AdminOverride)
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::Forbidden(_)), "{e:?}");
    assert!(
        !app.list_domains(t.id)
            .await
            .unwrap()
            .iter()
            .any(|d| d.name.as_str() == "gmail.com" && d.is_verified)
    );

    // A User Administrator may not bring a deleted Global Administrator back.
    app.delete_user(&global, t.id, id(&other_global))
        .await
        .unwrap();
    let e = app
        .restore_user(&useradmin, t.id, id(&other_global))
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::Forbidden(_)), "{e:?}");
    app.restore_user(&global, t.id, id(&other_global))
        .await
        .unwrap();

    // A blocked administrator keeps the assignment but loses the power.
    let mut blocked = app
        .find_user(&operator(), t.id, &id(&useradmin).to_string())
        .await
        .unwrap();
    blocked.account_enabled = false;
    app.store
        .update_user(
            t.id,
            &blocked,
            &operator().audit(
                &app,
                portico_domain::audit::AuditCategory::UserManagement,
                "Update user",
                "Update",
            ),
        )
        .await
        .unwrap();
    let new = NewUser {
        display_name: "X".into(),
        user_principal_name: "x@contoso.onportico.test".into(),
        ..NewUser::default()
    };
    assert!(matches!(
        app.create_user(&useradmin, t.id, new, None, false).await,
        Err(AppError::Forbidden(_))
    ));

    // Lookups of things that cannot be UPNs never reach the database; bad search text is refused.
    assert!(matches!(
        app.find_user(&operator(), t.id, "nul\0byte@x.com").await,
        Err(AppError::NotFound(_))
    ));
    let bad = UserFilter {
        starts_with: Some("a\0".into()),
        ..UserFilter::default()
    };
    assert!(matches!(
        app.list_users(&operator(), t.id, &bad, &Default::default())
            .await,
        Err(AppError::Validation(_))
    ));
}

async fn signing_keys_are_created_rotated_and_shared(store: Arc<dyn Store>) {
    let (app, clock) = app(store.clone(), &[]);
    app.ensure_signing_key().await.unwrap();
    app.ensure_signing_key().await.unwrap();
    let keys = app.list_signing_keys().await.unwrap();
    assert_eq!(
        keys.len(),
        1,
        "ensure creates a key only when none can sign"
    );
    assert_eq!(keys[0].1, portico_app::keys::KeyState::Active);
    assert!(
        !keys[0].0.private_sealed.contains("MII"),
        "the private key is sealed, not stored as DER/PEM"
    );
    let first = app.signing_key().await.unwrap();
    let jwt = first.sign_jwt(&serde_json::json!({"sub": "x"})).unwrap();
    let jwks = app.jwks().await.unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 1);
    assert!(portico_crypto::jws::verify_rs256(&jwt, &jwks["keys"][0]).is_ok());

    let next = app
        .rotate_signing_key(time::Duration::hours(24), false)
        .await
        .unwrap();
    assert_eq!(
        app.signing_key().await.unwrap().kid(),
        first.kid(),
        "a new key is published before it signs"
    );
    let jwks = app.jwks().await.unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);

    // Another replica (same store, same master key, its own cache), a day later.
    let replica = App {
        keys: Arc::new(portico_app::keys::KeyRing::new(
            portico_crypto::master::MasterKey::from_base64(MASTER).unwrap(),
        )),
        ..app.clone()
    };
    clock.advance(time::Duration::hours(25));
    assert_eq!(
        replica.signing_key().await.unwrap().kid(),
        next,
        "the new key signs once active"
    );
    assert_eq!(
        replica.jwks().await.unwrap()["keys"]
            .as_array()
            .unwrap()
            .len(),
        2,
        "the old key stays published"
    );
    clock.advance(time::Duration::hours(24));
    let fresh = App {
        keys: Arc::new(portico_app::keys::KeyRing::new(
            portico_crypto::master::MasterKey::from_base64(MASTER).unwrap(),
        )),
        ..app.clone()
    };
    assert_eq!(
        fresh.jwks().await.unwrap()["keys"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "and leaves once its tokens expired"
    );

    // A compromised key is removed at once: the new key signs and is the only one published.
    let replacement = fresh
        .rotate_signing_key(time::Duration::ZERO, true)
        .await
        .unwrap();
    let jwks = fresh.jwks().await.unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 1);
    assert_eq!(jwks["keys"][0]["kid"], replacement.as_str());
    assert_eq!(fresh.signing_key().await.unwrap().kid(), replacement);

    // A row written straight into the database (no master key) is never published.
    let forged = portico_store::StoredKey {
        kid: "attacker".into(),
        alg: "RS256".into(),
        public_jwk: r#"{"kty":"RSA","kid":"attacker","n":"AQAB","e":"AQAB"}"#.into(),
        private_sealed: "v1.garbage".into(),
        created_at: fresh.clock.now(),
        activates_at: fresh.clock.now() + time::Duration::days(3650),
        retires_at: None,
        expires_at: None,
    };
    fresh.store.insert_signing_key(&forged).await.unwrap();
    let after = App {
        keys: Arc::new(portico_app::keys::KeyRing::new(
            portico_crypto::master::MasterKey::from_base64(MASTER).unwrap(),
        )),
        ..app.clone()
    };
    assert!(
        after.jwks().await.is_err(),
        "an unopenable key stops publication rather than being served"
    );

    // A replica with another master key cannot sign, and says why.
    let stranger = App {
        keys: Arc::new(portico_app::keys::KeyRing::new(
            portico_crypto::master::MasterKey::generate().unwrap().0,
        )),
        ..app.clone()
    };
    let e = stranger.signing_key().await.unwrap_err();
    assert!(e.to_string().contains("master key"), "{e}");
}

portico_store::backend_tests!(
    graph_permissions_and_privileged_targets_need_privileged_actors,
    signing_keys_are_created_rotated_and_shared,
    privileged_actions_need_privileged_actors,
    bootstrap_creates_one_tenant_and_a_global_admin_once,
    operator_supplied_password_is_not_forced_or_echoed,
    tenants_get_unique_initial_domains,
    users_need_a_verified_domain_a_strong_password_and_a_role,
    password_resets_follow_role_rules,
    domains_verify_by_dns_or_override,
    groups_prevent_cycles_and_let_owners_manage_members,
    deleted_users_are_purged_after_thirty_days,
);

/// Granting an application permission of Microsoft Graph to a service principal is role
/// management: an Application Administrator may assign its own apps' roles but not Graph's;
/// a Privileged Role Administrator may. Sponsors of a Global Administrator are out of a User
/// Administrator's reach.
async fn graph_permissions_and_privileged_targets_need_privileged_actors(store: Arc<dyn Store>) {
    let (app, _) = app(store, &[]);
    let t = app.create_tenant(&operator(), "Contoso").await.unwrap();
    let apps_admin = member(
        &app,
        &t,
        "appadmin",
        Some(DirectoryRole::ApplicationAdministrator),
    )
    .await;
    let pra = member(
        &app,
        &t,
        "pra",
        Some(DirectoryRole::PrivilegedRoleAdministrator),
    )
    .await;
    let created = app
        .create_application(
            &apps_admin,
            t.id,
            portico_domain::application::NewApplication {
                display_name: "Daemon".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let sp = app
        .create_service_principal(&apps_admin, t.id, created.app_id)
        .await
        .unwrap();
    let graph_sp = app.graph_service_principal(&t).await.unwrap();
    let directory_rw = portico_domain::well_known::microsoft_graph()
        .app_roles
        .iter()
        .find(|r| r.value.as_deref() == Some("Directory.ReadWrite.All"))
        .unwrap()
        .id;
    let principal = ObjectRef {
        kind: ObjectKind::ServicePrincipal,
        id: sp.id.0,
    };
    let refused = app
        .assign_app_role(&apps_admin, t.id, principal, graph_sp.id, directory_rw)
        .await
        .unwrap_err();
    assert!(matches!(refused, AppError::Forbidden(_)), "{refused:?}");
    assert!(
        app.store
            .app_role_assignments_of(t.id, sp.id.0, None)
            .await
            .unwrap()
            .is_empty()
    );
    app.assign_app_role(&pra, t.id, principal, graph_sp.id, directory_rw)
        .await
        .unwrap();

    let user_admin = member(
        &app,
        &t,
        "useradmin",
        Some(DirectoryRole::UserAdministrator),
    )
    .await;
    let ga = member(&app, &t, "ga", Some(DirectoryRole::GlobalAdministrator)).await;
    let plain = member(&app, &t, "plain", None).await;
    let id = |c: &Context| match &c.actor {
        Actor::User { id, .. } => *id,
        _ => unreachable!(),
    };
    let refused = app
        .add_sponsor(&user_admin, t.id, id(&ga), id(&plain).0)
        .await
        .unwrap_err();
    assert!(matches!(refused, AppError::Forbidden(_)), "{refused:?}");
    app.add_sponsor(&user_admin, t.id, id(&plain), id(&ga).0)
        .await
        .unwrap();
}
