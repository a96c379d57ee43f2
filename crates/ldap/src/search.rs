//! The search operation: where the base is in the tree, which entries can match (a candidate
//! plan from indexed equality terms, else a scan of the branch in key order), the in-memory
//! filter, size and time limits, and stateless paging (RFC 2696).
//!
//! Paging cookies hold the position of the last entry sent (and a fingerprint of the search),
//! not a server-side cursor: any santepki node sharing the database can serve the next page.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::ops::Bound;
use std::time::{Duration, Instant};

use ldap3_proto::proto::{LdapFilter, LdapResultCode, LdapSearchRequest, LdapSearchScope};
use santepki_storage::ldap::{After, LdapStore, Read, SitColumns};
use santepki_storage::StorageError;

use crate::dn::NormDn;
use crate::entry::{self, Entry, Key, Selection};
use crate::filter::{self, Candidates, StructurePlan, Tri};
use crate::{Branch, BranchNames, LdapOptions};

/// Professionals read per database round trip.
const CHUNK: usize = 100;

/// What a search answers.
#[derive(Debug)]
pub struct Outcome {
    /// The entries found, in key order.
    pub entries: Vec<Entry>,
    /// The result code.
    pub code: LdapResultCode,
    /// The diagnostic message.
    pub message: String,
    /// With noSuchObject: the deepest existing ancestor of the base.
    pub matched_dn: String,
    /// With the paged-results control: the cookie of the next page (empty when done).
    pub cookie: Option<Vec<u8>>,
}

impl Outcome {
    fn error(code: LdapResultCode, message: impl Into<String>, matched_dn: impl Into<String>) -> Outcome {
        Outcome { entries: Vec::new(), code, message: message.into(), matched_dn: matched_dn.into(), cookie: None }
    }
}

/// The paged-results control of a request.
#[derive(Debug, Clone)]
pub struct Paging {
    /// The page size (0 abandons the search).
    pub size: i64,
    /// The previous page's cookie (empty for the first page).
    pub cookie: Vec<u8>,
}

/// Where the search base is in the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Base {
    RootDse,
    Subschema,
    Country,
    Branch(Branch),
    /// A professional or one of its situations.
    Professional {
        branch: Branch,
        idnat_ps: String,
    },
    /// A structure entry (`ou=<idNat_Struct>` under a branch).
    Structure {
        idnat_struct: String,
    },
    /// The PKI subtree (`ou=ANS,c=fr` and below).
    Pki,
}

fn branch_of_rdn(rdn: &str) -> Option<Branch> {
    match rdn {
        "o=test" => Some(Branch::Test),
        "o=gip-cps" => Some(Branch::Production),
        _ => None,
    }
}

/// Resolves a normalised base DN, or answers noSuchObject with the deepest existing ancestor.
fn resolve(norm: &NormDn) -> Result<Base, Outcome> {
    let rdns = &norm.0;
    let n = rdns.len();
    let no_such =
        |matched: &str| Outcome::error(LdapResultCode::NoSuchObject, "no such entry in this directory", matched);
    if n == 0 {
        return Ok(Base::RootDse);
    }
    if n == 1 && rdns[0] == "cn=subschema" {
        return Ok(Base::Subschema);
    }
    if rdns[n - 1] != "c=fr" {
        return Err(no_such(""));
    }
    if n == 1 {
        return Ok(Base::Country);
    }
    if rdns[n - 2] == "ou=ans" {
        // Checked against the CA entries themselves once they are loaded.
        return Ok(Base::Pki);
    }
    let Some(branch) = branch_of_rdn(&rdns[n - 2]) else { return Err(no_such(entry::COUNTRY_DN)) };
    if n == 2 {
        return Ok(Base::Branch(branch));
    }
    if let Some(v) = rdns[n - 3].strip_prefix("ou=") {
        let idnat_struct = v.to_uppercase();
        if n == 3 && !v.contains('+') && Branch::of_structure(&idnat_struct) == branch {
            return Ok(Base::Structure { idnat_struct });
        }
        return Err(no_such(branch.dn()));
    }
    let idnat_ps = match rdns[n - 3].strip_prefix("uid=") {
        Some(v) if !v.contains('+') && Branch::of(&v.to_uppercase()) == branch => v.to_uppercase(),
        _ => return Err(no_such(branch.dn())),
    };
    Ok(Base::Professional { branch, idnat_ps })
}

