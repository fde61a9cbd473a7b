//! Intent classification in pure Rust.
//!
//! Text is normalised (lower case, accents folded, digit runs collapsed to
//! `0`, apostrophes and hyphens joined), turned into TF-IDF features (word
//! 1-2 grams and character 2-5 grams inside word boundaries, sublinear term
//! frequency, each block L2-normalised) and scored by one-vs-rest linear SVMs
//! (L2-regularised squared hinge loss, trained by dual coordinate descent
//! with shrinking, as in LIBLINEAR). Scores become probabilities through a
//! softmax with a fitted temperature, and a confidence threshold refuses
//! utterances that fit no intent well (`out_of_scope`). Temperature and
//! threshold are fitted on held-out data only: an explicit validation set, or
//! out-of-fold predictions of a k-fold split of the training data.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

/// The label of utterances that fit none of the known intents.
pub const OUT_OF_SCOPE: &str = "out_of_scope";

/// One labelled utterance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainingExample {
    pub intent: String,
    pub text: String,
}

impl TrainingExample {
    pub fn new(intent: impl Into<String>, text: impl Into<String>) -> Self {
        TrainingExample {
            intent: intent.into(),
            text: text.into(),
        }
    }
}

/// The result of classifying one utterance.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Prediction {
    /// The best intent, or [`OUT_OF_SCOPE`] when the model is not confident.
    pub intent: String,
    /// Calibrated probability of `intent`; for `out_of_scope` it is one minus
    /// the probability of the best in-scope intent.
    pub confidence: f32,
    /// The three best in-scope intents with their probabilities, best first.
    pub alternatives: Vec<(String, f32)>,
}

/// Knobs for [`IntentModel::train`]. The defaults were chosen on the
/// training/validation parts of the public data sets.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainConfig {
    /// Longest word n-gram (0 disables word features).
    pub word_ngram_max: usize,
    /// Shortest and longest character n-gram inside word boundaries
    /// (`char_ngram_max == 0` disables character features).
    pub char_ngram_min: usize,
    pub char_ngram_max: usize,
    /// Weight of the L2-normalised word block and character block.
    pub word_weight: f32,
    pub char_weight: f32,
    /// Features seen in fewer training utterances than this are dropped.
    pub min_df: u32,
    /// SVM cost parameter (larger fits the training data more closely).
    pub c: f32,
    /// Maximum passes of the coordinate-descent solver per class.
    pub max_epochs: usize,
    /// Stopping tolerance of the solver (projected-gradient spread).
    pub tolerance: f32,
    /// Train `out_of_scope` examples as a class of their own (besides the
    /// threshold). When false they only calibrate the threshold.
    pub oos_as_class: bool,
    /// Folds used to get held-out scores for calibration when no validation
    /// set is given (0 or 1: no calibration; temperature 1, threshold from
    /// `threshold` or 0).
    pub calibration_folds: usize,
    /// Weight of out-of-scope recall against in-scope accuracy when the
    /// threshold is chosen on held-out data that contains `out_of_scope`
    /// examples: the threshold maximises `in_scope_acc + oos_balance *
    /// oos_recall`.
    pub oos_balance: f32,
    /// Without held-out `out_of_scope` examples, the threshold rejects this
    /// share of correctly classified held-out in-scope utterances.
    pub max_in_scope_rejection: f32,
    /// A fixed confidence threshold instead of a fitted one.
    pub threshold: Option<f32>,
    /// Worker threads for training (0: all available cores).
    pub threads: usize,
    /// Seed for shuffling (training is deterministic for a given seed).
    pub seed: u64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            word_ngram_max: 2,
            char_ngram_min: 2,
            char_ngram_max: 5,
            word_weight: 1.0,
            char_weight: 1.0,
            min_df: 1,
            c: 0.5,
            max_epochs: 200,
            tolerance: 0.1,
            oos_as_class: false,
            calibration_folds: 3,
            oos_balance: 1.0,
            max_in_scope_rejection: 0.02,
            threshold: None,
            threads: 0,
            seed: 0x5eed_ba11e,
        }
    }
}

// ---------------------------------------------------------------------------
// Normalisation and features

