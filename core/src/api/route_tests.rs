//! Unit tests of the router: one test per rule of IPC.md §2 and the request bodies.

use super::*;

fn ok(method: &str, path: &str, query: &str, body: &str) -> Request {
    route(method, path, query, body.as_bytes()).unwrap_or_else(|r| {
        panic!(
            "{method} {path}: {} {}",
            r.status,
            String::from_utf8_lossy(&r.body)
        )
    })
}

fn err(method: &str, path: &str, query: &str, body: &[u8]) -> Response {
    match route(method, path, query, body) {
        Ok(r) => panic!("{method} {path}: routed to {r:?}"),
        Err(r) => r,
    }
}

fn body(r: &Response) -> String {
    String::from_utf8(r.body.clone()).expect("utf-8 body")
}

fn header<'a>(r: &'a Response, name: &str) -> Option<&'a str> {
    r.headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn invalid_details(r: &Response) -> String {
    assert_eq!(r.status, 400, "{}", body(r));
    let v: serde_json::Value = serde_json::from_slice(&r.body).expect("json error body");
    assert_eq!(v["error"], "invalid request body");
    v["details"].as_str().expect("details").to_string()
}

#[test]
fn post_routes_decode_their_bodies() {
    assert_eq!(
        ok("POST", "/start", "", r#"{"path":"/a.db","timeout":5}"#),
        Request::Start {
            path: "/a.db".into(),
            timeout: Some(5)
        }
    );
    assert_eq!(
        ok("POST", "/stop", "", r#"{"path":"/a.db"}"#),
        Request::Stop {
            path: "/a.db".into(),
            timeout: None
        }
    );
    assert_eq!(
        ok(
            "POST",
            "/register",
            "",
            r#"{"path":"/a.db","replica_url":"file:///r"}"#
        ),
        Request::Register {
            path: "/a.db".into(),
            replica_url: "file:///r".into()
        }
    );
    assert_eq!(
        ok(
            "POST",
            "/unregister",
            "",
            r#"{"path":"/a.db","timeout":-3}"#
        ),
        Request::Unregister {
            path: "/a.db".into(),
            timeout: Some(-3)
        }
    );
    assert_eq!(
        ok(
            "POST",
            "/sync",
            "",
            r#"{"path":"/a.db","wait":true,"timeout":7}"#
        ),
        Request::Sync {
            path: "/a.db".into(),
            wait: true,
            timeout: Some(7)
        }
    );
}

#[test]
fn get_routes_and_queries() {
    assert_eq!(ok("GET", "/list", "", ""), Request::List);
    assert_eq!(ok("GET", "/info", "x=1", ""), Request::Info);
    assert_eq!(
        ok("GET", "/txid", "path=%2Fa%20b.db&path=/other", ""),
        Request::Txid {
            path: "/a b.db".into()
        }
    );
    assert_eq!(
        ok("GET", "/txid", "path=/a+b.db", ""),
        Request::Txid {
            path: "/a b.db".into()
        }
    );
    assert_eq!(
        ok("GET", "/debug/sync-status", "", ""),
        Request::SyncStatus { path: None }
    );
    assert_eq!(
        ok("GET", "/debug/sync-status", "path=/x.db", ""),
        Request::SyncStatus {
            path: Some("/x.db".into())
        }
    );
    assert_eq!(
        ok("GET", "/debug/pprof/", "", ""),
        Request::Pprof {
            name: String::new(),
            query: String::new()
        }
    );
    assert_eq!(
        ok("GET", "/debug/pprof/profile", "seconds=2", ""),
        Request::Pprof {
            name: "profile".into(),
            query: "seconds=2".into()
        }
    );
}

#[test]
fn txid_without_path_is_400() {
    for q in ["", "path=", "other=1", "path=%zz"] {
        let r = err("GET", "/txid", q, b"");
        assert_eq!(r.status, 400, "{q}");
        assert_eq!(body(&r), "{\"error\":\"path required\"}\n");
    }
}

#[test]
fn get_routes_answer_head() {
    for p in ["/list", "/info", "/debug/sync-status", "/debug/pprof/"] {
        assert!(route("HEAD", p, "", b"").is_ok(), "{p}");
    }
}

#[test]
fn wrong_method_is_405_with_allow() {
    for (m, p, allow) in [
        ("GET", "/start", "POST"),
        ("HEAD", "/sync", "POST"),
        ("PUT", "/register", "POST"),
        ("DELETE", "/unregister", "POST"),
        ("GET", "/stop", "POST"),
        ("POST", "/list", "GET, HEAD"),
        ("POST", "/info", "GET, HEAD"),
        ("PUT", "/txid", "GET, HEAD"),
        ("POST", "/debug/sync-status", "GET, HEAD"),
        ("POST", "/debug/pprof/heap", "GET, HEAD"),
        ("get", "/list", "GET, HEAD"),
    ] {
        let r = err(m, p, "", b"");
        assert_eq!(r.status, 405, "{m} {p}");
        assert_eq!(r.content_type, "text/plain; charset=utf-8");
        assert_eq!(header(&r, "Allow"), Some(allow), "{m} {p}");
        assert_eq!(body(&r), "Method Not Allowed\n");
    }
}

#[test]
fn unknown_paths_are_404() {
    for p in [
        "/", "/list/", "/nope", "/debug", "/debug/", "/LIST", "/sync/x",
    ] {
        for m in ["GET", "POST"] {
            let r = err(m, p, "", b"");
            assert_eq!(r.status, 404, "{m} {p}");
            assert_eq!(r.content_type, "text/plain; charset=utf-8");
            assert_eq!(body(&r), "404 page not found\n");
        }
    }
}

#[test]
fn pprof_without_slash_and_unclean_paths_redirect() {
    let r = err("GET", "/debug/pprof", "", b"");
    assert_eq!(r.status, 301);
    assert_eq!(header(&r, "Location"), Some("/debug/pprof/"));
    assert_eq!(
        body(&r),
        "<a href=\"/debug/pprof/\">Moved Permanently</a>.\n\n"
    );
    let r = err("HEAD", "/debug/pprof", "", b"");
    assert_eq!((r.status, r.body.len()), (301, 0));
    let r = err("GET", "/x/../list", "a=1", b"");
    assert_eq!(r.status, 301);
    assert_eq!(header(&r, "Location"), Some("/list?a=1"));
    let r = err("GET", "//info", "", b"");
    assert_eq!(header(&r, "Location"), Some("/info"));
    // Percent-encoded route names match after decoding.
    assert_eq!(ok("GET", "/l%69st", "", ""), Request::List);
}

#[test]
fn missing_fields() {
    for p in ["/start", "/stop", "/unregister", "/sync", "/register"] {
        for b in ["{}", "null", r#"{"path":""}"#, r#"{"path":null}"#] {
            let r = err("POST", p, "", b.as_bytes());
            assert_eq!(r.status, 400, "{p} {b}");
            assert_eq!(body(&r), "{\"error\":\"path required\"}\n", "{p} {b}");
        }
    }
    let r = err("POST", "/register", "", br#"{"path":"/a.db"}"#);
    assert_eq!(body(&r), "{\"error\":\"replica_url required\"}\n");
    let r = err(
        "POST",
        "/register",
        "",
        br#"{"path":"/a.db","replica_url":""}"#,
    );
    assert_eq!(body(&r), "{\"error\":\"replica_url required\"}\n");
    // path is checked before replica_url, as in Litestream.
    let r = err("POST", "/register", "", b"{}");
    assert_eq!(body(&r), "{\"error\":\"path required\"}\n");
}

#[test]
fn empty_body_is_eof() {
    for b in ["", "   ", "\n"] {
        let r = err("POST", "/sync", "", b.as_bytes());
        assert_eq!(invalid_details(&r), "EOF", "{b:?}");
        assert_eq!(
            body(&r),
            "{\"error\":\"invalid request body\",\"details\":\"EOF\"}\n"
        );
    }
}

#[test]
fn malformed_json_is_400_with_go_details() {
    let cases: &[(&str, &str)] = &[
        ("x", "invalid character 'x' looking for beginning of value"),
        ("{\"path\":", "unexpected EOF"),
        ("{\"path\":\"/a\"", "unexpected EOF"),
        (
            "{path:1}",
            "invalid character 'p' looking for beginning of object key string",
        ),
        ("{\"path\" 1}", "invalid character '1' after object key"),
        (
            "{\"path\":\"/a\" \"x\":1}",
            "invalid character '\"' after object key:value pair",
        ),
    ];
    for (b, want) in cases {
        let r = err("POST", "/start", "", b.as_bytes());
        assert_eq!(invalid_details(&r), *want, "{b}");
    }
}

#[test]
fn invalid_utf8_is_400() {
    let mut b = br#"{"path":"/a"#.to_vec();
    b.extend_from_slice(&[0xff, 0xfe]);
    b.extend_from_slice(br#"","wait":true}"#);
    let r = err("POST", "/sync", "", &b);
    assert!(!invalid_details(&r).is_empty());
    let r = err("POST", "/sync", "", &[0xff]);
    assert_eq!(r.status, 400);
}

#[test]
fn wrong_types_are_400_naming_the_field() {
    let cases: &[(&str, &str, &str)] = &[
        ("/sync", r#"{"path":1}"#, "json: cannot unmarshal number into Go struct field SyncRequest.path of type string"),
        ("/sync", r#"{"path":"/a","wait":"yes"}"#, "json: cannot unmarshal string into Go struct field SyncRequest.wait of type bool"),
        ("/sync", r#"{"path":"/a","timeout":"5"}"#, "json: cannot unmarshal string into Go struct field SyncRequest.timeout of type int"),
        ("/stop", r#"{"path":"/a","timeout":1.5}"#, "json: cannot unmarshal number 1.5 into Go struct field StopRequest.timeout of type int"),
        ("/start", r#"{"path":"/a","timeout":99999999999999999999}"#, "json: cannot unmarshal number 1e+20 into Go struct field StartRequest.timeout of type int"),
        ("/register", r#"{"path":"/a","replica_url":["x"]}"#, "json: cannot unmarshal array into Go struct field RegisterDatabaseRequest.replica_url of type string"),
        ("/unregister", r#"{"path":{"a":1}}"#, "json: cannot unmarshal object into Go struct field UnregisterDatabaseRequest.path of type string"),
        ("/sync", "[1,2]", "json: cannot unmarshal array into Go value of type litestream.SyncRequest"),
        ("/start", "\"x\"", "json: cannot unmarshal string into Go value of type litestream.StartRequest"),
        ("/stop", "true", "json: cannot unmarshal bool into Go value of type litestream.StopRequest"),
        ("/stop", "12", "json: cannot unmarshal number into Go value of type litestream.StopRequest"),
    ];
    for (p, b, want) in cases {
        let r = err("POST", p, "", b.as_bytes());
        assert_eq!(invalid_details(&r), *want, "{p} {b}");
    }
}

#[test]
fn unknown_fields_ignored_case_insensitive_last_wins_trailing_ignored() {
    assert_eq!(
        ok(
            "POST",
            "/sync",
            "",
            r#"{"extra":[1,{"x":null}],"PATH":"/a","path":"/b","Wait":true} trailing"#
        ),
        Request::Sync {
            path: "/b".into(),
            wait: true,
            timeout: None
        }
    );
    // null leaves a field unset.
    assert_eq!(
        ok("POST", "/stop", "", r#"{"path":"/a","timeout":null}"#),
        Request::Stop {
            path: "/a".into(),
            timeout: None
        }
    );
}

#[test]
fn negative_and_large_timeouts_are_kept() {
    assert_eq!(
        ok(
            "POST",
            "/stop",
            "",
            r#"{"path":"/a","timeout":-9223372036854775808}"#
        ),
        Request::Stop {
            path: "/a".into(),
            timeout: Some(i64::MIN)
        }
    );
}

#[test]
fn oversized_body_is_413() {
    let mut b = br#"{"path":"/a","pad":""#.to_vec();
    b.resize(MAX_BODY + 1, b'a');
    let r = err("POST", "/sync", "", &b);
    assert_eq!(r.status, 413);
    assert_eq!(r.content_type, "application/json");
    let v: serde_json::Value = serde_json::from_slice(&r.body).expect("json");
    assert!(v["error"].as_str().expect("error").contains("too large"));
    // Exactly at the limit is still decoded.
    let mut b = br#"{"path":"/a","pad":""#.to_vec();
    b.resize(MAX_BODY - 2, b'a');
    b.extend_from_slice(b"\"}");
    assert_eq!(b.len(), MAX_BODY);
    assert!(route("POST", "/sync", "", &b).is_ok());
}

#[test]
fn method_is_checked_before_the_body() {
    let r = err("GET", "/sync", "", b"not json");
    assert_eq!(r.status, 405);
    let r = err("GET", "/nope", "", &vec![b'x'; MAX_BODY + 10]);
    assert_eq!(r.status, 404);
}

#[test]
fn html_escaping_of_error_paths() {
    let r = Response::error(404, "database not found: /a<b>&c");
    assert_eq!(
        body(&r),
        "{\"error\":\"database not found: /a\\u003cb\\u003e\\u0026c\"}\n"
    );
}