fn in_scope(e: &NormDn, base: &NormDn, scope: &LdapSearchScope) -> bool {
    match scope {
        LdapSearchScope::Base => e == base,
        LdapSearchScope::OneLevel => e.is_child_of(base),
        LdapSearchScope::Subtree => e.is_within(base),
        LdapSearchScope::Children => e.is_within(base) && e != base,
    }
}

/// The position a paged search resumes after.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Resume {
    sent: u64,
    key: Key,
}

const COOKIE_VERSION: &str = "spk1";

fn encode_cookie(fp: u64, sent: u64, key: &Key) -> Vec<u8> {
    match key {
        Key::Static(i) => format!("{COOKIE_VERSION}|{fp:016x}|{sent}|S|{i}").into_bytes(),
        Key::Dynamic(ps, sub) => format!("{COOKIE_VERSION}|{fp:016x}|{sent}|D|{ps}|{sub}").into_bytes(),
        Key::Structure(id) => format!("{COOKIE_VERSION}|{fp:016x}|{sent}|T|{id}").into_bytes(),
    }
}

fn decode_cookie(fp: u64, cookie: &[u8]) -> Option<Resume> {
    let s = std::str::from_utf8(cookie).ok()?;
    let mut parts = s.splitn(6, '|');
    if parts.next()? != COOKIE_VERSION || u64::from_str_radix(parts.next()?, 16).ok()? != fp {
        return None;
    }
    let sent = parts.next()?.parse().ok()?;
    let key = match parts.next()? {
        "S" => Key::Static(parts.next()?.parse().ok()?),
        "D" => Key::Dynamic(parts.next()?.to_owned(), parts.next()?.to_owned()),
        "T" => Key::Structure(parts.next()?.to_owned()),
        _ => return None,
    };
    Some(Resume { sent, key })
}

/// Identifies a search for its cookies: same base, scope, filter and attributes.
fn fingerprint(base: &NormDn, req: &LdapSearchRequest) -> u64 {
    let s = format!("{:?}|{:?}|{:?}|{:?}|{}", base.0, req.scope, req.filter, req.attrs, req.typesonly);
    xxhash_rust::xxh3::xxh3_64(s.as_bytes())
}

/// Whether `key` comes after the resume position: static entries, then professionals with
/// their situations, then structures.
fn after_resume(key: &Key, resume: Option<&Resume>) -> bool {
    match (resume.map(|r| &r.key), key) {
        (None, _) => true,
        (Some(Key::Static(r)), Key::Static(k)) => k > r,
        (Some(Key::Static(_)), Key::Dynamic(..) | Key::Structure(_)) => true,
        (Some(Key::Dynamic(..)), Key::Static(_)) => false,
        (Some(Key::Dynamic(rp, rs)), Key::Dynamic(p, s)) => p != rp || s.as_bytes() > rs.as_bytes(),
        (Some(Key::Dynamic(..)), Key::Structure(_)) => true,
        (Some(Key::Structure(_)), Key::Static(_) | Key::Dynamic(..)) => false,
        (Some(Key::Structure(r)), Key::Structure(k)) => k > r,
    }
}

/// Which professionals the dynamic part of a search reads.
enum Source {
    Ids(BTreeSet<String>),
    AtStructure(String),
    Scan(Option<Branch>),
}

/// A search's request once checked: where its base is, what its entries need, its limits and
/// where it resumes.
struct Prepared {
    base_norm: NormDn,
    base: Base,
    /// What entries need: the attributes returned and those the filter reads.
    want: Selection,
    deadline: Instant,
    /// The search's fingerprint for its cookies (0 when not paged: only paged searches need it,
    /// and it formats the whole request).
    fp: u64,
    resume: Option<Resume>,
    /// Most entries of this page, and most entries the size limits leave.
    page_cap: usize,
    limit_cap: usize,
}

