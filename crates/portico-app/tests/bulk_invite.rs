//! Bulk invitations on SQLite and PostgreSQL: the run is bracketed by "started" and
//! "finished" audit events that share the caller's correlation id with the invitations made
//! in between, carry the row counts, and need the right to invite guests.

// Test bodies run through `backend_tests!`, so clippy sees them as non-test code.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::needless_pass_by_value
)]

use portico_app::bulk_invite::{BulkInviteOutcome, FINISHED, MAX_ROWS, STARTED};
use portico_app::clock::ManualClock;
use portico_app::dns::StaticResolver;
use portico_app::passwords::PasswordService;
use portico_app::{Actor, App, AppConfig, AppError, Context};
use portico_crypto::password::PasswordParams;
use portico_domain::CorrelationId;
use portico_domain::audit::{AuditEvent, AuditResult};
use portico_domain::invitation::NewInvitation;
use portico_domain::user::NewUser;
use portico_store::Store;
use std::sync::Arc;

fn app(store: Arc<dyn Store>) -> App {
    App {
        store,
        clock: Arc::new(ManualClock::new(
            time::macros::datetime!(2026-06-01 12:00 UTC),
        )),
        passwords: PasswordService::new(
            PasswordParams {
                memory_kib: 8 * 1024,
                iterations: 1,
                parallelism: 1,
            },
            2,
        ),
        dns: Arc::new(StaticResolver::default()),
        federation: Arc::new(
            portico_federation::Federation::new(portico_federation::FederationSettings::default())
                .unwrap(),
        ),
        caches: Default::default(),
        mail_queued: Default::default(),
        keys: Arc::new(portico_app::keys::KeyRing::new(
            portico_crypto::master::MasterKey::from_base64(
                "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
            )
            .unwrap(),
        )),
        config: AppConfig {
            tenant_domain_suffix: "onportico.test".into(),
            public_url: "http://127.0.0.1:8080".into(),
            mail_from: "invites@onportico.test".into(),
            log_redeem_links: false,
            google_issuer: "https://accounts.google.com".into(),
            federation_skip_dns_authorization: false,
        },
    }
}

fn invitation(email: &str) -> NewInvitation {
    NewInvitation {
        invited_user_email_address: email.into(),
        invite_redirect_url: "https://myapps.example/".into(),
        ..NewInvitation::default()
    }
}

fn one<'a>(events: &'a [AuditEvent], activity: &str) -> &'a AuditEvent {
    let found: Vec<_> = events
        .iter()
        .filter(|e| e.activity_display_name == activity)
        .collect();
    assert_eq!(found.len(), 1, "{activity}: {found:?}");
    found[0]
}

fn property<'a>(e: &'a AuditEvent, name: &str) -> Option<&'a str> {
    e.target_resources[0]
        .modified_properties
        .iter()
        .find(|p| p.display_name == name)
        .and_then(|p| p.new_value.as_deref())
}

async fn bulk_invitations_are_bracketed_in_the_audit_log(store: Arc<dyn Store>) {
    let app = app(store);
    let operator = Context::system("portico invite --csv");
    let t = app.create_tenant(&operator, "Contoso").await.unwrap();

    let bulk = app
        .start_bulk_invite(&operator, t.id, "guests.csv", 2)
        .await
        .unwrap();
    assert_eq!(bulk.rows, 2);
    app.invite(&operator, t.id, invitation("alice@fabrikam.example"))
        .await
        .unwrap();
    let bad = app
        .invite(&operator, t.id, invitation("not-an-address"))
        .await
        .unwrap_err();
    assert!(matches!(bad, AppError::Validation(_)), "{bad:?}");
    app.finish_bulk_invite(
        &operator,
        t.id,
        &bulk,
        BulkInviteOutcome {
            invited: 1,
            failed: 1,
            stopped: None,
        },
    )
    .await
    .unwrap();

    let events = app.store.list_audit_events(t.id, 100, None).await.unwrap();
    let started = one(&events, STARTED);
    let finished = one(&events, FINISHED);
    for e in [started, finished] {
        assert_eq!(e.correlation_id, operator.correlation_id);
        assert_eq!(e.target_resources[0].id, bulk.id.to_string());
        assert_eq!(
            e.target_resources[0].display_name.as_deref(),
            Some("guests.csv")
        );
    }
    assert_eq!(property(started, "Rows"), Some("2"));
    assert_eq!(finished.result, AuditResult::Success);
    assert_eq!(
        finished.result_reason.as_deref(),
        Some("invited 1, failed 1 of 2 rows")
    );
    assert_eq!(property(finished, "Invited"), Some("1"));
    assert_eq!(property(finished, "Failed"), Some("1"));
    assert_eq!(
        one(&events, "Invite external user").correlation_id,
        operator.correlation_id,
        "the rows' invitations belong to the bulk operation"
    );

    // A run cut short is recorded as a failure, with why.
    let run = Context::system("portico invite --csv");
    let bulk = app
        .start_bulk_invite(&run, t.id, "more.csv", 3)
        .await
        .unwrap();
    app.finish_bulk_invite(
        &run,
        t.id,
        &bulk,
        BulkInviteOutcome {
            invited: 1,
            failed: 0,
            stopped: Some("disk full"),
        },
    )
    .await
    .unwrap();
    let events = app.store.list_audit_events(t.id, 100, None).await.unwrap();
    let cut = events
        .iter()
        .find(|e| e.activity_display_name == FINISHED && e.correlation_id == run.correlation_id)
        .unwrap();
    assert_eq!(cut.result, AuditResult::Failure);
    assert_eq!(
        cut.result_reason.as_deref(),
        Some("stopped: disk full; invited 1, failed 0 of 3 rows")
    );

    // Row counts are bounded, and only those who may invite guests start a bulk invitation.
    for rows in [0, MAX_ROWS + 1] {
        let e = app
            .start_bulk_invite(&operator, t.id, "x.csv", rows)
            .await
            .unwrap_err();
        assert!(matches!(e, AppError::Validation(_)), "{e:?}");
    }
    let plain = app
        .create_user(
            &operator,
            t.id,
            NewUser {
                display_name: "Pat".into(),
                user_principal_name: format!("pat@{}", t.initial_domain),
                ..NewUser::default()
            },
            None,
            false,
        )
        .await
        .unwrap();
    let pat = Context {
        actor: Actor::User {
            tenant: t.id,
            id: plain.id,
            user_principal_name: plain.user_principal_name.clone(),
        },
        correlation_id: CorrelationId::new(),
    };
    let e = app
        .start_bulk_invite(&pat, t.id, "x.csv", 1)
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::Forbidden(_)), "{e:?}");
    let events = app.store.list_audit_events(t.id, 100, None).await.unwrap();
    let refused = events
        .iter()
        .find(|e| e.correlation_id == pat.correlation_id)
        .expect("the refusal is audited");
    assert_eq!(refused.activity_display_name, STARTED);
    assert_eq!(refused.result, AuditResult::Failure);
}

portico_store::backend_tests!(bulk_invitations_are_bracketed_in_the_audit_log);
