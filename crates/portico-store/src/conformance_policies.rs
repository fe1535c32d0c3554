//! Conformance: tenant policies (one document per tenant and name, replaced as a whole, written
//! with its audit event, never seen by another tenant).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use crate::Store;
use crate::conformance::{audit, now, tenant};
use std::sync::Arc;
use time::Duration;

pub async fn policies_are_per_tenant_documents_written_with_audit(store: Arc<dyn Store>) {
    let t = tenant(store.as_ref(), "policies").await;
    let other = tenant(store.as_ref(), "policies2").await;
    let name = "authenticationMethodsPolicy/email";

    // never set: none (the defaults apply)
    assert_eq!(store.get_policy(t.id, name).await.unwrap(), None);

    let first = r#"{"state":"enabled","allowExternalIdToUseEmailOtp":"disabled"}"#;
    let event = audit("Authentication Methods Policy Update");
    store
        .put_policy(t.id, name, first, now(), &event)
        .await
        .unwrap();
    assert_eq!(
        store.get_policy(t.id, name).await.unwrap().as_deref(),
        Some(first)
    );
    let events = store.list_audit_events(t.id, 10, None).await.unwrap();
    assert!(
        events.iter().any(|e| e.id == event.id),
        "the audit event is written with the change"
    );

    // a second write replaces the document
    let second = r#"{"state":"disabled","allowExternalIdToUseEmailOtp":"enabled"}"#;
    store
        .put_policy(
            t.id,
            name,
            second,
            now() + Duration::seconds(1),
            &audit("Authentication Methods Policy Update"),
        )
        .await
        .unwrap();
    assert_eq!(
        store.get_policy(t.id, name).await.unwrap().as_deref(),
        Some(second)
    );

    // other names and other tenants are separate
    assert_eq!(
        store.get_policy(t.id, "authorizationPolicy").await.unwrap(),
        None
    );
    assert_eq!(store.get_policy(other.id, name).await.unwrap(), None);
    store
        .put_policy(other.id, name, "{}", now(), &audit("Other tenant"))
        .await
        .unwrap();
    assert_eq!(
        store.get_policy(other.id, name).await.unwrap().as_deref(),
        Some("{}")
    );
    assert_eq!(
        store.get_policy(t.id, name).await.unwrap().as_deref(),
        Some(second)
    );
    assert!(
        !store
            .list_audit_events(t.id, 100, None)
            .await
            .unwrap()
            .iter()
            .any(|e| e.activity_display_name == "Other tenant"),
        "another tenant's event is not in this tenant's log"
    );
}

/// Identity providers: one per id in a tenant, read back as written, changed and deleted with
/// an audit event each, never seen by another tenant.
pub async fn identity_providers_round_trip_per_tenant(store: Arc<dyn Store>) {
    use crate::{StoredIdentityProvider, constraint};
    let t = tenant(store.as_ref(), "idps").await;
    let other = tenant(store.as_ref(), "idps2").await;
    assert!(
        store
            .list_identity_providers(t.id)
            .await
            .unwrap()
            .is_empty()
    );
    let at = now();
    let google = StoredIdentityProvider {
        id: "Google-OAUTH".into(),
        protocol: "social".into(),
        provider_type: "Google".into(),
        display_name: "Google".into(),
        settings: r#"{"clientId":"client-1"}"#.into(),
        secret_sealed: Some("sealed-1".into()),
        domains: Vec::new(),
        created_at: at,
        updated_at: at,
    };
    let audits = |id| {
        let store = store.clone();
        async move { store.list_audit_events(id, 100, None).await.unwrap().len() }
    };
    let before = audits(t.id).await;
    store
        .create_identity_provider(t.id, &google, &audit("Add identity provider"))
        .await
        .unwrap();
    assert_eq!(
        store
            .get_identity_provider(t.id, "Google-OAUTH")
            .await
            .unwrap(),
        google
    );
    let err = store
        .create_identity_provider(t.id, &google, &audit("Add identity provider"))
        .await
        .unwrap_err();
    assert!(err.is_conflict_on(constraint::IDENTITY_PROVIDER), "{err:?}");
    assert_eq!(
        audits(t.id).await,
        before + 1,
        "a refused change is not audited"
    );
    // another tenant has its own
    assert!(matches!(
        store.get_identity_provider(other.id, "Google-OAUTH").await,
        Err(crate::StoreError::NotFound(_))
    ));
    store
        .create_identity_provider(other.id, &google, &audit("Add identity provider"))
        .await
        .unwrap();

    let changed = StoredIdentityProvider {
        display_name: "Gmail".into(),
        settings: r#"{"clientId":"client-2"}"#.into(),
        secret_sealed: Some("sealed-2".into()),
        updated_at: at + Duration::seconds(5),
        ..google.clone()
    };
    store
        .update_identity_provider(t.id, &changed, at, &audit("Update identity provider"))
        .await
        .unwrap();
    // a change made from what was read before that one is refused, changing nothing
    let stale = StoredIdentityProvider {
        display_name: "Stale".into(),
        updated_at: at + Duration::seconds(9),
        ..google.clone()
    };
    let err = store
        .update_identity_provider(t.id, &stale, at, &audit("Update identity provider"))
        .await
        .unwrap_err();
    assert!(err.is_conflict_on(constraint::STALE_WRITE), "{err:?}");
    let read = store
        .get_identity_provider(t.id, "Google-OAUTH")
        .await
        .unwrap();
    assert_eq!(read, changed);
    assert_eq!(read.created_at, at, "created_at is kept");
    assert_eq!(
        store
            .get_identity_provider(other.id, "Google-OAUTH")
            .await
            .unwrap(),
        google,
        "the other tenant's is untouched"
    );
    let missing = StoredIdentityProvider {
        id: "Facebook-OAUTH".into(),
        ..google.clone()
    };
    assert!(matches!(
        store
            .update_identity_provider(t.id, &missing, at, &audit("Update identity provider"))
            .await,
        Err(crate::StoreError::NotFound(_))
    ));
    store
        .create_identity_provider(t.id, &missing, &audit("Add identity provider"))
        .await
        .unwrap();
    let ids: Vec<String> = store
        .list_identity_providers(t.id)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(ids, ["Facebook-OAUTH", "Google-OAUTH"]);

    store
        .delete_identity_provider(t.id, "Google-OAUTH", &audit("Delete identity provider"))
        .await
        .unwrap();
    assert!(matches!(
        store
            .delete_identity_provider(t.id, "Google-OAUTH", &audit("Delete identity provider"))
            .await,
        Err(crate::StoreError::NotFound(_))
    ));
    assert_eq!(store.list_identity_providers(t.id).await.unwrap().len(), 1);
    assert_eq!(audits(t.id).await, before + 4);
    assert_eq!(
        store.list_identity_providers(other.id).await.unwrap().len(),
        1
    );
}

