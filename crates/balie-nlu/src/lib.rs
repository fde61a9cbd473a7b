//! Language understanding for Balie's bot: intent classification, language
//! detection, entity extraction and sentiment, in Dutch and English, in pure
//! Rust with nothing downloaded at run time.

pub mod classifier;
pub mod datasets;
pub mod embeddings;
pub mod entities;
pub mod eval;
pub mod language;
pub mod search;
pub mod sentiment;
