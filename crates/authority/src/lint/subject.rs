//! Checks of the subject name (REFERENCE.md's end-entity profiles): `C=FR` first, a CN, and the
//! structure in the OU of legal persons' certificates only.

use const_oid::db::rfc4519;

use super::{problem_if, Candidate};

pub(super) const C_FR: &str = "REFERENCE.md end-entity profiles: every subject starts with C=FR";

pub(super) fn starts_with_c_fr(c: &Candidate) -> Vec<String> {
    let first = c.attrs.first().map(|(o, v)| (*o, v.as_str()));
    problem_if(first != Some((rfc4519::C, "FR")), || "the subject does not start with C=FR".into())
}

pub(super) const CN: &str = "REFERENCE.md end-entity profiles: CN = service applicatif (R29), FQDN or idNat_PS";

pub(super) fn has_cn(c: &Candidate) -> Vec<String> {
    problem_if(!c.has_attr(rfc4519::CN), || "the subject has no CN".into())
}

pub(super) const OU: &str = "REFERENCE.md ORG/SERV profiles: OU=<idNat_Struct> names the structure";

pub(super) fn legal_person_has_ou(c: &Candidate) -> Vec<String> {
    problem_if(c.profile.is_organisation() && !c.has_attr(rfc4519::OU), || {
        "a legal person's certificate names its structure in the OU".into()
    })
}

pub(super) const NO_OU: &str = "REFERENCE.md PRO/card profiles: a natural person's subject has no OU";

pub(super) fn natural_person_has_no_ou(c: &Candidate) -> Vec<String> {
    problem_if(c.profile.is_personal() && c.has_attr(rfc4519::OU), || "a natural person's certificate has no OU".into())
}