/// Lower-cases, folds accents, collapses digit runs to `0`, joins
/// apostrophes and hyphens, and turns other punctuation into spaces.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    let mut last_space = true;
    let mut last_digit = false;
    for ch in text.chars() {
        if ch.is_ascii() {
            push_char(
                ch.to_ascii_lowercase(),
                &mut out,
                &mut last_space,
                &mut last_digit,
            );
            continue;
        }
        for lc in ch.to_lowercase() {
            match fold_accent(lc) {
                Some(s) => {
                    for c in s.chars() {
                        push_char(c, &mut out, &mut last_space, &mut last_digit);
                    }
                }
                None => push_char(lc, &mut out, &mut last_space, &mut last_digit),
            }
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

fn push_char(c: char, out: &mut String, last_space: &mut bool, last_digit: &mut bool) {
    if c.is_numeric() {
        if !*last_digit {
            out.push('0');
            *last_digit = true;
            *last_space = false;
        }
    } else if c.is_alphanumeric() {
        out.push(c);
        *last_space = false;
        *last_digit = false;
    } else if matches!(
        c,
        '\'' | '\u{2019}' | '\u{2018}' | '`' | '\u{b4}' | '-' | '\u{ad}'
    ) {
        // joined: "don't" -> "dont", "e-mail" -> "email"
    } else {
        *last_digit = false;
        if !*last_space {
            out.push(' ');
            *last_space = true;
        }
    }
}

fn fold_accent(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'ç' | 'ć' | 'č' => "c",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => "e",
        'ì' | 'í' | 'î' | 'ï' | 'ī' | 'į' | 'ı' => "i",
        'ñ' | 'ń' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => "o",
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' => "u",
        'ý' | 'ÿ' => "y",
        'ś' | 'š' | 'ş' => "s",
        'ź' | 'ż' | 'ž' => "z",
        'ł' => "l",
        'ř' => "r",
        'ď' => "d",
        'ť' => "t",
        'ß' => "ss",
        'æ' => "ae",
        'œ' => "oe",
        'ĳ' => "ij",
        '€' => " euro ",
        _ => return None,
    })
}

const WORD_SEED: u64 = 0x9e37_79b9_7f4a_7c15;
const CHAR_SEED: u64 = 0xc2b2_ae3d_27d4_eb4f;

