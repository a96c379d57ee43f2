//! Helpers for tests of this and other crates (feature `testing`): certificate requests signed
//! by fresh keys, without shelling out to openssl for each one.

use crate::keys::{KeyAlgorithm, SoftwareKey};

/// A new key of `algorithm` and a DER PKCS#10 request signed by it (subject `CN=test`, which the
/// CA ignores anyway).
pub fn csr(algorithm: KeyAlgorithm) -> (Vec<u8>, SoftwareKey) {
    let key = SoftwareKey::generate(algorithm).expect("key generation");
    (crate::csr::request_for(&key).expect("request"), key)
}
