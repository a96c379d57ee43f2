"""Validates santepki certificates with pyhanko-certvalidator, fetching revocation information
over HTTP from the URLs the certificates carry (our OCSP responder and our CRLs).

Run by crates/santepki/tests/it/ca_validators.rs with the test virtualenv's python:

    python ca_validate.py MANIFEST.json

MANIFEST.json:
    {"cas": [{"id": "ACR-EL", "path": "<PEM>"}, {"id": "ACI-EL-ORG", ...}, ...],  (root first)
     "certificates": [{"name": "org-auth-cli", "profile": "org-auth-cli", "path": "<PEM>",
                       "issuer": "ACI-EL-ORG",
                       "revoked": null | {"in": "full" | "delta", "reason": "key_compromise"},
                       "dns": ["proxy.chu-nice.fr"]}, ...]}

Each certificate is validated, trusting the root only, under four revocation policies, each
with its own fetchers (nothing cached from one validation to the next), and what was fetched is
checked:
    hard-fail  revocation_mode="hard-fail": pyhanko asks OCSP first for the end entity (CRLs
               only when OCSP fails); CA certificates carry a CRL distribution point only
    ocsp       end entity: OCSP required, CRLs not consulted; CA certificates: CRL required
    crl        end entity: CRL required (full CRL and the delta CRL its FreshestCRL names),
               OCSP not consulted; CA certificates: CRL required
    both       end entity: OCSP and CRL both required; CA certificates: CRL required
A valid certificate must validate for its profile's key usages and extended key usages under
every policy; a revoked one must fail with RevokedError under every policy, with its reason, and
from the revocation information the policy allows (OCSP in "ocsp", CRL in "crl").

Prints one line per validation and "pyhanko checks ok: N validations" at the end; exits 1 with
every failure listed otherwise.
"""

import asyncio
import json
import sys

try:
    from asn1crypto import pem, x509
    from pyhanko_certvalidator import CertificateValidator, ValidationContext
    from pyhanko_certvalidator.errors import PathValidationError, RevokedError
    from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend
    from pyhanko_certvalidator.policy_decl import (
        CertRevTrustPolicy,
        RevocationCheckingPolicy,
        RevocationCheckingRule as Rule,
    )
except ImportError as e:
    print(f"{e}: run scripts/install-deps.sh (it installs scripts/requirements-test.txt into target/test-venv)", file=sys.stderr)
    sys.exit(1)


def load_cert(path):
    with open(path, "rb") as f:
        data = f.read()
    if pem.detect(data):
        _, _, data = pem.unarmor(data)
    return x509.Certificate.load(data)


def usages(profile, rsa):
    """Key usages and extended key usages a relying party checks for each profile (R23 offers;
    crates/authority/src/profiles.rs). Encryption uses keyEncipherment with an RSA key,
    keyAgreement with an EC key."""
    encipher = "key_encipherment" if rsa else "key_agreement"
    tls_or_smime_ku = {"digital_signature", "key_encipherment"} if rsa else {"digital_signature"}
    return {
        "org-auth-cli": ({"digital_signature"}, {"client_auth"}),
        "pro-auth": ({"digital_signature"}, {"client_auth"}),
        "card-auth": ({"digital_signature"}, {"client_auth"}),
        "org-sign": ({"digital_signature", "non_repudiation"}, {"email_protection"}),
        "pro-sign": ({"non_repudiation"}, {"email_protection"}),
        "org-conf": ({encipher}, {"email_protection"}),
        "pro-conf": ({encipher}, {"email_protection"}),
        "serv-ssl": (tls_or_smime_ku, {"server_auth", "client_auth"}),
        "serv-smime": (tls_or_smime_ku, {"email_protection"}),
    }[profile]


POLICIES = {
    "hard-fail": None,
    "ocsp": RevocationCheckingPolicy(Rule.OCSP_REQUIRED, Rule.CRL_REQUIRED),
    "crl": RevocationCheckingPolicy(Rule.CRL_REQUIRED, Rule.CRL_REQUIRED),
    "both": RevocationCheckingPolicy(Rule.CRL_AND_OCSP_REQUIRED, Rule.CRL_REQUIRED),
}