#[inline]
fn fnv(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[inline]
fn mix(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^= h >> 33;
    h
}

/// Hasher for keys that are already well-mixed 64-bit hashes.
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0 = fnv(self.0 ^ 0xcbf2_9ce4_8422_2325, bytes);
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type KeyMap = HashMap<u64, u32, BuildHasherDefault<IdHasher>>;

#[derive(Debug, Clone)]
struct FeatureParams {
    word_max: usize,
    char_min: usize,
    char_max: usize,
    word_weight: f32,
    char_weight: f32,
}

impl FeatureParams {
    fn from_config(c: &TrainConfig) -> Self {
        FeatureParams {
            word_max: c.word_ngram_max,
            char_min: c.char_ngram_min.max(1),
            char_max: c.char_ngram_max,
            word_weight: c.word_weight,
            char_weight: c.char_weight,
        }
    }

    /// Hashed keys of the word block and the character block.
    fn keys(&self, normalized: &str, word: &mut Vec<u64>, chars: &mut Vec<u64>) {
        word.clear();
        chars.clear();
        let tokens: Vec<&str> = normalized.split(' ').filter(|t| !t.is_empty()).collect();
        for n in 1..=self.word_max {
            if tokens.len() < n {
                break;
            }
            for win in tokens.windows(n) {
                let mut h = WORD_SEED ^ n as u64;
                for t in win {
                    h = fnv(h, t.as_bytes());
                    h = fnv(h, &[0x1f]);
                }
                word.push(mix(h));
            }
        }
        if std::env::var("SKIP").is_ok() && tokens.len() >= 3 {
            for win in tokens.windows(3) {
                let mut h = WORD_SEED ^ 77;
                h = fnv(h, win[0].as_bytes());
                h = fnv(h, &[0x1f]);
                h = fnv(h, win[2].as_bytes());
                word.push(mix(h));
            }
        }
        if std::env::var("PAIRS").is_ok() {
            let mut u: Vec<&str> = tokens.clone();
            u.sort_unstable();
            u.dedup();
            for i in 0..u.len() {
                for j in i + 1..u.len() {
                    let mut h = WORD_SEED ^ 55;
                    h = fnv(h, u[i].as_bytes());
                    h = fnv(h, &[0x1f]);
                    h = fnv(h, u[j].as_bytes());
                    word.push(mix(h));
                }
            }
        }
        if let Ok(n) = std::env::var("XCHAR") {
            let n: usize = n.parse().unwrap();
            let joined = format!(" {} ", tokens.join(" "));
            let cs: Vec<usize> = joined
                .char_indices()
                .map(|(i, _)| i)
                .chain(std::iter::once(joined.len()))
                .collect();
            let len = cs.len() - 1;
            for m in [n, n + 1] {
                if len > m {
                    for st in 0..=len - m {
                        word.push(mix(fnv(
                            WORD_SEED ^ 200 ^ m as u64,
                            &joined.as_bytes()[cs[st]..cs[st + m]],
                        )));
                    }
                }
            }
        }
        if std::env::var("BOUND").is_ok() && !tokens.is_empty() {
            word.push(mix(fnv(WORD_SEED ^ 91, tokens[0].as_bytes())));
            word.push(mix(fnv(
                WORD_SEED ^ 92,
                tokens[tokens.len() - 1].as_bytes(),
            )));
        }
        if self.char_max == 0 {
            return;
        }
        let mut padded = String::new();
        let mut bounds: Vec<usize> = Vec::new();
        for t in &tokens {
            padded.clear();
            padded.push(' ');
            padded.push_str(t);
            padded.push(' ');
            bounds.clear();
            bounds.extend(padded.char_indices().map(|(i, _)| i));
            bounds.push(padded.len());
            let len = bounds.len() - 1;
            let bytes = padded.as_bytes();
            for n in self.char_min..=self.char_max {
                if len <= n {
                    // the whole padded word, once (like scikit-learn's char_wb)
                    chars.push(mix(fnv(CHAR_SEED ^ n as u64, bytes)));
                    break;
                }
                for s in 0..=len - n {
                    let h = fnv(CHAR_SEED ^ n as u64, &bytes[bounds[s]..bounds[s + n]]);
                    chars.push(mix(h));
                }
            }
        }
    }
}

/// Vocabulary, IDF and the vectoriser.
#[derive(Debug, Clone)]
struct FeatureSpace {
    params: FeatureParams,
    vocab: KeyMap,
    idf: Vec<f32>,
}

/// A sparse vector: (feature index, value), sorted by index.
type SparseVec = Vec<(u32, f32)>;

impl FeatureSpace {
    fn build(params: FeatureParams, docs: &[(Vec<u64>, Vec<u64>)], min_df: u32) -> Self {
        let mut df: HashMap<u64, u32, BuildHasherDefault<IdHasher>> = HashMap::default();
        let mut seen: Vec<u64> = Vec::new();
        for (w, c) in docs {
            seen.clear();
            seen.extend_from_slice(w);
            seen.extend_from_slice(c);
            seen.sort_unstable();
            seen.dedup();
            for &k in &seen {
                *df.entry(k).or_insert(0) += 1;
            }
        }
        let mut keys: Vec<(u64, u32)> = df
            .into_iter()
            .filter(|&(_, d)| d >= min_df.max(1))
            .collect();
        keys.sort_unstable();
        let n = docs.len() as f32;
        let mut vocab = KeyMap::default();
        vocab.reserve(keys.len());
        let mut idf = Vec::with_capacity(keys.len());
        for (i, (k, d)) in keys.into_iter().enumerate() {
            vocab.insert(k, i as u32);
            idf.push(if std::env::var("NOIDF").is_ok() {
                1.0
            } else {
                ((1.0 + n) / (1.0 + d as f32)).ln() + 1.0
            });
        }
        FeatureSpace { params, vocab, idf }
    }

    fn dim(&self) -> usize {
        self.idf.len()
    }

    fn block(&self, keys: &[u64], weight: f32, scratch: &mut Vec<u32>, out: &mut SparseVec) {
        scratch.clear();
        scratch.extend(keys.iter().filter_map(|k| self.vocab.get(k).copied()));
        if scratch.is_empty() || weight == 0.0 {
            return;
        }
        scratch.sort_unstable();
        let start = out.len();
        let mut i = 0;
        while i < scratch.len() {
            let f = scratch[i];
            let mut j = i + 1;
            while j < scratch.len() && scratch[j] == f {
                j += 1;
            }
            let tf = 1.0 + ((j - i) as f32).ln();
            out.push((f, tf * self.idf[f as usize]));
            i = j;
        }
        let norm = out[start..].iter().map(|&(_, v)| v * v).sum::<f32>().sqrt();
        if norm > 0.0 {
            let s = weight / norm;
            for e in &mut out[start..] {
                e.1 *= s;
            }
        }
    }

    fn vectorize_keys(&self, word: &[u64], chars: &[u64], out: &mut SparseVec) {
        out.clear();
        let mut scratch = Vec::with_capacity(word.len().max(chars.len()));
        self.block(word, self.params.word_weight, &mut scratch, out);
        self.block(chars, self.params.char_weight, &mut scratch, out);
        // word and char indices interleave in the vocabulary: sort once more
        out.sort_unstable_by_key(|e| e.0);
        let norm = out.iter().map(|&(_, v)| v * v).sum::<f32>().sqrt();
        if norm > 0.0 {
            for e in out.iter_mut() {
                e.1 /= norm;
            }
        }
    }

    fn vectorize(&self, text: &str) -> SparseVec {
        let norm = normalize(text);
        let (mut w, mut c) = (Vec::new(), Vec::new());
        self.params.keys(&norm, &mut w, &mut c);
        let mut out = Vec::with_capacity(w.len() + c.len());
        self.vectorize_keys(&w, &c, &mut out);
        out
    }
}

/// Rows of sparse vectors in CSR layout.
#[derive(Debug, Default)]
struct Csr {
    indptr: Vec<usize>,
    idx: Vec<u32>,
    val: Vec<f32>,
}

impl Csr {
    fn push(&mut self, v: &[(u32, f32)]) {
        if self.indptr.is_empty() {
            self.indptr.push(0);
        }
        for &(i, x) in v {
            self.idx.push(i);
            self.val.push(x);
        }
        self.indptr.push(self.idx.len());
    }

    fn row(&self, r: usize) -> (&[u32], &[f32]) {
        let (a, b) = (self.indptr[r], self.indptr[r + 1]);
        (&self.idx[a..b], &self.val[a..b])
    }
}

// ---------------------------------------------------------------------------
// Solver

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const BIAS: f32 = 1.0;

/// One binary L2-regularised squared-hinge SVM by dual coordinate descent
/// with shrinking (Hsieh et al. 2008). Returns `dim` weights plus the bias.
#[allow(clippy::too_many_arguments)]
fn train_binary(
    x: &Csr,
    rows: &[usize],
    positive: &[bool],
    dim: usize,
    c: f32,
    eps: f32,
    max_epochs: usize,
    seed: u64,
) -> Vec<f32> {
    let l = rows.len();
    let mut w = vec![0f32; dim + 1];
    if l == 0 {
        return w;
    }
    let l1 = std::env::var("L1").is_ok();
    let (diag, upper) = if l1 {
        (0.0, c)
    } else {
        (0.5 / c, f32::INFINITY)
    };
    let mut alpha = vec![0f32; l];
    let qd: Vec<f32> = rows
        .iter()
        .map(|&r| {
            let (_, v) = x.row(r);
            v.iter().map(|a| a * a).sum::<f32>() + BIAS * BIAS + diag
        })
        .collect();
    let mut index: Vec<usize> = (0..l).collect();
    let mut active = l;
    let mut rng = Rng(seed | 1);
    let (mut pg_max_old, mut pg_min_old) = (f32::INFINITY, f32::NEG_INFINITY);
    let mut epoch = 0;
    while epoch < max_epochs {
        let (mut pg_max, mut pg_min) = (f32::NEG_INFINITY, f32::INFINITY);
        for i in 0..active {
            let j = i + rng.below(active - i);
            index.swap(i, j);
        }
        let mut s = 0;
        while s < active {
            let i = index[s];
            let yi = if positive[i] { 1.0f32 } else { -1.0 };
            let (fi, fv) = x.row(rows[i]);
            let mut dot = w[dim] * BIAS;
            for (&f, &v) in fi.iter().zip(fv) {
                dot += w[f as usize] * v;
            }
            let g = yi * dot - 1.0 + alpha[i] * diag;
            let mut pg = 0.0;
            if alpha[i] == 0.0 {
                if g > pg_max_old {
                    active -= 1;
                    index.swap(s, active);
                    continue;
                } else if g < 0.0 {
                    pg = g;
                }
            } else if alpha[i] >= upper {
                if g < pg_min_old {
                    active -= 1;
                    index.swap(s, active);
                    continue;
                } else if g > 0.0 {
                    pg = g;
                }
            } else {
                pg = g;
            }
            pg_max = pg_max.max(pg);
            pg_min = pg_min.min(pg);
            if pg.abs() > 1e-12 {
                let old = alpha[i];
                alpha[i] = (old - g / qd[i]).clamp(0.0, upper);
                let d = (alpha[i] - old) * yi;
                if d != 0.0 {
                    for (&f, &v) in fi.iter().zip(fv) {
                        w[f as usize] += d * v;
                    }
                    w[dim] += d * BIAS;
                }
            }
            s += 1;
        }
        epoch += 1;
        if pg_max - pg_min <= eps {
            if active == l {
                break;
            }
            active = l;
            pg_max_old = f32::INFINITY;
            pg_min_old = f32::NEG_INFINITY;
            continue;
        }
        pg_max_old = if pg_max <= 0.0 { f32::INFINITY } else { pg_max };
        pg_min_old = if pg_min >= 0.0 {
            f32::NEG_INFINITY
        } else {
            pg_min
        };
    }
    w
}

fn thread_count(config: &TrainConfig) -> usize {
    if config.threads > 0 {
        config.threads
    } else {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    }
}

/// One-vs-rest training of all classes on the given rows; returns the
/// weights feature-major (`dim * k`) and the biases.
fn train_ovr(
    x: &Csr,
    rows: &[usize],
    labels: &[usize],
    k: usize,
    dim: usize,
    config: &TrainConfig,
) -> (Vec<f32>, Vec<f32>) {
    let next = AtomicUsize::new(0);
    let threads = thread_count(config).min(k.max(1));
    let mut per_class: Vec<(usize, Vec<f32>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    let mut positive = vec![false; rows.len()];
                    loop {
                        let class = next.fetch_add(1, Ordering::Relaxed);
                        if class >= k {
                            break;
                        }
                        for (p, &r) in positive.iter_mut().zip(rows) {
                            *p = labels[r] == class;
                        }
                        let seed = config.seed ^ (class as u64).wrapping_mul(0x9e37_79b9);
                        let w = train_binary(
                            x,
                            rows,
                            &positive,
                            dim,
                            config.c,
                            config.tolerance,
                            config.max_epochs,
                            seed,
                        );
                        done.push((class, w));
                    }
                    done
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("training thread panicked"))
            .collect()
    });
    per_class.sort_by_key(|e| e.0);
    let mut weights = vec![0f32; dim * k];
    let mut bias = vec![0f32; k];
    for (class, w) in per_class {
        for f in 0..dim {
            weights[f * k + class] = w[f];
        }
        bias[class] = w[dim] * BIAS;
    }
    (weights, bias)
}

