//! Shared helpers for the integration tests.
#![allow(dead_code)]

pub mod items;
pub mod process;
pub mod proxy;
pub mod reference;
pub mod server;
pub mod tinyproxy;
pub mod tls;
pub mod wait;
