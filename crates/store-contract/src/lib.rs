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
use domain::{
    ports::{OperatorAuditStore, SessionStore, UserStore},
    store_ports::StorePorts,
};

pub mod back_office;
pub mod cancels;
pub mod concurrency;
pub mod diesel_raw;
pub mod merchant_changes;
pub mod merchants;
pub mod migration_backfill;
pub mod nonces;
pub mod outbox;
pub mod outbox_backlog;
pub mod outbox_deliveries;
pub mod payment_nonce;
pub mod payment_outbox;
pub mod payments;
pub mod pending_cancels;
pub mod people;
pub mod people_sessions;
pub mod reconciliation;
pub mod reporting;
pub mod settlement;
pub mod support;

/// Direct SQL on the test database, for checks the ports cannot express. Both dialects accept
/// the statements the suite uses (`SELECT COUNT(*) AS n FROM …`, plain `INSERT … VALUES`).
#[async_trait]
pub trait RawSql: Send + Sync {
    async fn exec(&self, sql: &str) -> usize;
    async fn count(&self, from_where: &str) -> i64;
}

/// The storage ports of the people room (api.md §10) over the same database as
/// [`Stores::ports`] (not part of [`StorePorts`] yet).
#[derive(Clone)]
pub struct People {
    pub users: Arc<dyn UserStore>,
    pub sessions: Arc<dyn SessionStore>,
    pub operator_audit: Arc<dyn OperatorAuditStore>,
}

/// Every storage port over one fresh, empty, migrated database.
pub struct Stores {
    pub ports: StorePorts,
    pub people: People,
    pub raw: Arc<dyn RawSql>,
    /// Whatever keeps the database alive (dropped after the stores).
    pub guard: Box<dyn std::any::Any + Send + Sync>,
}

/// Makes a fresh empty database per call.
pub trait StoreFactory {
    fn fresh() -> impl std::future::Future<Output = Stores> + Send;
}

