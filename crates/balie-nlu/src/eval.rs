//! Reading intent TSV files and evaluating intent models on them.
//!
//! TSV format: one `intent<TAB>text` per line; blank lines and lines starting
//! with `#` are ignored. Utterances that fit no intent are labelled
//! `out_of_scope`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::classifier::{builtin_model, IntentModel, TrainConfig, TrainingExample, OUT_OF_SCOPE};

/// Errors of the NLU tooling (reading data, converting data sets).
#[derive(Debug)]
pub enum NluError {
    /// A file could not be read or written.
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A line of a data file is malformed (`line` counts from 1; 0 when not
    /// line based).
    Parse {
        path: PathBuf,
        line: usize,
        message: String,
    },
    /// A data set name or layout the converters do not know.
    Dataset(String),
}

impl NluError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        NluError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn parse(path: &Path, line: usize, message: impl Into<String>) -> Self {
        NluError::Parse {
            path: path.to_path_buf(),
            line,
            message: message.into(),
        }
    }
}

impl fmt::Display for NluError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NluError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            NluError::Parse {
                path,
                line: 0,
                message,
            } => write!(f, "{}: {message}", path.display()),
            NluError::Parse {
                path,
                line,
                message,
            } => {
                write!(f, "{}:{line}: {message}", path.display())
            }
            NluError::Dataset(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for NluError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            NluError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Parses one TSV line: `Ok(None)` for blank and comment lines.
pub fn parse_tsv_line(line: &str) -> Result<Option<TrainingExample>, String> {
    let line = line.strip_suffix('\r').unwrap_or(line);
    if line.trim().is_empty() || line.trim_start().starts_with('#') {
        return Ok(None);
    }
    let Some((intent, text)) = line.split_once('\t') else {
        return Err("expected `intent<TAB>text`, found no tab".to_string());
    };
    let (intent, text) = (intent.trim(), text.trim());
    if intent.is_empty() {
        return Err("empty intent".to_string());
    }
    if intent.chars().any(char::is_whitespace) {
        return Err(format!("intent `{intent}` contains whitespace"));
    }
    if text.is_empty() {
        return Err("empty text".to_string());
    }
    Ok(Some(TrainingExample::new(intent, text)))
}

/// Parses TSV text; `path` only names the source in errors.
pub fn parse_tsv(content: &str, path: &Path) -> Result<Vec<TrainingExample>, NluError> {
    let mut out = Vec::new();
    for (i, line) in content.lines().enumerate() {
        match parse_tsv_line(line) {
            Ok(Some(e)) => out.push(e),
            Ok(None) => {}
            Err(m) => return Err(NluError::parse(path, i + 1, m)),
        }
    }
    Ok(out)
}

/// Reads a TSV file of `intent<TAB>text` lines.
pub fn read_tsv(path: &Path) -> Result<Vec<TrainingExample>, NluError> {
    let content = std::fs::read_to_string(path).map_err(|e| NluError::io(path, e))?;
    parse_tsv(&content, path)
}

/// Precision, recall and F1 of one intent.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct IntentScore {
    pub intent: String,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// Test rows with this gold intent.
    pub support: usize,
}

/// How often gold `expected` was predicted as `predicted`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Confusion {
    pub expected: String,
    pub predicted: String,
    pub count: usize,
}

/// The result of an evaluation.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct EvalReport {
    /// Share of all test rows predicted correctly (an out-of-scope row is
    /// correct only when predicted `out_of_scope`).
    pub accuracy: f64,
    /// Macro-averaged F1 over the in-scope intents of the test set.
    pub macro_f1: f64,
    /// Share of in-scope rows predicted correctly (refusals count as wrong).
    pub in_scope_accuracy: f64,
    /// Share of out-of-scope rows predicted `out_of_scope`; `None` when the
    /// test set has none.
    pub oos_recall: Option<f64>,
    /// Median and 99th percentile of per-utterance predict latency.
    pub p50_us: f64,
    pub p99_us: f64,
    /// Training time in seconds (including calibration).
    pub train_s: f64,
    pub n_train: usize,
    pub n_test: usize,
    /// Confidence threshold and temperature of the model.
    pub threshold: f32,
    pub temperature: f32,
    /// Per-intent scores (in-scope intents, then `out_of_scope` if present).
    pub per_intent: Vec<IntentScore>,
    /// The most frequent errors, most frequent first (at most 20).
    pub confusions: Vec<Confusion>,
}

