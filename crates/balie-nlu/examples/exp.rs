// Temporary experiment runner (to be deleted).
use balie_nlu::classifier::*;
use balie_nlu::eval::*;
use std::path::Path;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let d = Path::new("/tmp/nlu-data");
    if args.get(1).map(|s| s.as_str()) == Some("convert") {
        let src = Path::new("/work/shared/data");
        for (name, dir) in [
            ("banking77", "banking77"),
            ("clinc150", "clinc150"),
            ("xsid", "xsid_nl"),
            ("bitext", "bitext_intent_detection"),
        ] {
            let out = balie_nlu::datasets::convert(name, &src.join(dir), &d.join(name)).unwrap();
            println!("{name}: {:?}", out);
        }
        return;
    }
    let mut cfg = TrainConfig::default();
    // key=value overrides
    let mut train = String::new();
    let mut test = String::new();
    let mut valid: Option<String> = None;
    for a in &args[1..] {
        let (k, v) = a.split_once('=').unwrap();
        match k {
            "train" => train = v.into(),
            "test" => test = v.into(),
            "valid" => valid = Some(v.into()),
            "c" => cfg.c = v.parse().unwrap(),
            "w" => cfg.word_ngram_max = v.parse().unwrap(),
            "cmin" => cfg.char_ngram_min = v.parse().unwrap(),
            "cmax" => cfg.char_ngram_max = v.parse().unwrap(),
            "ww" => cfg.word_weight = v.parse().unwrap(),
            "cw" => cfg.char_weight = v.parse().unwrap(),
            "mindf" => cfg.min_df = v.parse().unwrap(),
            "folds" => cfg.calibration_folds = v.parse().unwrap(),
            "oosclass" => cfg.oos_as_class = v.parse().unwrap(),
            "share" => cfg.expected_oos_share = v.parse().unwrap(),
            "widf" => cfg.word_idf = v.parse().unwrap(),
            "cidf" => cfg.char_idf = v.parse().unwrap(),
            "bound" => cfg.boundary_tokens = v.parse().unwrap(),
            "rej" => cfg.max_in_scope_rejection = v.parse().unwrap(),
            "eps" => cfg.tolerance = v.parse().unwrap(),
            "threads" => cfg.threads = v.parse().unwrap(),
            "thr" => cfg.threshold = Some(v.parse().unwrap()),
            _ => panic!("unknown {k}"),
        }
    }
    if std::env::var("OOSA").is_ok() {
        let tr = read_tsv(&d.join(&train)).unwrap();
        let va = read_tsv(&d.join(valid.as_ref().unwrap())).unwrap();
        let m = IntentModel::train_with_validation(&tr, &va, &cfg);
        oos_analysis(&m, &va);
        return;
    }
    if std::env::var("DIM").is_ok() {
        let tr = read_tsv(&d.join(&train)).unwrap();
        let m = IntentModel::train(&tr, &cfg);
        println!("dim {} classes {}", m.n_features(), m.classes().len());
        return;
    }
    let r = evaluate_with_validation(
        Some(&d.join(&train)),
        valid.as_ref().map(|v| d.join(v)).as_deref(),
        &d.join(&test),
        &cfg,
    )
    .unwrap();
    if std::env::var("REPORT").is_ok() {
        println!("{}", r.render_text());
    }
    println!("{} acc={:.4} in={:.4} oos={:?} f1={:.4} train_s={:.2} p50={:.1} p99={:.1} thr={:.3} T={:.3}",
        args[1..].join(" "), r.accuracy, r.in_scope_accuracy, r.oos_recall.map(|x| (x*1e4).round()/1e4), r.macro_f1, r.train_s, r.p50_us, r.p99_us, r.threshold, r.temperature);
}

#[allow(dead_code)]
pub fn oos_analysis(model: &IntentModel, valid: &[TrainingExample]) {
    // for several scoring functions: in-scope acc when threshold set to reach 60% oos recall
    let t = model.temperature();
    let mut rows: Vec<(bool, bool, [f32; 7])> = Vec::new();
    for e in valid {
        let s = model.scores(&e.text);
        let mut idx: Vec<usize> = (0..s.len()).collect();
        idx.sort_by(|&a, &b| s[b].total_cmp(&s[a]));
        let max = s[idx[0]];
        let z: f32 = s.iter().map(|x| ((x - max) / t).exp()).sum();
        let p = 1.0 / z;
        let margin = s[idx[0]] - s[idx[1]];
        let correct = model.classes()[idx[0]] == e.intent;
        let mut v = [max, p, margin, 0.0, 0.0, 0.0, 0.0];
        for (j, s0) in [-0.6f32, -0.3, 0.0, 0.3].iter().enumerate() {
            let m = max.max(*s0);
            let zz: f32 = s.iter().map(|x| ((x - m) / t).exp()).sum::<f32>() + ((s0 - m) / t).exp();
            v[3 + j] = ((max - m) / t).exp() / zz;
        }
        rows.push((e.intent == OUT_OF_SCOPE, correct, v));
    }
    for (fi, name) in [
        "maxscore", "prob", "margin", "p0=-0.6", "p0=-0.3", "p0=0", "p0=0.3",
    ]
    .iter()
    .enumerate()
    {
        let mut oos: Vec<f32> = rows.iter().filter(|r| r.0).map(|r| r.2[fi]).collect();
        oos.sort_by(f32::total_cmp);
        let n_in = rows.iter().filter(|r| !r.0).count() as f32;
        let mut out = String::new();
        for target in [0.4, 0.5, 0.6, 0.7] {
            let k = ((oos.len() as f32) * target).ceil() as usize;
            let thr = oos[k.min(oos.len() - 1)];
            let acc = rows
                .iter()
                .filter(|r| !r.0 && r.1 && r.2[fi] >= thr)
                .count() as f32
                / n_in;
            out += &format!(" oos{:.0}%->in {:.4}", target * 100.0, acc);
        }
        println!("{name:9}{out}");
    }
}
