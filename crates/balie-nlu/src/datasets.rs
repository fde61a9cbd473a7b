//! Converters from the public intent data sets (see `shared/data/SOURCES.md`)
//! to the project's TSV format: `intent<TAB>text` per line, with
//! `out_of_scope` as the intent of out-of-scope queries.

use std::path::{Path, PathBuf};

use crate::classifier::OUT_OF_SCOPE;
pub use crate::eval::NluError;

/// (intent, text)
type Row = (String, String);
/// An output file name and its rows.
type OutputFile = (String, Vec<Row>);

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
    let jobs: Vec<OutputFile> = match dataset.to_ascii_lowercase().as_str() {
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
fn csv_rows(path: &Path, text_col: &str, intent_col: &str) -> Result<Vec<Row>, NluError> {
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

fn clinc(path: &Path) -> Result<Vec<OutputFile>, NluError> {
    let json: serde_json::Value = serde_json::from_str(&read(path)?)
        .map_err(|e| NluError::parse(path, e.line(), e.to_string()))?;
    let split = |key: &str| -> Result<Vec<Row>, NluError> {
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
pub(crate) fn parse_xsid(content: &str, path: &Path) -> Result<Vec<Row>, NluError> {
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

fn xsid(src_dir: &Path) -> Result<Vec<OutputFile>, NluError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("balie-nlu-datasets-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    fn write(dir: &Path, name: &str, content: &str) {
        std::fs::write(dir.join(name), content).expect("write fixture");
    }

    fn read_out(path: &Path) -> String {
        std::fs::read_to_string(path).expect("read output")
    }

    #[test]
    fn csv_parser_handles_quotes_and_newlines() {
        let recs = parse_csv(
            "text,category\n\"Hi, \"\"there\"\"\",greet\r\n\"two\nlines\",x\nplain,y\n,\n",
            Path::new("t.csv"),
        )
        .expect("valid");
        let fields: Vec<Vec<&str>> = recs
            .iter()
            .map(|(_, r)| r.iter().map(String::as_str).collect())
            .collect();
        assert_eq!(
            fields,
            vec![
                vec!["text", "category"],
                vec!["Hi, \"there\"", "greet"],
                vec!["two\nlines", "x"],
                vec!["plain", "y"],
                vec!["", ""],
            ]
        );
        assert_eq!(
            recs.iter().map(|r| r.0).collect::<Vec<_>>(),
            vec![1, 2, 3, 5, 6]
        );
        let err = parse_csv("a,b\n\"open,x\n", Path::new("t.csv")).unwrap_err();
        assert!(err.to_string().contains("t.csv:2: unterminated"), "{err}");
    }

    #[test]
    fn converts_banking77() {
        let src = temp_dir("banking-src");
        let out = src.join("out");
        write(&src, "train.csv", "text,category\nI am still waiting on my card?,card_arrival\n\"Hi, my card\nis lost\",lost_or_stolen_card\n");
        write(
            &src,
            "test.csv",
            "text,category\n\"What is the \"\"fee\"\"?\",card_payment_fee_charged\n",
        );
        let files = convert("banking77", &src, &out).expect("convert");
        assert_eq!(files, vec![out.join("train.tsv"), out.join("test.tsv")]);
        assert_eq!(
            read_out(&files[0]),
            "card_arrival\tI am still waiting on my card?\nlost_or_stolen_card\tHi, my card is lost\n"
        );
        assert_eq!(
            read_out(&files[1]),
            "card_payment_fee_charged\tWhat is the \"fee\"?\n"
        );
        // the output reads back as training data
        assert_eq!(crate::eval::read_tsv(&files[0]).expect("tsv").len(), 2);
        // a wrong column count is reported with its line
        write(&src, "test.csv", "text,category\nok,a\ntoo,many,fields\n");
        let err = convert("banking77", &src, &out).unwrap_err();
        assert!(
            err.to_string()
                .contains("test.csv:3: expected 2 fields, found 3"),
            "{err}"
        );
        let _ = std::fs::remove_dir_all(&src);
    }

    #[test]
    fn converts_clinc150_with_out_of_scope() {
        let src = temp_dir("clinc-src");
        let out = src.join("out");
        write(
            &src,
            "data_full.json",
            r#"{"train": [["what is my balance", "balance"], ["translate hi", "translate"]],
                "oos_train": [["how old is the moon", "oos"]],
                "val": [["balance please", "balance"]], "oos_val": [["sing", "oos"]],
                "test": [["my balance", "balance"]], "oos_test": []}"#,
        );
        let files = convert("clinc150", &src, &out).expect("convert");
        let names: Vec<_> = files
            .iter()
            .map(|p| p.file_name().unwrap().to_str().unwrap().to_string())
            .collect();
        assert_eq!(names, ["train.tsv", "valid.tsv", "test.tsv"]);
        assert_eq!(
            read_out(&files[0]),
            "balance\twhat is my balance\ntranslate\ttranslate hi\nout_of_scope\thow old is the moon\n"
        );
        assert_eq!(
            read_out(&files[1]),
            "balance\tbalance please\nout_of_scope\tsing\n"
        );
        assert_eq!(read_out(&files[2]), "balance\tmy balance\n");
        write(&src, "data_full.json", r#"{"train": []}"#);
        assert!(convert("clinc150", &src, &out)
            .unwrap_err()
            .to_string()
            .contains("oos_train"));
        let _ = std::fs::remove_dir_all(&src);
    }

    #[test]
    fn converts_xsid_conll() {
        let src = temp_dir("xsid-src");
        let out = src.join("out");
        write(
            &src,
            "nl.valid.conll",
            "# id = 1\n# text-en = Is it going to rain today?\n# text = Gaat het regenen vandaag?\n# intent = weather/find\n1\tGaat\tweather/find\tO\n2\thet\tweather/find\tO\n\n# id = 2\n# text-en = wake me at 7\n# text = maak me om 7 uur wakker\n# intent = alarm/set_alarm\n1\tmaak\talarm/set_alarm\tO\n",
        );
        write(
            &src,
            "en.test.conll",
            "# text: Is it going to rain today?\n# intent: weather/find\n# slots: 15:19:weather/attribute\n1\tIs\tweather/find\tO\n\n\n# text = set an alarm = now\n# intent = alarm/set_alarm\n",
        );
        write(&src, "README.md", "not a conll file");
        let files = convert("xsid", &src, &out).expect("convert");
        assert_eq!(
            files,
            vec![out.join("en.test.tsv"), out.join("nl.valid.tsv")]
        );
        assert_eq!(
            read_out(&files[0]),
            "weather/find\tIs it going to rain today?\nalarm/set_alarm\tset an alarm = now\n"
        );
        assert_eq!(
            read_out(&files[1]),
            "weather/find\tGaat het regenen vandaag?\nalarm/set_alarm\tmaak me om 7 uur wakker\n"
        );
        write(
            &src,
            "en.test.conll",
            "# text = no intent here\n1\tno\tx\tO\n\n",
        );
        let err = convert("xsid", &src, &out).unwrap_err();
        assert!(
            err.to_string()
                .contains("en.test.conll:1: sentence without `# intent`"),
            "{err}"
        );
        let _ = std::fs::remove_dir_all(&src);
    }

    #[test]
    fn converts_bitext() {
        let src = temp_dir("bitext-src");
        let out = src.join("out");
        let header =
            "utterance,intent,entity_type,entity_value,start_offset,end_offset,category,tags\n";
        write(
            &src,
            "Bitext_Sample_Customer_Service_Training_Dataset.csv",
            &format!("{header}how can I cancel purchase 113542617735902?,cancel_order,order_id,113542617735902,26,41,ORDER,BIL\n"),
        );
        write(
            &src,
            "Bitext_Sample_Customer_Service_Validation_Dataset.csv",
            &format!("{header}\"I can't afford purchase 1, can you cancel it?\",cancel_order,order_id,1,24,25,ORDER,BCILN\n"),
        );
        write(
            &src,
            "Bitext_Sample_Customer_Service_Testing_Dataset.csv",
            &format!("{header}help to cancel purchase 00004587345,cancel_order,order_id,00004587345,24,35,ORDER,BL\n"),
        );
        let files = convert("bitext", &src, &out).expect("convert");
        assert_eq!(
            files,
            vec![
                out.join("train.tsv"),
                out.join("valid.tsv"),
                out.join("test.tsv")
            ]
        );
        assert_eq!(
            read_out(&files[0]),
            "cancel_order\thow can I cancel purchase 113542617735902?\n"
        );
        assert_eq!(
            read_out(&files[1]),
            "cancel_order\tI can't afford purchase 1, can you cancel it?\n"
        );
        assert_eq!(
            read_out(&files[2]),
            "cancel_order\thelp to cancel purchase 00004587345\n"
        );
        let _ = std::fs::remove_dir_all(&src);
    }

    #[test]
    fn unknown_or_missing_data_sets_are_errors() {
        let dir = temp_dir("missing");
        let err = convert("imdb", &dir, &dir.join("out")).unwrap_err();
        assert!(err.to_string().contains("unknown data set `imdb`"), "{err}");
        assert!(matches!(
            convert("banking77", &dir, &dir.join("out")),
            Err(NluError::Io { .. })
        ));
        assert!(convert("xsid", &dir, &dir.join("out"))
            .unwrap_err()
            .to_string()
            .contains("no *.conll"));
        assert!(convert("bitext", &dir, &dir.join("out"))
            .unwrap_err()
            .to_string()
            .contains("Training"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
