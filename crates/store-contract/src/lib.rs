//! The storage contract suite: port-level tests that every storage adapter must pass, written
//! once, generically over a [`StoreFactory`] (a fresh empty database per test).
//!
//! An adapter's test crate implements [`StoreFactory`] and expands [`contract_tests!`], which
//! declares one `#[tokio::test]` per contract test. The tests use only the ports (plus
//! [`RawSql`] row counts for "nothing was written" checks); anything specific to one database
//! (connection failures, locking) stays in that adapter's own tests.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed step must fail the test loudly"
)]

use std::sync::Arc;

use async_trait::async_trait;
use domain::store_ports::StorePorts;

pub mod concurrency;
pub mod merchants;
pub mod nonces;
pub mod outbox;
pub mod outbox_backlog;
pub mod outbox_deliveries;
pub mod payment_nonce;
pub mod payment_outbox;
pub mod payments;
pub mod reporting;
pub mod support;

/// Direct SQL on the test database, for checks the ports cannot express. Both dialects accept
/// the statements the suite uses (`SELECT COUNT(*) AS n FROM …`, plain `INSERT … VALUES`).
#[async_trait]
pub trait RawSql: Send + Sync {
    async fn exec(&self, sql: &str) -> usize;
    async fn count(&self, from_where: &str) -> i64;
}

/// Every storage port over one fresh, empty, migrated database.
pub struct Stores {
    pub ports: StorePorts,
    pub raw: Arc<dyn RawSql>,
    /// Whatever keeps the database alive (dropped after the stores).
    pub guard: Box<dyn std::any::Any + Send + Sync>,
}

/// Makes a fresh empty database per call.
pub trait StoreFactory {
    fn fresh() -> impl std::future::Future<Output = Stores> + Send;
}

