"""The LDAP server seen by a real client library (python ldap3), on the small generated directory.

Usage: client.py HOST PORT SITUATIONS PROFESSIONALS
(the open situation and professional counts of the directory, for the paging check).
Run by crates/ldap/tests/it/python_client.rs; exits non-zero on the first failed check.
"""

import sys

from ldap3 import BASE, LEVEL, NONE, SCHEMA, SUBTREE, Connection, Server

HOST, PORT, N_SITUATIONS, N_PROFESSIONALS = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
N_STRUCTURES = int(sys.argv[5])
PS = "899700270616"
PS_DN = f"uid={PS},o=TEST,c=fr"
PAGED = "1.2.840.113556.1.4.319"

checks = 0


def check(cond, what):
    global checks
    checks += 1
    if not cond:
        print(f"FAILED: {what}", file=sys.stderr)
        sys.exit(1)


def connect():
    conn = Connection(Server(HOST, port=PORT, get_info=NONE), auto_bind=True)
    check(conn.bound, "anonymous bind")
    return conn


def entries(conn):
    return [e for e in conn.response if e["type"] == "searchResEntry"]


def search(conn, base, flt, scope=SUBTREE, **kw):
    conn.search(base, flt, scope, **kw)
    return conn.result["result"], entries(conn)


conn = connect()

# --- Bind -------------------------------------------------------------------------------------
other = Connection(Server(HOST, port=PORT, get_info=NONE), user="cn=admin,c=fr", password="secret")
check(not other.bind() and other.result["result"] == 49, f"simple bind with a password: {other.result}")
other.unbind()

# --- Root DSE and schema -----------------------------------------------------------------------
code, es = search(conn, "", "(objectClass=*)", BASE,
                  attributes=["namingContexts", "supportedLDAPVersion", "supportedControl", "subschemaSubentry"])
check(code == 0 and len(es) == 1, f"root DSE: {code} {es}")
a = es[0]["attributes"]
check(list(a["namingContexts"]) == ["c=fr"], f"namingContexts {a}")
check([str(v) for v in a["supportedLDAPVersion"]] == ["3"], f"supportedLDAPVersion {a}")
check(PAGED in a["supportedControl"], f"supportedControl {a}")
check(str(a["subschemaSubentry"][0] if isinstance(a["subschemaSubentry"], list) else a["subschemaSubentry"]) == "cn=subschema",
      f"subschemaSubentry {a}")
code, es = search(conn, "", "(objectClass=*)", BASE)
check(code == 0 and "namingContexts" not in es[0]["attributes"], "root DSE: operational attributes only on request")

code, es = search(conn, "cn=subschema", "(objectClass=subschema)", BASE, attributes=["attributeTypes", "objectClasses"])
check(code == 0 and len(es) == 1, f"subschema: {code}")
ats, ocs = es[0]["attributes"]["attributeTypes"], es[0]["attributes"]["objectClasses"]
check(any("NAME 'raisonSociale'" in x for x in ats), "attributeTypes has raisonSociale")
check(any("NAME 'cpsSituation'" in x for x in ocs), "objectClasses has cpsSituation")

# The library itself reads and parses the schema (what a generic browser does).
schema_server = Server(HOST, port=PORT, get_info=SCHEMA)
sconn = Connection(schema_server, auto_bind=True)
check(schema_server.schema is not None, "ldap3 read the schema")
for name in ["raisonSociale", "sectActRPPS", "postalAddress", "cn", "ou", "uid"]:
    check(name in schema_server.schema.attribute_types, f"schema attribute {name}")
for name in ["cpsSituation", "cpsProfessionnel", "organization", "country"]:
    check(name in schema_server.schema.object_classes, f"schema class {name}")
sit = schema_server.schema.object_classes["cpsSituation"]
check("raisonSociale" in sit.may_contain and "cn" in sit.must_contain, f"cpsSituation MUST/MAY {sit}")
# With the schema known, ldap3 formats the entries by it.
sconn.search("o=TEST,c=fr", f"(cn={PS})", SUBTREE, attributes=["raisonSociale", "sectActRPPS"])
check(len(sconn.entries) == 4, f"schema-aware search: {len(sconn.entries)}")
sconn.unbind()

