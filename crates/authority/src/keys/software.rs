//! The software key backend: each CA key is a PKCS#8 file encrypted under a passphrase
//! (PBES2: scrypt and AES-256-CBC, the `ENCRYPTED PRIVATE KEY` PEM that `openssl pkey` reads),
//! written with mode 0600. The passphrase comes from configuration or the environment; a key file
//! on its own is useless to whoever copies it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use pkcs8::der::pem::LineEnding;
use pkcs8::{pkcs5, EncryptedPrivateKeyInfo, PrivateKeyInfo};
use zeroize::Zeroizing;

use super::{CaSigner, KeyAlgorithm, KeyCustody, KeyError, SoftwareKey};

/// Software custody: each CA key a passphrase-encrypted PKCS#8 file `<label>.key.pem` in one directory.
pub struct SoftwareCustody {
    dir: PathBuf,
    passphrase: Option<Zeroizing<String>>,
}

impl SoftwareCustody {
    /// Custody in `dir`, with the passphrase that encrypts the keys (an empty one counts as none).
    pub fn new(dir: impl Into<PathBuf>, passphrase: Option<String>) -> Self {
        SoftwareCustody { dir: dir.into(), passphrase: passphrase.filter(|p| !p.is_empty()).map(Zeroizing::new) }
    }

    /// The file that holds the key `label`.
    pub fn path_of(&self, label: &str) -> PathBuf {
        self.dir.join(format!("{label}.key.pem"))
    }

    fn passphrase(&self) -> Result<&str, KeyError> {
        self.passphrase.as_deref().map(|s| s.as_str()).ok_or(KeyError::NoPassphrase)
    }
}

fn io_error(path: &Path, e: impl std::fmt::Display) -> KeyError {
    KeyError::Io { path: path.display().to_string(), reason: e.to_string() }
}

/// Encrypts a PKCS#8 document under `passphrase` as PEM.
pub fn encrypt_pkcs8(pkcs8: &[u8], passphrase: &str) -> Result<Zeroizing<String>, KeyError> {
    let info = PrivateKeyInfo::try_from(pkcs8).map_err(|e| KeyError::Generate(e.to_string()))?;
    let mut salt = [0u8; 16];
    let mut iv = [0u8; 16];
    aws_lc_rs::rand::fill(&mut salt)
        .and_then(|()| aws_lc_rs::rand::fill(&mut iv))
        .map_err(|_| KeyError::Generate("the system random generator failed".into()))?;
    // scrypt with OpenSSL's own defaults for `openssl pkcs8 -topk8 -scrypt` (N = 2^14, r = 8, p = 1: 16 MiB), so
    // that `openssl pkey` opens the file (issue 15, point 22). The pkcs8 crate's default (N = 2^15) needs 32 MiB and
    // more, above OpenSSL's default scrypt memory cap, so OpenSSL refused such files.
    let params = pkcs5::scrypt::Params::new(14, 8, 1, 32).map_err(|e| KeyError::Generate(e.to_string()))?;
    let scheme = pkcs5::pbes2::Parameters::scrypt_aes256cbc(params, &salt, &iv)
        .map_err(|e| KeyError::Generate(e.to_string()))?;
    let encrypted =
        info.encrypt_with_params(scheme, passphrase.as_bytes()).map_err(|e| KeyError::Generate(e.to_string()))?;
    let pem =
        encrypted.to_pem("ENCRYPTED PRIVATE KEY", LineEnding::LF).map_err(|e| KeyError::Generate(e.to_string()))?;
    Ok(pem)
}

/// Decrypts an `ENCRYPTED PRIVATE KEY` PEM document.
pub fn decrypt_pkcs8(label: &str, pem: &str, passphrase: &str) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    let (tag, der) = pkcs8::der::pem::decode_vec(pem.as_bytes())
        .map_err(|e| KeyError::Unreadable { label: label.into(), reason: format!("not a PEM file: {e}") })?;
    if tag != "ENCRYPTED PRIVATE KEY" {
        return Err(KeyError::Unreadable {
            label: label.into(),
            reason: format!("expected an ENCRYPTED PRIVATE KEY, found {tag}"),
        });
    }
    let encrypted = EncryptedPrivateKeyInfo::try_from(der.as_slice())
        .map_err(|e| KeyError::Unreadable { label: label.into(), reason: e.to_string() })?;
    let doc = encrypted.decrypt(passphrase.as_bytes()).map_err(|_| KeyError::WrongPassphrase(label.into()))?;
    Ok(Zeroizing::new(doc.as_bytes().to_vec()))
}