impl Prepared {
    /// Checks the filter depth, the base DN and the paging cookie, and sets the limits: the
    /// client's, capped by the server's (0 = none). An invalid request gets its answer.
    fn new(req: &LdapSearchRequest, paging: Option<&Paging>, opts: &LdapOptions) -> Result<Prepared, Outcome> {
        let started = Instant::now();
        if filter::depth(&req.filter) > filter::MAX_DEPTH {
            return Err(Outcome::error(LdapResultCode::ProtocolError, "filter nested too deeply", ""));
        }
        let Some(base_norm) = NormDn::parse(&req.base) else {
            return Err(Outcome::error(LdapResultCode::InvalidDNSyntax, "invalid base DN", ""));
        };
        let base = resolve(&base_norm)?;
        let want = Selection::new(&req.attrs).with_filter(&req.filter);

        let server_size = if opts.size_limit == 0 { usize::MAX } else { opts.size_limit };
        let client_size = if req.sizelimit > 0 { req.sizelimit as usize } else { usize::MAX };
        let mut time_limit = opts.time_limit;
        if req.timelimit > 0 {
            time_limit = time_limit.min(Duration::from_secs(req.timelimit as u64));
        }
        let deadline = started + time_limit;

        let fp = if paging.is_some() { fingerprint(&base_norm, req) } else { 0 };
        let mut resume = None;
        let (page_cap, limit_cap) = match paging {
            Some(p) => {
                if !p.cookie.is_empty() {
                    match decode_cookie(fp, &p.cookie) {
                        Some(r) => resume = Some(r),
                        None => {
                            return Err(Outcome::error(
                                LdapResultCode::UnwillingToPerform,
                                "paged results cookie is invalid",
                                "",
                            ));
                        }
                    }
                }
                if p.size <= 0 {
                    // Size 0 abandons the paged search (RFC 2696 §3).
                    return Err(Outcome {
                        cookie: Some(Vec::new()),
                        ..Outcome::error(LdapResultCode::Success, "", "")
                    });
                }
                let sent = resume.as_ref().map_or(0, |r| r.sent) as usize;
                ((p.size as usize).min(server_size), client_size.saturating_sub(sent))
            }
            None => (usize::MAX, client_size.min(server_size)),
        };
        Ok(Prepared { base_norm, base, want, deadline, fp, resume, page_cap, limit_cap })
    }

    fn resume_key(&self) -> Option<&Key> {
        self.resume.as_ref().map(|r| &r.key)
    }

    /// Whether the search can reach professionals and situations.
    fn reaches_dynamic(&self, scope: &LdapSearchScope) -> bool {
        !matches!(self.resume_key(), Some(Key::Structure(_)))
            && !matches!(
                (&self.base, scope),
                (Base::Subschema | Base::Pki | Base::Structure { .. }, _)
                    | (Base::RootDse | Base::Country, LdapSearchScope::Base | LdapSearchScope::OneLevel)
                    | (Base::Branch(_), LdapSearchScope::Base)
            )
    }

    /// Whether the search can reach structure entries.
    fn reaches_structures(&self, scope: &LdapSearchScope) -> bool {
        match (&self.base, scope) {
            (Base::Structure { .. }, _) => true,
            (Base::Branch(_), scope) => *scope != LdapSearchScope::Base,
            (Base::Country | Base::RootDse, scope) => {
                matches!(scope, LdapSearchScope::Subtree | LdapSearchScope::Children)
            }
            _ => false,
        }
    }

    /// Whether the search can reach the CA entries (which are read only then).
    fn reaches_pki(&self, scope: &LdapSearchScope) -> bool {
        match (&self.base, scope) {
            (Base::Pki, _) => true,
            (Base::Country, scope) => *scope != LdapSearchScope::Base,
            (Base::RootDse, scope) => matches!(scope, LdapSearchScope::Subtree | LdapSearchScope::Children),
            _ => false,
        }
    }

    /// The branch a scan keeps to: the base's, if it is a branch.
    fn branch(&self) -> Option<Branch> {
        match &self.base {
            Base::Branch(b) => Some(*b),
            _ => None,
        }
    }
}

struct Collector<'a> {
    base: &'a NormDn,
    scope: &'a LdapSearchScope,
    filter: &'a LdapFilter,
    resume: Option<&'a Resume>,
    cap: usize,
    deadline: Instant,
    found: Vec<Entry>,
    /// An entry matched past the cap: the search stops there.
    more: bool,
    timed_out: bool,
}

