//! (being written: text analysis part)