impl KeyCustody for SoftwareCustody {
    fn backend(&self) -> &'static str {
        "software"
    }

    fn generate(&self, label: &str, algorithm: KeyAlgorithm) -> Result<Arc<dyn CaSigner>, KeyError> {
        let passphrase = self.passphrase()?;
        let path = self.path_of(label);
        if path.exists() {
            return Err(KeyError::Exists(label.into()));
        }
        create_private_dir(&self.dir)?;
        let key = SoftwareKey::generate(algorithm)?;
        let pem = encrypt_pkcs8(&key.to_pkcs8()?, passphrase)?;
        write_private(&path, pem.as_bytes())?;
        Ok(Arc::new(key))
    }

    fn open(&self, label: &str, algorithm: KeyAlgorithm) -> Result<Arc<dyn CaSigner>, KeyError> {
        let passphrase = self.passphrase()?;
        let path = self.path_of(label);
        let pem = match std::fs::read_to_string(&path) {
            Ok(p) => Zeroizing::new(p),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(KeyError::NotFound(path.display().to_string()))
            }
            Err(e) => return Err(io_error(&path, e)),
        };
        let der = decrypt_pkcs8(label, &pem, passphrase)?;
        Ok(Arc::new(SoftwareKey::from_pkcs8(algorithm, &der)?))
    }
}

/// Creates the key folder as its owner's alone (0700 whatever the umask: the mode only removes bits from it).
fn create_private_dir(dir: &Path) -> Result<(), KeyError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|e| io_error(dir, e))
}

/// Writes a new file readable by its owner only, refusing to replace an existing one.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), KeyError> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(path).map_err(|e| io_error(path, e))?;
    f.write_all(bytes).and_then(|_| f.sync_all()).map_err(|e| io_error(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_encrypted_at_rest_and_reopen_with_the_passphrase() {
        let dir = tempfile::tempdir().unwrap();
        let custody = SoftwareCustody::new(dir.path(), Some("correct horse".into()));
        let key = custody.generate("ca", KeyAlgorithm::EcdsaP256).unwrap();
        let file = std::fs::read_to_string(custody.path_of("ca")).unwrap();
        assert!(file.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"), "{file}");
        let again = custody.open("ca", KeyAlgorithm::EcdsaP256).unwrap();
        assert_eq!(key.public_key_der(), again.public_key_der());
        assert!(matches!(custody.generate("ca", KeyAlgorithm::EcdsaP256), Err(KeyError::Exists(_))));

        let wrong = SoftwareCustody::new(dir.path(), Some("wrong".into()));
        assert!(matches!(wrong.open("ca", KeyAlgorithm::EcdsaP256), Err(KeyError::WrongPassphrase(_))));
        let none = SoftwareCustody::new(dir.path(), None);
        assert!(matches!(none.open("ca", KeyAlgorithm::EcdsaP256), Err(KeyError::NoPassphrase)));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(custody.path_of("ca")).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "key file readable by others: {mode:o}");
        }
    }

    /// Issue 15 point 22: OpenSSL opens the key files with its default limits, so that an operator can export a
    /// key with `openssl pkey -in ca.key.pem -passin env:…` (docs/ca.md).
    #[test]
    fn openssl_opens_the_key_files() {
        let dir = tempfile::tempdir().unwrap();
        let custody = SoftwareCustody::new(dir.path(), Some("correct horse".into()));
        let key = custody.generate("ca", KeyAlgorithm::EcdsaP256).unwrap();
        let out = std::process::Command::new("openssl")
            .args(["pkey", "-pubout", "-outform", "DER", "-passin", "env:SANTEPKI_TEST_KEY_PASSPHRASE", "-in"])
            .arg(custody.path_of("ca"))
            .env("SANTEPKI_TEST_KEY_PASSPHRASE", "correct horse")
            .output()
            .expect("openssl (scripts/install-deps.sh installs it)");
        assert!(out.status.success(), "openssl pkey: {}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(out.stdout, key.public_key_der());
    }
}
