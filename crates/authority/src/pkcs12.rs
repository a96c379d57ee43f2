//! PKCS#12 delivery of a key the CA generated (the "online CSR" path, rule R31): key,
//! certificate and chain under the requester's passphrase (PBES2 with AES-256-CBC and an
//! HMAC-SHA-256 MAC, which OpenSSL 3, browsers and Java read). Built with p12-keystore.

use p12_keystore::{Certificate, KeyStore, KeyStoreEntry, PrivateKey, PrivateKeyChain};

use crate::keys::KeyError;

/// `pkcs8` is the unencrypted private key, `cert` the certificate, `chain` the CA certificates
/// (issuing CA first).
pub fn build(pkcs8: &[u8], cert: &[u8], chain: &[Vec<u8>], passphrase: &str, alias: &str) -> Result<Vec<u8>, KeyError> {
    let err = |e: p12_keystore::error::Error| KeyError::Generate(format!("PKCS#12: {e}"));
    let mut certs = vec![Certificate::from_der(cert).map_err(err)?];
    for c in chain {
        certs.push(Certificate::from_der(c).map_err(err)?);
    }
    let key = PrivateKey::from_der(pkcs8).map_err(err)?;
    let local_key_id = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, cert).as_ref().to_vec();
    let mut store = KeyStore::new();
    store.add_entry(alias, KeyStoreEntry::PrivateKeyChain(PrivateKeyChain::new(local_key_id, key, certs)));
    store.writer(passphrase).write().map_err(err)
}
