//! The relay (issue #14): a role of the server that stores every valid
//! event of the networks it serves and answers sync sessions from its store.

pub mod store;