impl<'a> Collector<'a> {
    fn new(p: &'a Prepared, req: &'a LdapSearchRequest) -> Collector<'a> {
        Collector {
            base: &p.base_norm,
            scope: &req.scope,
            filter: &req.filter,
            resume: p.resume.as_ref(),
            cap: p.page_cap.min(p.limit_cap),
            deadline: p.deadline,
            found: Vec::new(),
            more: false,
            timed_out: false,
        }
    }

    /// Considers an entry; returns true when the search can stop (one match past the cap).
    /// A borrowed (static) entry is copied only if it matches.
    fn offer(&mut self, e: Cow<'_, Entry>) -> bool {
        if !in_scope(&e.norm, self.base, self.scope) || !after_resume(&e.key, self.resume) {
            return false;
        }
        if filter::eval(self.filter, &e) != Tri::True {
            return false;
        }
        if self.found.len() >= self.cap {
            self.more = true;
            return true;
        }
        self.found.push(e.into_owned());
        false
    }

    /// Whether the time limit has passed (then remembered: the search ends).
    fn out_of_time(&mut self) -> bool {
        if Instant::now() >= self.deadline {
            self.timed_out = true;
        }
        self.timed_out
    }

    /// Whether the search has ended: full, or out of time.
    fn done(&self) -> bool {
        self.more || self.timed_out
    }
}

/// Runs a search: the static entries, then professionals with their situations, then
/// structures, each step only if the search can reach its entries and is not done.
pub async fn search(
    store: &LdapStore,
    req: &LdapSearchRequest,
    paging: Option<&Paging>,
    opts: &LdapOptions,
) -> Result<Outcome, StorageError> {
    let p = match Prepared::new(req, paging, opts) {
        Ok(p) => p,
        Err(answer) => return Ok(answer),
    };
    let mut c = Collector::new(&p, req);
    if let Some(answer) = static_entries(store, &p, req, &mut c).await? {
        return Ok(answer);
    }
    if !c.done() && p.reaches_dynamic(&req.scope) {
        if let Some(answer) = professionals(store, &p, req, &mut c).await? {
            return Ok(answer);
        }
    }
    if !c.done() && p.reaches_structures(&req.scope) {
        if let Some(answer) = structures(store, &p, req, &mut c).await? {
            return Ok(answer);
        }
    }
    Ok(finish(&p, paging, c))
}

/// Offers the static entries the base can reach, and the CA entries; answers noSuchObject for
/// a base under the PKI subtree that names no CA entry.
async fn static_entries(
    store: &LdapStore,
    p: &Prepared,
    req: &LdapSearchRequest,
    c: &mut Collector<'_>,
) -> Result<Option<Outcome>, StorageError> {
    let mut statics: Vec<Cow<'_, Entry>> = Vec::new();
    match p.base {
        Base::RootDse if req.scope == LdapSearchScope::Base => statics.push(Cow::Borrowed(entry::root_dse())),
        Base::Subschema => statics.push(Cow::Borrowed(entry::subschema())),
        Base::Professional { .. } | Base::Structure { .. } | Base::Pki => {}
        _ => statics.extend(
            [entry::country(), entry::branch(Branch::Production), entry::branch(Branch::Test)].map(Cow::Borrowed),
        ),
    }
    if p.reaches_pki(&req.scope) {
        let pki = entry::pki(&store.ca_entries().await?);
        if p.base == Base::Pki && !pki.iter().any(|e| e.norm == p.base_norm) {
            let matched = pki
                .iter()
                .filter(|e| p.base_norm.is_within(&e.norm))
                .max_by_key(|e| e.norm.0.len())
                .map_or(entry::COUNTRY_DN, |e| e.dn.as_str());
            return Ok(Some(Outcome::error(LdapResultCode::NoSuchObject, "no such entry in this directory", matched)));
        }
        statics.extend(pki.into_iter().map(Cow::Owned));
    }
    for e in statics {
        if c.offer(e) {
            break;
        }
    }
    Ok(None)
}

/// Which professionals a search reads: the base's, the filter's candidates, or a scan.
fn dynamic_source(p: &Prepared, filter: &LdapFilter) -> Source {
    match &p.base {
        Base::Professional { idnat_ps, .. } => Source::Ids([idnat_ps.clone()].into()),
        _ => match filter::candidates(filter) {
            Some(Candidates::Ids(ids)) => Source::Ids(ids),
            Some(Candidates::AtStructure(s)) => Source::AtStructure(s),
            None => Source::Scan(p.branch()),
        },
    }
}

