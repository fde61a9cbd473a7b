//! (being written: intent classifier part)