/// Multinomial logistic regression by SGD with a decaying learning rate and
/// lazily applied L2 regularisation (`W = scale * V`).
fn train_softmax(
    x: &Csr,
    rows: &[usize],
    labels: &[usize],
    k: usize,
    dim: usize,
    config: &TrainConfig,
) -> (Vec<f32>, Vec<f32>) {
    let n = rows.len().max(1);
    let lambda = 1.0 / (config.c as f64 * n as f64);
    let epochs: usize = std::env::var("EPOCHS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let eta0: f64 = std::env::var("ETA")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1.0);
    let mut v = vec![0f32; dim * k];
    let mut b = vec![0f32; k];
    let mut scale = 1f64;
    let mut order: Vec<usize> = rows.to_vec();
    let mut rng = Rng(config.seed | 1);
    let mut s = vec![0f32; k];
    let mut t = 0f64;
    for _ in 0..epochs {
        for i in (1..order.len()).rev() {
            order.swap(i, rng.below(i + 1));
        }
        for &r in &order {
            let eta = eta0 / (1.0 + eta0 * lambda * t);
            t += 1.0;
            let (fi, fv) = x.row(r);
            s.copy_from_slice(&b);
            let sc = scale as f32;
            for (&f, &val) in fi.iter().zip(fv) {
                let row = &v[f as usize * k..f as usize * k + k];
                let xv = val * sc;
                for (o, &w) in s.iter_mut().zip(row) {
                    *o += w * xv;
                }
            }
            let max = s.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let mut z = 0f32;
            for o in s.iter_mut() {
                *o = (*o - max).exp();
                z += *o;
            }
            for o in s.iter_mut() {
                *o /= z;
            }
            s[labels[r]] -= 1.0; // gradient wrt scores
            scale *= 1.0 - eta * lambda;
            let step = (eta / scale) as f32;
            for (&f, &val) in fi.iter().zip(fv) {
                let row = &mut v[f as usize * k..f as usize * k + k];
                let a = step * val;
                for (w, &g) in row.iter_mut().zip(&s) {
                    *w -= a * g;
                }
            }
            for (bb, &g) in b.iter_mut().zip(&s) {
                *bb -= eta as f32 * g;
            }
            if scale < 1e-6 {
                for w in v.iter_mut() {
                    *w *= scale as f32;
                }
                scale = 1.0;
            }
        }
    }
    for w in v.iter_mut() {
        *w *= scale as f32;
    }
    (v, b)
}

fn train_linear(
    x: &Csr,
    rows: &[usize],
    labels: &[usize],
    k: usize,
    dim: usize,
    config: &TrainConfig,
) -> (Vec<f32>, Vec<f32>) {
    match std::env::var("MODEL").as_deref() {
        Ok("lr") => train_softmax(x, rows, labels, k, dim, config),
        Ok("ens") => {
            let (mut w1, mut b1) = train_ovr(x, rows, labels, k, dim, config);
            let mut c2 = config.clone();
            c2.c = std::env::var("LRC")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(config.c);
            let (w2, b2) = train_softmax(x, rows, labels, k, dim, &c2);
            let mix: f32 = std::env::var("MIX")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(0.1);
            for (a, b) in w1.iter_mut().zip(&w2) {
                *a += mix * b;
            }
            for (a, b) in b1.iter_mut().zip(&b2) {
                *a += mix * b;
            }
            (w1, b1)
        }
        _ => train_ovr(x, rows, labels, k, dim, config),
    }
}

fn scores_into(weights: &[f32], bias: &[f32], v: &[(u32, f32)], out: &mut [f32]) {
    let k = bias.len();
    out.copy_from_slice(bias);
    for &(f, x) in v {
        let row = &weights[f as usize * k..f as usize * k + k];
        for (o, &w) in out.iter_mut().zip(row) {
            *o += w * x;
        }
    }
}

fn softmax(scores: &[f32], temperature: f32, out: &mut [f32]) {
    let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for (o, &s) in out.iter_mut().zip(scores) {
        *o = ((s - max) / temperature).exp();
        sum += *o;
    }
    for o in out.iter_mut() {
        *o /= sum;
    }
}

// ---------------------------------------------------------------------------
// Calibration

/// Held-out scores of one utterance for calibration.
struct Heldout {
    scores: Vec<f32>,
    /// Gold class index, or `None` for an out-of-scope utterance that is not
    /// a class of the model.
    gold: Option<usize>,
    gold_is_oos: bool,
}

/// Temperature minimising the negative log-likelihood of the gold classes.
fn fit_temperature(items: &[Heldout]) -> f32 {
    let labelled: Vec<&Heldout> = items.iter().filter(|h| h.gold.is_some()).collect();
    if labelled.is_empty() {
        return 1.0;
    }
    let nll = |t: f32| -> f64 {
        let mut total = 0f64;
        for h in &labelled {
            let max = h.scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let z: f64 = h
                .scores
                .iter()
                .map(|&s| (((s - max) / t) as f64).exp())
                .sum();
            let g = h.gold.unwrap_or(0);
            total += z.ln() - ((h.scores[g] - max) / t) as f64;
        }
        total
    };
    // golden-section search on log(t)
    let (mut a, mut b) = ((1e-3f32).ln(), (10f32).ln());
    let phi = 0.618_034f32;
    let mut c = b - phi * (b - a);
    let mut d = a + phi * (b - a);
    let (mut fc, mut fd) = (nll(c.exp()), nll(d.exp()));
    for _ in 0..40 {
        if fc < fd {
            b = d;
            d = c;
            fd = fc;
            c = b - phi * (b - a);
            fc = nll(c.exp());
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + phi * (b - a);
            fd = nll(d.exp());
        }
    }
    ((a + b) / 2.0).exp()
}

/// The confidence threshold, chosen on held-out predictions.
fn fit_threshold(
    items: &[Heldout],
    temperature: f32,
    oos_class: Option<usize>,
    config: &TrainConfig,
) -> f32 {
    // (confidence, accepted-and-correct for in-scope / is oos)
    let mut ins: Vec<(f32, bool)> = Vec::new();
    let mut oos: Vec<(f32, bool)> = Vec::new(); // (confidence, predicted oos class)
    let mut probs = Vec::new();
    for h in items {
        probs.resize(h.scores.len(), 0.0);
        let (best, conf) = best_in_scope(&h.scores, temperature, oos_class, &mut probs);
        let top = argmax(&h.scores);
        let top_oos = Some(top) == oos_class;
        if h.gold_is_oos {
            oos.push((conf, top_oos));
        } else {
            ins.push((conf, !top_oos && Some(best) == h.gold));
        }
    }
    if oos.is_empty() {
        let mut correct: Vec<f32> = ins.iter().filter(|e| e.1).map(|e| e.0).collect();
        if correct.is_empty() {
            return 0.0;
        }
        correct.sort_by(f32::total_cmp);
        let q = ((correct.len() as f32) * config.max_in_scope_rejection).floor() as usize;
        return if q == 0 {
            0.0
        } else {
            (correct[q - 1] + correct[q.min(correct.len() - 1)]) / 2.0
        };
    }
    // sweep thresholds: objective(t) = in_acc(t) + balance * oos_recall(t)
    let mut events: Vec<(f32, f64)> = Vec::new();
    let (n_in, n_oos) = (ins.len().max(1) as f64, oos.len() as f64);
    let mut base = 0f64;
    for &(c, ok) in &ins {
        if ok {
            base += 1.0 / n_in;
            events.push((c, -1.0 / n_in)); // lost once t > c
        }
    }
    let bal = config.oos_balance as f64;
    for &(c, top_oos) in &oos {
        if top_oos {
            base += bal / n_oos;
        } else {
            events.push((c, bal / n_oos)); // gained once t > c
        }
    }
    events.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (mut best_t, mut best_v, mut v) = (0f32, base, base);
    let mut i = 0;
    while i < events.len() {
        let c = events[i].0;
        while i < events.len() && events[i].0 == c {
            v += events[i].1;
            i += 1;
        }
        if v > best_v + 1e-12 {
            best_v = v;
            let next = events.get(i).map_or(c + 1e-4, |e| e.0);
            best_t = (c + next) / 2.0;
        }
    }
    best_t
}

fn argmax(v: &[f32]) -> usize {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = i;
        }
    }
    best
}

