//! Conformance: sessions, lockout counters, the sign-in log, codes, refresh tokens and consent.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use crate::conformance::{audit, new_user, now, tenant};
use crate::{Redemption, Store, StoreError};
use portico_domain::application::ServicePrincipal;
use portico_domain::grant::{AuthorizationGrant, ConsentType, PermissionGrant};
use portico_domain::signin::{Session, SignInEvent, SignInStatus};
use portico_domain::*;
use std::sync::Arc;
use time::Duration;

fn session(user: UserId) -> Session {
    let t = now();
    Session {
        id: SessionId::new(),
        user_id: user,
        auth_time: t,
        auth_methods: vec!["pwd".into()],
        created_at: t,
        last_seen_at: t,
        expires_at: t + Duration::hours(12),
        revoked_at: None,
        client_ip: Some("127.0.0.1".into()),
        user_agent: Some("test".into()),
        upstream: Some(portico_domain::signin::UpstreamAuth {
            issuer: "https://idp.partner.test".into(),
            amr: vec!["pwd".into(), "mfa".into()],
            acr: None,
        }),
    }
}

fn grant(user: UserId, session: Option<SessionId>) -> AuthorizationGrant {
    AuthorizationGrant {
        client_app_id: AppId::new(),
        user_id: user,
        session_id: session,
        resource_app_id: AppId::new(),
        resource_scopes: vec!["User.Read".into()],
        oidc_scopes: vec!["openid".into(), "offline_access".into()],
        redirect_uri: Some("https://app.test/cb".into()),
        code_challenge: Some("abc".into()),
        nonce: Some("n".into()),
        auth_time: now().unix_timestamp(),
        amr: vec!["pwd".into()],
    }
}

pub async fn sessions_are_found_by_hash_and_revoked(store: Arc<dyn Store>) {
    let t = tenant(&*store, "sess").await;
    let other = tenant(&*store, "sess2").await;
    let u = new_user("alice@sess.onportico.test");
    store
        .create_user(t.id, &u, None, &audit("Add user"))
        .await
        .unwrap();
    let s = session(u.id);
    store.create_session(t.id, &s, "hash-1").await.unwrap();
    assert_eq!(store.find_session(t.id, "hash-1").await.unwrap(), s);
    assert_eq!(store.get_session(t.id, s.id).await.unwrap(), s);
    assert!(matches!(
        store.find_session(other.id, "hash-1").await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.find_session(t.id, "hash-2").await,
        Err(StoreError::NotFound(_))
    ));
    // A code started by the session: signing out revokes its family.
    let family = TokenFamilyId::new();
    let g = grant(u.id, Some(s.id));
    store
        .insert_authorization_code(
            t.id,
            "code-s",
            family,
            &g,
            now(),
            now() + Duration::minutes(5),
        )
        .await
        .unwrap();
    store.revoke_session(t.id, s.id, now()).await.unwrap();
    store.revoke_session(t.id, s.id, now()).await.unwrap();
    let read = store.find_session(t.id, "hash-1").await.unwrap();
    assert!(!read.is_active(now()));
    assert_eq!(
        store
            .redeem_authorization_code(t.id, "code-s", now())
            .await
            .unwrap(),
        Redemption::Revoked
    );
    let s2 = session(u.id);
    store.create_session(t.id, &s2, "hash-3").await.unwrap();
    assert_eq!(
        store.revoke_user_sessions(t.id, u.id, now()).await.unwrap(),
        1
    );
    assert!(
        store
            .find_session(t.id, "hash-3")
            .await
            .unwrap()
            .revoked_at
            .is_some()
    );
}

pub async fn codes_redeem_once_and_replay_revokes_the_family(store: Arc<dyn Store>) {
    let t = tenant(&*store, "codes").await;
    let other = tenant(&*store, "codes2").await;
    let u = UserId::new();
    let g = grant(u, None);
    let family = TokenFamilyId::new();
    let later = now() + Duration::minutes(5);
    store
        .insert_authorization_code(t.id, "c1", family, &g, now(), later)
        .await
        .unwrap();
    for _ in 0..2 {
        assert_eq!(
            store
                .peek_authorization_code(t.id, "c1", now())
                .await
                .unwrap(),
            Redemption::Redeemed {
                family,
                grant: Box::new(g.clone())
            },
            "peeking spends nothing"
        );
    }
    assert_eq!(
        store
            .redeem_authorization_code(other.id, "c1", now())
            .await
            .unwrap(),
        Redemption::Unknown
    );
    assert_eq!(
        store
            .redeem_authorization_code(t.id, "c1", now())
            .await
            .unwrap(),
        Redemption::Redeemed {
            family,
            grant: Box::new(g.clone())
        }
    );
    store
        .insert_refresh_token(t.id, "r1", family, &g, now(), later)
        .await
        .unwrap();
    // Replaying the code revokes the family, and with it the refresh token.
    assert_eq!(
        store
            .redeem_authorization_code(t.id, "c1", now())
            .await
            .unwrap(),
        Redemption::Replayed
    );
    assert_eq!(
        store.redeem_refresh_token(t.id, "r1", now()).await.unwrap(),
        Redemption::Revoked
    );
    assert!(matches!(
        store
            .insert_refresh_token(t.id, "r2", family, &g, now(), later)
            .await,
        Err(StoreError::NotFound(_))
    ));
    // Expired codes are refused.
    let f2 = TokenFamilyId::new();
    store
        .insert_authorization_code(t.id, "c2", f2, &g, now(), now())
        .await
        .unwrap();
    assert_eq!(
        store
            .redeem_authorization_code(t.id, "c2", now())
            .await
            .unwrap(),
        Redemption::Expired
    );
}

