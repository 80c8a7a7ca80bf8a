//! Integration tests for newsdesk-web: the real router served over loopback, a real SQLite file.

mod account;
mod admin;
mod api;
mod common;
mod feeds;
mod http;
mod newsletter;
mod openapi;
mod password_reset;
mod people;
mod security;
mod site;
mod taxonomy;
mod wire;
