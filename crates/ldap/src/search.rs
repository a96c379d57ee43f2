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
use santepki_storage::StorageError;

use crate::dn::NormDn;
use crate::entry::{self, Entry, Key, Selection};
use crate::filter::{self, Candidates, StructurePlan, Tri};
use crate::store::{After, Read, SitColumns, Store};
use crate::{Branch, LdapOptions};

/// Professionals read per database round trip.
const CHUNK: usize = 100;

/// What a search answers.
#[derive(Debug)]
pub struct Outcome {
    pub entries: Vec<Entry>,
    pub code: LdapResultCode,
    pub message: String,
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
    pub size: i64,
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
        if n == 3 && !v.contains('+') && entry::structure_branch(&idnat_struct) == branch {
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

struct Collector<'a> {
    base: &'a NormDn,
    scope: &'a LdapSearchScope,
    filter: &'a LdapFilter,
    resume: Option<&'a Resume>,
    cap: usize,
    found: Vec<Entry>,
    more: bool,
}

impl Collector<'_> {
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
}

/// Runs a search.
pub async fn search(
    store: &Store,
    req: &LdapSearchRequest,
    paging: Option<&Paging>,
    opts: &LdapOptions,
) -> Result<Outcome, StorageError> {
    let started = Instant::now();
    if filter::depth(&req.filter) > filter::MAX_DEPTH {
        return Ok(Outcome::error(LdapResultCode::ProtocolError, "filter nested too deeply", ""));
    }
    let Some(base_norm) = NormDn::parse(&req.base) else {
        return Ok(Outcome::error(LdapResultCode::InvalidDNSyntax, "invalid base DN", ""));
    };
    let base = match resolve(&base_norm) {
        Ok(b) => b,
        Err(o) => return Ok(o),
    };

    // What entries need: the attributes returned and those the filter reads.
    let want = Selection::new(&req.attrs).with_filter(&req.filter);

    // Limits: the client's, capped by the server's (0 = none).
    let server_size = if opts.size_limit == 0 { usize::MAX } else { opts.size_limit };
    let client_size = if req.sizelimit > 0 { req.sizelimit as usize } else { usize::MAX };
    let mut time_limit = opts.time_limit;
    if req.timelimit > 0 {
        time_limit = time_limit.min(Duration::from_secs(req.timelimit as u64));
    }
    let deadline = started + time_limit;

    // Only paged searches need their fingerprint (it formats the whole request).
    let fp = if paging.is_some() { fingerprint(&base_norm, req) } else { 0 };
    let mut resume = None;
    let (page_cap, limit_cap) = match paging {
        Some(p) => {
            if !p.cookie.is_empty() {
                match decode_cookie(fp, &p.cookie) {
                    Some(r) => resume = Some(r),
                    None => {
                        return Ok(Outcome::error(
                            LdapResultCode::UnwillingToPerform,
                            "paged results cookie is invalid",
                            "",
                        ));
                    }
                }
            }
            if p.size <= 0 {
                // Size 0 abandons the paged search (RFC 2696 §3).
                return Ok(Outcome { cookie: Some(Vec::new()), ..Outcome::error(LdapResultCode::Success, "", "") });
            }
            let sent = resume.as_ref().map_or(0, |r| r.sent) as usize;
            ((p.size as usize).min(server_size), client_size.saturating_sub(sent))
        }
        None => (usize::MAX, client_size.min(server_size)),
    };
    let cap = page_cap.min(limit_cap);

    let mut c = Collector {
        base: &base_norm,
        scope: &req.scope,
        filter: &req.filter,
        resume: resume.as_ref(),
        cap,
        found: Vec::new(),
        more: false,
    };

    // The static entries.
    let mut statics: Vec<Cow<'_, Entry>> = Vec::new();
    match base {
        Base::RootDse if req.scope == LdapSearchScope::Base => statics.push(Cow::Borrowed(entry::root_dse())),
        Base::Subschema => statics.push(Cow::Borrowed(entry::subschema())),
        Base::Professional { .. } | Base::Structure { .. } | Base::Pki => {}
        _ => statics.extend(
            [entry::country(), entry::branch(Branch::Production), entry::branch(Branch::Test)].map(Cow::Borrowed),
        ),
    }
    // The CA entries, read only by searches that can reach them.
    let reaches_pki = match (&base, &req.scope) {
        (Base::Pki, _) => true,
        (Base::Country, scope) => *scope != LdapSearchScope::Base,
        (Base::RootDse, scope) => matches!(scope, LdapSearchScope::Subtree | LdapSearchScope::Children),
        _ => false,
    };
    if reaches_pki {
        let pki = entry::pki(&store.cas().await?);
        if base == Base::Pki && !pki.iter().any(|e| e.norm == base_norm) {
            let matched = pki
                .iter()
                .filter(|e| base_norm.is_within(&e.norm))
                .max_by_key(|e| e.norm.0.len())
                .map_or(entry::COUNTRY_DN, |e| e.dn.as_str());
            return Ok(Outcome::error(LdapResultCode::NoSuchObject, "no such entry in this directory", matched));
        }
        statics.extend(pki.into_iter().map(Cow::Owned));
    }
    let mut stopped = false;
    for e in statics {
        if c.offer(e) {
            stopped = true;
            break;
        }
    }

    // The professionals and situations.
    let resumes_in_structures = matches!(resume.as_ref().map(|r| &r.key), Some(Key::Structure(_)));
    let reaches_dynamic = !resumes_in_structures
        && !matches!(
            (&base, &req.scope),
            (Base::Subschema | Base::Pki | Base::Structure { .. }, _)
                | (Base::RootDse | Base::Country, LdapSearchScope::Base | LdapSearchScope::OneLevel)
                | (Base::Branch(_), LdapSearchScope::Base)
        );
    let reaches_structures = match (&base, &req.scope) {
        (Base::Structure { .. }, _) => true,
        (Base::Branch(_), scope) => *scope != LdapSearchScope::Base,
        (Base::Country | Base::RootDse, scope) => matches!(scope, LdapSearchScope::Subtree | LdapSearchScope::Children),
        _ => false,
    };
    let mut timed_out = false;
    if reaches_dynamic && !stopped {
        let source = match &base {
            Base::Professional { idnat_ps, .. } => Source::Ids([idnat_ps.clone()].into()),
            _ => match filter::candidates(&req.filter) {
                Some(Candidates::Ids(ids)) => Source::Ids(ids),
                Some(Candidates::AtStructure(s)) => Source::AtStructure(s),
                None => Source::Scan(match &base {
                    Base::Branch(b) => Some(*b),
                    _ => None,
                }),
            },
        };
        if let Base::Professional { branch, idnat_ps, .. } = &base {
            // The base itself must exist.
            let names = Selection::nothing();
            let mut loaded = store.load(std::slice::from_ref(idnat_ps), Read::Professionals, SitColumns::KEYS).await?;
            let exists = loaded.professionals.get(idnat_ps).is_some_and(|p| {
                let own = entry::professional(p, false, names);
                own.norm == base_norm
                    || entry::situations(idnat_ps, loaded.situations.remove(idnat_ps).unwrap_or_default(), names)
                        .iter()
                        .any(|e| e.norm == base_norm)
            });
            if !exists {
                let matched = if loaded.professionals.contains_key(idnat_ps) {
                    entry::professional_dn(*branch, idnat_ps)
                } else {
                    branch.dn().to_owned()
                };
                return Ok(Outcome::error(LdapResultCode::NoSuchObject, "no such entry in this directory", matched));
            }
        }
        let professionals_may_match = filter::may_match(&req.filter, entry::PROFESSIONAL_CLASSES);
        let situations_may_match = filter::may_match(&req.filter, entry::SITUATION_CLASSES);
        let read = if professionals_may_match { Read::Professionals } else { Read::SituationsOnly };
        let columns = entry::situation_columns(&want);
        let mut cursor: Option<(String, bool)> = match resume.as_ref().map(|r| &r.key) {
            Some(Key::Dynamic(ps, _)) => Some((ps.clone(), true)),
            _ => None,
        };
        // When no professional or situation can match, nothing is read.
        'chunks: while professionals_may_match || situations_may_match {
            if Instant::now() >= deadline {
                timed_out = true;
                break;
            }
            let after = cursor.as_ref().map(|(k, inclusive)| After { key: k.as_str(), inclusive: *inclusive });
            let (ids, last_chunk) = match &source {
                Source::Ids(set) => {
                    let lower = match &after {
                        None => Bound::Unbounded,
                        Some(a) if a.inclusive => Bound::Included(a.key.to_owned()),
                        Some(a) => Bound::Excluded(a.key.to_owned()),
                    };
                    let ids: Vec<String> = set.range((lower, Bound::Unbounded)).take(CHUNK).cloned().collect();
                    let last = ids.len() < CHUNK;
                    (ids, last)
                }
                Source::AtStructure(s) => {
                    let ids = store.ids_at_structure(s, after, CHUNK as i64).await?;
                    let last = ids.len() < CHUNK;
                    (ids, last)
                }
                Source::Scan(b) => {
                    let ids = store.professional_ids(*b, after, CHUNK as i64).await?;
                    let last = ids.len() < CHUNK;
                    (ids, last)
                }
            };
            if ids.is_empty() {
                break;
            }
            let mut loaded = store.load(&ids, read, columns).await?;
            for id in &ids {
                let rows = loaded.situations.remove(id).unwrap_or_default();
                if professionals_may_match {
                    let Some(p) = loaded.professionals.get(id) else { continue };
                    if c.offer(Cow::Owned(entry::professional(p, !rows.is_empty(), &want))) {
                        break 'chunks;
                    }
                }
                if situations_may_match {
                    for e in entry::situations(id, rows, &want) {
                        if c.offer(Cow::Owned(e)) {
                            break 'chunks;
                        }
                    }
                }
            }
            if last_chunk {
                break;
            }
            cursor = ids.last().map(|k| (k.clone(), false));
        }
    }

    // The structures, after every professional.
    if reaches_structures && !stopped && !timed_out && !c.more {
        let branch = match &base {
            Base::Branch(b) => Some(*b),
            _ => None,
        };
        let plan = match &base {
            Base::Structure { idnat_struct } => {
                if store.load_structures(std::slice::from_ref(idnat_struct)).await?.is_empty() {
                    let matched = entry::structure_branch(idnat_struct).dn();
                    return Ok(Outcome::error(
                        LdapResultCode::NoSuchObject,
                        "no such entry in this directory",
                        matched,
                    ));
                }
                StructurePlan::Ids([idnat_struct.clone()].into())
            }
            _ => filter::structure_plan(&req.filter),
        };
        let mut cursor: Option<String> = match resume.as_ref().map(|r| &r.key) {
            Some(Key::Structure(id)) => Some(id.clone()),
            _ => None,
        };
        loop {
            if Instant::now() >= deadline {
                timed_out = true;
                break;
            }
            let after = cursor.as_deref().map(|key| After { key, inclusive: false });
            let ids: Vec<String> = match &plan {
                StructurePlan::Skip => break,
                StructurePlan::Ids(set) => {
                    let lower = after.map_or(Bound::Unbounded, |a| Bound::Excluded(a.key.to_owned()));
                    set.range((lower, Bound::Unbounded))
                        .filter(|id| branch.is_none_or(|b| entry::structure_branch(id) == b))
                        .take(CHUNK)
                        .cloned()
                        .collect()
                }
                StructurePlan::Scan => store.structure_ids(branch, after, CHUNK as i64).await?,
            };
            let Some(last) = ids.last().cloned() else { break };
            let mut rows = store.load_structures(&ids).await?;
            let mut full = false;
            for id in &ids {
                if let Some((row, certs)) = rows.remove(id) {
                    if c.offer(Cow::Owned(entry::structure(&row, certs, &want))) {
                        full = true;
                        break;
                    }
                }
            }
            if full || ids.len() < CHUNK {
                break;
            }
            cursor = Some(last);
        }
    }

    let sent_before = resume.as_ref().map_or(0, |r| r.sent);
    let Collector { found, more, .. } = c;
    let size_exceeded = more && (paging.is_none() || limit_cap <= page_cap);
    let (code, message) = if timed_out {
        (LdapResultCode::TimeLimitExceeded, "time limit exceeded".to_owned())
    } else if size_exceeded {
        (LdapResultCode::SizeLimitExceeded, "size limit exceeded".to_owned())
    } else {
        (LdapResultCode::Success, String::new())
    };
    let cookie = paging.map(|_| match (code.clone(), more, found.last()) {
        (LdapResultCode::Success, true, Some(last)) => encode_cookie(fp, sent_before + found.len() as u64, &last.key),
        _ => Vec::new(),
    });
    Ok(Outcome { entries: found, code, message, matched_dn: String::new(), cookie })
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
