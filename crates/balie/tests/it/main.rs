//! Balie's integration tests, one binary with modules: the storage contract
//! and the API suite run on SQLite always and on PostgreSQL too when
//! `BALIE_TEST_DATABASE_URL` is set; durability runs the real binary.

mod api_contacts;
mod api_conversations;
mod api_errors;
mod api_live;
mod api_setup;
mod bot;
mod bot_admin;
mod browser;
mod canned;
mod durability;
mod harness;
mod isolation;
mod knowledge;
mod openapi;
mod orders;
mod storage;
mod ui;
mod widget;
mod widget_browser;
