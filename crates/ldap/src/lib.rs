//! santepki's LDAP front end: the CPS directory (R44) as a read-only LDAPv3 server.
//!
//! The wire format is `ldap3_proto`'s; the server logic is here:
//! - [`schema`]: attribute types and object classes, and the `cn=subschema` entry;
//! - [`entry`]: the tree (`c=fr`, `o=GIP-CPS` / `o=TEST`, `uid=<idNat_PS>`,
//!   `ou=<idNat_Struct>`) and how rows of the directory store become entries;
//! - [`filter`]: filter evaluation and candidate plans;
//! - [`search`]: scopes, limits and stateless paging.
//!
//! The chunked, key-ordered reads of the directory store are `santepki_storage::ldap`'s
//! ([`LdapStore`]): this crate asks for professionals, situations, structures and CAs, and never
//! sees SQL.
//!
//! Anyone may read, as in the real directory: an anonymous bind succeeds, a simple bind with a
//! name or password gets invalidCredentials, every write gets unwillingToPerform. Each request
//! reads the database, with no cache: an import is visible at once on PostgreSQL and within
//! [`santepki_storage::ldap::SNAPSHOT_AGE`] on SQLite, and several nodes can share one PostgreSQL. A malformed,
//! oversized or stalled message closes its connection only.

pub mod dn;
pub mod entry;
pub mod filter;
pub mod schema;
pub mod search;

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Buf, BytesMut};
use futures::SinkExt;
use ldap3_proto::control::LdapControl;
use ldap3_proto::proto::{
    LdapBindCred, LdapBindResponse, LdapExtendedResponse, LdapFilter, LdapMsg, LdapOp, LdapPartialAttribute,
    LdapResult, LdapResultCode, LdapSearchRequest, LdapSearchResultEntry, LdapSearchScope,
};
use ldap3_proto::LdapCodec;
use santepki_storage::ldap::LdapStore;
use santepki_storage::Db;
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::codec::{Decoder, FramedWrite};

use crate::entry::Selection;
use crate::search::Paging;

/// The two branches of the tree (R44), as the store reads them: test identities and the others.
pub use santepki_storage::ldap::Branch;

/// The names of a [`Branch`] in the tree.
pub trait BranchNames {
    /// The branch's DN: `o=GIP-CPS,c=fr` or `o=TEST,c=fr`.
    fn dn(self) -> &'static str;
    /// Its `o` value.
    fn o(self) -> &'static str;
}

impl BranchNames for Branch {
    fn dn(self) -> &'static str {
        match self {
            Branch::Production => "o=GIP-CPS,c=fr",
            Branch::Test => "o=TEST,c=fr",
        }
    }

    fn o(self) -> &'static str {
        match self {
            Branch::Production => "GIP-CPS",
            Branch::Test => "TEST",
        }
    }
}

/// Server limits.
#[derive(Debug, Clone)]
pub struct LdapOptions {
    /// Most entries one search (or one page) returns; the client's limit can only lower it.
    /// 0 = no limit. Default 500, like slapd.
    pub size_limit: usize,
    /// Longest time a search runs; the client's limit can only lower it. Default 60 s.
    pub time_limit: Duration,
    /// Largest request accepted; a larger one closes the connection. Default 1 MiB.
    pub max_message_size: usize,
    /// A request still incomplete this long after its first bytes closes the connection.
    pub request_timeout: Duration,
}

