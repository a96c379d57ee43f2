//! Robustness and limits on raw connections: garbage, a truncated message, an oversized length
//! header, a stalled request and a filter nested 10,000 levels each close their own
//! connection (never the server, never a panic), and a normal search on a new connection still
//! works afterwards. Also: server-side size and time limits, paging capped by the server
//! limit, binds, and messages only a server may send.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::time::Duration;

use bytes::BytesMut;
use common::Server;
use futures::{SinkExt, StreamExt};
use ldap3_proto::control::LdapControl;
use ldap3_proto::proto::{
    LdapBindCred, LdapBindRequest, LdapDerefAliases, LdapFilter, LdapMsg, LdapOp, LdapResult, LdapResultCode,
    LdapSearchRequest, LdapSearchScope,
};
use ldap3_proto::LdapCodec;
use santepki_ldap::LdapOptions;
use santepki_storage::testing;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_util::codec::{Encoder, Framed};

fn search_req(base: &str, scope: LdapSearchScope, filter: LdapFilter) -> LdapSearchRequest {
    LdapSearchRequest {
        base: base.into(),
        scope,
        aliases: LdapDerefAliases::Never,
        sizelimit: 0,
        timelimit: 0,
        typesonly: false,
        filter,
        attrs: vec![],
    }
}

/// Sends one request and reads until its final response.
async fn exchange(addr: std::net::SocketAddr, msg: LdapMsg) -> (Vec<LdapMsg>, LdapResult) {
    let mut conn = Framed::new(TcpStream::connect(addr).await.unwrap(), LdapCodec::default());
    conn.send(msg).await.unwrap();
    let mut entries = Vec::new();
    loop {
        let m = tokio::time::timeout(Duration::from_secs(10), conn.next())
            .await
            .expect("response in time")
            .expect("open")
            .unwrap();
        match m.op {
            LdapOp::SearchResultEntry(_) => entries.push(m),
            LdapOp::SearchResultDone(r) => {
                let mut done = r;
                // Keep the controls of the final message for the paging test.
                if !m.ctrl.is_empty() {
                    done.referral = m
                        .ctrl
                        .iter()
                        .filter_map(|c| match c {
                            LdapControl::SimplePagedResults { cookie, .. } => {
                                Some(String::from_utf8_lossy(cookie).into_owned())
                            }
                            _ => None,
                        })
                        .collect();
                }
                return (entries, done);
            }
            LdapOp::BindResponse(b) => return (entries, b.res),
            other => panic!("unexpected {other:?}"),
        }
    }
}

async fn search(addr: std::net::SocketAddr, req: LdapSearchRequest, ctrl: Vec<LdapControl>) -> (usize, LdapResult) {
    let (e, r) = exchange(addr, LdapMsg::new_with_ctrls(2, LdapOp::SearchRequest(req), ctrl)).await;
    (e.len(), r)
}

/// A normal search still answers.
async fn still_serving(addr: std::net::SocketAddr) {
    let (n, r) =
        search(addr, search_req("c=fr", LdapSearchScope::OneLevel, LdapFilter::Present("objectClass".into())), vec![])
            .await;
    assert_eq!((n, r.code), (2, LdapResultCode::Success));
}

/// Sends `bytes` (then half-closes if `eof`) and expects the server to close the connection.
async fn expect_closed(addr: std::net::SocketAddr, what: &str, bytes: &[u8], eof: bool, within: Duration) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    // The server may close while we are still writing a large message: that is fine.
    let _ = s.write_all(bytes).await;
    if eof {
        let _ = s.shutdown().await;
    }
    let mut buf = vec![0u8; 4096];
    let closed = tokio::time::timeout(within, async {
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => continue,
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "{what}: the server did not close the connection");
}

/// A BER length.
fn ber_len(n: usize) -> Vec<u8> {
    if n < 0x80 {
        vec![n as u8]
    } else {
        let bytes: Vec<u8> = n.to_be_bytes().into_iter().skip_while(|b| *b == 0).collect();
        let mut v = vec![0x80 | bytes.len() as u8];
        v.extend(bytes);
        v
    }
}

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut v = vec![tag];
    v.extend(ber_len(content.len()));
    v.extend_from_slice(content);
    v
}