/// Best in-scope class and its probability (the oos class, if any, is
/// excluded from the choice but takes part in the softmax).
fn best_in_scope(
    scores: &[f32],
    temperature: f32,
    oos_class: Option<usize>,
    probs: &mut [f32],
) -> (usize, f32) {
    softmax(scores, temperature, probs);
    let mut best = usize::MAX;
    for (i, &p) in probs.iter().enumerate() {
        if Some(i) != oos_class && (best == usize::MAX || p > probs[best]) {
            best = i;
        }
    }
    if best == usize::MAX {
        (0, 0.0)
    } else {
        (best, probs[best])
    }
}

// ---------------------------------------------------------------------------
// The model

/// A trained intent classifier.
#[derive(Debug, Clone)]
pub struct IntentModel {
    features: FeatureSpace,
    labels: Vec<String>,
    oos_class: Option<usize>,
    /// Feature-major weights: `weights[f * k + class]`.
    weights: Vec<f32>,
    bias: Vec<f32>,
    temperature: f32,
    threshold: f32,
    n_train: usize,
}

struct Prepared {
    features: FeatureSpace,
    x: Csr,
    labels: Vec<String>,
    /// Class index of each row (`usize::MAX`: out of scope, not a class).
    y: Vec<usize>,
    oos_class: Option<usize>,
}