/// Trains a fresh model on `train` (or uses [`builtin_model`] when `None`)
/// and scores it on `test`.
pub fn evaluate(
    train: Option<&Path>,
    test: &Path,
    config: &TrainConfig,
) -> Result<EvalReport, NluError> {
    evaluate_with_validation(train, None, test, config)
}

/// Like [`evaluate`], but with a validation file the confidence threshold
/// and temperature are fitted on it instead of on folds of the training data.
pub fn evaluate_with_validation(
    train: Option<&Path>,
    validation: Option<&Path>,
    test: &Path,
    config: &TrainConfig,
) -> Result<EvalReport, NluError> {
    let test_rows = read_tsv(test)?;
    let validation_rows = validation.map(read_tsv).transpose()?;
    match train {
        Some(path) => {
            let rows = read_tsv(path)?;
            let start = Instant::now();
            let model = match &validation_rows {
                Some(v) => IntentModel::train_with_validation(&rows, v, config),
                None => IntentModel::train(&rows, config),
            };
            let train_s = start.elapsed().as_secs_f64();
            Ok(evaluate_model(&model, &test_rows, train_s))
        }
        None => {
            let start = Instant::now();
            let model = builtin_model();
            let train_s = start.elapsed().as_secs_f64();
            Ok(evaluate_model(model, &test_rows, train_s))
        }
    }
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Scores `model` on `test`; `train_s` is copied into the report.
pub fn evaluate_model(model: &IntentModel, test: &[TrainingExample], train_s: f64) -> EvalReport {
    // warm up caches and the allocator
    for e in test.iter().take(50) {
        std::hint::black_box(model.predict(&e.text));
    }
    let mut latencies = Vec::with_capacity(test.len());
    let mut predicted = Vec::with_capacity(test.len());
    for e in test {
        let start = Instant::now();
        let p = model.predict(&e.text);
        latencies.push(start.elapsed().as_secs_f64() * 1e6);
        predicted.push(p.intent);
    }
    let mut report = report_from(test, &predicted, &mut latencies);
    report.train_s = train_s;
    report.n_train = model.n_train();
    report.threshold = model.threshold();
    report.temperature = model.temperature();
    report
}

/// Metrics of `predicted` against the gold intents of `test`; latencies in
/// microseconds (sorted here). Model fields are left zero.
fn report_from(test: &[TrainingExample], predicted: &[String], latencies: &mut [f64]) -> EvalReport {
    latencies.sort_by(f64::total_cmp);

    let mut tp: BTreeMap<&str, usize> = BTreeMap::new();
    let mut gold_n: BTreeMap<&str, usize> = BTreeMap::new();
    let mut pred_n: BTreeMap<&str, usize> = BTreeMap::new();
    let mut confusions: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    let (mut correct, mut in_n, mut in_ok, mut oos_n, mut oos_ok) = (0, 0, 0, 0, 0);
    for (e, p) in test.iter().zip(predicted) {
        let (g, p) = (e.intent.as_str(), p.as_str());
        *gold_n.entry(g).or_default() += 1;
        *pred_n.entry(p).or_default() += 1;
        let ok = g == p;
        if ok {
            correct += 1;
            *tp.entry(g).or_default() += 1;
        } else {
            *confusions.entry((g, p)).or_default() += 1;
        }
        if g == OUT_OF_SCOPE {
            oos_n += 1;
            oos_ok += ok as usize;
        } else {
            in_n += 1;
            in_ok += ok as usize;
        }
    }
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let intents: BTreeSet<&str> = gold_n.keys().copied().collect();
    let mut per_intent: Vec<IntentScore> = intents
        .iter()
        .map(|&i| {
            let t = tp.get(i).copied().unwrap_or(0);
            let precision = ratio(t, pred_n.get(i).copied().unwrap_or(0));
            let recall = ratio(t, gold_n[i]);
            let f1 = if precision + recall > 0.0 {
                2.0 * precision * recall / (precision + recall)
            } else {
                0.0
            };
            IntentScore {
                intent: i.to_string(),
                precision,
                recall,
                f1,
                support: gold_n[i],
            }
        })
        .collect();
    // in-scope intents first, out_of_scope last
    per_intent.sort_by_key(|s| s.intent == OUT_OF_SCOPE);
    let in_scope: Vec<&IntentScore> = per_intent
        .iter()
        .filter(|s| s.intent != OUT_OF_SCOPE)
        .collect();
    let macro_f1 = if in_scope.is_empty() {
        0.0
    } else {
        in_scope.iter().map(|s| s.f1).sum::<f64>() / in_scope.len() as f64
    };
    let mut confusions: Vec<Confusion> = confusions
        .into_iter()
        .map(|((g, p), count)| Confusion {
            expected: g.to_string(),
            predicted: p.to_string(),
            count,
        })
        .collect();
    confusions.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.expected.cmp(&b.expected))
    });
    confusions.truncate(20);

    EvalReport {
        accuracy: ratio(correct, test.len()),
        macro_f1,
        in_scope_accuracy: ratio(in_ok, in_n),
        oos_recall: (oos_n > 0).then(|| ratio(oos_ok, oos_n)),
        p50_us: percentile(latencies, 0.5),
        p99_us: percentile(latencies, 0.99),
        train_s: 0.0,
        n_train: 0,
        n_test: test.len(),
        threshold: 0.0,
        temperature: 0.0,
        per_intent,
        confusions,
    }
}

