//! Runs the store conformance suite on SQLite and PostgreSQL.

// Test bodies run through `backend_tests!` or helpers, so clippy sees them as non-test code.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::needless_pass_by_value
)]

use portico_store::conformance::*;
use portico_store::conformance_policies::*;
use portico_store::conformance_query::*;
use portico_store::conformance_redemption::*;
use portico_store::conformance_sign_in::*;

portico_store::backend_tests!(
    migrations_are_idempotent,
    bootstrap_happens_once,
    tenants_and_domains,
    users_round_trip_and_stay_unique,
    users_list_with_paging_and_filters,
    passwords_soft_delete_restore_and_purge,
    groups_members_owners_and_nesting,
    applications_secrets_and_service_principals,
    role_assignments,
    audit_is_written_with_the_change_and_only_then,
    timestamps_keep_microseconds_and_order,
    signing_keys_rotate_and_expire,
    app_role_assignments,
    sessions_are_found_by_hash_and_revoked,
    codes_redeem_once_and_replay_revokes_the_family,
    refresh_tokens_rotate_and_replay_revokes_the_family,
    lockout_counters_count_lock_and_reset,
    sign_in_log_and_permission_grants,
    key_credentials_and_assertion_ids,
    users_filter_order_search_and_count,
    groups_filter_and_order,
    bulk_import_is_all_or_nothing,
    user_count_follows_every_change,
    outbox_claims_lease_retry_and_deliver_once,
    outbox_records_many_deliveries_at_once,
    invitee_lookup_finds_upn_mail_block_and_domain,
    invitations_are_written_whole_or_not_at_all,
    passcodes_are_single_use_and_superseded,
    policies_are_per_tenant_documents_written_with_audit,
    identity_providers_round_trip_per_tenant,
    federation_domains_route_to_one_provider,
);