/// For a base that names a professional or one of its situations: noSuchObject unless that
/// entry exists.
async fn check_professional_base(store: &LdapStore, p: &Prepared) -> Result<Option<Outcome>, StorageError> {
    let Base::Professional { branch, idnat_ps } = &p.base else { return Ok(None) };
    let names = Selection::nothing();
    let mut loaded = store.situations_of(std::slice::from_ref(idnat_ps), Read::Professionals, SitColumns::KEYS).await?;
    let exists = loaded.professionals.get(idnat_ps).is_some_and(|row| {
        entry::professional(row, false, names).norm == p.base_norm
            || entry::situations(idnat_ps, loaded.situations.remove(idnat_ps).unwrap_or_default(), names)
                .iter()
                .any(|e| e.norm == p.base_norm)
    });
    if exists {
        return Ok(None);
    }
    let matched = if loaded.professionals.contains_key(idnat_ps) {
        entry::professional_dn(*branch, idnat_ps)
    } else {
        branch.dn().to_owned()
    };
    Ok(Some(Outcome::error(LdapResultCode::NoSuchObject, "no such entry in this directory", matched)))
}

/// The next chunk of professionals of `source` from `after`, and whether it is the last.
async fn professional_chunk(
    store: &LdapStore,
    source: &Source,
    after: Option<After<'_>>,
) -> Result<(Vec<String>, bool), StorageError> {
    let ids = match source {
        Source::Ids(set) => {
            let lower = match &after {
                None => Bound::Unbounded,
                Some(a) if a.inclusive => Bound::Included(a.key.to_owned()),
                Some(a) => Bound::Excluded(a.key.to_owned()),
            };
            set.range((lower, Bound::Unbounded)).take(CHUNK).cloned().collect()
        }
        Source::AtStructure(s) => store.professionals_at_structure(s, after, CHUNK as i64).await?,
        Source::Scan(b) => store.professional_ids(*b, after, CHUNK as i64).await?,
    };
    let last = ids.len() < CHUNK;
    Ok((ids, last))
}

/// Offers professionals and their situations, chunk by chunk in key order, from the resume
/// position; answers noSuchObject for a professional base that does not exist.
async fn professionals(
    store: &LdapStore,
    p: &Prepared,
    req: &LdapSearchRequest,
    c: &mut Collector<'_>,
) -> Result<Option<Outcome>, StorageError> {
    let source = dynamic_source(p, &req.filter);
    if let Some(answer) = check_professional_base(store, p).await? {
        return Ok(Some(answer));
    }
    let professionals_may_match = filter::may_match(&req.filter, entry::PROFESSIONAL_CLASSES);
    let situations_may_match = filter::may_match(&req.filter, entry::SITUATION_CLASSES);
    let read = if professionals_may_match { Read::Professionals } else { Read::SituationsOnly };
    let columns = entry::situation_columns(&p.want);
    let mut cursor: Option<(String, bool)> = match p.resume_key() {
        Some(Key::Dynamic(ps, _)) => Some((ps.clone(), true)),
        _ => None,
    };
    // When no professional or situation can match, nothing is read.
    if !(professionals_may_match || situations_may_match) {
        return Ok(None);
    }
    while !c.out_of_time() {
        let after = cursor.as_ref().map(|(k, inclusive)| After { key: k.as_str(), inclusive: *inclusive });
        let (ids, last_chunk) = professional_chunk(store, &source, after).await?;
        if ids.is_empty() {
            break;
        }
        let mut loaded = store.situations_of(&ids, read, columns).await?;
        for id in &ids {
            let rows = loaded.situations.remove(id).unwrap_or_default();
            if professionals_may_match {
                let Some(row) = loaded.professionals.get(id) else { continue };
                if c.offer(Cow::Owned(entry::professional(row, !rows.is_empty(), &p.want))) {
                    return Ok(None);
                }
            }
            if situations_may_match {
                for e in entry::situations(id, rows, &p.want) {
                    if c.offer(Cow::Owned(e)) {
                        return Ok(None);
                    }
                }
            }
        }
        if last_chunk {
            break;
        }
        cursor = ids.last().map(|k| (k.clone(), false));
    }
    Ok(None)
}

