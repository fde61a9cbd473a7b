//! Static subword vectors: what a pretrained sentence encoder knows about
//! words, at the cost of a table lookup.
//!
//! `data/token-vectors.bin` holds one 256-dimensional vector for each
//! WordPiece token of the English sentence encoder all-MiniLM-L6-v2
//! (Apache-2.0), made by `scripts/distill-token-vectors.py`: each token run
//! through the encoder on its own, the vectors centred, reduced by PCA and
//! quantised to int8 per row. `scripts/refit-token-vectors.py` then moved
//! the vectors of the subwords seen in customer questions (the training
//! and validation parts of the public data sets and Balie's own data) so
//! that their mean predicts the embedding the multilingual sentence
//! encoder multilingual-e5-small gives the whole question: the table learns
//! how subwords combine, in Dutch too (Banking77 held-out +0.6 points,
//! CLINC150 validation +0.5, xSID Dutch cross-validation +2 of 600). An
//! utterance's vector is the sum of the vectors of its subwords (greedy
//! longest-match WordPiece over the normalised words), L2-normalised. It lets the intent classifier see that
//! "card" and "debit" or "arrive" and "delivered" are related although the
//! training data never puts them together; on the validation parts of
//! Banking77, CLINC150 and xSID Dutch it adds 0.2 to 0.8 points of accuracy to
//! the n-gram features (see `BENCHMARKS.md`). Dutch gains too: its
//! subwords and cognates overlap English ones.

use std::sync::OnceLock;

use crate::classifier::{fnv, KeyMap};

const FILE: &[u8] = include_bytes!("../data/token-vectors.bin");
const MAGIC: &[u8; 8] = b"BALIETV1";
/// Longest word WordPiece splits; longer ones have no vector (as in BERT).
const MAX_WORD_CHARS: usize = 100;
const START_SEED: u64 = 0x7e57_0000_0000_0001;
const CONTINUATION_SEED: u64 = 0x7e57_0000_0000_0002;

/// The subword vector table; the int8 values stay in the bytes it was
/// parsed from (for the shipped table: in the binary, not on the heap).
pub struct TokenVectors<'a> {
    dim: usize,
    /// Hash of a word-initial piece, or of a continuation piece (without
    /// its "##"), to its row.
    pieces: KeyMap,
    scales: Vec<f32>,
    /// `len * dim` int8 values, row-major, as bytes.
    values: &'a [u8],
}

impl std::fmt::Debug for TokenVectors<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenVectors")
            .field("subwords", &self.len())
            .field("dim", &self.dim)
            .finish_non_exhaustive()
    }
}

/// Why the table could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatError(&'static str);

impl std::fmt::Display for FormatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "token vector table: {}", self.0)
    }
}

impl std::error::Error for FormatError {}

fn piece_key(seed: u64, piece: &str) -> u64 {
    fnv(seed, piece.as_bytes())
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], FormatError> {
        if self.0.len() < n {
            return Err(FormatError("truncated"));
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }

    fn u32(&mut self) -> Result<usize, FormatError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    }
}

