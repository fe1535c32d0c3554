//! Conformance: the outbox (claims with leases, retries, results, purge) and one-time
//! passcodes (single use, superseded by newer codes, bounded wrong tries).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use crate::Store;
use crate::conformance::{audit, new_user, now, tenant};
use portico_domain::invitation::{Invitation, NewInvitation, guest_user};
use portico_domain::mail::{MailKind, OutboxMail};
use portico_domain::odata::ListQuery;
use portico_domain::otp::{OTP_LIFETIME, OTP_MAX_FAILURES, OtpCode, OtpPurpose};
use portico_domain::tenant::{Domain, VerificationMethod};
use portico_domain::validate::DomainName;
use std::sync::Arc;
use time::Duration;

pub async fn outbox_claims_lease_retry_and_deliver_once(store: Arc<dyn Store>) {
    let t = tenant(store.as_ref(), "outbox").await;
    let other = tenant(store.as_ref(), "outbox2").await;
    let start = now();
    let a = OutboxMail::new(MailKind::Invitation, "sealed-a".into(), start);
    let b = OutboxMail::new(
        MailKind::Passcode,
        "sealed-b".into(),
        start + Duration::seconds(1),
    );
    store.enqueue_mail(t.id, &a).await.unwrap();
    store.enqueue_mail(other.id, &b).await.unwrap();
    assert_eq!(store.outbox_counts().await.unwrap().pending, 2);

    // not due yet: nothing claimed
    let early = store
        .claim_mail(
            start - Duration::seconds(1),
            start + Duration::minutes(1),
            10,
        )
        .await
        .unwrap();
    assert!(early.is_empty());
    // one claim takes both (every tenant), oldest first, counting an attempt
    let at = start + Duration::seconds(2);
    let claimed = store
        .claim_mail(at, at + Duration::minutes(1), 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 2);
    assert_eq!(claimed[0].1.id, a.id);
    assert_eq!(claimed[0].0, t.id);
    assert_eq!(claimed[0].1.attempts, 1);
    assert_eq!(claimed[0].1.sealed, "sealed-a");
    assert_eq!(claimed[1].1.kind, MailKind::Passcode);
    // leased: another worker gets nothing until the lease runs out
    assert!(
        store
            .claim_mail(at, at + Duration::minutes(1), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let after_lease = at + Duration::minutes(2);
    let again = store
        .claim_mail(after_lease, after_lease + Duration::minutes(1), 1)
        .await
        .unwrap();
    assert_eq!(again.len(), 1, "limit respected");
    assert_eq!(
        again[0].1.attempts, 2,
        "a worker that died left the mail to another"
    );
    // a retry backs off; a delivery is final
    store
        .mail_retry(t.id, a.id, after_lease + Duration::minutes(5), "421 busy")
        .await
        .unwrap();
    store
        .mail_sent(&[(other.id, b.id)], after_lease)
        .await
        .unwrap();
    let later = after_lease + Duration::minutes(3);
    let c = store
        .claim_mail(later, later + Duration::minutes(1), 10)
        .await
        .unwrap();
    assert!(
        c.is_empty(),
        "backing off, and sent mail is never claimed: {c:?}"
    );
    let due = after_lease + Duration::minutes(6);
    let c = store
        .claim_mail(due, due + Duration::minutes(1), 10)
        .await
        .unwrap();
    assert_eq!(c.len(), 1);
    store
        .mail_failed(t.id, a.id, due, "550 no such user")
        .await
        .unwrap();
    let counts = store.outbox_counts().await.unwrap();
    assert_eq!((counts.pending, counts.sent, counts.failed), (0, 1, 1));
    // results of a mail already finished do not resurrect it
    store.mail_retry(t.id, a.id, due, "late").await.unwrap();
    assert!(
        store
            .claim_mail(due + Duration::hours(1), due + Duration::hours(2), 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.purge_mail(due + Duration::seconds(1)).await.unwrap(),
        2
    );
    assert_eq!(store.outbox_counts().await.unwrap(), Default::default());
}

fn code(purpose: OtpPurpose, subject: &str, hash: &str) -> OtpCode {
    let t = now();
    OtpCode {
        id: uuid::Uuid::new_v4(),
        purpose,
        subject: subject.into(),
        code_hash: hash.into(),
        created_at: t,
        expires_at: t + OTP_LIFETIME,
        failed_attempts: 0,
        used_at: None,
    }
}

pub async fn passcodes_are_single_use_and_superseded(store: Arc<dyn Store>) {
    let t = tenant(store.as_ref(), "otp").await;
    let mail = || OutboxMail::new(MailKind::Passcode, "x".into(), now());
    let first = code(OtpPurpose::SignIn, "a@b.example", "h1");
    store.issue_otp(t.id, &first, &mail()).await.unwrap();
    assert_eq!(
        store.outbox_counts().await.unwrap().pending,
        1,
        "the mail is queued with it"
    );
    let got = store.get_otp(t.id, first.id).await.unwrap();
    assert_eq!(got, first);
    // another purpose for the same address does not supersede
    let block = code(OtpPurpose::BlockInvitations, "a@b.example", "h2");
    store.issue_otp(t.id, &block, &mail()).await.unwrap();
    assert!(
        store
            .get_otp(t.id, first.id)
            .await
            .unwrap()
            .used_at
            .is_none()
    );
    // a newer sign-in code does
    let second = code(OtpPurpose::SignIn, "a@b.example", "h3");
    store.issue_otp(t.id, &second, &mail()).await.unwrap();
    assert!(
        store
            .get_otp(t.id, first.id)
            .await
            .unwrap()
            .used_at
            .is_some()
    );
    assert!(!store.use_otp(t.id, first.id, now()).await.unwrap());
    // wrong tries count; at the limit the code is spent
    for i in 1..=OTP_MAX_FAILURES {
        assert_eq!(store.otp_failed(t.id, second.id).await.unwrap(), i);
    }
    assert!(!store.use_otp(t.id, second.id, now()).await.unwrap());
    // single use; expiry
    assert!(store.use_otp(t.id, block.id, now()).await.unwrap());
    assert!(!store.use_otp(t.id, block.id, now()).await.unwrap());
    let third = code(OtpPurpose::SignIn, "c@b.example", "h4");
    store.issue_otp(t.id, &third, &mail()).await.unwrap();
    assert!(
        !store
            .use_otp(t.id, third.id, now() + OTP_LIFETIME)
            .await
            .unwrap()
    );
    // another tenant sees nothing
    let other = tenant(store.as_ref(), "otp2").await;
    assert!(store.get_otp(other.id, third.id).await.is_err());
    assert!(!store.use_otp(other.id, third.id, now()).await.unwrap());
}

/// Many deliveries are recorded at once (more than one statement's worth), across tenants;
/// mails not named stay pending.
pub async fn outbox_records_many_deliveries_at_once(store: Arc<dyn Store>) {
    let t = tenant(store.as_ref(), "outbox-many").await;
    let other = tenant(store.as_ref(), "outbox-many2").await;
    let start = now();
    let mut mails = Vec::new();
    for i in 0..21 {
        let owner = if i % 3 == 0 { other.id } else { t.id };
        let m = OutboxMail::new(MailKind::Invitation, format!("sealed-{i}"), start);
        store.enqueue_mail(owner, &m).await.unwrap();
        mails.push((owner, m.id));
    }
    let at = start + Duration::seconds(1);
    let claimed = store
        .claim_mail(at, at + Duration::minutes(1), 100)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 21);
    let (done, left) = mails.split_at(20);
    store.mail_sent(done, at).await.unwrap();
    store.mail_sent(&[], at).await.unwrap();
    let counts = store.outbox_counts().await.unwrap();
    assert_eq!((counts.pending, counts.sent), (1, 20));
    // a mail named with the wrong tenant is not touched
    let wrong = if left[0].0 == t.id { other.id } else { t.id };
    store.mail_sent(&[(wrong, left[0].1)], at).await.unwrap();
    assert_eq!(store.outbox_counts().await.unwrap().pending, 1);
    let later = at + Duration::minutes(2);
    let again = store
        .claim_mail(later, later + Duration::minutes(1), 100)
        .await
        .unwrap();
    assert_eq!(again.len(), 1, "only the unsent mail is claimed again");
    assert_eq!(again[0].1.id, left[0].1);
}

/// What an invitation reads before it is made: the user with the guest UPN, live users with
/// the address (first two by id, this tenant only, case-insensitive), blocks, own domains.
pub async fn invitee_lookup_finds_upn_mail_block_and_domain(store: Arc<dyn Store>) {
    let t = tenant(store.as_ref(), "lookup").await;
    let other = tenant(store.as_ref(), "lookup2").await;
    let upn = "g_fabrikam.example#EXT#@lookup.onportico.test";
    let empty = store
        .invitee_lookup(t.id, upn, "g@fabrikam.example", "fabrikam.example")
        .await
        .unwrap();
    assert!(empty.by_upn.is_none() && empty.by_mail.is_empty());
    assert!(!empty.blocked && !empty.own_domain);

    let mut guest = new_user(upn);
    guest.mail = Some("G@Fabrikam.example".into());
    store
        .create_user(t.id, &guest, None, &audit("Add user"))
        .await
        .unwrap();
    let mut shared = Vec::new();
    for i in 0..3 {
        let mut u = new_user(&format!("shared{i}@lookup.onportico.test"));
        u.mail = Some("Shared@Fabrikam.example".into());
        store
            .create_user(t.id, &u, None, &audit("Add user"))
            .await
            .unwrap();
        shared.push(u);
    }
    let mut gone = new_user("gone@lookup.onportico.test");
    gone.mail = Some("gone@fabrikam.example".into());
    store
        .create_user(t.id, &gone, None, &audit("Add user"))
        .await
        .unwrap();
    store
        .soft_delete_user(t.id, gone.id, now(), &audit("Delete user"))
        .await
        .unwrap();
    let mut elsewhere = new_user("x@lookup2.onportico.test");
    elsewhere.mail = Some("gone@fabrikam.example".into());
    store
        .create_user(other.id, &elsewhere, None, &audit("Add user"))
        .await
        .unwrap();

    let found = store
        .invitee_lookup(
            t.id,
            &upn.to_uppercase(),
            "g@FABRIKAM.example",
            "fabrikam.example",
        )
        .await
        .unwrap();
    assert_eq!(found.by_upn.map(|u| u.id), Some(guest.id));
    assert_eq!(
        found.by_mail.iter().map(|u| u.id).collect::<Vec<_>>(),
        vec![guest.id],
        "the UPN's user is also a mail match"
    );

    let by_mail = store
        .invitee_lookup(
            t.id,
            "shared_fabrikam.example#EXT#@lookup.onportico.test",
            "shared@fabrikam.example",
            "fabrikam.example",
        )
        .await
        .unwrap();
    assert!(by_mail.by_upn.is_none());
    let mut ids: Vec<_> = shared.iter().map(|u| u.id.0).collect();
    ids.sort();
    assert_eq!(
        by_mail.by_mail.iter().map(|u| u.id.0).collect::<Vec<_>>(),
        ids[..2].to_vec(),
        "the first two by id"
    );

    let deleted = store
        .invitee_lookup(t.id, "none", "gone@fabrikam.example", "fabrikam.example")
        .await
        .unwrap();
    assert!(
        deleted.by_mail.is_empty(),
        "deleted users and other tenants' users are not found"
    );

    store
        .block_invitations(
            t.id,
            "Blocked@Fabrikam.example",
            now(),
            &audit("Block invitations"),
        )
        .await
        .unwrap();
    let blocked = |tenant| {
        let store = store.clone();
        async move {
            store
                .invitee_lookup(
                    tenant,
                    "none",
                    "blocked@fabrikam.example",
                    "fabrikam.example",
                )
                .await
                .unwrap()
                .blocked
        }
    };
    assert!(blocked(t.id).await);
    assert!(!blocked(other.id).await, "a block is per tenant");

    let own = |domain: &'static str| {
        let store = store.clone();
        async move {
            store
                .invitee_lookup(t.id, "none", "a@b.example", domain)
                .await
                .unwrap()
                .own_domain
        }
    };
    assert!(own("lookup.onportico.test").await, "the initial domain");
    let contoso = DomainName::parse("d", "contoso-lookup.example").unwrap();
    store
        .add_domain(
            t.id,
            &Domain {
                name: contoso.clone(),
                is_initial: false,
                is_verified: false,
                is_default: false,
                verification_code: "code123".into(),
                verification_method: None,
                created_at: now(),
                verified_at: None,
            },
            &audit("Add domain"),
        )
        .await
        .unwrap();
    assert!(
        !own("contoso-lookup.example").await,
        "an unverified domain is not the tenant's"
    );
    store
        .verify_domain(
            t.id,
            &contoso,
            VerificationMethod::DnsTxt,
            now(),
            &audit("Verify domain"),
        )
        .await
        .unwrap();
    assert!(own("contoso-lookup.example").await);
}

/// An invitation of a new guest writes the guest (with its identity), the invitation, its mail
/// and its audit events together, and a second one for the same UPN writes nothing at all.
pub async fn invitations_are_written_whole_or_not_at_all(store: Arc<dyn Store>) {
    let t = tenant(store.as_ref(), "inviting").await;
    let new = NewInvitation {
        invited_user_email_address: "guest@fabrikam.example".into(),
        invite_redirect_url: "https://myapps.example/".into(),
        send_invitation_message: true,
        ..NewInvitation::default()
    };
    let invitation = |user: &portico_domain::user::User| Invitation {
        id: uuid::Uuid::new_v4(),
        user_id: user.id,
        ticket_hash: format!("hash-{}", uuid::Uuid::new_v4()),
        invited_email: "guest@fabrikam.example".into(),
        redirect_url: "https://myapps.example/".into(),
        send_message: true,
        message_info: Default::default(),
        invited_by: "Inviter".into(),
        created_at: now(),
        redeemed_at: None,
        revoked_at: None,
    };
    let users_before = store
        .count_query_users(t.id, &ListQuery::default())
        .await
        .unwrap();
    let audits_before = store
        .list_audit_events(t.id, 100, None)
        .await
        .unwrap()
        .len();
    let guest = guest_user(&new, "inviting.onportico.test", now()).unwrap();
    let inv = invitation(&guest);
    let mail = OutboxMail::new(MailKind::Invitation, "sealed".into(), now());
    store
        .create_invitation(
            t.id,
            Some(&guest),
            &[],
            &inv,
            Some(&mail),
            &[audit("Add user"), audit("Invite external user")],
        )
        .await
        .unwrap();
    let stored = store.get_user(t.id, guest.id).await.unwrap();
    assert_eq!(stored.user_principal_name, guest.user_principal_name);
    for identity in &guest.identities {
        assert_eq!(
            store
                .find_user_by_identity(t.id, identity)
                .await
                .unwrap()
                .id,
            guest.id
        );
    }
    let invs = store.invitations_of(t.id, guest.id).await.unwrap();
    assert_eq!(invs.len(), 1);
    assert_eq!(invs[0].id, inv.id);
    assert_eq!(invs[0].ticket_hash, inv.ticket_hash);
    assert_eq!(store.outbox_counts().await.unwrap().pending, 1);
    assert_eq!(
        store
            .list_audit_events(t.id, 100, None)
            .await
            .unwrap()
            .len(),
        audits_before + 2
    );
    assert_eq!(
        store
            .count_query_users(t.id, &ListQuery::default())
            .await
            .unwrap(),
        users_before + 1,
        "the user counter follows"
    );

    // the same UPN again (two requests at once): a conflict, and nothing of it is kept
    let twin = guest_user(&new, "inviting.onportico.test", now()).unwrap();
    let err = store
        .create_invitation(
            t.id,
            Some(&twin),
            &[],
            &invitation(&twin),
            Some(&OutboxMail::new(
                MailKind::Invitation,
                "sealed-2".into(),
                now(),
            )),
            &[audit("Add user"), audit("Invite external user")],
        )
        .await
        .unwrap_err();
    assert!(
        err.is_conflict_on(crate::constraint::USER_UPN)
            || err.is_conflict_on(crate::constraint::USER_IDENTITY),
        "{err:?}"
    );
    assert!(store.get_user(t.id, twin.id).await.is_err());
    assert!(
        store
            .invitations_of(t.id, twin.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.outbox_counts().await.unwrap().pending, 1);
    assert_eq!(
        store
            .list_audit_events(t.id, 100, None)
            .await
            .unwrap()
            .len(),
        audits_before + 2
    );
    assert_eq!(
        store
            .count_query_users(t.id, &ListQuery::default())
            .await
            .unwrap(),
        users_before + 1
    );
}
