//! The control plane is not an open door: `--bind` to anything but
//! loopback needs an admin token, and with one every sandbox API operation
//! (read from its document) refuses a caller without it, while the vendor
//! faces keep their own keys.

mod common;

use std::path::Path;

use campaign_test_utils::TestServer;
use campaign_test_utils::http::blocking;
use common::documents::{Operation, document, operations};
use common::refused_to_serve;
use serde_json::{Value, json};

const TOKEN: &str = "admin-token-for-tests-0123";

fn campaignd() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_campaignd"))
}

#[test]
fn a_non_loopback_bind_without_a_token_refuses_to_start_and_says_how_to_fix_it() {
    // It refuses before binding anything, so nothing listens beyond
    // loopback even for a moment.
    let stderr = refused_to_serve(&["--bind", "0.0.0.0", "--memory", "--port", "0"]);
    for needed in [
        "refusing to listen on 0.0.0.0",
        "--admin-token",
        "CAMPAIGND_ADMIN_TOKEN",
        "Authorization: Bearer",
        "127.0.0.1",
    ] {
        assert!(
            stderr.contains(needed),
            "{needed:?} missing from:\n{stderr}"
        );
    }
    let stderr = refused_to_serve(&["--admin-token", "short", "--memory", "--port", "0"]);
    assert!(stderr.contains("at least 16"), "{stderr}");
}

fn server() -> TestServer {
    TestServer::spawn(
        campaignd(),
        [
            "serve",
            "--memory",
            "--clock",
            "virtual",
            "--port",
            "0",
            "--admin-token",
            TOKEN,
        ],
    )
    .unwrap()
}

#[test]
fn with_a_token_every_sandbox_operation_refuses_a_caller_without_it() {
    let server = server();
    let sandbox = server.url("sandbox");
    let operations = operations(&document("sandbox"));
    assert!(
        operations.len() >= 20,
        "only {} operations",
        operations.len()
    );
    let bearer = format!("Bearer {TOKEN}");
    let wrong = format!("Bearer {TOKEN}x");
    let basic = format!("Basic {TOKEN}");
    for Operation { method, path, .. } in &operations {
        for (credential, headers) in [
            ("none", vec![]),
            ("a wrong token", vec![("authorization", wrong.as_str())]),
            ("another scheme", vec![("authorization", basic.as_str())]),
        ] {
            let answer = blocking::call(
                method,
                &format!("{sandbox}{path}"),
                &[headers.as_slice(), &[("content-type", "application/json")]].concat(),
                Some(b"{}"),
            )
            .unwrap();
            assert_eq!(answer.status, 401, "{method} {path} with {credential}");
            assert_eq!(
                answer.header("www-authenticate"),
                Some("Bearer realm=\"campaignd sandbox\""),
                "{method} {path}"
            );
            // The sandbox API's documented error shape.
            let body = answer.body;
            assert!(body["request_id"].is_string(), "{body}");
            assert!(
                body["message"].as_str().unwrap().contains("admin token"),
                "{body}"
            );
        }
    }
    // Nothing those calls asked for happened: no workspace exists.
    let listed = blocking::call(
        "GET",
        &format!("{sandbox}/workspaces"),
        &[("authorization", &bearer)],
        None,
    )
    .unwrap();
    assert_eq!(listed.status, 200);
    assert_eq!(listed.body["items"], json!([]), "{:?}", listed.body);
}

#[test]
fn with_a_token_the_sandbox_answers_it_and_vendor_faces_keep_their_own_keys() {
    let server = server();
    let sandbox = server.url("sandbox");
    let bearer = format!("Bearer {TOKEN}");
    let admin = [
        ("authorization", bearer.as_str()),
        ("content-type", "application/json"),
    ];
    let call = |method: &str, path: &str, body: Value| {
        let answer = blocking::call(
            method,
            &format!("{sandbox}{path}"),
            &admin,
            Some(body.to_string().as_bytes()),
        )
        .unwrap();
        assert!(answer.status < 300, "{method} {path}: {answer:?}");
    };
    call(
        "POST",
        "/workspaces",
        json!({"id": "ws", "dialect": "alta"}),
    );
    call("POST", "/workspaces/ws/keys", json!({"key": "alta_key"}));
    // Health and the document stay open, for orchestrators and tools.
    for open in ["/healthz", "/openapi.json"] {
        let answer = blocking::call(
            "GET",
            &format!("{}{open}", server.origin("sandbox")),
            &[],
            None,
        )
        .unwrap();
        assert_eq!(answer.status, 200, "{open}");
    }
    // Alta answers its own key, and the admin token is no Alta key.
    let campaigns = format!("{}/campaigns", server.url("alta"));
    let own = blocking::call(
        "GET",
        &campaigns,
        &[("authorization", "Bearer alta_key")],
        None,
    )
    .unwrap();
    assert_eq!(own.status, 200);
    let admin_as_key =
        blocking::call("GET", &campaigns, &[("authorization", &bearer)], None).unwrap();
    assert_eq!(admin_as_key.status, 401);
}
