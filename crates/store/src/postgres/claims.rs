//! PostgreSQL's claims, as SQL the shared code binds (same parameters as SQLite's): rows are
//! picked with `FOR UPDATE SKIP LOCKED`, so concurrent claimers (threads, processes or nodes)
//! each take different work without waiting on one another.

/// Takes the oldest due job of the queues in `$4` (or the oldest whose lease expired) for
/// worker `$1`, leased until `$2`; `$3` is kept as the error of a job whose lease ran out and
/// `$5` is now.
///
/// One candidate per queue from the head of the due index (so a backlog costs nothing) plus the
/// oldest expired lease, each locked with SKIP LOCKED so that concurrent claimers pass over one
/// another's; the oldest candidate is taken. The others stay locked only until the statement
/// ends.
pub(super) const CLAIM_JOB: &str = concat!(
    "WITH candidates AS (
         SELECT l.id, l.run_at FROM (
             SELECT id, run_at FROM jobs
             WHERE state = 'running' AND lease_until <= $5 AND queue = ANY($4)
             ORDER BY run_at, id LIMIT 1
             FOR UPDATE SKIP LOCKED) l
         UNION ALL
         SELECT d.id, d.run_at FROM unnest($4::text[]) q (name) CROSS JOIN LATERAL (
             SELECT id, run_at FROM jobs
             WHERE state = 'queued' AND queue = q.name AND run_at <= $5
             ORDER BY run_at, id LIMIT 1
             FOR UPDATE SKIP LOCKED) d
     )
     UPDATE jobs SET state = 'running', worker = $1, lease_until = $2,
         attempts = attempts + 1,
         last_error = CASE WHEN state = 'running' THEN $3 ELSE last_error END
     WHERE id = (SELECT id FROM candidates ORDER BY run_at, id LIMIT 1)
     RETURNING ",
    job_columns!()
);

/// Claims up to `$5` due deliveries of issue `$3` for worker `$2`, leased until `$1`: pending
/// ones, temporary failures whose retry time (`$4` is now) came, and sends whose lease ran out.
/// Several nodes can send one issue side by side without claiming the same rows.
pub(super) const CLAIM_DELIVERIES: &str = "WITH picked AS (
        SELECT subscriber_id FROM newsletter_deliveries
        WHERE issue_id = $3 AND (state = 'pending'
            OR (state = 'failed_temp' AND retry_at <= $4)
            OR (state = 'sending' AND lease_until <= $4))
        LIMIT $5 FOR UPDATE SKIP LOCKED)
     UPDATE newsletter_deliveries d
     SET state = 'sending', lease_until = $1, worker = $2, attempts = d.attempts + 1
     FROM picked
     WHERE d.issue_id = $3 AND d.subscriber_id = picked.subscriber_id
     RETURNING d.subscriber_id, d.attempts";