/// A search request whose filter is `depth` nested NOTs around `(cn=*)`, built by hand.
fn nested_filter_search(depth: usize) -> Vec<u8> {
    let mut filter = tlv(0x87, b"cn");
    for _ in 0..depth {
        filter = tlv(0xa2, &filter);
    }
    let mut body = Vec::new();
    body.extend(tlv(0x04, b"c=fr"));
    body.extend(tlv(0x0a, &[2]));
    body.extend(tlv(0x0a, &[0]));
    body.extend(tlv(0x02, &[0]));
    body.extend(tlv(0x02, &[0]));
    body.extend(tlv(0x01, &[0]));
    body.extend(filter);
    body.extend(tlv(0x30, &[]));
    let mut msg = tlv(0x02, &[7]);
    msg.extend(tlv(0x63, &body));
    tlv(0x30, &msg)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_input_closes_only_its_connection() {
    let t = testing::sqlite().await;
    let opts = LdapOptions { request_timeout: Duration::from_millis(500), ..Default::default() };
    let server = Server::start(t.db.clone(), opts).await;
    let addr = server.addr;
    let quick = Duration::from_secs(5);
    still_serving(addr).await;

    expect_closed(addr, "garbage", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", false, quick).await;
    still_serving(addr).await;
    expect_closed(addr, "random bytes", &[0x30, 0x03, 0xff, 0xff, 0xff], false, quick).await;
    still_serving(addr).await;

    let mut good = BytesMut::new();
    let req = search_req("c=fr", LdapSearchScope::Subtree, LdapFilter::Equality("cn".into(), "899700270616".into()));
    LdapCodec::default().encode(LdapMsg::new(3, LdapOp::SearchRequest(req)), &mut good).unwrap();
    let half = &good[..good.len() / 2];
    expect_closed(addr, "truncated message then EOF", half, true, quick).await;
    still_serving(addr).await;
    expect_closed(addr, "truncated message that stalls", half, false, quick).await;
    still_serving(addr).await;

    // A length header announcing 2 GiB, and one just over the 1 MiB cap: refused before the
    // server waits for (or buffers) the bytes.
    expect_closed(addr, "2 GiB length header", &[0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x02, 0x01, 0x01], false, quick)
        .await;
    expect_closed(addr, "1 MiB + 1 length header", &[0x30, 0x83, 0x10, 0x00, 0x01, 0x02, 0x01, 0x01], false, quick)
        .await;
    expect_closed(addr, "indefinite length", &[0x30, 0x80, 0x02, 0x01, 0x01, 0x00, 0x00], false, quick).await;
    still_serving(addr).await;

    expect_closed(addr, "filter nested 10,000 levels", &nested_filter_search(10_000), false, quick).await;
    still_serving(addr).await;

    // Deeper than the server's filter limit (64) but decodable: protocolError, not a crash.
    let mut s = Framed::new(TcpStream::connect(addr).await.unwrap(), LdapCodec::default());
    s.get_mut().write_all(&nested_filter_search(100)).await.unwrap();
    let m = tokio::time::timeout(quick, s.next()).await.unwrap().unwrap().unwrap();
    match m.op {
        LdapOp::SearchResultDone(r) => assert_eq!(r.code, LdapResultCode::ProtocolError),
        other => panic!("{other:?}"),
    }

    // A message only a server may send.
    let mut bad = BytesMut::new();
    LdapCodec::default()
        .encode(
            LdapMsg::new(
                4,
                LdapOp::SearchResultDone(LdapResult {
                    code: LdapResultCode::Success,
                    matcheddn: String::new(),
                    message: String::new(),
                    referral: vec![],
                }),
            ),
            &mut bad,
        )
        .unwrap();
    expect_closed(addr, "a response sent by the client", &bad, false, quick).await;

    // Many bad connections at once.
    let mut tasks = Vec::new();
    for i in 0..50u8 {
        tasks.push(tokio::spawn(async move {
            expect_closed(addr, "concurrent garbage", &[0x31, i, i, i], false, Duration::from_secs(10)).await;
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    still_serving(addr).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binds_limits_and_paging_caps() {
    let t = testing::sqlite().await;
    let files_dir = tempfile::tempdir().unwrap();
    let files = common::generate_small(files_dir.path());
    common::import(&t.db, &files).await;
    let all_situations = LdapFilter::Equality("objectClass".into(), "cpsSituation".into());

    let small = Server::start(t.db.clone(), LdapOptions { size_limit: 3, ..Default::default() }).await;
    // Binds: anonymous succeeds, a name or a password gets invalidCredentials, LDAPv2 protocolError.
    let bind = |dn: &str, pw: &str, version: i64| {
        LdapMsg::new(
            1,
            LdapOp::BindRequest(LdapBindRequest { version, dn: dn.into(), cred: LdapBindCred::Simple(pw.into()) }),
        )
    };
    assert_eq!(exchange(small.addr, bind("", "", 3)).await.1.code, LdapResultCode::Success);
    assert_eq!(
        exchange(small.addr, bind("cn=admin,c=fr", "secret", 3)).await.1.code,
        LdapResultCode::InvalidCredentials
    );
    assert_eq!(exchange(small.addr, bind("", "secret", 3)).await.1.code, LdapResultCode::InvalidCredentials);
    assert_eq!(exchange(small.addr, bind("", "", 2)).await.1.code, LdapResultCode::ProtocolError);

    // The server's size limit caps an unlimited client and a larger client limit.
    let (n, r) = search(small.addr, search_req("c=fr", LdapSearchScope::Subtree, all_situations.clone()), vec![]).await;
    assert_eq!((n, r.code), (3, LdapResultCode::SizeLimitExceeded));
    let mut req = search_req("c=fr", LdapSearchScope::Subtree, all_situations.clone());
    req.sizelimit = 2;
    let (n, r) = search(small.addr, req, vec![]).await;
    assert_eq!((n, r.code), (2, LdapResultCode::SizeLimitExceeded));
    // A search that finds fewer entries than the limit succeeds.
    let req =
        search_req("o=TEST,c=fr", LdapSearchScope::Subtree, LdapFilter::Equality("uid".into(), "899700270616".into()));
    let (n, r) = search(small.addr, req, vec![]).await;
    assert_eq!((n, r.code), (1, LdapResultCode::Success));

    // A subtree search from the root DSE covers the whole tree (the root DSE itself excluded).
    let req = search_req("", LdapSearchScope::Subtree, LdapFilter::Equality("cn".into(), "899700270616".into()));
    let (n, r) = search(small.addr, req, vec![]).await;
    assert_eq!((n, r.code), (3, LdapResultCode::SizeLimitExceeded), "four situations, three allowed");
    let req = search_req("", LdapSearchScope::OneLevel, LdapFilter::Present("objectClass".into()));
    let (n, r) = search(small.addr, req, vec![]).await;
    assert_eq!((n, r.code), (1, LdapResultCode::Success), "c=fr only");

    // Paging: pages are capped by the server's limit and go on with a cookie.
    let mut cookie = Vec::new();
    let mut total = 0;
    let mut pages = 0;
    loop {
        let req = search_req(
            "uid=899700270616,o=TEST,c=fr",
            LdapSearchScope::Subtree,
            LdapFilter::Present("objectClass".into()),
        );
        let (n, r) =
            search(small.addr, req, vec![LdapControl::SimplePagedResults { size: 100, cookie: cookie.clone() }]).await;
        assert_eq!(r.code, LdapResultCode::Success);
        assert!(n <= 3);
        total += n;
        pages += 1;
        cookie = r.referral.first().map(|c| c.clone().into_bytes()).unwrap_or_default();
        if cookie.is_empty() {
            break;
        }
    }
    assert_eq!((total, pages), (5, 2), "the professional and its four situations, in pages of at most 3");

    // Time limit: a search that cannot finish in time answers timeLimitExceeded.
    let slow = Server::start(t.db.clone(), LdapOptions { time_limit: Duration::ZERO, ..Default::default() }).await;
    let (_, r) = search(slow.addr, search_req("c=fr", LdapSearchScope::Subtree, all_situations), vec![]).await;
    assert_eq!(r.code, LdapResultCode::TimeLimitExceeded);
}