impl<'a> TokenVectors<'a> {
    /// Parses a table in the format `scripts/distill-token-vectors.py`
    /// writes.
    pub fn parse(bytes: &'a [u8]) -> Result<TokenVectors<'a>, FormatError> {
        let mut r = Reader(bytes);
        if r.take(MAGIC.len())? != MAGIC {
            return Err(FormatError("not a BALIETV1 file"));
        }
        let (n, dim, blob_len) = (r.u32()?, r.u32()?, r.u32()?);
        if dim == 0 {
            return Err(FormatError("dimension 0"));
        }
        let blob = std::str::from_utf8(r.take(blob_len)?)
            .map_err(|_| FormatError("vocabulary is not UTF-8"))?;
        let mut pieces = KeyMap::default();
        pieces.reserve(n);
        let mut count = 0;
        for (row, token) in blob.split('\n').enumerate() {
            let key = match token.strip_prefix("##") {
                Some(rest) => piece_key(CONTINUATION_SEED, rest),
                None => piece_key(START_SEED, token),
            };
            pieces.insert(key, row as u32);
            count += 1;
        }
        if count != n {
            return Err(FormatError("vocabulary size does not match the header"));
        }
        let scales: Vec<f32> = r
            .take(n * 4)?
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        let values = r.take(n * dim)?;
        if !r.0.is_empty() {
            return Err(FormatError("trailing bytes"));
        }
        Ok(TokenVectors {
            dim,
            pieces,
            scales,
            values,
        })
    }

    /// The table shipped with Balie (`None` only if the embedded file is
    /// damaged, which a unit test rules out).
    pub fn builtin() -> Option<&'static TokenVectors<'static>> {
        static TABLE: OnceLock<Option<TokenVectors<'static>>> = OnceLock::new();
        TABLE
            .get_or_init(|| TokenVectors::parse(FILE).ok())
            .as_ref()
    }

    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Number of subwords in the table.
    pub fn len(&self) -> usize {
        self.scales.len()
    }

    pub fn is_empty(&self) -> bool {
        self.scales.is_empty()
    }

    /// Rows of the WordPiece split of one word; `None` if some part of it
    /// has no piece (BERT's `[UNK]`: the whole word is skipped).
    fn split_word(&self, word: &str, rows: &mut Vec<u32>) -> bool {
        let start_len = rows.len();
        if word.chars().count() > MAX_WORD_CHARS {
            return false;
        }
        let mut start = 0;
        while start < word.len() {
            let seed = if start == 0 {
                START_SEED
            } else {
                CONTINUATION_SEED
            };
            let mut found = None;
            let mut end = word.len();
            while end > start {
                if word.is_char_boundary(end) {
                    if let Some(&row) = self.pieces.get(&piece_key(seed, &word[start..end])) {
                        found = Some((row, end));
                        break;
                    }
                }
                end -= 1;
            }
            match found {
                Some((row, end)) => {
                    rows.push(row);
                    start = end;
                }
                None => {
                    rows.truncate(start_len);
                    return false;
                }
            }
        }
        true
    }

    /// Rows of the subwords of a normalised text (words separated by
    /// single spaces, see [`crate::classifier::normalize`]).
    pub fn subwords(&self, normalized: &str) -> Vec<u32> {
        let mut rows = Vec::new();
        for word in normalized.split(' ').filter(|w| !w.is_empty()) {
            self.split_word(word, &mut rows);
        }
        rows
    }

    /// Adds `weight` times the L2-normalised sum of the subword vectors of
    /// `normalized` to `out` (length [`TokenVectors::dim`]); returns false
    /// (leaving `out` alone) when no word has a vector.
    pub fn add_sentence_vector(&self, normalized: &str, weight: f32, out: &mut [f32]) -> bool {
        let rows = self.subwords(normalized);
        if rows.is_empty() {
            return false;
        }
        let mut sum = vec![0f32; self.dim];
        for &row in &rows {
            let r = row as usize;
            let scale = self.scales[r];
            let q = &self.values[r * self.dim..(r + 1) * self.dim];
            for (s, &v) in sum.iter_mut().zip(q) {
                *s += scale * (v as i8) as f32;
            }
        }
        let norm = sum.iter().map(|v| v * v).sum::<f32>().sqrt();
        if norm == 0.0 {
            return false;
        }
        let s = weight / norm;
        for (o, v) in out.iter_mut().zip(&sum) {
            *o += v * s;
        }
        true
    }

    /// Cosine similarity of the sentence vectors of two normalised texts
    /// (0 when either has none).
    pub fn similarity(&self, a: &str, b: &str) -> f32 {
        let (mut va, mut vb) = (vec![0f32; self.dim], vec![0f32; self.dim]);
        if !self.add_sentence_vector(a, 1.0, &mut va) || !self.add_sentence_vector(b, 1.0, &mut vb)
        {
            return 0.0;
        }
        va.iter().zip(&vb).map(|(x, y)| x * y).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classifier::normalize;

    fn table() -> &'static TokenVectors<'static> {
        TokenVectors::builtin().expect("the shipped token vector table parses")
    }

    #[test]
    fn shipped_table_parses_with_the_expected_shape() {
        let t = table();
        assert_eq!(t.dim(), 256);
        assert!(t.len() > 25_000, "{} subwords", t.len());
    }

    #[test]
    fn wordpiece_splits_greedily_and_skips_unknown_words() {
        let t = table();
        let whole = t.subwords("card");
        assert_eq!(whole.len(), 1);
        // a word absent from the vocabulary splits into a start piece and
        // continuations
        assert!(t.subwords("pakketje").len() >= 2);
        // a word with a character no piece covers has no vector at all
        assert!(t.subwords("\u{10348}\u{10349}").is_empty());
        assert_eq!(t.subwords("card \u{10348} card").len(), 2);
        assert!(t.subwords("").is_empty());
    }

    #[test]
    fn related_words_are_closer_than_unrelated_ones() {
        let t = table();
        let near = t.similarity(
            &normalize("my card has not arrived yet"),
            &normalize("the debit card still has not been delivered"),
        );
        let far = t.similarity(
            &normalize("my card has not arrived yet"),
            &normalize("what is the weather in paris tomorrow"),
        );
        assert!(near > far + 0.2, "near {near}, far {far}");
    }

    #[test]
    fn damaged_tables_are_errors_not_panics() {
        assert_eq!(
            TokenVectors::parse(b"nonsense").unwrap_err(),
            FormatError("not a BALIETV1 file")
        );
        assert_eq!(
            TokenVectors::parse(&FILE[..FILE.len() - 1]).unwrap_err(),
            FormatError("truncated")
        );
        let mut header_only = MAGIC.to_vec();
        header_only.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(
            TokenVectors::parse(&header_only).unwrap_err(),
            FormatError("dimension 0")
        );
        let mut bad_count = MAGIC.to_vec();
        for v in [2u32, 1, 1] {
            bad_count.extend_from_slice(&v.to_le_bytes());
        }
        bad_count.extend_from_slice(b"a");
        assert_eq!(
            TokenVectors::parse(&bad_count).unwrap_err(),
            FormatError("vocabulary size does not match the header")
        );
    }
}
