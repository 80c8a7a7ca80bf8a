//! newsdesk's HTTP face.
