//! Helpers for tests of this and other crates (feature `testing`): certificate requests signed
//! by fresh keys, without shelling out to openssl for each one.

use der::asn1::BitString;
use der::{Decode, Encode};
use spki::SubjectPublicKeyInfoOwned;
use x509_cert::name::RdnSequence;
use x509_cert::request::{CertReq, CertReqInfo, Version};

use crate::keys::{CaSigner, KeyAlgorithm, SoftwareKey};

/// A new key of `algorithm` and a DER PKCS#10 request signed by it (subject `CN=test`, which the
/// CA ignores anyway).
pub fn csr(algorithm: KeyAlgorithm) -> (Vec<u8>, SoftwareKey) {
    let key = SoftwareKey::generate(algorithm).expect("key generation");
    let info = CertReqInfo {
        version: Version::V1,
        subject: "CN=test".parse::<RdnSequence>().expect("name"),
        public_key: SubjectPublicKeyInfoOwned::from_der(key.public_key_der()).expect("spki"),
        attributes: Default::default(),
    };
    let tbs = info.to_der().expect("encode");
    let signature = key.sign(&tbs).expect("sign");
    let req = CertReq { info, algorithm: algorithm.signature_algorithm(), signature: BitString::from_bytes(&signature).expect("bits") };
    (req.to_der().expect("encode"), key)
}
