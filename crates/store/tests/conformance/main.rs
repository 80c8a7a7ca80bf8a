//! The store conformance suite: one set of behaviours (`cases`), written once against
//! `Arc<dyn Store>`, run against SQLite (a fresh temp file per test) and PostgreSQL (a fresh
//! database per test on the server in `NEWSDESK_TEST_DATABASE_URL`).
//!
//! ```text
//! cargo test -p newsdesk-store --test conformance                # SQLite; PostgreSQL skipped loudly
//! eval "$(scripts/pg-test-server)"                                # start a throwaway PostgreSQL
//! cargo test -p newsdesk-store --test conformance                # both backends
//! ```
//! With `CI` set, a missing `NEWSDESK_TEST_DATABASE_URL` fails the PostgreSQL tests.

#![allow(clippy::unwrap_used)]

mod accounts;
mod cases;
mod ingest;
mod jobs;
mod newsletter;
mod nodes;
mod pages;
mod plans;
mod quotes;
mod search_changes;
mod sqlite_only;
mod stories;
mod support;
mod throttle;

/// Every area's cases, so that the macro can name each one `crate::all::NAME`.
mod all {
    pub use crate::accounts::*;
    pub use crate::cases::*;
    pub use crate::ingest::*;
    pub use crate::jobs::*;
    pub use crate::newsletter::*;
    pub use crate::nodes::*;
    pub use crate::pages::*;
    pub use crate::quotes::*;
    pub use crate::search_changes::*;
    pub use crate::stories::*;
    pub use crate::throttle::*;
}

/// Instantiates every case for both backends: `sqlite::<case>` and `postgres::<case>`.
/// `store:` cases take the store; `raw:` cases also get a back door to the database.
macro_rules! conformance {
    (store: [$($case:ident),* $(,)?], raw: [$($raw:ident),* $(,)?] $(,)?) => {
        mod sqlite {
            use crate::support::{SqliteDb, TestDb as _};
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    let db = SqliteDb::new().await;
                    crate::all::$case(db.store()).await;
                }
            )*
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $raw() {
                    let db = SqliteDb::new().await;
                    crate::all::$raw(&db).await;
                }
            )*
        }
        mod postgres {
            use crate::support::{PgDb, TestDb as _};
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    let Some(db) = PgDb::new(stringify!($case)).await else { return };
                    crate::all::$case(db.store()).await;
                }
            )*
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $raw() {
                    let Some(db) = PgDb::new(stringify!($raw)).await else { return };
                    crate::all::$raw(&db).await;
                }
            )*
        }
    };
}

