//! Converters from the public intent data sets (see `shared/data/SOURCES.md`)
//! to the project's TSV format: `intent<TAB>text` per line, with
//! `out_of_scope` as the intent of out-of-scope queries.

use std::path::{Path, PathBuf};

use crate::classifier::OUT_OF_SCOPE;
pub use crate::eval::NluError;

/// The data set names [`convert`] knows.
pub const DATASETS: [&str; 4] = ["banking77", "clinc150", "xsid", "bitext"];

/// Converts the data set `dataset` found in `src_dir` into TSV files in
/// `out_dir` (created if missing); returns the files written.
///
/// - `banking77`: `train.csv`, `test.csv` -> `train.tsv`, `test.tsv`
/// - `clinc150`: `data_full.json` -> `train.tsv` (train + oos_train),
///   `valid.tsv` (val + oos_val), `test.tsv` (test + oos_test)
/// - `xsid`: every `*.conll` (`en.valid.conll`, `nl.test.conll`, ...) ->
///   the same name with `.tsv`
/// - `bitext`: the Training/Validation/Testing CSV files -> `train.tsv`,
///   `valid.tsv`, `test.tsv`
pub fn convert(dataset: &str, src_dir: &Path, out_dir: &Path) -> Result<Vec<PathBuf>, NluError> {
    let jobs: Vec<(String, Vec<(String, String)>)> = match dataset.to_ascii_lowercase().as_str() {
        "banking77" | "banking" => {
            let mut jobs = Vec::new();
            for split in ["train", "test"] {
                let path = src_dir.join(format!("{split}.csv"));
                jobs.push((format!("{split}.tsv"), csv_rows(&path, "text", "category")?));
            }
            jobs
        }
        "clinc150" | "clinc" => clinc(&src_dir.join("data_full.json"))?,
        "xsid" | "xsid_nl" => xsid(src_dir)?,
        "bitext" | "bitext_intent_detection" => {
            let mut jobs = Vec::new();
            for (marker, out) in [
                ("Training", "train"),
                ("Validation", "valid"),
                ("Testing", "test"),
            ] {
                let path = find_file(src_dir, |name| {
                    name.contains(marker) && name.ends_with(".csv")
                })?
                .ok_or_else(|| {
                    NluError::Dataset(format!("no *{marker}*.csv file in {}", src_dir.display()))
                })?;
                jobs.push((
                    format!("{out}.tsv"),
                    csv_rows(&path, "utterance", "intent")?,
                ));
            }
            jobs
        }
        other => {
            return Err(NluError::Dataset(format!(
                "unknown data set `{other}` (known: {})",
                DATASETS.join(", ")
            )))
        }
    };
    std::fs::create_dir_all(out_dir).map_err(|e| NluError::io(out_dir, e))?;
    let mut written = Vec::new();
    for (name, rows) in jobs {
        let path = out_dir.join(name);
        let mut content = String::new();
        for (intent, text) in rows {
            let (intent, text) = (clean(&intent), clean(&text));
            if intent.is_empty() || text.is_empty() {
                continue;
            }
            content.push_str(&intent);
            content.push('\t');
            content.push_str(&text);
            content.push('\n');
        }
        std::fs::write(&path, content).map_err(|e| NluError::io(&path, e))?;
        written.push(path);
    }
    Ok(written)
}

/// One line, no tabs, trimmed.
fn clean(s: &str) -> String {
    s.split(['\t', '\r', '\n'])
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
        .trim()
        .to_string()
}

fn read(path: &Path) -> Result<String, NluError> {
    std::fs::read_to_string(path).map_err(|e| NluError::io(path, e))
}

fn find_file(dir: &Path, pred: impl Fn(&str) -> bool) -> Result<Option<PathBuf>, NluError> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| NluError::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(&pred))
        .collect();
    names.sort();
    Ok(names.into_iter().next())
}

/// Parses CSV (RFC 4180: quoted fields, doubled quotes, newlines inside
/// quotes). Returns records with the line each starts on.
pub(crate) fn parse_csv(content: &str, path: &Path) -> Result<Vec<(usize, Vec<String>)>, NluError> {
    let mut records = Vec::new();
    let mut record: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut chars = content.chars().peekable();
    let (mut line, mut start_line) = (1usize, 1usize);
    let mut in_quotes = false;
    let mut field_started = false; // anything seen in this record
    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => in_quotes = false,
                '\n' => {
                    line += 1;
                    field.push('\n');
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => {
                in_quotes = true;
                field_started = true;
            }
            ',' => {
                record.push(std::mem::take(&mut field));
                field_started = true;
            }
            '\r' => {}
            '\n' => {
                if field_started || !field.is_empty() {
                    record.push(std::mem::take(&mut field));
                    records.push((start_line, std::mem::take(&mut record)));
                }
                field_started = false;
                line += 1;
                start_line = line;
            }
            _ => {
                field.push(c);
                field_started = true;
            }
        }
    }
    if in_quotes {
        return Err(NluError::parse(
            path,
            start_line,
            "unterminated quoted field",
        ));
    }
    if field_started || !field.is_empty() {
        record.push(field);
        records.push((start_line, record));
    }
    Ok(records)
}

