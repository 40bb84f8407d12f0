//! The pages for people: `/docs` on every port (Redoc, embedded, on the
//! port's own document), `/ui` on the sandbox port only, public like the
//! documents; the inspector's port table is behind the admin token. (The
//! pages at work in a browser: `cargo xtask browser`.)

use std::path::Path;

use campaign_test_utils::TestServer;
use campaign_test_utils::http::blocking;

#[test]
fn docs_on_every_port_and_the_inspector_on_the_sandbox_port() {
    let token = "pages-admin-token-0123456789";
    let server = TestServer::spawn(
        Path::new(env!("CARGO_BIN_EXE_campaignd")),
        ["serve", "--memory", "--port", "0", "--admin-token", token],
    )
    .unwrap();
    let get =
        |url: &str, headers: &[(&str, &str)]| blocking::call("GET", url, headers, None).unwrap();
    for api in &server.ports().apis {
        let docs = get(&format!("{}/docs", api.origin), &[]);
        assert_eq!(docs.status, 200, "{} /docs", api.name);
        assert_eq!(
            docs.header("content-type"),
            Some("text/html; charset=utf-8")
        );
        let html = String::from_utf8(docs.raw).unwrap();
        assert!(html.contains(r#"Redoc.init("/openapi.json""#), "{html}");
        let script = get(&format!("{}/docs/redoc.js", api.origin), &[]);
        assert_eq!(script.status, 200);
        assert!(
            script.raw.len() > 500_000,
            "the Redoc bundle is served whole"
        );
        let ui = get(&format!("{}/ui", api.origin), &[]);
        if api.name == "sandbox" {
            assert_eq!(ui.status, 200);
            assert!(String::from_utf8_lossy(&ui.raw).contains("campaignd inspector"));
            for asset in ["ui.js", "ui.css"] {
                assert_eq!(get(&format!("{}/ui/{asset}", api.origin), &[]).status, 200);
            }
        } else {
            // A vendor port has no inspector: its own 404.
            assert_eq!(ui.status, 404, "{} /ui", api.name);
        }
    }
    let ports = format!("{}/ui/ports.json", server.origin("sandbox"));
    assert_eq!(
        get(&ports, &[]).status,
        401,
        "the port table needs the token"
    );
    let bearer = format!("Bearer {token}");
    let table = get(&ports, &[("authorization", &bearer)]);
    assert_eq!(table.status, 200);
    assert_eq!(table.body["apis"].as_array().unwrap().len(), 6);
}