# --- Scopes ------------------------------------------------------------------------------------
code, es = search(conn, "o=TEST,c=fr", "(objectClass=*)", BASE)
check(code == 0 and [e["dn"] for e in es] == ["o=TEST,c=fr"], f"base scope: {es}")
code, es = search(conn, "c=fr", "(objectClass=*)", LEVEL)
check(code == 0 and sorted(e["dn"] for e in es) == ["o=GIP-CPS,c=fr", "o=TEST,c=fr"], f"one-level under c=fr: {es}")
code, es = search(conn, PS_DN, "(objectClass=*)", LEVEL)
check(code == 0 and len(es) == 4 and all(e["dn"].endswith("," + PS_DN) for e in es), f"one-level under the PS: {es}")
code, es = search(conn, PS_DN, "(objectClass=*)", SUBTREE)
check(code == 0 and len(es) == 5 and es[0]["dn"] == PS_DN, f"subtree of the PS: {[e['dn'] for e in es]}")
sit_dn = f"ou=499700270616029,{PS_DN}"
code, es = search(conn, sit_dn, "(objectClass=*)", BASE, attributes=["*"])
check(code == 0 and len(es) == 1, f"base on a situation: {code}")
check(es[0]["attributes"]["raisonSociale"] == ["CG MAXI0027061"], f"situation values: {es[0]['attributes']}")
check(es[0]["attributes"]["postalAddress"] == ["CG MAXI 8 RUE NOIR"], f"postalAddress: {es[0]['attributes']}")
code, es = search(conn, "OU=499700270616029,UID=899700270616,O=test,C=FR", "(objectClass=*)", BASE)
check(code == 0 and len(es) == 1, "DNs are case-insensitive")
code, es = search(conn, "o=nowhere,c=fr", "(objectClass=*)", BASE)
check(code == 32, f"noSuchObject outside the tree: {code}")
code, es = search(conn, f"uid={PS},o=GIP-CPS,c=fr", "(objectClass=*)", BASE)
check(code == 32, f"the test PS is not in the production branch: {code}")
code, es = search(conn, "dc=example,dc=com", "(objectClass=*)", SUBTREE)
check(code == 32, f"noSuchObject for a foreign base: {code}")
code, es = search(conn, "c=fr", "(objectClass=cpsProfessionnel)", LEVEL)
check(code == 0 and es == [], "no professional right under c=fr")

# --- Filters -----------------------------------------------------------------------------------
code, es = search(conn, "o=TEST,c=fr", f"(cn={PS})")
check(code == 0 and len(es) == 4, f"equality on cn (indexed): {len(es)}")
code, es = search(conn, "o=TEST,c=fr", f"(CN={PS})")
check(code == 0 and len(es) == 4, "attribute names are case-insensitive in filters")
code, es = search(conn, "o=TEST,c=fr", "(raisonsociale=cg maxi0027061)")
check(code == 0 and [e["dn"] for e in es] == [sit_dn, "ou=499700270616029,o=TEST,c=fr"],
      f"case-insensitive values, unindexed scan: the situation, then the structure entry: {es}")
code, es = search(conn, "c=fr", f"(uid={PS})", attributes=["sn", "givenName", "title"])
check(code == 0 and len(es) == 1 and es[0]["attributes"]["sn"] == ["MAXIMAXIMAXIMAXIM"], f"uid: {es}")
code, es = search(conn, "c=fr", "(ou=39999999800514)")
check(code == 0 and sit_dn.replace("499700270616029", "39999999800514") in [e["dn"] for e in es], f"ou (indexed): {es}")
code, es = search(conn, PS_DN, "(postalAddress=CABINET*NOIR)")
check(code == 0 and len(es) == 2, f"substring initial+final: {len(es)}")
code, es = search(conn, PS_DN, "(raisonSociale=*MAXI*)")
check(code == 0 and len(es) == 4, f"substring any: {len(es)}")
code, es = search(conn, PS_DN, "(raisonSociale=*maxi*0027*)")
check(code == 0 and len(es) == 3, f"substring two anys: {len(es)}")
code, es = search(conn, "o=TEST,c=fr", f"(&(cn={PS})(|(sectActRPPS=SA07)(sectActRPPS=SA09)))")
check(code == 0 and len(es) == 3, f"and/or: {len(es)}")
code, es = search(conn, "o=TEST,c=fr", f"(&(cn={PS})(!(sectActRPPS=SA07)))", attributes=["ou"])
check(code == 0 and sorted(e["attributes"]["ou"][0] for e in es) == ["39999999800514", "499700270616029"], f"not: {es}")
code, es = search(conn, PS_DN, "(&(objectClass=cpsSituation)(siret=*))")
check(code == 0 and len(es) == 1, f"presence: {len(es)}")
code, es = search(conn, PS_DN, "(noSuchAttribute=*)")
check(code == 0 and es == [], "presence of an unknown attribute: no match, no error")
code, es = search(conn, PS_DN, "(noSuchAttribute=x)")
check(code == 0 and es == [], "equality on an unknown attribute: no match, no error")
code, es = search(conn, PS_DN, "(!(noSuchAttribute=x))")
check(code == 0 and es == [], "not of undefined is undefined")
code, es = search(conn, "o=GIP-CPS,c=fr", "(sectActRPPS=SA09)", size_limit=3)
check(code in (0, 4) and 1 <= len(es) <= 3 and all(e["dn"].endswith(",o=GIP-CPS,c=fr") for e in es), f"scan of the production branch: {code} {len(es)}")

