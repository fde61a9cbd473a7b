//! Prints, for each line of standard input, the rows of the built-in
//! subword vector table that the intent classifier sums for it (after the
//! classifier's normalisation), space separated. Used by
//! `scripts/refit-token-vectors.py`.

use std::io::{BufRead, Write};

use balie_nlu::classifier::normalize;
use balie_nlu::embeddings::TokenVectors;

fn main() -> std::io::Result<()> {
    let Some(table) = TokenVectors::builtin() else {
        eprintln!("the built-in subword vector table could not be read");
        std::process::exit(1);
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for line in std::io::stdin().lock().lines() {
        let rows = table.subwords(&normalize(&line?));
        let text: Vec<String> = rows.iter().map(|r| r.to_string()).collect();
        writeln!(out, "{}", text.join(" "))?;
    }
    out.flush()
}
