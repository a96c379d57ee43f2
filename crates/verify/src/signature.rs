//! Signatures over CRLs, OCSP responses and delegated responder certificates, checked with
//! webpki's algorithms (the same set and the same key-size limits as for the path).

use der::{Decode, Encode, Reader, SliceReader};
use rustls_pki_types::CertificateDer;
use spki::AlgorithmIdentifierOwned;

/// The DER of the first element of the SEQUENCE `signed` (the to-be-signed part of a
/// certificate, CRL or BasicOCSPResponse), exactly as received: re-encoding a decoded structure
/// would hide a non-DER encoding and, for a large CRL, cost as much as the check itself.
pub(crate) fn to_be_signed(signed: &[u8]) -> Option<&[u8]> {
    let mut reader = SliceReader::new(signed).ok()?;
    let header = der::Header::decode(&mut reader).ok()?;
    if header.tag != der::Tag::Sequence {
        return None;
    }
    reader.tlv_bytes().ok()
}

/// Whether `signature` over `message` verifies with the key of certificate `issuer_der`, under
/// the algorithm `algorithm` (any of webpki's that has that identifier).
pub(crate) fn verify(
    issuer_der: &[u8],
    algorithm: &AlgorithmIdentifierOwned,
    message: &[u8],
    signature: &[u8],
) -> bool {
    let cert_der = CertificateDer::from(issuer_der);
    let Ok(issuer) = webpki::EndEntityCert::try_from(&cert_der) else {
        return false;
    };
    // webpki names algorithms by the contents of their AlgorithmIdentifier SEQUENCE.
    let Ok(encoded) = algorithm.to_der() else {
        return false;
    };
    let Some(id) = SliceReader::new(&encoded).ok().and_then(|mut r| {
        let header = der::Header::decode(&mut r).ok()?;
        r.read_slice(header.length).ok()
    }) else {
        return false;
    };
    webpki::ALL_VERIFICATION_ALGS
        .iter()
        .filter(|alg| alg.signature_alg_id().as_ref() == id)
        .any(|alg| issuer.verify_signature(*alg, message, signature).is_ok())
}