/// (intent, text) pairs of a CSV file with a header naming the columns.
fn csv_rows(
    path: &Path,
    text_col: &str,
    intent_col: &str,
) -> Result<Vec<(String, String)>, NluError> {
    let content = read(path)?;
    let records = parse_csv(content.trim_start_matches('\u{feff}'), path)?;
    let Some((_, header)) = records.first() else {
        return Err(NluError::parse(path, 1, "empty CSV file"));
    };
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h.trim() == name)
            .ok_or_else(|| NluError::parse(path, 1, format!("no `{name}` column in the header")))
    };
    let (t, i) = (col(text_col)?, col(intent_col)?);
    let mut out = Vec::new();
    for (line, rec) in &records[1..] {
        if rec.len() != header.len() {
            return Err(NluError::parse(
                path,
                *line,
                format!("expected {} fields, found {}", header.len(), rec.len()),
            ));
        }
        out.push((rec[i].clone(), rec[t].clone()));
    }
    Ok(out)
}

fn clinc(path: &Path) -> Result<Vec<(String, Vec<(String, String)>)>, NluError> {
    let json: serde_json::Value = serde_json::from_str(&read(path)?)
        .map_err(|e| NluError::parse(path, e.line(), e.to_string()))?;
    let split = |key: &str| -> Result<Vec<(String, String)>, NluError> {
        let arr = json
            .get(key)
            .and_then(|v| v.as_array())
            .ok_or_else(|| NluError::parse(path, 0, format!("no `{key}` array")))?;
        arr.iter()
            .map(|pair| match pair.as_array().map(|p| p.as_slice()) {
                Some([text, intent]) => match (text.as_str(), intent.as_str()) {
                    (Some(text), Some(intent)) => {
                        let intent = if intent == "oos" {
                            OUT_OF_SCOPE
                        } else {
                            intent
                        };
                        Ok((intent.to_string(), text.to_string()))
                    }
                    _ => Err(NluError::parse(
                        path,
                        0,
                        format!("`{key}`: expected [text, intent] strings"),
                    )),
                },
                _ => Err(NluError::parse(
                    path,
                    0,
                    format!("`{key}`: expected [text, intent] pairs"),
                )),
            })
            .collect()
    };
    let mut jobs = Vec::new();
    for (in_key, oos_key, out) in [
        ("train", "oos_train", "train"),
        ("val", "oos_val", "valid"),
        ("test", "oos_test", "test"),
    ] {
        let mut rows = split(in_key)?;
        rows.extend(split(oos_key)?);
        jobs.push((format!("{out}.tsv"), rows));
    }
    Ok(jobs)
}

/// (intent, text) pairs of an xSID CoNLL file: `# text = ...` (or
/// `# text: ...`) and `# intent = ...` comment lines per sentence; other
/// comments (`# text-en`, `# id`, `# slots`) are ignored.
pub(crate) fn parse_xsid(content: &str, path: &Path) -> Result<Vec<(String, String)>, NluError> {
    let mut out = Vec::new();
    let (mut text, mut intent): (Option<String>, Option<String>) = (None, None);
    let mut start = 1;
    let mut flush = |text: &mut Option<String>, intent: &mut Option<String>, line: usize| match (
        text.take(),
        intent.take(),
    ) {
        (Some(t), Some(i)) => {
            out.push((i, t));
            Ok(())
        }
        (None, None) => Ok(()),
        (Some(_), None) => Err(NluError::parse(path, line, "sentence without `# intent`")),
        (None, Some(_)) => Err(NluError::parse(path, line, "sentence without `# text`")),
    };
    for (n, raw) in content.lines().enumerate() {
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() {
            flush(&mut text, &mut intent, start)?;
            start = n + 2;
            continue;
        }
        let Some(comment) = line.strip_prefix('#') else {
            continue;
        };
        let Some(sep) = comment.find([':', '=']) else {
            continue;
        };
        let (key, value) = (comment[..sep].trim(), comment[sep + 1..].trim());
        match key {
            "text" => text = Some(value.to_string()),
            "intent" => intent = Some(value.to_string()),
            _ => {}
        }
    }
    flush(&mut text, &mut intent, start)?;
    Ok(out)
}

fn xsid(src_dir: &Path) -> Result<Vec<(String, Vec<(String, String)>)>, NluError> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(src_dir)
        .map_err(|e| NluError::io(src_dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "conll"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(NluError::Dataset(format!(
            "no *.conll files in {}",
            src_dir.display()
        )));
    }
    let mut jobs = Vec::new();
    for path in files {
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("xsid")
            .to_string();
        jobs.push((format!("{stem}.tsv"), parse_xsid(&read(&path)?, &path)?));
    }
    Ok(jobs)
}
