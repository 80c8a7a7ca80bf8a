//! Route groups, one module per thing a visitor or client asks for.

pub mod admin;
pub mod api;
pub mod api_admin;
pub mod assets;
pub mod coverage;
pub mod feeds;
pub mod newsletter;
pub mod openapi;
pub mod people;
pub mod search;
pub mod site;
pub mod sources;
pub mod stories;