pub async fn refresh_tokens_rotate_and_replay_revokes_the_family(store: Arc<dyn Store>) {
    let t = tenant(&*store, "rt").await;
    let g = grant(UserId::new(), None);
    let family = TokenFamilyId::new();
    let later = now() + Duration::days(1);
    store
        .insert_authorization_code(t.id, "c", family, &g, now(), later)
        .await
        .unwrap();
    store
        .insert_refresh_token(t.id, "r1", family, &g, now(), later)
        .await
        .unwrap();
    assert_eq!(
        store.redeem_refresh_token(t.id, "r1", now()).await.unwrap(),
        Redemption::Redeemed {
            family,
            grant: Box::new(g.clone())
        }
    );
    store
        .insert_refresh_token(t.id, "r2", family, &g, now(), later)
        .await
        .unwrap();
    assert_eq!(
        store.peek_refresh_token(t.id, "r1", now()).await.unwrap(),
        Redemption::Replayed,
        "peeking at a used token reports it without revoking"
    );
    assert!(matches!(
        store.peek_refresh_token(t.id, "r2", now()).await.unwrap(),
        Redemption::Redeemed { .. }
    ));
    assert_eq!(
        store.redeem_refresh_token(t.id, "r1", now()).await.unwrap(),
        Redemption::Replayed
    );
    assert_eq!(
        store.redeem_refresh_token(t.id, "r2", now()).await.unwrap(),
        Redemption::Revoked
    );
    assert_eq!(
        store
            .redeem_refresh_token(t.id, "nope", now())
            .await
            .unwrap(),
        Redemption::Unknown
    );
    let n = store
        .purge_sign_in_state(now() + Duration::days(2), now() + Duration::days(2), now())
        .await
        .unwrap();
    assert!(n >= 3, "purged {n}");
}

pub async fn lockout_counters_count_lock_and_reset(store: Arc<dyn Store>) {
    let t = tenant(&*store, "lock").await;
    let key = "u:1|ip:127.0.0.1".to_string();
    let start = now();
    for i in 1..=3 {
        let c = store
            .count_failure(t.id, &key, start, start - Duration::minutes(15))
            .await
            .unwrap();
        assert_eq!(c.failures, i);
    }
    store.uncount_failure(t.id, &key).await.unwrap();
    let c = store
        .count_failure(t.id, &key, start, start - Duration::minutes(15))
        .await
        .unwrap();
    assert_eq!(c.failures, 3, "one was taken back");
    // A window that started before the cutoff restarts at 1.
    let c = store
        .count_failure(
            t.id,
            &key,
            start + Duration::hours(1),
            start + Duration::minutes(1),
        )
        .await
        .unwrap();
    assert_eq!(c.failures, 1);
    let until = start + Duration::minutes(1);
    store.lock_throttle(t.id, &key, until).await.unwrap();
    let got = store
        .throttles(t.id, &[key.clone(), "absent".into()])
        .await
        .unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].1.locked_until, Some(until));
    assert_eq!(got[0].1.lockouts, 1);
    assert_eq!(got[0].1.failures, 0);
    store.reset_throttle(t.id, &key, start).await.unwrap();
    let got = store
        .throttles(t.id, std::slice::from_ref(&key))
        .await
        .unwrap();
    assert_eq!(got[0].1.locked_until, None);
    assert_eq!(got[0].1.failures, 0);
}

