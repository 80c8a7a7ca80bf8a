//! Integration tests for newsdesk-web: the real router served over loopback, a real SQLite file.

mod admin;
mod api;
mod api_admin;
mod common;
mod feeds;
mod http;
mod newsletter;
mod openapi;
mod ops;
mod people;
mod search;
mod security;
mod site;
mod stories;
mod wire;