async def validate(entry, cert, root, intermediates, ca_ids, mode):
    """One validation: (outcome, message, number of OCSP responses fetched, CRLs fetched)."""
    async with AIOHttpFetcherBackend() as fetchers:
        kwargs = dict(trust_roots=[root], other_certs=intermediates, allow_fetching=True, fetchers=fetchers)
        if POLICIES[mode] is None:
            kwargs["revocation_mode"] = "hard-fail"
        else:
            kwargs["revinfo_policy"] = CertRevTrustPolicy(POLICIES[mode])
        context = ValidationContext(**kwargs)
        validator = CertificateValidator(cert, intermediate_certs=intermediates, validation_context=context)
        key_usage, eku = usages(entry["profile"], cert.public_key.algorithm == "rsa")
        try:
            await validator.async_validate_usage(key_usage, eku)
            outcome, message = "valid", ""
        except RevokedError as e:
            outcome, message = "revoked", f"{e} [reason {e.reason.native}]"
        except PathValidationError as e:
            outcome, message = "invalid", f"{type(e).__name__}: {e}"
        except Exception as e:  # any other failure is reported as such
            outcome, message = "error", f"{type(e).__name__}: {e}"
        ocsps = len(list(fetchers.ocsp_fetcher.fetched_responses()))
        crls = set()
        for crl in fetchers.crl_fetcher.fetched_crls():
            name = ca_ids.get(crl.issuer.dump(), crl.issuer.human_friendly)
            crls.add(name + ("-delta" if crl.delta_crl_indicator_value is not None else ""))
    return outcome, message, ocsps, crls


async def main(manifest_path):
    with open(manifest_path) as f:
        manifest = json.load(f)
    cas = [(ca["id"], load_cert(ca["path"])) for ca in manifest["cas"]]
    root_id, root = cas[0]
    intermediates = [c for _, c in cas[1:]]
    ca_ids = {c.subject.dump(): ca_id for ca_id, c in cas}

    failures = []
    count = 0
    for entry in manifest["certificates"]:
        cert = load_cert(entry["path"])
        issuer = entry["issuer"]
        issuer_crls = {issuer, f"{issuer}-delta"}
        revoked = entry.get("revoked")
        # A TLS server certificate must name the server a client connects to.
        for name in entry.get("dns", []):
            if not cert.is_valid_domain_ip(name):
                failures.append((entry["name"], f"not valid for the host {name}"))
        for mode in POLICIES:
            outcome, message, ocsps, crls = await validate(entry, cert, root, intermediates, ca_ids, mode)
            count += 1
            label = f"{entry['name']} [{mode}]"
            print(f"{label}: {outcome} {message} | OCSP responses fetched: {ocsps}, CRLs fetched: {', '.join(sorted(crls)) or 'none'}")

            def fail(why):
                failures.append((label, f"{why} (OCSP responses fetched: {ocsps}, CRLs fetched: {sorted(crls)})"))

            expected = "revoked" if revoked else "valid"
            if outcome != expected:
                fail(f"expected {expected}, got {outcome}: {message}")
                continue
            if revoked and f"[reason {revoked['reason']}]" not in message:
                fail(f"expected the reason {revoked['reason']}: {message}")
            # Which revocation information answered.
            if mode in ("hard-fail", "ocsp", "both") and ocsps == 0:
                fail("no OCSP response was fetched from the responder named in the AIA")
            if mode == "ocsp" and issuer_crls & crls:
                fail(f"the CRLs of {issuer} were fetched though only OCSP was asked for")
            if mode == "ocsp" and revoked and not message.startswith("OCSP"):
                fail(f"the revocation was not reported from OCSP: {message}")
            if mode == "crl" and ocsps:
                fail("OCSP was asked though only CRLs were")
            if mode == "crl" and not issuer_crls <= crls:
                fail(f"expected the full and delta CRLs of {issuer} to be fetched")
            if mode == "crl" and revoked and not message.startswith("CRL"):
                fail(f"the revocation was not reported from CRLs: {message}")
            if mode == "both" and outcome == "valid" and not issuer_crls <= crls:
                fail(f"expected the full and delta CRLs of {issuer} to be fetched")
            # The issuing CA is checked against the root's CRL (an ARL) before the end entity.
            if root_id not in crls:
                fail(f"the CRL of {root_id} was not fetched to check {issuer}")

    if failures:
        # Grouped by cause: one broken CA certificate fails every validation alike.
        by_cause = {}
        for label, why in failures:
            by_cause.setdefault(why, []).append(label)
        print(f"\n{len(failures)} pyhanko check(s) failed:", file=sys.stderr)
        for why, labels in by_cause.items():
            print(f"  {', '.join(labels)}:\n    {why}", file=sys.stderr)
        return 1
    print(f"pyhanko checks ok: {count} validations")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(asyncio.run(main(sys.argv[1])))