# --- Attribute selection -------------------------------------------------------------------------
code, es = search(conn, sit_dn, "(objectClass=*)", BASE, attributes=["RAISONSOCIALE", "SectActRpps"])
check(sorted(es[0]["attributes"]) == ["raisonSociale", "sectActRPPS"], f"named attributes: {es[0]['attributes']}")
code, es = search(conn, sit_dn, "(objectClass=*)", BASE, attributes=["1.1"])
check(es[0]["attributes"] == {} or all(not v for v in es[0]["attributes"].values()), f"1.1: {es[0]['attributes']}")
code, es = search(conn, sit_dn, "(objectClass=*)", BASE, attributes=["*"])
check("raisonSociale" in es[0]["attributes"] and "entryDN" not in es[0]["attributes"], "* = user attributes")
code, es = search(conn, sit_dn, "(objectClass=*)", BASE, attributes=["+"])
check("entryDN" in es[0]["attributes"] and "raisonSociale" not in es[0]["attributes"], f"+ = operational: {es[0]['attributes']}")
check(es[0]["attributes"]["structuralObjectClass"] == ["cpsSituation"], "structuralObjectClass")
code, es = search(conn, sit_dn, "(objectClass=*)", BASE, attributes=["*", "+"])
check("entryDN" in es[0]["attributes"] and "raisonSociale" in es[0]["attributes"], "* and +")
code, es = search(conn, sit_dn, "(objectClass=*)", BASE, attributes=["raisonSociale", "nosuchattr"], types_only=True)
# (ldap3 itself adds the requested attributes the server did not return, with no value.)
check(es[0]["attributes"]["raisonSociale"] == [] and not es[0]["raw_attributes"]["raisonSociale"], f"typesOnly: {es[0]}")

# --- Size limit ------------------------------------------------------------------------------
code, es = search(conn, "c=fr", "(objectClass=cpsSituation)", size_limit=5)
check(code == 4 and len(es) == 5, f"client size limit: {code} {len(es)}")
total = N_SITUATIONS + N_PROFESSIONALS + N_STRUCTURES + 3
code, es = search(conn, "c=fr", "(objectClass=*)")
if total > 500:
    check(code == 4 and len(es) == 500, f"server size limit 500: {code} {len(es)}")
else:
    check(code == 0 and len(es) == total, f"whole tree: {code} {len(es)} of {total}")

# --- Structure entries -----------------------------------------------------------------------
STRUCT_DN = "ou=499700270616029,o=TEST,c=fr"
code, es = search(conn, STRUCT_DN, "(objectClass=*)", BASE, attributes=["*", "+"])
check(code == 0 and len(es) == 1, f"a structure entry by its DN: {code} {es}")
a = es[0]["attributes"]
check(a["raisonSociale"] == "CG MAXI0027061" or a["raisonSociale"] == ["CG MAXI0027061"], f"structure raisonSociale: {a}")
check(set(a["objectClass"]) == {"top", "cpsStructure", "pkiUser"}, f"structure classes: {a['objectClass']}")
check(a["structuralObjectClass"] in ("cpsStructure", ["cpsStructure"]), "structure structuralObjectClass")
code, es = search(conn, "o=GIP-CPS,c=fr", "(ou=499700270616029)")
check(code == 0 and es == [], f"a test practice is not in the production branch: {es}")
code, es = search(conn, "ou=499700270616030,o=TEST,c=fr", "(objectClass=*)", BASE)
check(code == 32, f"noSuchObject for an unknown structure: {code}")
code, es = search(conn, "o=TEST,c=fr", "(&(objectClass=cpsStructure)(ou=39999999800514))")
check(code == 0 and es == [], f"a SIRET structure is in the production branch: {es}")
code, es = search(conn, "o=GIP-CPS,c=fr", "(&(objectClass=cpsStructure)(ou=39999999800514))", LEVEL, attributes=["siret"])
check(code == 0 and len(es) == 1 and es[0]["dn"] == "ou=39999999800514,o=GIP-CPS,c=fr", f"SIRET structure one level down: {es}")
seen, cookie = 0, None
while True:
    conn.search("c=fr", "(objectClass=cpsStructure)", SUBTREE, attributes=["1.1"], paged_size=200, paged_cookie=cookie)
    check(conn.result["result"] == 0, f"paged structures: {conn.result}")
    seen += len(entries(conn))
    cookie = conn.result["controls"][PAGED]["value"]["cookie"]
    if not cookie:
        break
