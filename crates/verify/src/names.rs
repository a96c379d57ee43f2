//! Reading attributes of X.509 names.

use const_oid::ObjectIdentifier;
use der::{Tag, Tagged};
use x509_cert::name::Name;

/// The first value of attribute `oid` in `name`, when it is a string.
pub(crate) fn first(name: &Name, oid: ObjectIdentifier) -> Option<String> {
    name.0.iter().flat_map(|rdn| rdn.0.iter()).find(|atv| atv.oid == oid).and_then(|atv| match atv.value.tag() {
        Tag::Utf8String | Tag::PrintableString | Tag::Ia5String | Tag::TeletexString => {
            std::str::from_utf8(atv.value.value()).ok().map(str::to_owned)
        }
        _ => None,
    })
}
