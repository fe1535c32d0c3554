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
