//! OCSP (RFC 6960): the request for one certificate and the checks of a response: status,
//! CertID, signer (the issuer, or a responder it delegated with id-kp-OCSPSigning), thisUpdate
//! and nextUpdate.
//!
//! No nonce is sent: IGC-Santé responders, like santepki's, answer with pre-signed responses
//! (RFC 5019 §2.2.1) and ignore it; freshness is judged on thisUpdate/nextUpdate.

use chrono::{DateTime, Utc};
use const_oid::db::{rfc5280, rfc5912};
use der::asn1::{Null, ObjectIdentifier, OctetString};
use der::{Decode, Encode};
use spki::AlgorithmIdentifierOwned;
use x509_cert::ext::pkix::ExtendedKeyUsage;
use x509_cert::serial_number::SerialNumber;
use x509_cert::Certificate;
use x509_ocsp::{
    BasicOcspResponse, CertId, CertStatus, OcspRequest, OcspResponse, OcspResponseStatus, Request, ResponderId,
    TbsRequest, Version,
};

use super::crl::trim;
use super::{Issuer, Status, StatusSource};
use crate::signature;

/// OID of the basic response type.
const ID_PKIX_OCSP_BASIC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.1");
/// A clock skew tolerated between the responder and the verifier.
const SKEW: chrono::Duration = chrono::Duration::minutes(5);

fn sha1(data: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, data).as_ref().to_vec()
}

fn sha256(data: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data).as_ref().to_vec()
}

/// The issuer's hashes a CertID is made of.
fn issuer_hashes(issuer: &Issuer<'_>, sha256_ids: bool) -> Result<(Vec<u8>, Vec<u8>), String> {
    let name = issuer.cert.tbs_certificate.subject.to_der().map_err(|e| e.to_string())?;
    let key = issuer.cert.tbs_certificate.subject_public_key_info.subject_public_key.raw_bytes();
    Ok(if sha256_ids { (sha256(&name), sha256(key)) } else { (sha1(&name), sha1(key)) })
}

/// The DER OCSPRequest for `serial` (SHA-1 CertID, what RFC 5019 responders pre-sign).
pub(crate) fn request(issuer: &Issuer<'_>, serial: &SerialNumber) -> Result<Vec<u8>, String> {
    let (name_hash, key_hash) = issuer_hashes(issuer, false)?;
    let cert_id = CertId {
        hash_algorithm: AlgorithmIdentifierOwned { oid: rfc5912::ID_SHA_1, parameters: Some(Null.into()) },
        issuer_name_hash: OctetString::new(name_hash).map_err(|e| e.to_string())?,
        issuer_key_hash: OctetString::new(key_hash).map_err(|e| e.to_string())?,
        serial_number: serial.clone(),
    };
    OcspRequest {
        tbs_request: TbsRequest {
            version: Version::V1,
            requestor_name: None,
            request_list: vec![Request { req_cert: cert_id, single_request_extensions: None }],
            request_extensions: None,
        },
        optional_signature: None,
    }
    .to_der()
    .map_err(|e| e.to_string())
}

/// A checked answer about one certificate, and until when it may be used.
pub(crate) struct Answer {
    pub status: Status,
    pub this_update: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
}

