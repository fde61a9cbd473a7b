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
    /// Confidence threshold, margin to the out-of-scope class and
    /// temperature of the model.
    pub threshold: f32,
    pub oos_margin: f32,
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

/// Like [`evaluate`], but with a validation file the refusal rule (margin
/// to the out-of-scope class, or confidence threshold) and temperature are
/// fitted on it instead of on folds of the training data.
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
    report.oos_margin = model.oos_margin();
    report.temperature = model.temperature();
    report
}

/// Metrics of `predicted` against the gold intents of `test`; latencies in
/// microseconds (sorted here). Model fields are left zero.
fn report_from(
    test: &[TrainingExample],
    predicted: &[String],
    latencies: &mut [f64],
) -> EvalReport {
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
        oos_margin: 0.0,
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
            "threshold          {:.3}, margin to out_of_scope {:.3} (temperature {:.3})",
            self.threshold, self.oos_margin, self.temperature
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

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("balie-nlu-eval-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    #[test]
    fn parses_tsv_with_comments_blank_lines_and_crlf() {
        let rows = parse_tsv(
            "# comment\n\norder_status\twhere is my order\r\n  # indented comment\ncancel\t cancel it \textra\n",
            Path::new("x.tsv"),
        )
        .expect("valid");
        assert_eq!(
            rows,
            vec![
                TrainingExample::new("order_status", "where is my order"),
                TrainingExample::new("cancel", "cancel it \textra"),
            ]
        );
    }

    #[test]
    fn malformed_tsv_lines_report_their_line_number() {
        for (content, line, needle) in [
            ("a\tb\n# c\nno tab here\n", 3, "no tab"),
            ("a\tb\n\tmissing intent\n", 2, "empty intent"),
            ("a\tb\nc\t   \n", 2, "empty text"),
            ("two words\ttext\n", 1, "whitespace"),
        ] {
            match parse_tsv(content, Path::new("data.tsv")) {
                Err(e @ NluError::Parse { line: l, .. }) => {
                    assert_eq!(l, line, "{content:?}");
                    let msg = e.to_string();
                    assert!(msg.starts_with(&format!("data.tsv:{line}: ")), "{msg}");
                    assert!(msg.contains(needle), "{msg}");
                }
                other => panic!("{content:?}: expected a parse error, got {other:?}"),
            }
        }
    }

    #[test]
    fn missing_file_is_an_io_error() {
        let err = read_tsv(Path::new("/nonexistent/balie/x.tsv")).unwrap_err();
        assert!(matches!(err, NluError::Io { .. }), "{err:?}");
        assert!(err.to_string().contains("/nonexistent/balie/x.tsv"));
    }

    #[test]
    fn metrics_follow_their_definitions() {
        let test: Vec<TrainingExample> = [
            ("a", "1"),
            ("a", "2"),
            ("a", "3"),
            ("b", "4"),
            ("b", "5"),
            (OUT_OF_SCOPE, "6"),
            (OUT_OF_SCOPE, "7"),
        ]
        .iter()
        .map(|&(i, t)| TrainingExample::new(i, t))
        .collect();
        let predicted: Vec<String> = ["a", "a", "b", "b", OUT_OF_SCOPE, OUT_OF_SCOPE, "a"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let mut lat = vec![5.0, 1.0, 3.0, 2.0, 4.0, 100.0, 6.0];
        let r = report_from(&test, &predicted, &mut lat);
        assert!((r.accuracy - 4.0 / 7.0).abs() < 1e-9);
        assert!((r.in_scope_accuracy - 3.0 / 5.0).abs() < 1e-9);
        assert_eq!(r.oos_recall, Some(0.5));
        let a = &r.per_intent[0];
        assert_eq!((a.intent.as_str(), a.support), ("a", 3));
        // a: tp 2, predicted 3 times, gold 3 times
        assert!((a.precision - 2.0 / 3.0).abs() < 1e-9 && (a.recall - 2.0 / 3.0).abs() < 1e-9);
        // b: tp 1, predicted 2 times, gold 2 times -> P = R = F1 = 0.5
        let b = &r.per_intent[1];
        assert!((b.f1 - 0.5).abs() < 1e-9);
        assert!((r.macro_f1 - (2.0 / 3.0 + 0.5) / 2.0).abs() < 1e-9);
        assert_eq!(
            r.per_intent.last().map(|s| s.intent.as_str()),
            Some(OUT_OF_SCOPE)
        );
        assert_eq!((r.p50_us, r.p99_us), (4.0, 100.0));
        assert_eq!(r.confusions.len(), 3);
        assert!(r.confusions.iter().all(|c| c.count == 1));
        let text = r.render_text();
        assert!(
            text.contains("accuracy") && text.contains("a -> b: 1"),
            "{text}"
        );
        // no out-of-scope rows: recall is absent (null in JSON)
        let mut lat = vec![1.0; 2];
        let r = report_from(&test[..2], &predicted[..2], &mut lat);
        assert_eq!(r.oos_recall, None);
        assert_eq!(r.to_json()["oos_recall"], serde_json::Value::Null);
        assert_eq!(r.accuracy, 1.0);
    }

    #[test]
    fn evaluates_a_model_trained_from_files() {
        let dir = temp_dir("files");
        let train = dir.join("train.tsv");
        let test = dir.join("test.tsv");
        let mut rows = String::new();
        for (intent, texts) in [
            (
                "order_status",
                [
                    "where is my order",
                    "track my parcel",
                    "has my package shipped",
                    "waar is mijn pakket",
                    "when does my order arrive",
                    "status van mijn bestelling",
                ],
            ),
            (
                "refund",
                [
                    "I want my money back",
                    "refund please",
                    "how do I get a refund",
                    "geld terug graag",
                    "terugbetaling aanvragen",
                    "can you refund my payment",
                ],
            ),
            (
                "greeting",
                [
                    "hello",
                    "hi there",
                    "good morning",
                    "hallo",
                    "goedemorgen",
                    "hey",
                ],
            ),
        ] {
            for t in texts {
                rows.push_str(&format!("{intent}\t{t}\n"));
            }
        }
        std::fs::write(&train, rows).expect("write");
        std::fs::write(
            &test,
            "order_status\twhere is my parcel\nrefund\tmoney back please\ngreeting\thello there\n",
        )
        .expect("write");
        let report = evaluate(Some(&train), &test, &TrainConfig::default()).expect("evaluate");
        assert_eq!((report.n_train, report.n_test), (18, 3));
        assert_eq!(report.accuracy, 1.0, "{}", report.render_text());
        assert_eq!(report.macro_f1, 1.0);
        assert_eq!(report.oos_recall, None);
        assert!(report.p50_us > 0.0 && report.p99_us >= report.p50_us);
        assert!(report.train_s > 0.0);
        let json = report.to_json();
        for key in [
            "accuracy",
            "macro_f1",
            "in_scope_accuracy",
            "oos_recall",
            "p50_us",
            "p99_us",
            "train_s",
        ] {
            assert!(json.get(key).is_some(), "{key} missing in {json}");
        }
        // a validation file is used for calibration
        let valid = dir.join("valid.tsv");
        std::fs::write(
            &valid,
            "order_status\tparcel tracking\nout_of_scope\twhat is the weather\n",
        )
        .expect("write");
        let report =
            evaluate_with_validation(Some(&train), Some(&valid), &test, &TrainConfig::default())
                .expect("evaluate");
        assert_eq!(report.n_test, 3);
        assert!(report.temperature != 1.0);
        // errors carry the path
        let bad = dir.join("bad.tsv");
        std::fs::write(&bad, "order_status\tok\nbroken line\n").expect("write");
        let err = evaluate(Some(&bad), &test, &TrainConfig::default()).unwrap_err();
        assert!(
            err.to_string()
                .ends_with("bad.tsv:2: expected `intent<TAB>text`, found no tab"),
            "{err}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn evaluates_the_builtin_model_without_training_file() {
        let dir = temp_dir("builtin");
        let test = dir.join("test.tsv");
        let text: String = crate::classifier::builtin_examples()
            .iter()
            .take(20)
            .map(|e| format!("{}\t{}\n", e.intent, e.text))
            .collect();
        std::fs::write(&test, text).expect("write");
        let report = evaluate(None, &test, &TrainConfig::default()).expect("evaluate");
        assert_eq!(report.n_train, crate::classifier::builtin_examples().len());
        assert!(report.accuracy >= 0.9, "{}", report.render_text());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