fn prepare(examples: &[TrainingExample], config: &TrainConfig) -> Prepared {
    let params = FeatureParams::from_config(config);
    let mut labels: Vec<String> = examples
        .iter()
        .filter(|e| config.oos_as_class || e.intent != OUT_OF_SCOPE)
        .map(|e| e.intent.clone())
        .collect();
    labels.sort();
    labels.dedup();
    let index: HashMap<&str, usize> = labels
        .iter()
        .enumerate()
        .map(|(i, l)| (l.as_str(), i))
        .collect();
    let y: Vec<usize> = examples
        .iter()
        .map(|e| index.get(e.intent.as_str()).copied().unwrap_or(usize::MAX))
        .collect();
    let keys: Vec<(Vec<u64>, Vec<u64>)> = examples
        .iter()
        .map(|e| {
            let (mut w, mut c) = (Vec::new(), Vec::new());
            params.keys(&normalize(&e.text), &mut w, &mut c);
            (w, c)
        })
        .collect();
    let vocab_docs: Vec<(Vec<u64>, Vec<u64>)> = keys
        .iter()
        .zip(&y)
        .filter(|(_, &l)| l != usize::MAX)
        .map(|(k, _)| k.clone())
        .collect();
    let features = FeatureSpace::build(params, &vocab_docs, config.min_df);
    let mut x = Csr::default();
    let mut v = Vec::new();
    for (w, c) in &keys {
        features.vectorize_keys(w, c, &mut v);
        x.push(&v);
    }
    let oos_class = labels.iter().position(|l| l == OUT_OF_SCOPE);
    Prepared {
        features,
        x,
        labels,
        y,
        oos_class,
    }
}

