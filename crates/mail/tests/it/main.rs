//! The mail crate's integration tests, one binary: the job-queue orchestration of the
//! newsletter against a real SQLite store and the outbox transport.

mod schedule;
