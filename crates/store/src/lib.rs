//! SQL storage for newsdesk: [`newsdesk_core::Store`] over SQLite (default) and PostgreSQL.
