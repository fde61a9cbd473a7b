//! The committed OpenAPI document (`docs/openapi.json`) must match the one
//! the code generates. Regenerate with `BALIE_UPDATE_OPENAPI=1 cargo nextest run openapi`.

use std::path::PathBuf;

fn committed_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json")
}

#[test]
fn openapi_document_is_current() {
    let generated = balie_http::openapi().to_pretty_json().unwrap() + "\n";
    let path = committed_path();
    if std::env::var("BALIE_UPDATE_OPENAPI").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/openapi.json is out of date; run `BALIE_UPDATE_OPENAPI=1 cargo nextest run openapi` and commit it"
    );
}

#[test]
fn openapi_documents_every_route_with_errors() {
    let doc: serde_json::Value =
        serde_json::from_str(&balie_http::openapi().to_json().unwrap()).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for must in [
        "/api/v1/contacts/{id}/timeline",
        "/api/v1/messages/inbound",
        "/api/v1/events",
        "/api/v1/contact-merges/{id}/split",
    ] {
        assert!(paths.contains_key(must), "{must} missing");
    }
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            assert!(
                responses.keys().any(|k| k.starts_with('4')),
                "{method} {path} documents no error response"
            );
        }
    }
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
}
