//! Route groups, one module per thing a visitor or client asks for.

pub mod api;
pub mod assets;
pub mod feeds;
pub mod newsletter;
pub mod site;
