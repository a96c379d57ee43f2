//! Arbitrary bytes (PEM or DER, any size) through `verify_request`: nothing may panic. When a
//! request is accepted, its key goes through `check_public_key` again and must come out the
//! same (the policy is idempotent: what the CA stores is what it accepted).

#![no_main]

use libfuzzer_sys::fuzz_target;
use santepki_authority::csr::{check_public_key, verify_request};

fuzz_target!(|data: &[u8]| {
    match verify_request(data) {
        Ok(key) => {
            let again = check_public_key(&key.spki).expect("an accepted key passes the key policy again");
            assert_eq!(again.spki_der, key.spki_der);
            assert_eq!(again.description, key.description);
        }
        Err(e) => {
            // Every refusal has a code and a one-line message.
            assert!(!e.code().is_empty());
            assert!(!e.to_string().contains('\n'), "multi-line message: {e}");
        }
    }
});