/// Declares every contract test for `$factory` (a type implementing [`StoreFactory`] in scope
/// where the macro is expanded).
#[macro_export]
macro_rules! contract_tests {
    ($factory:ty) => {
        mod concurrency {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sixteen_services_canceling_the_same_payment_cancel_it_exactly_once() {
                $crate::concurrency::sixteen_services_canceling_the_same_payment_cancel_it_exactly_once::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sixteen_services_completing_the_same_payment_complete_it_exactly_once() {
                $crate::concurrency::sixteen_services_completing_the_same_payment_complete_it_exactly_once::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sixteen_direct_transitions_from_the_same_version_let_exactly_one_through() {
                $crate::concurrency::sixteen_direct_transitions_from_the_same_version_let_exactly_one_through::<$factory>().await
            }
        }
        mod merchants {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn a_merchant_round_trips_with_its_sealed_secrets_and_unicode_name() {
                $crate::merchants::a_merchant_round_trips_with_its_sealed_secrets_and_unicode_name::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn a_merchant_without_a_return_url_round_trips() {
                $crate::merchants::a_merchant_without_a_return_url_round_trips::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn an_unknown_merchant_is_not_found_and_client_ids_are_case_sensitive() {
                $crate::merchants::an_unknown_merchant_is_not_found_and_client_ids_are_case_sensitive::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn registering_the_same_client_id_twice_is_an_error() {
                $crate::merchants::registering_the_same_client_id_twice_is_an_error::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn updating_a_merchant_replaces_its_mutable_fields() {
                $crate::merchants::updating_a_merchant_replaces_its_mutable_fields::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn updating_an_unknown_merchant_reports_false_and_creates_nothing() {
                $crate::merchants::updating_an_unknown_merchant_reports_false_and_creates_nothing::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn replacing_secrets_writes_them_when_the_stored_ciphertexts_are_still_the_expected_ones() {
                $crate::merchants::replacing_secrets_writes_them_when_the_stored_ciphertexts_are_still_the_expected_ones::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn replacing_secrets_after_a_concurrent_rotation_writes_nothing() {
                $crate::merchants::replacing_secrets_after_a_concurrent_rotation_writes_nothing::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn merchants_list_newest_first_with_a_cursor_and_one_extra_row() {
                $crate::merchants::merchants_list_newest_first_with_a_cursor_and_one_extra_row::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn a_previous_webhook_secret_round_trips_and_can_be_set_and_cleared_by_update() {
                $crate::merchants::a_previous_webhook_secret_round_trips_and_can_be_set_and_cleared_by_update::<$factory>().await
            }
        }
        mod nonces {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn a_nonce_is_fresh_once_and_replayed_after() {
                $crate::nonces::a_nonce_is_fresh_once_and_replayed_after::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn the_same_nonce_from_two_merchants_is_fresh_for_both() {
                $crate::nonces::the_same_nonce_from_two_merchants_is_fresh_for_both::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn an_expired_nonce_that_was_not_purged_yet_is_fresh_again() {
                $crate::nonces::an_expired_nonce_that_was_not_purged_yet_is_fresh_again::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn twenty_concurrent_requests_with_the_same_nonce_let_exactly_one_through() {
                $crate::nonces::twenty_concurrent_requests_with_the_same_nonce_let_exactly_one_through::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn twenty_concurrent_reuses_of_an_expired_nonce_let_exactly_one_through() {
                $crate::nonces::twenty_concurrent_reuses_of_an_expired_nonce_let_exactly_one_through::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn purging_forgets_only_expired_nonces_and_counts_them() {
                $crate::nonces::purging_forgets_only_expired_nonces_and_counts_them::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn purging_a_large_backlog_works_in_batches_until_done() {
                $crate::nonces::purging_a_large_backlog_works_in_batches_until_done::<$factory>().await
            }
        }
        mod outbox {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn enqueued_messages_round_trip_exactly_and_payloads_keep_every_byte() {
                $crate::outbox::enqueued_messages_round_trip_exactly_and_payloads_keep_every_byte::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn enqueueing_a_reused_event_id_is_an_error_and_writes_nothing() {
                $crate::outbox::enqueueing_a_reused_event_id_is_an_error_and_writes_nothing::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn a_claim_gives_due_messages_and_leases_them_so_a_second_claim_gets_nothing() {
                $crate::outbox::a_claim_gives_due_messages_and_leases_them_so_a_second_claim_gets_nothing::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn a_claim_takes_at_most_limit_messages() {
                $crate::outbox::a_claim_takes_at_most_limit_messages::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn an_expired_lease_is_claimable_again() {
                $crate::outbox::an_expired_lease_is_claimable_again::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn a_message_whose_not_before_is_in_the_future_is_not_claimed() {
                $crate::outbox::a_message_whose_not_before_is_in_the_future_is_not_claimed::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn a_second_notification_of_a_payment_waits_until_the_first_is_delivered() {
                $crate::outbox::a_second_notification_of_a_payment_waits_until_the_first_is_delivered::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn a_second_notification_is_released_when_the_first_is_dead() {
                $crate::outbox::a_second_notification_is_released_when_the_first_is_dead::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn finishing_attempts_moves_the_message_on_and_records_every_attempt() {
                $crate::outbox::finishing_attempts_moves_the_message_on_and_records_every_attempt::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn a_delivered_message_has_no_error_and_is_not_claimed_again() {
                $crate::outbox::a_delivered_message_has_no_error_and_is_not_claimed_again::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn a_note_given_with_an_attempt_is_written_to_the_payment_in_the_same_transaction() {
                $crate::outbox::a_note_given_with_an_attempt_is_written_to_the_payment_in_the_same_transaction::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn finishing_an_attempt_of_an_unknown_message_is_an_error_and_writes_nothing() {
                $crate::outbox::finishing_an_attempt_of_an_unknown_message_is_an_error_and_writes_nothing::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn redelivering_a_dead_message_makes_it_pending_and_claimable_with_a_fresh_schedule() {
                $crate::outbox_deliveries::redelivering_a_dead_message_makes_it_pending_and_claimable_with_a_fresh_schedule::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn redelivering_needs_a_known_message_and_leaves_a_pending_one_alone() {
                $crate::outbox_deliveries::redelivering_needs_a_known_message_and_leaves_a_pending_one_alone::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn deliveries_list_newest_first_with_filters_a_cursor_and_their_attempts() {
                $crate::outbox_deliveries::deliveries_list_newest_first_with_filters_a_cursor_and_their_attempts::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn the_backlog_counts_due_pending_messages_and_knows_the_oldest_due_time() {
                $crate::outbox_backlog::the_backlog_counts_due_pending_messages_and_knows_the_oldest_due_time::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn failed_messages_and_the_notifications_queued_behind_them_are_retrying_not_due() {
                $crate::outbox_backlog::failed_messages_and_the_notifications_queued_behind_them_are_retrying_not_due::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn eight_concurrent_claimers_over_fifty_due_messages_get_each_exactly_once() {
                $crate::outbox::eight_concurrent_claimers_over_fifty_due_messages_get_each_exactly_once::<$factory>().await
            }
        }
        mod payment_nonce {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn a_payment_inserted_with_a_nonce_uses_the_nonce_up() {
                $crate::payment_nonce::a_payment_inserted_with_a_nonce_uses_the_nonce_up::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn a_payment_inserted_with_a_used_nonce_is_a_replay_and_writes_nothing() {
                $crate::payment_nonce::a_payment_inserted_with_a_used_nonce_is_a_replay_and_writes_nothing::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn a_payment_refused_as_a_duplicate_order_leaves_its_nonce_unused() {
                $crate::payment_nonce::a_payment_refused_as_a_duplicate_order_leaves_its_nonce_unused::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn an_expired_nonce_that_was_not_purged_yet_is_taken_over_by_a_payment_insert() {
                $crate::payment_nonce::an_expired_nonce_that_was_not_purged_yet_is_taken_over_by_a_payment_insert::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sixteen_concurrent_creates_with_the_same_nonce_commit_exactly_one() {
                $crate::payment_nonce::sixteen_concurrent_creates_with_the_same_nonce_commit_exactly_one::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sixteen_concurrent_creates_with_one_nonce_and_a_used_order_number_write_nothing() {
                $crate::payment_nonce::sixteen_concurrent_creates_with_one_nonce_and_a_used_order_number_write_nothing::<$factory>().await
            }
        }
        mod payment_outbox {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn creating_a_payment_stores_its_messages_in_the_same_transaction() {
                $crate::payment_outbox::creating_a_payment_stores_its_messages_in_the_same_transaction::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn a_duplicate_order_writes_none_of_its_messages() {
                $crate::payment_outbox::a_duplicate_order_writes_none_of_its_messages::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn a_transition_stores_its_messages_with_the_state_change() {
                $crate::payment_outbox::a_transition_stores_its_messages_with_the_state_change::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn a_stale_transition_writes_none_of_its_messages() {
                $crate::payment_outbox::a_stale_transition_writes_none_of_its_messages::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn a_message_that_cannot_be_stored_rolls_back_the_whole_transition() {
                $crate::payment_outbox::a_message_that_cannot_be_stored_rolls_back_the_whole_transition::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn a_note_takes_its_status_from_the_payment_row_and_stores_its_messages() {
                $crate::payment_outbox::a_note_takes_its_status_from_the_payment_row_and_stores_its_messages::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn a_note_with_details_longer_than_the_column_is_cut_not_refused() {
                $crate::payment_outbox::a_note_with_details_longer_than_the_column_is_cut_not_refused::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn a_note_on_an_unknown_payment_is_an_error_and_writes_nothing() {
                $crate::payment_outbox::a_note_on_an_unknown_payment_is_an_error_and_writes_nothing::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn a_payment_is_found_by_its_id_and_an_unknown_id_is_not() {
                $crate::payment_outbox::a_payment_is_found_by_its_id_and_an_unknown_id_is_not::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn payments_due_for_expiry_are_ready_ones_past_their_expiry_oldest_first() {
                $crate::payment_outbox::payments_due_for_expiry_are_ready_ones_past_their_expiry_oldest_first::<$factory>().await
            }
        }
        mod payments {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn a_payment_with_every_optional_field_set_round_trips_exactly() {
                $crate::payments::a_payment_with_every_optional_field_set_round_trips_exactly::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn a_payment_with_no_optional_fields_round_trips_with_nones() {
                $crate::payments::a_payment_with_no_optional_fields_round_trips_with_nones::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn an_unknown_payment_key_is_not_found() {
                $crate::payments::an_unknown_payment_key_is_not_found::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn a_duplicate_order_number_is_reported_as_such_and_nothing_is_written() {
                $crate::payments::a_duplicate_order_number_is_reported_as_such_and_nothing_is_written::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn order_numbers_differing_only_in_case_are_different_orders() {
                $crate::payments::order_numbers_differing_only_in_case_are_different_orders::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn the_same_order_number_is_fine_for_two_merchants() {
                $crate::payments::the_same_order_number_is_fine_for_two_merchants::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn a_reused_payment_key_is_a_storage_error_not_a_duplicate_order() {
                $crate::payments::a_reused_payment_key_is_a_storage_error_not_a_duplicate_order::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn a_payment_of_an_unknown_merchant_is_refused() {
                $crate::payments::a_payment_of_an_unknown_merchant_is_refused::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn a_transition_stores_the_new_state_and_its_audit_row_together() {
                $crate::payments::a_transition_stores_the_new_state_and_its_audit_row_together::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn a_failure_keeps_its_code_message_and_transaction() {
                $crate::payments::a_failure_keeps_its_code_message_and_transaction::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn a_transition_decided_on_a_stale_version_is_rejected_and_writes_nothing() {
                $crate::payments::a_transition_decided_on_a_stale_version_is_rejected_and_writes_nothing::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn a_second_change_decided_on_the_same_version_loses() {
                $crate::payments::a_second_change_decided_on_the_same_version_loses::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn an_audit_row_for_an_already_left_version_makes_the_transition_stale() {
                $crate::payments::an_audit_row_for_an_already_left_version_makes_the_transition_stale::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn a_row_that_breaks_the_schema_promises_is_reported_not_returned() {
                $crate::payments::a_row_that_breaks_the_schema_promises_is_reported_not_returned::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn listing_is_newest_first_and_fetches_one_extra_row_to_tell_if_more_exist() {
                $crate::payments::listing_is_newest_first_and_fetches_one_extra_row_to_tell_if_more_exist::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn listing_filters_by_merchant_status_order_and_creation_range() {
                $crate::payments::listing_filters_by_merchant_status_order_and_creation_range::<$factory>().await
            }
        }
        mod reporting {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn stats_group_by_status_approval_day_and_merchant() {
                $crate::reporting::stats_group_by_status_approval_day_and_merchant::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn stats_filters_by_merchant_and_half_open_creation_range() {
                $crate::reporting::stats_filters_by_merchant_and_half_open_creation_range::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn the_audit_feed_tails_every_merchant_in_log_id_order() {
                $crate::reporting::the_audit_feed_tails_every_merchant_in_log_id_order::<$factory>().await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn the_attempt_feed_tails_attempts_with_their_message_and_payment() {
                $crate::reporting::the_attempt_feed_tails_attempts_with_their_message_and_payment::<$factory>().await
            }
        }
    };
}
