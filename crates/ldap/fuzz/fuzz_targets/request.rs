//! Arbitrary bytes through the request decoder; every decoded search goes through what the
//! server does without a database: base DN parsing, the filter depth check, the candidate plan,
//! filter evaluation on the static entries, attribute selection and the attributes and columns a
//! search would build and read. Nothing may panic.

#![no_main]

use bytes::BytesMut;
use ldap3_proto::proto::LdapOp;
use libfuzzer_sys::fuzz_target;
use santepki_ldap::{dn::NormDn, entry, filter, RequestCodec};
use tokio_util::codec::Decoder;

fuzz_target!(|data: &[u8]| {
    let mut codec = RequestCodec::new(1 << 20);
    let mut buf = BytesMut::from(data);
    let entries = [entry::root_dse(), entry::subschema(), entry::country(), entry::branch(santepki_ldap::Branch::Test)];
    while let Ok(Some(msg)) = codec.decode(&mut buf) {
        if let LdapOp::SearchRequest(req) = msg.op {
            let _ = NormDn::parse(&req.base);
            if filter::depth(&req.filter) <= filter::MAX_DEPTH {
                let _ = filter::candidates(&req.filter);
                let sel = entry::Selection::new(&req.attrs);
                let _ = entry::situation_columns(&entry::Selection::new(&req.attrs).with_filter(&req.filter));
                for e in &entries {
                    if filter::eval(&req.filter, e) == filter::Tri::True {
                        let _ = e.attrs.iter().filter(|a| sel.includes(a.def)).count();
                    }
                }
            }
        }
    }
});