impl Default for LdapOptions {
    fn default() -> Self {
        LdapOptions {
            size_limit: 500,
            time_limit: Duration::from_secs(60),
            max_message_size: 1 << 20,
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// Serves LDAP on `listener` until `shutdown` completes; open connections are closed then.
pub async fn serve(
    listener: TcpListener,
    db: Db,
    opts: LdapOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let store = LdapStore::new(db);
    let opts = Arc::new(opts);
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    let (store, opts, stop) = (store.clone(), opts.clone(), stop_rx.clone());
                    tokio::spawn(async move {
                        tracing::debug!(%peer, "LDAP connection");
                        handle(stream, store, opts, stop).await;
                        tracing::debug!(%peer, "LDAP connection closed");
                    });
                }
                Err(e) => {
                    // Out of file descriptors and the like: wait a little instead of spinning.
                    tracing::warn!("LDAP accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
        }
    }
    let _ = stop_tx.send(true);
    Ok(())
}

/// Decodes requests, refusing anything that is not an LDAPMessage (a BER SEQUENCE of definite
/// length) or that announces more than the maximum size, before waiting for its bytes.
pub struct RequestCodec {
    inner: LdapCodec,
    max: usize,
}

impl RequestCodec {
    /// A decoder that refuses messages announcing more than `max_message_size` bytes.
    pub fn new(max_message_size: usize) -> RequestCodec {
        // BER nesting is bounded too, which bounds filter nesting while decoding.
        RequestCodec { inner: LdapCodec::new(Some(max_message_size), Some(128)), max: max_message_size }
    }
}

fn invalid(msg: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

impl Decoder for RequestCodec {
    type Item = LdapMsg;
    type Error = io::Error;

    fn decode(&mut self, buf: &mut BytesMut) -> io::Result<Option<LdapMsg>> {
        let Some(&tag) = buf.first() else { return Ok(None) };
        if tag != 0x30 {
            return Err(invalid("not an LDAPMessage"));
        }
        let Some(&first) = buf.get(1) else { return Ok(None) };
        let (header, len) = if first < 0x80 {
            (2, first as usize)
        } else {
            let n = (first & 0x7f) as usize;
            if n == 0 || n > 4 {
                return Err(invalid("indefinite or oversized BER length"));
            }
            let Some(bytes) = buf.get(2..2 + n) else { return Ok(None) };
            (2 + n, bytes.iter().fold(0usize, |acc, b| (acc << 8) | *b as usize))
        };
        if header + len > self.max {
            return Err(invalid("request too large"));
        }
        if buf.len() < header + len {
            buf.reserve(header + len - buf.len());
            return Ok(None);
        }
        // ldap3_proto prints an unknown operation's tag on stdout (and logs its parser errors with
        // the bytes): refuse those messages before it sees them (issue 15, point 18).
        if !known_operation(&buf[header..header + len]) {
            buf.advance(header + len);
            return Err(invalid("unknown LDAP operation"));
        }
        // A complete message: hand exactly it to the LDAP decoder.
        let mut one = buf.split_to(header + len);
        match self.inner.decode(&mut one)? {
            Some(msg) if one.is_empty() => Ok(Some(msg)),
            _ => Err(invalid("malformed LDAPMessage")),
        }
    }
}

/// Whether the body of an LDAPMessage (after its SEQUENCE header) holds a message id and then a protocol operation
/// that ldap3_proto decodes (RFC 4511 §4.2: application tags 0–25, primitive for unbind, delete and abandon). The
/// pairs are those of ldap3_proto's `LdapOp` decoding; any other reaches its `println!`.
fn known_operation(body: &[u8]) -> bool {
    // messageID: INTEGER (0 .. 2^31-1), at most 4 bytes long in short form.
    let [0x02, id_len, rest @ ..] = body else { return false };
    let Some(&tag) = rest.get(usize::from(*id_len)) else { return false };
    if *id_len == 0 || *id_len > 4 || tag & 0xc0 != 0x40 {
        return false;
    }
    let constructed = tag & 0x20 != 0;
    matches!((tag & 0x1f, constructed), (2, _) | (10 | 16, false) | (0 | 1 | 3..=9 | 11..=15 | 19 | 23..=25, true))
}

/// Malformed requests are counted, and logged as one bounded line at most every [`BAD_REQUEST_LOG_PERIOD`]: a
/// client sending garbage must not fill the disk through the log (issue 15, point 18).
static BAD_REQUESTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
static BAD_REQUESTS_LOGGED_AT: std::sync::Mutex<Option<Instant>> = std::sync::Mutex::new(None);
const BAD_REQUEST_LOG_PERIOD: Duration = Duration::from_secs(10);

fn note_bad_request(error: &io::Error) {
    use std::sync::atomic::Ordering;
    BAD_REQUESTS.fetch_add(1, Ordering::Relaxed);
    let Ok(mut last) = BAD_REQUESTS_LOGGED_AT.try_lock() else { return };
    if last.is_some_and(|at| at.elapsed() < BAD_REQUEST_LOG_PERIOD) {
        return;
    }
    *last = Some(Instant::now());
    let since = BAD_REQUESTS.swap(0, Ordering::Relaxed);
    // The error is one of this module's fixed texts or an I/O error's: never the request's bytes.
    let reason: String = error.to_string().chars().take(80).collect();
    tracing::warn!(malformed_requests = since, last_reason = %reason, "LDAP: closed connections on malformed requests");
}

fn result(code: LdapResultCode, message: &str) -> LdapResult {
    LdapResult { code, matcheddn: String::new(), message: message.to_owned(), referral: Vec::new() }
}

/// What to do after a request.
enum Reply {
    Send(Vec<LdapMsg>),
    /// Close the connection (unbind, or a message a client must not send).
    Close,
}

/// Serves one connection: decodes each request from the bytes read so far, answers it, and
/// reads more only when no complete request is buffered. The shutdown signal is registered
/// once per connection, and a timer runs only while a request is partly received, so that a
/// request costs no timer or shared-waiter bookkeeping (the R44 search is a few tens of
/// microseconds of work: that bookkeeping showed in the profile).
async fn handle(stream: TcpStream, store: LdapStore, opts: Arc<LdapOptions>, mut stop: watch::Receiver<bool>) {
    let (mut r, w) = stream.into_split();
    let mut codec = RequestCodec::new(opts.max_message_size);
    let mut buf = BytesMut::with_capacity(4096);
    let mut writer = FramedWrite::new(w, LdapCodec::default());
    let stopped = stop.changed();
    tokio::pin!(stopped);
    // When the first bytes of the request being received arrived.
    let mut started: Option<Instant> = None;
    loop {
        let msg = match codec.decode(&mut buf) {
            Ok(Some(m)) => m,
            Err(e) => {
                note_bad_request(&e);
                return;
            }
            Ok(None) => {
                let read = if buf.is_empty() {
                    started = None;
                    tokio::select! {
                        _ = &mut stopped => return,
                        n = r.read_buf(&mut buf) => n,
                    }
                } else {
                    let since = *started.get_or_insert_with(Instant::now);
                    tokio::select! {
                        _ = &mut stopped => return,
                        n = r.read_buf(&mut buf) => n,
                        _ = tokio::time::sleep_until(since + opts.request_timeout) => {
                            // A request that started arriving and stalled: a slow or broken client.
                            tracing::debug!("LDAP request stalled; closing the connection");
                            return;
                        }
                    }
                };
                match read {
                    // End of stream (with or without a partial request) or a broken connection.
                    Ok(0) | Err(_) => return,
                    Ok(_) => continue,
                }
            }
        };
        started = None;
        match process(&store, &opts, msg).await {
            Reply::Close => return,
            Reply::Send(msgs) => {
                for m in msgs {
                    if writer.feed(m).await.is_err() {
                        return;
                    }
                }
                if writer.flush().await.is_err() {
                    return;
                }
            }
        }
    }
}

/// LDAP operations answered, by kind, in the process's Prometheus registry (`/metrics`).
#[allow(clippy::expect_used, reason = "the metric definition is a constant: a bad one fails every test at once")]
static OPERATIONS: std::sync::LazyLock<prometheus::IntCounterVec> = std::sync::LazyLock::new(|| {
    let c = prometheus::IntCounterVec::new(
        prometheus::Opts::new("santepki_ldap_operations_total", "LDAP operations answered, by operation"),
        &["operation"],
    )
    .expect("metric");
    prometheus::default_registry().register(Box::new(c.clone())).expect("registration");
    c
});

fn operation_name(op: &LdapOp) -> &'static str {
    match op {
        LdapOp::BindRequest(_) => "bind",
        LdapOp::UnbindRequest => "unbind",
        LdapOp::SearchRequest(_) => "search",
        LdapOp::CompareRequest(_) => "compare",
        LdapOp::ExtendedRequest(_) => "extended",
        LdapOp::AbandonRequest(_) => "abandon",
        _ => "other",
    }
}

/// The response to one request.
async fn process(store: &LdapStore, opts: &LdapOptions, msg: LdapMsg) -> Reply {
    OPERATIONS.with_label_values(&[operation_name(&msg.op)]).inc();
    let id = msg.msgid;
    let one = |op: LdapOp| Reply::Send(vec![LdapMsg::new(id, op)]);
    let read_only = || result(LdapResultCode::UnwillingToPerform, "this directory is read-only");
    match msg.op {
        LdapOp::BindRequest(b) => {
            let res = if b.version != 3 {
                result(LdapResultCode::ProtocolError, "only LDAPv3 is supported")
            } else {
                match &b.cred {
                    LdapBindCred::Simple(pw) if b.dn.is_empty() && pw.is_empty() => result(LdapResultCode::Success, ""),
                    LdapBindCred::Simple(_) => result(
                        LdapResultCode::InvalidCredentials,
                        "this public directory has no accounts: bind anonymously",
                    ),
                    // RFC 4505: the credentials are optional trace information, ignored.
                    LdapBindCred::SASL(sasl) if sasl.mechanism.eq_ignore_ascii_case("ANONYMOUS") => {
                        result(LdapResultCode::Success, "")
                    }
                    _ => result(
                        LdapResultCode::AuthMethodNotSupported,
                        "only anonymous binds are supported (simple or SASL ANONYMOUS)",
                    ),
                }
            };
            one(LdapOp::BindResponse(LdapBindResponse { res, saslcreds: None }))
        }
        LdapOp::UnbindRequest => Reply::Close,
        LdapOp::AbandonRequest(_) => Reply::Send(Vec::new()),
        LdapOp::SearchRequest(req) => Reply::Send(do_search(store, opts, id, &req, &msg.ctrl).await),
        LdapOp::CompareRequest(c) => {
            let req = LdapSearchRequest {
                base: c.dn.clone(),
                scope: LdapSearchScope::Base,
                aliases: ldap3_proto::proto::LdapDerefAliases::Never,
                sizelimit: 1,
                timelimit: 0,
                typesonly: false,
                filter: LdapFilter::Present("objectClass".into()),
                attrs: vec!["*".into(), "+".into()],
            };
            let res = match search::search(store, &req, None, opts).await {
                Err(e) => unavailable(e),
                Ok(o) => match o.entries.first() {
                    None => LdapResult { matcheddn: o.matched_dn, ..result(o.code, &o.message) },
                    Some(e) => match schema::attr(&c.atype) {
                        None => result(LdapResultCode::UndefinedAttributeType, "unknown attribute"),
                        Some(_) => {
                            let f = LdapFilter::Equality(c.atype.clone(), String::from_utf8_lossy(&c.val).into_owned());
                            match filter::eval(&f, e) {
                                filter::Tri::True => result(LdapResultCode::CompareTrue, ""),
                                _ => result(LdapResultCode::CompareFalse, ""),
                            }
                        }
                    },
                },
            };
            one(LdapOp::CompareResult(res))
        }
        LdapOp::ModifyRequest(_) => one(LdapOp::ModifyResponse(read_only())),
        LdapOp::AddRequest(_) => one(LdapOp::AddResponse(read_only())),
        LdapOp::DelRequest(_) => one(LdapOp::DelResponse(read_only())),
        LdapOp::ModifyDNRequest(_) => one(LdapOp::ModifyDNResponse(read_only())),
        LdapOp::ExtendedRequest(x) => {
            let res = if x.name == entry::WHOAMI_OID {
                // RFC 4532: the anonymous identity is the empty string.
                LdapExtendedResponse { res: result(LdapResultCode::Success, ""), name: None, value: Some(Vec::new()) }
            } else {
                LdapExtendedResponse {
                    res: result(LdapResultCode::ProtocolError, "unsupported extended operation"),
                    name: None,
                    value: None,
                }
            };
            one(LdapOp::ExtendedResponse(res))
        }
        // Responses and other server-to-client messages have no business here.
        _ => Reply::Close,
    }
}

fn unavailable(e: santepki_storage::StorageError) -> LdapResult {
    tracing::warn!("LDAP search failed on the directory store: {e}");
    result(LdapResultCode::Unavailable, "the directory store is unavailable")
}

/// Whether a control we do not implement is marked critical (RFC 4511 §4.1.11).
fn unsupported_critical(c: &LdapControl) -> bool {
    match c {
        LdapControl::SimplePagedResults { .. } | LdapControl::ManageDsaIT { .. } | LdapControl::ServerSort { .. } => {
            false
        }
        LdapControl::Unknown { criticality, .. }
        | LdapControl::SyncRequest { criticality, .. }
        | LdapControl::PasswordPolicyRequest { criticality }
        | LdapControl::SearchOptions { criticality, .. }
        | LdapControl::ShowDeleted { criticality }
        | LdapControl::SdFlags { criticality, .. }
        | LdapControl::ExtendedDn { criticality, .. } => *criticality,
        _ => false,
    }
}

async fn do_search(
    store: &LdapStore,
    opts: &LdapOptions,
    id: i32,
    req: &LdapSearchRequest,
    ctrl: &[LdapControl],
) -> Vec<LdapMsg> {
    let done =
        |res: LdapResult, ctrls: Vec<LdapControl>| LdapMsg::new_with_ctrls(id, LdapOp::SearchResultDone(res), ctrls);
    if ctrl.iter().any(unsupported_critical) {
        return vec![done(
            result(LdapResultCode::UnavailableCriticalExtension, "unsupported critical control"),
            Vec::new(),
        )];
    }
    let paging = ctrl.iter().find_map(|c| match c {
        LdapControl::SimplePagedResults { size, cookie } => Some(Paging { size: *size, cookie: cookie.clone() }),
        _ => None,
    });
    let outcome = match search::search(store, req, paging.as_ref(), opts).await {
        Ok(o) => o,
        Err(e) => return vec![done(unavailable(e), Vec::new())],
    };
    let sel = Selection::new(&req.attrs);
    let mut out: Vec<LdapMsg> = Vec::with_capacity(outcome.entries.len() + 1);
    for e in outcome.entries {
        let attributes = e
            .attrs
            .into_iter()
            .filter(|a| sel.includes(a.def))
            .map(|a| {
                // RFC 4522: certificates and CRLs travel as DER with the ;binary option.
                let binary = !a.binary.is_empty();
                LdapPartialAttribute {
                    atype: if binary { format!("{};binary", a.def.name) } else { a.def.name.to_owned() },
                    vals: match (req.typesonly, binary) {
                        (true, _) => Vec::new(),
                        (false, true) => a.binary,
                        (false, false) => a.values.into_iter().map(|v| v.into_owned().into_bytes()).collect(),
                    },
                }
            })
            .collect();
        out.push(LdapMsg::new(id, LdapOp::SearchResultEntry(LdapSearchResultEntry { dn: e.dn, attributes })));
    }
    let ctrls = match outcome.cookie {
        Some(cookie) => vec![LdapControl::SimplePagedResults { size: 0, cookie }],
        None => Vec::new(),
    };
    let res = LdapResult {
        code: outcome.code,
        matcheddn: outcome.matched_dn,
        message: outcome.message,
        referral: Vec::new(),
    };
    out.push(done(res, ctrls));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ldap3_proto::proto::{LdapDerefAliases, LdapSearchScope};
    use tokio_util::codec::Encoder;

    /// Unknown operations never reach ldap3_proto (which would print them on stdout): refused by the framing.
    #[test]
    fn unknown_operations_are_refused_before_the_ldap_decoder() {
        // messageID 1, then application tag 30 (constructed) with an empty body; and tag 17 (not an LDAP op).
        for op in [[0x7e, 0x00], [0x71, 0x00], [0x83, 0x00]] {
            let mut buf = BytesMut::from(&[0x30, 0x05, 0x02, 0x01, 0x01, op[0], op[1]][..]);
            let err = RequestCodec::new(1 << 20).decode(&mut buf).unwrap_err();
            assert_eq!(err.to_string(), "unknown LDAP operation", "{op:x?}");
            assert!(buf.is_empty(), "the message is consumed");
        }
        // A known one passes the check: an unbind request.
        let mut buf = BytesMut::from(&[0x30, 0x05, 0x02, 0x01, 0x01, 0x42, 0x00][..]);
        assert!(matches!(
            RequestCodec::new(1 << 20).decode(&mut buf),
            Ok(Some(LdapMsg { op: LdapOp::UnbindRequest, .. }))
        ));
    }

    /// A stable stand-in for the fuzz target (fuzz/): valid requests with random bytes flipped,
    /// and random byte strings, through the decoder and the in-memory search steps.
    #[test]
    fn mutated_requests_never_panic() {
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let filter =
            ldap3_proto::parse_ldap_filter_str("(&(cn=899700270616)(|(ou=1*2*3)(!(sn>=a)))(objectClass=*))").unwrap();
        let req = LdapSearchRequest {
            base: "ou=1,uid=899700270616,o=TEST,c=fr".into(),
            scope: LdapSearchScope::Subtree,
            aliases: LdapDerefAliases::Always,
            sizelimit: 10,
            timelimit: 5,
            typesonly: false,
            filter,
            attrs: vec!["ou".into(), "+".into()],
        };
        let mut valid = BytesMut::new();
        LdapCodec::default()
            .encode(
                LdapMsg::new_with_ctrls(
                    5,
                    LdapOp::SearchRequest(req),
                    vec![LdapControl::SimplePagedResults { size: 7, cookie: b"spk1|0|0|D|1|2".to_vec() }],
                ),
                &mut valid,
            )
            .unwrap();
        let entries = [entry::root_dse(), entry::subschema(), entry::country(), entry::branch(Branch::Test)];
        for round in 0..20_000 {
            let mut bytes = valid.to_vec();
            if round % 4 == 3 {
                let n = (next() % 64) as usize;
                bytes = (0..n).map(|_| next() as u8).collect();
                if round % 8 == 3 {
                    bytes.insert(0, 0x30);
                }
            } else {
                for _ in 0..=(next() % 4) {
                    let i = (next() as usize) % bytes.len();
                    bytes[i] = next() as u8;
                }
            }
            let mut codec = RequestCodec::new(1 << 20);
            let mut buf = BytesMut::from(&bytes[..]);
            while let Ok(Some(msg)) = codec.decode(&mut buf) {
                if let LdapOp::SearchRequest(r) = msg.op {
                    let _ = dn::NormDn::parse(&r.base);
                    if filter::depth(&r.filter) <= filter::MAX_DEPTH {
                        let _ = filter::candidates(&r.filter);
                        let sel = Selection::new(&r.attrs);
                        let _ = entry::situation_columns(&Selection::new(&r.attrs).with_filter(&r.filter));
                        for e in &entries {
                            let _ = filter::eval(&r.filter, e);
                            let _ = e.attrs.iter().filter(|a| sel.includes(a.def)).count();
                        }
                    }
                }
            }
        }
    }
}