/// Declares every contract test for `$factory` (a type implementing [`StoreFactory`] in scope
/// where the macro is expanded): one `#[tokio::test]` per test below, in a module per group, each
/// calling the generic test of the same name.
#[macro_export]
macro_rules! contract_tests {
    ($factory:ty) => {
        $crate::__contract_tests! {
            $factory;
            cancels {
                cancels::the_synchronous_cancel_call_is_its_carriers_first_attempt_delivered_or_dead,
                cancels::an_unanswered_synchronous_cancel_call_is_its_carriers_attempt_0_and_leaves_it_pending,
                cancels::a_call_recorded_for_an_unknown_message_is_an_error_and_writes_nothing,
                cancels::a_payment_s_cancels_round_trip_with_every_field_and_the_canceled_amount,
                cancels::sixteen_concurrent_partial_cancels_over_the_amount_succeed_only_as_far_as_it_goes,
                cancels::sixteen_concurrent_reservations_the_acquirer_never_answers_never_reserve_more_than_the_amount,
                cancels::approved_payments_past_their_authorization_deadline_are_due_oldest_first,
            }
            concurrency {
                concurrency::sixteen_services_canceling_the_same_payment_cancel_it_exactly_once,
                concurrency::sixteen_services_completing_the_same_payment_complete_it_exactly_once,
                concurrency::sixteen_direct_transitions_from_the_same_version_let_exactly_one_through,
            }
            merchants {
                merchants::a_merchant_round_trips_with_its_sealed_secrets_and_unicode_name,
                merchants::a_merchant_without_a_return_url_round_trips,
                merchants::an_unknown_merchant_is_not_found_and_client_ids_are_case_sensitive,
                merchants::registering_the_same_client_id_twice_is_an_error,
                merchants::updating_a_merchant_replaces_its_mutable_fields,
                merchants::updating_an_unknown_merchant_reports_false_and_creates_nothing,
                merchants::replacing_secrets_writes_them_when_the_stored_ciphertexts_are_still_the_expected_ones,
                merchants::replacing_secrets_after_a_concurrent_rotation_writes_nothing,
                merchants::merchants_list_newest_first_with_a_cursor_and_one_extra_row,
                merchants::a_previous_webhook_secret_round_trips_and_can_be_set_and_cleared_by_update,
            }
            merchant_changes {
                merchant_changes::a_previous_client_secret_round_trips_and_a_rotation_without_grace_clears_it,
                merchant_changes::a_merchant_s_registration_and_changes_write_their_audit_rows_with_them,
                merchant_changes::a_registration_refused_by_the_database_writes_no_audit_row,
                merchant_changes::a_change_decided_on_a_stale_version_writes_nothing_not_even_its_audit_row,
                merchant_changes::sixteen_concurrent_changes_from_the_same_version_let_exactly_one_through,
                merchant_changes::re_sealing_after_a_change_that_kept_the_secrets_writes_nothing,
            }
            nonces {
                nonces::a_nonce_is_fresh_once_and_replayed_after,
                nonces::the_same_nonce_from_two_merchants_is_fresh_for_both,
                nonces::an_expired_nonce_that_was_not_purged_yet_is_fresh_again,
                nonces::twenty_concurrent_requests_with_the_same_nonce_let_exactly_one_through,
                nonces::twenty_concurrent_reuses_of_an_expired_nonce_let_exactly_one_through,
                nonces::purging_forgets_only_expired_nonces_and_counts_them,
                nonces::purging_a_large_backlog_works_in_batches_until_done,
            }
            outbox {
                outbox::enqueued_messages_round_trip_exactly_and_payloads_keep_every_byte,
                outbox::enqueueing_a_reused_event_id_is_an_error_and_writes_nothing,
                outbox::a_claim_gives_due_messages_and_leases_them_so_a_second_claim_gets_nothing,
                outbox::a_claim_takes_at_most_limit_messages,
                outbox::an_expired_lease_is_claimable_again,
                outbox::a_message_whose_not_before_is_in_the_future_is_not_claimed,
                outbox::a_second_notification_of_a_payment_waits_until_the_first_is_delivered,
                outbox::a_second_notification_is_released_when_the_first_is_dead,
                outbox::finishing_attempts_moves_the_message_on_and_records_every_attempt,
                outbox::a_delivered_message_has_no_error_and_is_not_claimed_again,
                outbox::a_note_given_with_an_attempt_is_written_to_the_payment_in_the_same_transaction,
                outbox::finishing_an_attempt_of_an_unknown_message_is_an_error_and_writes_nothing,
                outbox_deliveries::redelivering_a_dead_message_makes_it_pending_and_claimable_with_a_fresh_schedule,
                outbox_deliveries::redelivering_needs_a_known_message_and_leaves_a_pending_one_alone,
                outbox_deliveries::deliveries_list_newest_first_with_filters_a_cursor_and_their_attempts,
                outbox_backlog::the_backlog_counts_due_pending_messages_and_knows_the_oldest_due_time,
                outbox_backlog::failed_messages_and_the_notifications_queued_behind_them_are_retrying_not_due,
                outbox_backlog::a_backlog_scoped_to_one_merchant_and_kind_counts_only_those_messages,
                outbox::eight_concurrent_claimers_over_fifty_due_messages_get_each_exactly_once,
            }
            settlement {
                settlement::a_day_settles_into_one_batch_per_merchant_and_currency_whose_totals_are_its_lines,
                settlement::a_day_with_nothing_left_to_settle_writes_no_batch,
                settlement::eight_concurrent_runs_of_one_batch_create_it_once_and_settle_each_movement_once,
                settlement::a_run_is_claimed_by_one_holder_until_its_lease_lapses_and_never_after_it_finished,
                settlement::the_check_finds_an_unsettled_movement_of_a_run_day_and_nothing_once_it_is_settled,
            }
            reconciliation {
                reconciliation::a_day_s_own_lines_are_its_captures_and_succeeded_cancels_of_captured_payments_in_pages,
                reconciliation::a_reconciliation_round_trips_with_every_kind_of_discrepancy_and_its_audit_rows,
                reconciliation::reconciliations_list_newest_date_first_with_date_filters_and_a_cursor,
                reconciliation::the_mock_acquirer_s_books_record_each_transaction_once_and_list_a_day_s_money,
            }
            payment_nonce {
                payment_nonce::a_payment_inserted_with_a_nonce_uses_the_nonce_up,
                payment_nonce::a_payment_inserted_with_a_used_nonce_is_a_replay_and_writes_nothing,
                payment_nonce::a_payment_refused_as_a_duplicate_order_leaves_its_nonce_unused,
                payment_nonce::an_expired_nonce_that_was_not_purged_yet_is_taken_over_by_a_payment_insert,
                payment_nonce::sixteen_concurrent_creates_with_the_same_nonce_commit_exactly_one,
                payment_nonce::sixteen_concurrent_creates_with_one_nonce_and_a_used_order_number_write_nothing,
            }
            payment_outbox {
                payment_outbox::creating_a_payment_stores_its_messages_in_the_same_transaction,
                payment_outbox::a_duplicate_order_writes_none_of_its_messages,
                payment_outbox::a_transition_stores_its_messages_with_the_state_change,
                payment_outbox::a_stale_transition_writes_none_of_its_messages,
                payment_outbox::a_message_that_cannot_be_stored_rolls_back_the_whole_transition,
                payment_outbox::a_note_takes_its_status_from_the_payment_row_and_stores_its_messages,
                payment_outbox::a_note_with_details_longer_than_the_column_is_cut_not_refused,
                payment_outbox::a_note_on_an_unknown_payment_is_an_error_and_writes_nothing,
                payment_outbox::a_payment_is_found_by_its_id_and_an_unknown_id_is_not,
                payment_outbox::payments_due_for_expiry_are_ready_ones_past_their_expiry_oldest_first,
            }
            payments {
                payments::a_payment_with_every_optional_field_set_round_trips_exactly,
                payments::a_payment_with_no_optional_fields_round_trips_with_nones,
                payments::an_unknown_payment_key_is_not_found,
                payments::a_duplicate_order_number_is_reported_as_such_and_nothing_is_written,
                payments::order_numbers_differing_only_in_case_are_different_orders,
                payments::the_same_order_number_is_fine_for_two_merchants,
                payments::a_reused_payment_key_is_a_storage_error_not_a_duplicate_order,
                payments::a_payment_of_an_unknown_merchant_is_refused,
                payments::a_transition_stores_the_new_state_and_its_audit_row_together,
                payments::a_failure_keeps_its_code_message_and_transaction,
                payments::a_transition_decided_on_a_stale_version_is_rejected_and_writes_nothing,
                payments::a_second_change_decided_on_the_same_version_loses,
                payments::an_audit_row_for_an_already_left_version_makes_the_transition_stale,
                payments::a_row_that_breaks_the_schema_promises_is_reported_not_returned,
                payments::listing_is_newest_first_and_fetches_one_extra_row_to_tell_if_more_exist,
                payments::listing_filters_by_merchant_status_order_and_creation_range,
            }
            people {
                back_office::a_state_change_stores_its_operator_audit_row_and_a_stale_one_stores_none,
                back_office::a_redelivery_stores_its_operator_audit_row_and_an_unknown_message_stores_none,
                people::a_user_round_trips_with_every_field_including_a_sealed_totp_secret_and_a_merchant,
                people::an_email_differing_only_in_case_is_the_same_account,
                people::a_user_of_an_unknown_merchant_is_refused_and_writes_nothing,
                people::an_update_is_a_compare_and_set_on_the_version_and_a_stale_one_writes_nothing,
                people::sixteen_concurrent_failed_logins_from_the_same_version_let_exactly_one_through,
                people::users_list_newest_first_with_a_cursor_and_a_merchant_filter,
                people::only_enabled_admins_count_as_the_admin_that_stays,
                people::the_last_enabled_admin_is_never_taken_away_and_a_stale_one_writes_nothing,
                people::concurrent_removals_of_different_admins_always_leave_one,
                people::appended_audit_rows_get_increasing_ids_and_round_trip_with_every_field,
                people::audit_text_longer_than_its_columns_is_cut_not_refused,
                people::the_audit_log_lists_newest_first_with_every_filter_a_cursor_and_one_extra_row,
                people_sessions::a_session_round_trips_with_its_login_audit_row_and_an_unknown_hash_is_not_found,
                people_sessions::touching_a_session_moves_its_last_use_forward_never_back,
                people_sessions::a_session_is_revoked_once_and_a_second_revocation_writes_nothing,
                people_sessions::revoking_every_session_of_a_user_counts_the_live_ones_and_spares_other_users,
                people_sessions::purging_forgets_sessions_that_started_before_the_cutoff_revoked_or_not,
            }
            pending_cancels {
                pending_cancels::without_pending_cancels_the_summary_is_zero_with_no_oldest_even_after_ended_ones,
                pending_cancels::the_summary_counts_the_pending_cancels_of_every_merchant_and_knows_the_oldest,
            }
            reporting {
                reporting::stats_group_by_status_approval_day_and_merchant,
                reporting::stats_filters_by_merchant_and_half_open_creation_range,
                reporting::the_audit_feed_tails_every_merchant_in_log_id_order,
                reporting::the_attempt_feed_tails_attempts_with_their_message_and_payment,
            }
        }
    };
}