pub async fn sign_in_log_and_permission_grants(store: Arc<dyn Store>) {
    let t = tenant(&*store, "log").await;
    let u = UserId::new();
    for code in [50126, 0] {
        let e = SignInEvent {
            id: SignInId::new(),
            created_date_time: now(),
            user_id: Some(u),
            user_principal_name: Some("a@log.test".into()),
            user_display_name: None,
            app_id: Some(AppId::new()),
            app_display_name: Some("App".into()),
            ip_address: Some("127.0.0.1".into()),
            user_agent: Some("ua".into()),
            client_app_used: "Browser".into(),
            correlation_id: CorrelationId::new(),
            is_interactive: true,
            status: SignInStatus {
                error_code: code,
                failure_reason: None,
                additional_details: None,
            },
        };
        store.insert_sign_in(t.id, &e).await.unwrap();
    }
    let log = store.list_sign_ins(t.id, Some(u), 10).await.unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].status.error_code, 0, "newest first");
    assert!(
        store
            .list_sign_ins(t.id, Some(UserId::new()), 10)
            .await
            .unwrap()
            .is_empty()
    );

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
    let (client, resource) = (sp("web"), sp("api"));
    for s in [&client, &resource] {
        store
            .create_service_principal(t.id, s, &audit("Add service principal"))
            .await
            .unwrap();
    }
    let mut g = PermissionGrant {
        id: PermissionGrantId::new(),
        client_id: client.id,
        consent_type: ConsentType::Principal(u),
        resource_id: resource.id,
        scope: "User.Read".into(),
        created_at: now(),
    };
    let first = store
        .put_permission_grant(t.id, &g, &audit("Consent to application"))
        .await
        .unwrap();
    g.id = PermissionGrantId::new();
    g.scope = "User.Read openid".into();
    let second = store
        .put_permission_grant(t.id, &g, &audit("Consent to application"))
        .await
        .unwrap();
    assert_eq!(
        second.id, first.id,
        "the same principal's grant is updated in place"
    );
    assert_eq!(second.scope, "User.Read openid");
    // the Graph path inserts only: a second grant for the same triple is a conflict, and the
    // first one is untouched
    let mut again = g.clone();
    again.id = PermissionGrantId::new();
    again.scope = "Directory.ReadWrite.All".into();
    let err = store
        .insert_permission_grant(t.id, &again, &audit("Add delegated permission grant"))
        .await
        .unwrap_err();
    assert!(
        err.is_conflict_on(crate::constraint::PERMISSION_GRANT),
        "{err:?}"
    );
    assert_eq!(
        store
            .get_permission_grant(t.id, first.id)
            .await
            .unwrap()
            .scope,
        "User.Read openid"
    );
    let admin = PermissionGrant {
        id: PermissionGrantId::new(),
        consent_type: ConsentType::AllPrincipals,
        scope: "Mail.Read".into(),
        ..g.clone()
    };
    store
        .put_permission_grant(t.id, &admin, &audit("Consent to application"))
        .await
        .unwrap();
    assert_eq!(
        store
            .permission_grants(t.id, client.id, resource.id, Some(u))
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        store
            .permission_grants(t.id, client.id, resource.id, None)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        store
            .permission_grants(t.id, client.id, resource.id, Some(UserId::new()))
            .await
            .unwrap()
            .len(),
        1
    );
}

pub async fn key_credentials_and_assertion_ids(store: Arc<dyn Store>) {
    use crate::StoredKeyCredential;
    use portico_domain::application::{KeyCredential, NewApplication};
    let t = tenant(&*store, "keys").await;
    let other = tenant(&*store, "keys2").await;
    let app = NewApplication {
        display_name: "Daemon".into(),
        ..NewApplication::default()
    }
    .build(now())
    .unwrap();
    store
        .create_application(t.id, &app, &audit("Add application"))
        .await
        .unwrap();
    let key = StoredKeyCredential {
        credential: KeyCredential {
            key_id: KeyId::new(),
            display_name: Some("ci".into()),
            custom_key_identifier: "thumb".into(),
            start_date_time: now(),
            end_date_time: now() + Duration::days(365),
        },
        certificate: vec![0x30, 0x82, 0x01, 0x00, 0xff],
    };
    store
        .add_key_credential(t.id, app.id, &key, &audit("Update application"))
        .await
        .unwrap();
    let err = store
        .add_key_credential(
            t.id,
            app.id,
            &StoredKeyCredential {
                credential: KeyCredential {
                    key_id: KeyId::new(),
                    ..key.credential.clone()
                },
                ..key.clone()
            },
            &audit("Update application"),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict { ref constraint } if constraint == crate::constraint::KEY_CREDENTIAL_THUMBPRINT),
        "{err:?}"
    );
    assert_eq!(
        store
            .key_credentials_by_app_id(t.id, app.app_id)
            .await
            .unwrap(),
        vec![key.clone()]
    );
    assert!(
        store
            .key_credentials_by_app_id(other.id, app.app_id)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        store
            .add_key_credential(other.id, app.id, &key, &audit("Update application"))
            .await,
        Err(StoreError::NotFound(_))
    ));
    store
        .remove_key_credential(
            t.id,
            app.id,
            key.credential.key_id,
            &audit("Update application"),
        )
        .await
        .unwrap();
    assert!(
        store
            .key_credentials_by_app_id(t.id, app.app_id)
            .await
            .unwrap()
            .is_empty()
    );
    let later = now() + Duration::minutes(10);
    assert!(
        store
            .remember_assertion(t.id, "jti-1", later)
            .await
            .unwrap()
    );
    assert!(
        !store
            .remember_assertion(t.id, "jti-1", later)
            .await
            .unwrap(),
        "a replay"
    );
    assert!(
        store
            .remember_assertion(other.id, "jti-1", later)
            .await
            .unwrap(),
        "per tenant"
    );
}