/// Checks the DER OCSPResponse `der` for `serial` of `issuer`'s certificate at `now`.
/// `Ok(None)` when the response is about other certificates (a supplied response for another one).
pub(crate) fn check(
    der: &[u8],
    issuer: &Issuer<'_>,
    serial: &SerialNumber,
    now: DateTime<Utc>,
) -> Result<Option<Answer>, String> {
    let response = OcspResponse::from_der(der).map_err(|e| format!("not an OCSP response: {e}"))?;
    if response.response_status != OcspResponseStatus::Successful {
        return Err(format!("responder answered {:?}", response.response_status));
    }
    let bytes = response.response_bytes.ok_or("successful response without a body")?;
    if bytes.response_type != ID_PKIX_OCSP_BASIC {
        return Err(format!("unknown response type {}", bytes.response_type));
    }
    let basic_der = bytes.response.as_bytes();
    let basic = BasicOcspResponse::from_der(basic_der).map_err(|e| format!("basic response: {e}"))?;
    let Some(single) = basic.tbs_response_data.responses.iter().find(|s| matches_cert(&s.cert_id, issuer, serial))
    else {
        return Ok(None);
    };
    let signer_der = signer(&basic, issuer, now)?;
    let tbs = signature::to_be_signed(basic_der).ok_or("basic response: not a SEQUENCE")?;
    let sig = basic.signature.as_bytes().ok_or("unaligned signature")?;
    if !signature::verify(&signer_der, &basic.signature_algorithm, tbs, sig) {
        return Err("bad signature (RFC 6960 §3.2)".into());
    }
    let this_update = super::generalized(&single.this_update.0);
    if this_update > now + SKEW {
        return Err(format!("thisUpdate {this_update} is in the future (RFC 6960 §3.2)"));
    }
    let valid_until = match &single.next_update {
        Some(next) => super::generalized(&next.0),
        None => this_update + super::NO_NEXT_UPDATE_FRESHNESS,
    };
    if valid_until < now {
        return Err(format!("stale: nextUpdate {valid_until} has passed (RFC 6960 §3.2)"));
    }
    let status = match &single.cert_status {
        CertStatus::Good(_) => Status::Good(StatusSource::Ocsp),
        CertStatus::Revoked(info) => Status::Revoked {
            source: StatusSource::Ocsp,
            at: super::generalized(&info.revocation_time.0),
            reason: info.revocation_reason,
        },
        CertStatus::Unknown(_) => Status::Unknown,
    };
    Ok(Some(Answer { status, this_update, valid_until }))
}

fn matches_cert(id: &CertId, issuer: &Issuer<'_>, serial: &SerialNumber) -> bool {
    let sha256_ids = match id.hash_algorithm.oid {
        rfc5912::ID_SHA_1 => false,
        rfc5912::ID_SHA_256 => true,
        _ => return false,
    };
    let Ok((name, key)) = issuer_hashes(issuer, sha256_ids) else { return false };
    trim(id.serial_number.as_bytes()) == trim(serial.as_bytes())
        && id.issuer_name_hash.as_bytes() == name
        && id.issuer_key_hash.as_bytes() == key
}

/// The certificate whose key signed the response: the issuer itself, or a delegated responder
/// certificate in the response, issued by the issuer, valid now, with id-kp-OCSPSigning
/// (RFC 6960 §4.2.2.2).
fn signer(basic: &BasicOcspResponse, issuer: &Issuer<'_>, now: DateTime<Utc>) -> Result<Vec<u8>, String> {
    let names = |cert: &Certificate| -> bool {
        match &basic.tbs_response_data.responder_id {
            ResponderId::ByName(name) => *name == cert.tbs_certificate.subject,
            ResponderId::ByKey(hash) => {
                hash.as_bytes() == sha1(cert.tbs_certificate.subject_public_key_info.subject_public_key.raw_bytes())
            }
        }
    };
    if names(issuer.cert) {
        return Ok(issuer.der.to_vec());
    }
    for cert in basic.certs.as_deref().unwrap_or_default() {
        if !names(cert) {
            continue;
        }
        let der = cert.to_der().map_err(|e| e.to_string())?;
        let tbs = signature::to_be_signed(&der).ok_or("responder certificate: not a SEQUENCE")?;
        let sig = cert.signature.as_bytes().ok_or("responder certificate: unaligned signature")?;
        if cert.tbs_certificate.issuer != issuer.cert.tbs_certificate.subject
            || !signature::verify(issuer.der, &cert.signature_algorithm, tbs, sig)
        {
            return Err(
                "the responder certificate is not issued by the certificate's issuer (RFC 6960 §4.2.2.2)".into()
            );
        }
        let validity = &cert.tbs_certificate.validity;
        if super::time_of(&validity.not_before) > now || super::time_of(&validity.not_after) < now {
            return Err("the responder certificate is not valid now".into());
        }
        let delegated = cert
            .tbs_certificate
            .get::<ExtendedKeyUsage>()
            .ok()
            .flatten()
            .is_some_and(|(_, eku)| eku.0.contains(&rfc5280::ID_KP_OCSP_SIGNING));
        if !delegated {
            return Err("the responder certificate lacks id-kp-OCSPSigning (RFC 6960 §4.2.2.2)".into());
        }
        return Ok(der);
    }
    Err("signed by neither the issuer nor a responder it delegated (RFC 6960 §4.2.2.2)".into())
}