impl IntentModel {
    /// Trains a model; temperature and threshold are fitted on out-of-fold
    /// predictions (`config.calibration_folds`) unless `config.threshold`
    /// is set.
    pub fn train(examples: &[TrainingExample], config: &TrainConfig) -> IntentModel {
        let p = prepare(examples, config);
        let k = p.labels.len();
        let dim = p.features.dim();
        let trainable: Vec<usize> = (0..p.y.len()).filter(|&r| p.y[r] != usize::MAX).collect();
        let mut heldout = Vec::new();
        let folds = config.calibration_folds;
        if folds >= 2 && k >= 2 && trainable.len() >= 2 * folds {
            // stratified fold assignment
            let mut rng = Rng(config.seed ^ 0xf01d);
            let mut order: Vec<usize> = (0..p.y.len()).collect();
            for i in (1..order.len()).rev() {
                order.swap(i, rng.below(i + 1));
            }
            order.sort_by_key(|&r| p.y[r]);
            let mut fold_of = vec![0usize; p.y.len()];
            for (pos, &r) in order.iter().enumerate() {
                fold_of[r] = pos % folds;
            }
            let mut scores = vec![0f32; k];
            for fold in 0..folds {
                let rows: Vec<usize> = trainable
                    .iter()
                    .copied()
                    .filter(|&r| fold_of[r] != fold)
                    .collect();
                let (w, b) = train_linear(&p.x, &rows, &p.y, k, dim, config);
                for r in (0..p.y.len()).filter(|&r| fold_of[r] == fold) {
                    let (fi, fv) = p.x.row(r);
                    let v: Vec<(u32, f32)> = fi.iter().copied().zip(fv.iter().copied()).collect();
                    scores_into(&w, &b, &v, &mut scores);
                    let gold = (p.y[r] != usize::MAX).then_some(p.y[r]);
                    heldout.push(Heldout {
                        scores: scores.clone(),
                        gold,
                        gold_is_oos: examples[r].intent == OUT_OF_SCOPE,
                    });
                }
            }
        }
        let (weights, bias) = train_linear(&p.x, &trainable, &p.y, k, dim, config);
        let mut model = IntentModel {
            features: p.features,
            labels: p.labels,
            oos_class: p.oos_class,
            weights,
            bias,
            temperature: 1.0,
            threshold: config.threshold.unwrap_or(0.0),
            n_train: examples.len(),
        };
        if !heldout.is_empty() {
            model.calibrate_on(&heldout, config);
        }
        model
    }