/// Declares the tests of [`migration_backfill`] for `$factory` (a type implementing
/// [`migration_backfill::StagedFactory`] in scope where the macro is expanded): one
/// `#[tokio::test]` per test, each calling the generic test of the same name.
#[macro_export]
macro_rules! migration_backfill_tests {
    ($factory:ty) => {
        $crate::__migration_backfill_tests! {
            $factory;
            the_money_movement_migration_backfills_canceled_payments_and_authorization_deadlines,
            outbox_messages_written_before_the_money_movement_migration_are_still_listed_and_claimed,
            new_cancels_work_on_payments_the_money_movement_migration_backfilled,
        }
    };
}

/// The one shape of a migration backfill test, for [`migration_backfill_tests!`].
#[doc(hidden)]
#[macro_export]
macro_rules! __migration_backfill_tests {
    ($factory:ty; $($test:ident,)*) => {
        $(
            #[tokio::test]
            async fn $test() {
                $crate::migration_backfill::$test::<$factory>().await
            }
        )*
    };
}

/// The one shape of a contract test, for [`contract_tests!`].
#[doc(hidden)]
#[macro_export]
macro_rules! __contract_tests {
    ($factory:ty; $($group:ident { $($module:ident :: $test:ident,)* })*) => {
        $(
            mod $group {
                use super::*;
                $(
                    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                    async fn $test() {
                        $crate::$module::$test::<$factory>().await
                    }
                )*
            }
        )*
    };
}