/// The domains a federation serves: stored with it, found by domain, one provider per domain
/// and tenant (other tenants may federate the same domain), replaced on update, freed on delete.
pub async fn federation_domains_route_to_one_provider(store: Arc<dyn Store>) {
    use crate::{StoredIdentityProvider, constraint};
    let t = tenant(store.as_ref(), "feddom").await;
    let other = tenant(store.as_ref(), "feddom2").await;
    let at = now();
    let oidc = |id: &str, domains: &[&str]| StoredIdentityProvider {
        id: id.into(),
        protocol: "oidc".into(),
        provider_type: "OpenIDConnect".into(),
        display_name: id.into(),
        settings: "{}".into(),
        secret_sealed: Some("sealed".into()),
        domains: domains.iter().map(|d| (*d).to_owned()).collect(),
        created_at: at,
        updated_at: at,
    };
    let a = oidc("a", &["fabrikam.test", "contoso.test"]);
    store
        .create_identity_provider(t.id, &a, &audit("Add identity provider"))
        .await
        .unwrap();
    let read = store.get_identity_provider(t.id, "a").await.unwrap();
    assert_eq!(read.domains, ["contoso.test", "fabrikam.test"], "sorted");
    let found = store
        .identity_provider_for_domain(t.id, "fabrikam.test")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((found.id.as_str(), found.domains.len()), ("a", 2));
    assert!(
        store
            .identity_provider_for_domain(t.id, "other.test")
            .await
            .unwrap()
            .is_none()
    );
    // a second provider for a served domain is refused and nothing of it is written
    let before = store
        .list_audit_events(t.id, 100, None)
        .await
        .unwrap()
        .len();
    let err = store
        .create_identity_provider(
            t.id,
            &oidc("b", &["new.test", "fabrikam.test"]),
            &audit("Add identity provider"),
        )
        .await
        .unwrap_err();
    assert!(err.is_conflict_on(constraint::FEDERATION_DOMAIN), "{err:?}");
    assert!(matches!(
        store.get_identity_provider(t.id, "b").await,
        Err(crate::StoreError::NotFound(_))
    ));
    assert!(
        store
            .identity_provider_for_domain(t.id, "new.test")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store
            .list_audit_events(t.id, 100, None)
            .await
            .unwrap()
            .len(),
        before
    );
    // another tenant federates the same domain with its own provider
    store
        .create_identity_provider(
            other.id,
            &oidc("a", &["fabrikam.test"]),
            &audit("Add identity provider"),
        )
        .await
        .unwrap();
    // update replaces the domains
    let moved = StoredIdentityProvider {
        domains: vec!["contoso.test".into()],
        updated_at: at + Duration::seconds(1),
        ..a.clone()
    };
    store
        .update_identity_provider(t.id, &moved, at, &audit("Update identity provider"))
        .await
        .unwrap();
    assert!(
        store
            .identity_provider_for_domain(t.id, "fabrikam.test")
            .await
            .unwrap()
            .is_none()
    );
    let listed = store.list_identity_providers(t.id).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].domains, ["contoso.test"]);
    store
        .create_identity_provider(
            t.id,
            &oidc("b", &["fabrikam.test"]),
            &audit("Add identity provider"),
        )
        .await
        .unwrap();
    store
        .delete_identity_provider(t.id, "a", &audit("Delete identity provider"))
        .await
        .unwrap();
    assert!(
        store
            .identity_provider_for_domain(t.id, "contoso.test")
            .await
            .unwrap()
            .is_none(),
        "deleting frees its domains"
    );
    assert_eq!(
        store
            .identity_provider_for_domain(other.id, "fabrikam.test")
            .await
            .unwrap()
            .unwrap()
            .domains,
        ["fabrikam.test"]
    );
}
