//! Helpers for tests of this and other crates (feature `testing`): certificate requests signed
//! by fresh keys, without shelling out to openssl for each one.

// Test support: a failed set-up step is a failed test, and a panic says which.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::keys::{KeyAlgorithm, SoftwareKey};

/// A new key of `algorithm` and a DER PKCS#10 request signed by it (subject `CN=test`, which the
/// CA ignores anyway).
pub fn csr(algorithm: KeyAlgorithm) -> (Vec<u8>, SoftwareKey) {
    let key = SoftwareKey::generate(algorithm).expect("key generation");
    (crate::csr::request_for(&key).expect("request"), key)
}

/// A detached CMS SignedData over `content`, made with `key` and its certificate `cert_der`
/// (SHA-256, signed attributes content-type and message-digest): what `openssl cms -sign
/// -binary -outform DER` makes, built in-process so that tests and benchmarks can sign thousands
/// of forms without a process each.
pub fn cms_sign(key: &SoftwareKey, cert_der: &[u8], content: &[u8]) -> Vec<u8> {
    use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
    use cms::content_info::{CmsVersion, ContentInfo};
    use cms::signed_data::{
        CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
    };
    use const_oid::db::{rfc5911, rfc5912};
    use der::asn1::{Any, OctetString, SetOfVec};
    use der::{Decode, Encode};
    use spki::AlgorithmIdentifierOwned;
    use x509_cert::attr::Attribute;

    use crate::keys::CaSigner;

    let cert = x509_cert::Certificate::from_der(cert_der).expect("certificate");
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, content);
    let attr = |oid, value: Any| Attribute { oid, values: SetOfVec::try_from(vec![value]).expect("one value") };
    let attrs = SetOfVec::try_from(vec![
        attr(rfc5911::ID_CONTENT_TYPE, Any::encode_from(&rfc5911::ID_DATA).expect("oid")),
        attr(
            rfc5911::ID_MESSAGE_DIGEST,
            Any::encode_from(&OctetString::new(digest.as_ref()).expect("digest")).expect("digest"),
        ),
    ])
    .expect("attributes");
    let signature = key.sign(&attrs.to_der().expect("attributes")).expect("signature");
    let sha256 = AlgorithmIdentifierOwned { oid: rfc5912::ID_SHA_256, parameters: None };
    let signer = SignerInfo {
        version: CmsVersion::V1,
        sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: cert.tbs_certificate.issuer.clone(),
            serial_number: cert.tbs_certificate.serial_number.clone(),
        }),
        digest_alg: sha256.clone(),
        signed_attrs: Some(attrs),
        signature_algorithm: key.algorithm().signature_algorithm(),
        signature: OctetString::new(signature).expect("signature"),
        unsigned_attrs: None,
    };
    let signed = SignedData {
        version: CmsVersion::V1,
        digest_algorithms: SetOfVec::try_from(vec![sha256]).expect("digest algorithms"),
        encap_content_info: EncapsulatedContentInfo { econtent_type: rfc5911::ID_DATA, econtent: None },
        certificates: Some(CertificateSet(
            SetOfVec::try_from(vec![CertificateChoices::Certificate(cert)]).expect("certificates"),
        )),
        crls: None,
        signer_infos: SignerInfos(SetOfVec::try_from(vec![signer]).expect("signers")),
    };
    ContentInfo { content_type: rfc5911::ID_SIGNED_DATA, content: Any::encode_from(&signed).expect("signed data") }
        .to_der()
        .expect("CMS")
}