/// Offers structures, after every professional, chunk by chunk in key order from the resume
/// position; answers noSuchObject for a structure base that does not exist.
async fn structures(
    store: &LdapStore,
    p: &Prepared,
    req: &LdapSearchRequest,
    c: &mut Collector<'_>,
) -> Result<Option<Outcome>, StorageError> {
    let branch = p.branch();
    let plan = match &p.base {
        Base::Structure { idnat_struct } => {
            if store.structures_with_certificates(std::slice::from_ref(idnat_struct)).await?.is_empty() {
                let matched = Branch::of_structure(idnat_struct).dn();
                return Ok(Some(Outcome::error(
                    LdapResultCode::NoSuchObject,
                    "no such entry in this directory",
                    matched,
                )));
            }
            StructurePlan::Ids([idnat_struct.clone()].into())
        }
        _ => filter::structure_plan(&req.filter),
    };
    let mut cursor: Option<String> = match p.resume_key() {
        Some(Key::Structure(id)) => Some(id.clone()),
        _ => None,
    };
    while !c.out_of_time() {
        let after = cursor.as_deref().map(|key| After { key, inclusive: false });
        let ids: Vec<String> = match &plan {
            StructurePlan::Skip => break,
            StructurePlan::Ids(set) => {
                let lower = after.map_or(Bound::Unbounded, |a| Bound::Excluded(a.key.to_owned()));
                set.range((lower, Bound::Unbounded))
                    .filter(|id| branch.is_none_or(|b| Branch::of_structure(id) == b))
                    .take(CHUNK)
                    .cloned()
                    .collect()
            }
            StructurePlan::Scan => store.structure_ids(branch, after, CHUNK as i64).await?,
        };
        let Some(last) = ids.last().cloned() else { break };
        let mut rows = store.structures_with_certificates(&ids).await?;
        for id in &ids {
            if let Some((row, certs)) = rows.remove(id) {
                if c.offer(Cow::Owned(entry::structure(&row, certs, &p.want))) {
                    return Ok(None);
                }
            }
        }
        if ids.len() < CHUNK {
            break;
        }
        cursor = Some(last);
    }
    Ok(None)
}

/// The answer: the entries found, the result code, and with paging the next page's cookie.
fn finish(p: &Prepared, paging: Option<&Paging>, c: Collector<'_>) -> Outcome {
    let sent_before = p.resume.as_ref().map_or(0, |r| r.sent);
    let Collector { found, more, timed_out, .. } = c;
    let size_exceeded = more && (paging.is_none() || p.limit_cap <= p.page_cap);
    let (code, message) = if timed_out {
        (LdapResultCode::TimeLimitExceeded, "time limit exceeded".to_owned())
    } else if size_exceeded {
        (LdapResultCode::SizeLimitExceeded, "size limit exceeded".to_owned())
    } else {
        (LdapResultCode::Success, String::new())
    };
    let cookie = paging.map(|_| match (code.clone(), more, found.last()) {
        (LdapResultCode::Success, true, Some(last)) => encode_cookie(p.fp, sent_before + found.len() as u64, &last.key),
        _ => Vec::new(),
    });
    Outcome { entries: found, code, message, matched_dn: String::new(), cookie }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_round_trip_and_are_bound_to_their_search() {
        let key = Key::Dynamic("899700270616".into(), "899700270616|499700270616029|10|x|L|GENR01".into());
        let c = encode_cookie(42, 7, &key);
        assert_eq!(decode_cookie(42, &c), Some(Resume { sent: 7, key }));
        assert_eq!(decode_cookie(43, &c), None);
        assert_eq!(decode_cookie(42, b"garbage"), None);
        assert_eq!(
            decode_cookie(42, &encode_cookie(42, 1, &Key::Static(2))),
            Some(Resume { sent: 1, key: Key::Static(2) })
        );
    }

    #[test]
    fn bases() {
        let r = |s: &str| resolve(&NormDn::parse(s).unwrap());
        assert_eq!(r("").unwrap(), Base::RootDse);
        assert_eq!(r("CN=Subschema").unwrap(), Base::Subschema);
        assert_eq!(r("o=test,c=FR").unwrap(), Base::Branch(Branch::Test));
        assert_eq!(
            r("ou=1,uid=899700270616,o=TEST,c=fr").unwrap(),
            Base::Professional { branch: Branch::Test, idnat_ps: "899700270616".into() }
        );
        assert_eq!(r("uid=899700270616,o=GIP-CPS,c=fr").unwrap_err().code, LdapResultCode::NoSuchObject);
        assert_eq!(r("o=x,c=fr").unwrap_err().matched_dn, "c=fr");
        assert_eq!(r("dc=example,dc=com").unwrap_err().code, LdapResultCode::NoSuchObject);
    }
}