check(seen == N_STRUCTURES, f"every open structure once: {seen} of {N_STRUCTURES}")

# --- Paging (RFC 2696) -----------------------------------------------------------------------
def paged(conn_for_page, size, cookie=None):
    c = conn_for_page()
    c.search("c=fr", "(objectClass=cpsSituation)", SUBTREE, attributes=["cn", "ou"], paged_size=size, paged_cookie=cookie)
    check(c.result["result"] == 0, f"paged search: {c.result}")
    got = [e["dn"] for e in entries(c)]
    ctrl = c.result.get("controls", {}).get(PAGED)
    check(ctrl is not None, "the paged-results control is answered")
    return got, ctrl["value"]["cookie"]

dns, pages, cookie = [], 0, None
while True:
    # Every page on a new connection: the cookie carries the position (several nodes can serve).
    got, cookie = paged(connect if pages % 2 else (lambda: conn), 7, cookie)
    pages += 1
    check(len(got) <= 7, f"page size: {len(got)}")
    dns += got
    if not cookie:
        break
    check(len(got) == 7, f"a page before the last one is full: {len(got)}")
    check(pages < 10_000, "paging terminates")
check(len(dns) == len(set(dns)), "no duplicate across pages")
check(len(dns) == N_SITUATIONS, f"every situation once: {len(dns)} of {N_SITUATIONS}")
check(pages == -(-N_SITUATIONS // 7), f"pages: {pages}")
# The same set as a single unpaged search of each professional's situations.
check(len([d for d in dns if d.endswith("," + PS_DN)]) == 4, "the R44 situations are among the pages")

# The library's own paging helper, over a scan.
res = conn.extend.standard.paged_search("o=TEST,c=fr", "(sectActRPPS=*)", SUBTREE, attributes=["1.1"], paged_size=3, generator=False)
check(len([e for e in res if e["type"] == "searchResEntry"]) >= 4, "paged_search helper")

# A bad cookie is refused, not a crash.
conn.search("c=fr", "(objectClass=cpsSituation)", SUBTREE, paged_size=7, paged_cookie=b"forged")
check(conn.result["result"] == 53, f"invalid cookie: {conn.result}")

# --- Other operations and controls ---------------------------------------------------------------
conn.search("c=fr", "(objectClass=*)", LEVEL, controls=[("1.2.3.4.5", True, None)])
check(conn.result["result"] == 12, f"unknown critical control: {conn.result}")
conn.search("c=fr", "(objectClass=*)", LEVEL, controls=[("1.2.3.4.5", False, None)])
check(conn.result["result"] == 0 and len(entries(conn)) == 2, f"unknown non-critical control ignored: {conn.result}")
check(conn.compare(sit_dn, "sectActRPPS", "sa08") and conn.result["result"] == 6, f"compare true: {conn.result}")
check(not conn.compare(sit_dn, "sectActRPPS", "SA01") and conn.result["result"] == 5, f"compare false: {conn.result}")
check(not conn.add("cn=x,o=TEST,c=fr", "top") and conn.result["result"] == 53, f"add: {conn.result}")
check(not conn.delete(sit_dn) and conn.result["result"] == 53, f"delete: {conn.result}")
check(not conn.modify(sit_dn, {"sn": [("MODIFY_REPLACE", ["x"])]}) and conn.result["result"] == 53, f"modify: {conn.result}")
check(conn.extend.standard.who_am_i() in (None, "", b""), "whoami is anonymous")
conn.unbind()

print(f"client.py: {checks} checks ok ({N_SITUATIONS} situations in {pages} pages of 7)")
