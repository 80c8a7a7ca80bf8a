//! SQLite's claims, as SQL the shared code binds (same parameters as PostgreSQL's): each runs
//! under `BEGIN IMMEDIATE`, which already holds the database's one write lock, so no claim can
//! race another, in this process or a second one.

/// Takes the oldest due job of the queues in `$4` (or the oldest whose lease expired) for
/// worker `$1`, leased until `$2`; `$3` is kept as the error of a job whose lease ran out and
/// `$5` is now.
pub(super) const CLAIM_JOB: &str = concat!(
    "UPDATE jobs SET state = 'running', worker = $1, lease_until = $2,
         attempts = attempts + 1,
         last_error = CASE WHEN state = 'running' THEN $3 ELSE last_error END
     WHERE id = (
         SELECT c.id FROM jobs c
         WHERE c.id IN (
             -- Per queue, the head of the due index: a backlog costs nothing...
             SELECT (SELECT id FROM jobs
                     WHERE state = 'queued' AND queue = q.value AND run_at <= $5
                     ORDER BY run_at, id LIMIT 1)
             FROM json_each($4) q
             UNION ALL
             -- ...and expired leases are few.
             SELECT id FROM jobs
             WHERE state = 'running' AND lease_until <= $5
               AND queue IN (SELECT value FROM json_each($4)))
         ORDER BY c.run_at, c.id
         LIMIT 1)
     RETURNING ",
    job_columns!()
);

/// Claims up to `$5` due deliveries of issue `$3` for worker `$2`, leased until `$1`: pending
/// ones, temporary failures whose retry time (`$4` is now) came, and sends whose lease ran out.
/// Three index range scans rather than one OR, so a claim costs the batch, not the list.
pub(super) const CLAIM_DELIVERIES: &str = "UPDATE newsletter_deliveries
     SET state = 'sending', lease_until = $1, worker = $2, attempts = attempts + 1
     WHERE issue_id = $3 AND subscriber_id IN (
        SELECT subscriber_id FROM (
            SELECT subscriber_id FROM newsletter_deliveries
            WHERE issue_id = $3 AND state = 'sending' AND lease_until <= $4
            UNION ALL
            SELECT subscriber_id FROM newsletter_deliveries
            WHERE issue_id = $3 AND state = 'failed_temp' AND retry_at <= $4
            UNION ALL
            SELECT subscriber_id FROM newsletter_deliveries
            WHERE issue_id = $3 AND state = 'pending'
        ) LIMIT $5)
     RETURNING subscriber_id, attempts";