conformance! {
    store: [
        every_article_write_appends_to_the_search_change_log,
        search_changes_page_by_limit_and_reread_by_seq,
        aliases_merge_one_speaker_across_articles,
        people_are_listed_most_quoted_first,
        a_persons_quotes_come_newest_first_in_pages,
        replacing_quotes_keeps_editors_fixes_and_drops,
        merging_people_moves_quotes_and_aliases,
        heartbeats_keep_one_row_per_node_and_list_the_recent_ones,
        a_lease_has_one_holder_until_it_expires,
        racing_nodes_never_both_take_a_lease,
        schema_is_at_the_version_this_build_knows,
        parallel_reservations_never_pass_the_limit,
        failed_login_audit_rows_are_one_per_group_and_window,
        authors_round_trip_with_photo_and_links,
        authors_are_listed_by_name,
        tags_round_trip_and_are_listed_by_name,
        sections_are_tags_heading_visible_articles_most_used_first,
        photos_round_trip_including_extreme_dimensions,
        article_round_trips_with_every_field,
        article_without_tags_authors_or_photo_loads,
        timestamps_round_trip_at_microsecond_precision,
        visibility_hides_drafts_and_articles_not_yet_due,
        pagination_covers_every_article_once_despite_equal_times,
        next_cursor_only_when_another_item_exists,
        page_limit_is_clamped_to_1_through_100,
        lists_filter_by_tag_author_since_and_importance,
        related_articles_rank_by_shared_tags_then_recency,
        count_articles_counts_every_status,
        duplicate_slugs_are_conflicts_and_leave_nothing_behind,
        repeated_ids_in_an_article_are_not_an_error,
        unknown_references_are_invalid_and_leave_nothing_behind,
        subscribing_twice_keeps_one_pending_row,
        subscriber_addresses_match_regardless_of_case,
        concurrent_writes_from_many_tasks_all_succeed,
        users_round_trip_and_emails_are_unique_regardless_of_case,
        sessions_expire_end_on_logout_and_on_disabling,
        a_new_password_ends_every_session_but_the_one_that_changed_it,
        api_tokens_record_use_and_stop_working_when_revoked,
        login_failures_are_counted_per_key_within_the_window,
        audit_log_lists_newest_first_and_pages,
        server_secret_is_stored_once_and_shared,
        webhooks_and_their_deliveries_round_trip,
        article_updates_keep_a_revision_per_save,
        status_changes_publish_schedule_and_unpublish,
        admin_list_filters_by_status_headline_author_and_review,
        photos_list_newest_first_with_renditions,
        tags_and_authors_can_be_edited,
        jobs_round_trip_with_every_field,
        jobs_are_claimed_oldest_due_first_and_only_from_the_named_queues,
        claims_across_queues_take_the_oldest_due_job_of_any,
        jobs_due_later_are_not_claimed_before_their_time,
        dedupe_key_allows_one_live_job_per_queue_and_key,
        expired_lease_lets_another_worker_reclaim_and_the_old_one_loses,
        failed_jobs_retry_at_their_time_then_die_after_max_attempts,
        permanent_failure_is_dead_at_once,
        job_whose_lease_expires_on_its_last_attempt_is_dead,
        dead_jobs_are_listed_newest_first_and_can_be_requeued,
        job_counts_are_per_queue_and_state,
        prune_done_deletes_only_done_jobs_finished_before_the_cutoff,
        concurrent_claimers_never_share_a_job_and_together_claim_all,
        sources_round_trip_update_pause_and_delete,
        polls_record_validators_names_moves_and_back_off,
        items_are_stored_once_by_guid_and_by_canonical_url,
        claimed_items_are_leased_and_stale_attempts_change_nothing,
        failed_items_retry_later_or_fail_for_good_with_the_reason,
        held_items_keep_their_page_and_reason,
        clusters_publish_one_article_and_list_every_agency,
        event_placement_finds_clusters_by_shared_keys_within_the_window,
        stories_list_members_newest_first_with_the_first_reporter_leading,
        merged_story_keeps_the_members_and_later_arrivals_join_it,
        moved_out_member_is_pinned_and_later_versions_follow_it,
        chosen_lead_gives_the_article_its_headline_and_source,
        event_candidates_rank_by_shared_weight,
        concurrent_placements_of_one_event_make_one_cluster,
        recent_story_texts_are_the_latest_stored_stories,
        wire_articles_keep_byline_and_tags_and_number_only_a_clashing_slug,
        a_review_source_makes_a_draft,
        confirmation_works_once_per_generation,
        unsubscribe_then_signing_up_again_starts_over,
        preferences_round_trip,
        signing_secret_is_made_once,
        rate_limit_counts_per_key_and_window,
        issue_send_log_covers_its_audience_once,
        expired_lease_is_reclaimed_and_sent_rows_never_are,
        a_renewed_lease_keeps_rows_from_other_senders,
        failures_retry_later_or_bounce_the_address,
        unsubscribing_skips_unsent_deliveries,
        subscribers_are_counted_by_status,
        bouncing_an_address_skips_its_unsent_deliveries_once,
        skipped_recipients_are_never_claimed_and_sent_rows_stay_sent,
        issues_are_listed_newest_first_by_kind,
        sources_are_listed_by_id_with_their_state,
        content_stamp_moves_on_content_writes_and_when_a_scheduled_article_is_due,
        article_page_reads_everything_the_article_shows_in_one_go,
        related_by_tags_ranks_by_shared_tags_then_recency_within_each_tags_newest,
    ],
    raw: [
        a_schema_newer_than_this_build_is_refused_with_a_clear_message,
        corrupt_slug_is_reported,
        corrupt_author_links_are_reported,
    ],
}
