//! The `perfledger` command line as a library, so end-to-end tests and the
//! benchmark drive the same code paths as the binary.

pub mod commands;
pub mod config;
pub mod demo;
mod progress;
mod shutdown;
