//! The CA certificates as a degenerate PKCS#7 SignedData ("certs-only", RFC 5652 §5 with no
//! signers): the `chain.p7b` that AIA caIssuers consumers and Windows tools read.

use cms::cert::CertificateChoices;
use cms::content_info::ContentInfo;
use cms::signed_data::{CertificateSet, EncapsulatedContentInfo, SignedData, SignerInfos};
use const_oid::db::rfc5911;
use der::asn1::SetOfVec;
use der::{Any, Encode};
use x509_cert::Certificate;

/// Encodes `certs` (in order) as a DER PKCS#7 certs-only SignedData.
pub fn certs_only(certs: &[Certificate]) -> Result<Vec<u8>, der::Error> {
    let mut set = SetOfVec::new();
    for c in certs {
        set.insert(CertificateChoices::Certificate(c.clone()))?;
    }
    let signed = SignedData {
        version: cms::content_info::CmsVersion::V1,
        digest_algorithms: SetOfVec::new(),
        encap_content_info: EncapsulatedContentInfo { econtent_type: rfc5911::ID_DATA, econtent: None },
        certificates: Some(CertificateSet(set)),
        crls: None,
        signer_infos: SignerInfos(SetOfVec::new()),
    };
    ContentInfo { content_type: rfc5911::ID_SIGNED_DATA, content: Any::encode_from(&signed)? }.to_der()
}