    /// Trains on `train` and fits temperature and threshold on `validation`
    /// (which may contain `out_of_scope` examples).
    pub fn train_with_validation(
        train: &[TrainingExample],
        validation: &[TrainingExample],
        config: &TrainConfig,
    ) -> IntentModel {
        let mut cfg = config.clone();
        cfg.calibration_folds = 0;
        let mut model = IntentModel::train(train, &cfg);
        let heldout: Vec<Heldout> = validation
            .iter()
            .map(|e| {
                let gold = model.labels.iter().position(|l| *l == e.intent);
                Heldout {
                    scores: model.scores(&e.text),
                    gold,
                    gold_is_oos: e.intent == OUT_OF_SCOPE,
                }
            })
            .collect();
        model.calibrate_on(&heldout, config);
        model
    }

    fn calibrate_on(&mut self, heldout: &[Heldout], config: &TrainConfig) {
        self.temperature = fit_temperature(heldout);
        self.threshold = match config.threshold {
            Some(t) => t,
            None => fit_threshold(heldout, self.temperature, self.oos_class, config),
        };
    }

    /// Raw linear scores, one per class of [`IntentModel::classes`].
    pub fn scores(&self, text: &str) -> Vec<f32> {
        let v = self.features.vectorize(text);
        let mut out = vec![0f32; self.labels.len()];
        scores_into(&self.weights, &self.bias, &v, &mut out);
        out
    }

    /// Classifies one utterance.
    pub fn predict(&self, text: &str) -> Prediction {
        let k = self.labels.len();
        if k == 0 {
            return Prediction {
                intent: OUT_OF_SCOPE.to_string(),
                confidence: 1.0,
                alternatives: Vec::new(),
            };
        }
        let scores = self.scores(text);
        let mut probs = vec![0f32; k];
        softmax(&scores, self.temperature, &mut probs);
        let mut order: Vec<usize> = (0..k).filter(|&i| Some(i) != self.oos_class).collect();
        order.sort_by(|&a, &b| probs[b].total_cmp(&probs[a]));
        order.truncate(3);
        let alternatives: Vec<(String, f32)> = order
            .iter()
            .map(|&i| (self.labels[i].clone(), probs[i]))
            .collect();
        let top = argmax(&scores);
        let best = alternatives.first().map_or(0.0, |a| a.1);
        let refused =
            Some(top) == self.oos_class || best < self.threshold || alternatives.is_empty();
        if refused {
            Prediction {
                intent: OUT_OF_SCOPE.to_string(),
                confidence: 1.0 - best,
                alternatives,
            }
        } else {
            Prediction {
                intent: alternatives[0].0.clone(),
                confidence: best,
                alternatives,
            }
        }
    }

    /// The classes of [`IntentModel::scores`] (may include `out_of_scope`).
    pub fn classes(&self) -> &[String] {
        &self.labels
    }

    /// The in-scope intents the model knows, sorted.
    pub fn intents(&self) -> Vec<String> {
        self.labels
            .iter()
            .filter(|l| *l != OUT_OF_SCOPE)
            .cloned()
            .collect()
    }

    /// The fitted confidence threshold below which `out_of_scope` is returned.
    pub fn threshold(&self) -> f32 {
        self.threshold
    }

    /// The fitted softmax temperature.
    pub fn temperature(&self) -> f32 {
        self.temperature
    }

    /// Number of training examples (including out-of-scope ones).
    pub fn n_train(&self) -> usize {
        self.n_train
    }

    /// Number of features in the vocabulary.
    pub fn n_features(&self) -> usize {
        self.features.dim()
    }
}

// ---------------------------------------------------------------------------
// The built-in model

const EN_TSV: &str = include_str!("../data/en.tsv");
const NL_TSV: &str = include_str!("../data/nl.tsv");

/// The project's own training data (English and Dutch), embedded at build
/// time. Malformed lines are skipped here; a unit test keeps them valid.
pub fn builtin_examples() -> Vec<TrainingExample> {
    let mut out = Vec::new();
    for src in [EN_TSV, NL_TSV] {
        for line in src.lines() {
            if let Ok(Some(e)) = crate::eval::parse_tsv_line(line) {
                out.push(e);
            }
        }
    }
    out
}

/// The model trained on the embedded Dutch and English data, trained once on
/// first use.
pub fn builtin_model() -> &'static IntentModel {
    static MODEL: OnceLock<IntentModel> = OnceLock::new();
    MODEL.get_or_init(|| IntentModel::train(&builtin_examples(), &TrainConfig::default()))
}