impl EvalReport {
    /// A readable report: summary, per-intent table and top confusions.
    pub fn render_text(&self) -> String {
        use std::fmt::Write;
        let pct = |x: f64| format!("{:.2}%", x * 100.0);
        let mut s = String::new();
        let _ = writeln!(s, "accuracy           {}", pct(self.accuracy));
        let _ = writeln!(s, "macro F1 (in scope) {:.4}", self.macro_f1);
        let _ = writeln!(s, "in-scope accuracy  {}", pct(self.in_scope_accuracy));
        match self.oos_recall {
            Some(r) => {
                let _ = writeln!(s, "out-of-scope recall {}", pct(r));
            }
            None => {
                let _ = writeln!(s, "out-of-scope recall n/a (no out_of_scope rows)");
            }
        }
        let _ = writeln!(
            s,
            "latency p50/p99    {:.1} / {:.1} us",
            self.p50_us, self.p99_us
        );
        let _ = writeln!(
            s,
            "training           {:.2} s on {} examples",
            self.train_s, self.n_train
        );
        let _ = writeln!(s, "test examples      {}", self.n_test);
        let _ = writeln!(
            s,
            "threshold          {:.3} (temperature {:.3})",
            self.threshold, self.temperature
        );
        let width = self
            .per_intent
            .iter()
            .map(|p| p.intent.len())
            .max()
            .unwrap_or(6)
            .max(6);
        let _ = writeln!(
            s,
            "\n{:width$}  precision  recall     f1  support",
            "intent"
        );
        for p in &self.per_intent {
            let _ = writeln!(
                s,
                "{:width$}  {:>9.3}  {:>6.3}  {:>5.3}  {:>7}",
                p.intent, p.precision, p.recall, p.f1, p.support
            );
        }
        if !self.confusions.is_empty() {
            let _ = writeln!(s, "\ntop confusions (expected -> predicted: count)");
            for c in self.confusions.iter().take(10) {
                let _ = writeln!(s, "  {} -> {}: {}", c.expected, c.predicted, c.count);
            }
        }
        s
    }

    /// The report as one JSON object.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}
