"""Independent oracle for the santepki-verify crate: validates X.509 certificates with
pyhanko-certvalidator (0.33.0, pinned in scripts/requirements-test.txt) so that a Rust test can
compare its own verdicts with pyhanko's. Nothing is fetched from the network: pyhanko is given
exactly the certificates, CRLs and OCSP responses named in the manifest.

Run with the test virtualenv's python (scripts/install-deps.sh creates it):

    target/test-venv/bin/python oracle_pyhanko.py MANIFEST.json
    target/test-venv/bin/python oracle_pyhanko.py MANIFEST.json --bench --repeat 200

MANIFEST.json:
    {"cases": [{
        "name": "valid-dmp-auth",                  unique
        "cert": "/abs/leaf.pem",                   the certificate to validate (PEM or DER)
        "intermediates": ["/abs/inter.pem"],       untrusted CA certificates, OCSP responder
                                                   certificates not embedded in responses (optional)
        "anchors": ["/abs/root.pem"],              trust roots, at least one
        "crls": ["/abs/full.crl", "/abs/d.crl"],   full and delta CRLs, DER or PEM (optional)
        "ocsp": ["/abs/resp.der"],                 DER OCSPResponse objects (optional)
        "policy": "1.2.250.1.213.1.7.2.1.1.1.1",   or null: the only acceptable policy, required
                                                   (user-initial-policy-set + initial-explicit-policy)
        "key_usage": ["digital_signature"],        asn1crypto names, all required (optional)
        "eku": ["client_auth"],                    asn1crypto names or dotted OIDs (optional; empty
                                                   or absent: the EKU extension is not checked)
        "revocation": "hard-fail",                 "hard-fail" | "soft-fail" | "off"
        "moment": null}]}                          RFC 3339 time with an offset, or null for now

    Every file may hold one DER object or one or more PEM blocks (an anchors or CRL bundle).
    revocation maps to pyhanko's revocation_mode: "hard-fail" and "soft-fail" as is (both check a
    certificate only when it declares a CRL distribution point or an OCSP responder), "off" to
    "none" (nothing checked; the CRLs and OCSP responses are then not even given to pyhanko).

Output: one JSON object per case and per line on stdout, in the manifest's order:
    {"name": "...", "verdict": "valid" | "revoked" | "invalid" | "error", "message": "..."}
    revoked  RevokedError (of the certificate or of a CA of its path), with the reason
    invalid  any other validation failure (PathValidationError and its subclasses such as
             InsufficientRevinfoError or ExpiredError, PathBuildingError, InvalidCertificateError
             for a key usage or EKU mismatch...); the message starts with the exception's class
    error    anything else: an unreadable or unparsable file, an unexpected exception
Exit status 0 once every case was processed, whatever the verdicts; 1 for a bad manifest or a
missing pyhanko.

--bench --repeat N validates every case N times, with one ValidationContext per case reused
across its N validations (so its caches, such as the CRL issuers it already validated, are warm),
and prints instead one line {"bench": true, "validations": ..., "seconds": ..., "per_second": ...}.
Files are read before the clock starts; the time counts building the contexts and validating.
The verdicts seen are summed up on stderr.

What pyhanko-certvalidator 0.33.0 does, as checked against an openssl-made PKI (a verifier
compared with it must match these, or the test must expect the difference):
  - "hard-fail" checks a certificate (CA or end entity) only when it declares a CRL distribution
    point (CRLs) or an OCSP responder in its AIA (OCSP); it then needs a usable answer
    (InsufficientRevinfoError otherwise). A certificate without either is never checked, even if
    a CRL given here lists it; one with only an OCSP AIA is never looked up in the CRLs.
  - "soft-fail" forgives missing revocation information only: a CRL or OCSP response that is
    there but unusable (too recent, stale, bad signature, unknown status) still gives "invalid".
  - Delta CRLs are used only when the full CRL carries a FreshestCRL extension, and then one must
    be given (same issuer, same IDP, same AKI) or the check fails. Of several, the one issued
    last is taken; if it is stale it is silently dropped and the full CRL alone answers. The
    delta's BaseCRLNumber is not compared with the full CRL's number. A delta alone (no full CRL)
    answers nothing.
  - CRLs and OCSP responses count only between thisUpdate and nextUpdate (1 s of tolerance)
    around the moment: one issued after the moment is "too recent".
  - An unknown critical extension anywhere in the path gives "invalid", but only after the
    revocation check of that certificate (a revoked one is "revoked" first).
  - A required key usage fails when the certificate has no keyUsage extension; a required EKU
    fails against anyExtendedKeyUsage.
"""

import argparse
import asyncio
import json
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

INSTALL_HINT = "run scripts/install-deps.sh (it installs scripts/requirements-test.txt into target/test-venv)"

try:
    from asn1crypto import crl as asn1_crl
    from asn1crypto import ocsp as asn1_ocsp
    from asn1crypto import pem, x509
    from pyhanko_certvalidator import CertificateValidator, PKIXValidationParams, ValidationContext
    from pyhanko_certvalidator.errors import (
        CRLValidationError,
        OCSPValidationError,
        PathError,
        RevokedError,
        ValidationError,
    )
    from pyhanko_certvalidator.version import __version__ as PYHANKO_VERSION
except ImportError as e:
    print(f"oracle_pyhanko: {e}: {INSTALL_HINT}", file=sys.stderr)
    sys.exit(1)

EXPECTED_PYHANKO = "0.33.0"

# Our revocation settings -> pyhanko's legacy revocation_mode.
REVOCATION_MODES = {"hard-fail": "hard-fail", "soft-fail": "soft-fail", "off": "none"}
KEY_USAGES = frozenset(x509.KeyUsage._map.values())
KEY_PURPOSES = frozenset(x509.KeyPurposeId._map.values())
OID = re.compile(r"^[0-2](\.(0|[1-9][0-9]*))+$")


class ManifestError(Exception):
    """The manifest is unreadable or does not follow the format in the module docstring."""


@dataclass(frozen=True)
class Case:
    name: str
    cert: str
    intermediates: tuple
    anchors: tuple
    crls: tuple
    ocsp: tuple
    policy: str | None  # asn1crypto's native form: a dotted OID, or "any_policy"
    key_usage: frozenset
    eku: frozenset
    revocation: str  # pyhanko's revocation_mode
    moment: datetime | None


# ---------------------------------------------------------------------------------------------
# Manifest


def parse_moment(value, where):
    if value is None:
        return None
    if not isinstance(value, str):
        raise ManifestError(f"{where}: moment must be an RFC 3339 string or null")
    text = value.strip()
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text.replace("t", "T"))
    except ValueError as e:
        raise ManifestError(f"{where}: moment {value!r} is not an RFC 3339 time: {e}") from None
    # pyhanko refuses naive datetimes, and RFC 3339 requires an offset anyway.
    if moment.utcoffset() is None:
        raise ManifestError(f"{where}: moment {value!r} has no UTC offset (add Z or +hh:mm)")
    return moment


def string_list(raw, key, where, required=False):
    if key not in raw or raw[key] is None:
        if required:
            raise ManifestError(f"{where}: {key} is missing")
        return ()
    value = raw[key]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ManifestError(f"{where}: {key} must be a list of non-empty strings")
    return tuple(value)


def parse_case(raw, index):
    where = f"cases[{index}]"
    if not isinstance(raw, dict):
        raise ManifestError(f"{where} is not an object")
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise ManifestError(f"{where}: name must be a non-empty string")
    where = f"{where} ({name})"
    cert = raw.get("cert")
    if not isinstance(cert, str) or not cert:
        raise ManifestError(f"{where}: cert must be a file path")
    anchors = string_list(raw, "anchors", where, required=True)
    if not anchors:
        # With no trust root pyhanko would fall back to the operating system's TLS roots.
        raise ManifestError(f"{where}: anchors must name at least one trust root")

    policy = raw.get("policy")
    if policy is not None:
        if not isinstance(policy, str) or not OID.match(policy):
            raise ManifestError(f"{where}: policy must be a dotted OID or null, not {policy!r}")
        policy = x509.PolicyIdentifier.map(policy)  # 2.5.29.32.0 -> "any_policy"

    key_usage = frozenset(string_list(raw, "key_usage", where))
    unknown = key_usage - KEY_USAGES
    if unknown:
        raise ManifestError(f"{where}: unknown key usage(s) {sorted(unknown)}; known: {sorted(KEY_USAGES)}")

    eku = set()
    for purpose in string_list(raw, "eku", where):
        if OID.match(purpose):
            eku.add(x509.KeyPurposeId.map(purpose))  # the form asn1crypto reports for a certificate
        elif purpose in KEY_PURPOSES:
            eku.add(purpose)
        else:
            raise ManifestError(f"{where}: unknown extended key usage {purpose!r} (use an asn1crypto name or an OID)")

    revocation = raw.get("revocation", "hard-fail")
    if revocation not in REVOCATION_MODES:
        raise ManifestError(f"{where}: revocation must be one of {sorted(REVOCATION_MODES)}, not {revocation!r}")

    return Case(
        name=name,
        cert=cert,
        intermediates=string_list(raw, "intermediates", where),
        anchors=anchors,
        crls=string_list(raw, "crls", where),
        ocsp=string_list(raw, "ocsp", where),
        policy=policy,
        key_usage=key_usage,
        eku=frozenset(eku),
        revocation=REVOCATION_MODES[revocation],
        moment=parse_moment(raw.get("moment"), where),
    )


def read_manifest(path):
    try:
        with open(path, encoding="utf-8") as f:
            manifest = json.load(f)
    except OSError as e:
        raise ManifestError(f"cannot read the manifest: {e}") from None
    except ValueError as e:
        raise ManifestError(f"the manifest is not JSON: {e}") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("cases"), list):
        raise ManifestError('the manifest must be an object with a "cases" list')
    cases = [parse_case(raw, i) for i, raw in enumerate(manifest["cases"])]
    seen = Counter(case.name for case in cases)
    duplicates = sorted(name for name, count in seen.items() if count > 1)
    if duplicates:
        raise ManifestError(f"duplicate case names: {', '.join(duplicates)}")
    return cases


# ---------------------------------------------------------------------------------------------
# Files (a failure here gives the case the verdict "error")


class LoadError(Exception):
    pass


def der_objects(path, what, pem_types):
    """The DER objects of a file: the file itself when DER, its PEM blocks of the given types
    otherwise."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise LoadError(f"cannot read the {what} {path}: {e}") from None
    if not data.strip():
        raise LoadError(f"the {what} file {path} is empty")
    if not pem.detect(data):
        return [data]
    try:
        blocks = [(kind, der) for kind, _, der in pem.unarmor(data, multiple=True)]
    except ValueError as e:
        raise LoadError(f"the {what} file {path} is not valid PEM: {e}") from None
    ders = [der for kind, der in blocks if kind in pem_types]
    if not ders:
        kinds = ", ".join(sorted({kind for kind, _ in blocks})) or "none"
        raise LoadError(f"the {what} file {path} has no {' or '.join(pem_types)} PEM block (found: {kinds})")
    return ders


def parse(loader, der, path, what, touch):
    try:
        obj = loader.load(der, strict=True)
        touch(obj)  # asn1crypto parses lazily: make a garbage file fail here, not inside pyhanko
        return obj
    except (ValueError, TypeError, KeyError) as e:
        raise LoadError(f"the {what} file {path} does not parse: {type(e).__name__}: {e}") from None


def load_certs(path, what):
    return [
        parse(x509.Certificate, der, path, what, lambda c: (c.subject, c.issuer, c.serial_number, c.public_key.algorithm))
        for der in der_objects(path, what, ("CERTIFICATE",))
    ]


def load_crls(path):
    return [
        parse(asn1_crl.CertificateList, der, path, "CRL", lambda c: (c.issuer, c["tbs_cert_list"]["this_update"].native))
        for der in der_objects(path, "CRL", ("X509 CRL",))
    ]


def load_ocsp(path):
    return [
        parse(asn1_ocsp.OCSPResponse, der, path, "OCSP response", lambda r: r["response_status"].native)
        for der in der_objects(path, "OCSP response", ("OCSP RESPONSE",))
    ]


class Loader:
    """Parses every file once, however many cases name it."""

    def __init__(self):
        self._cache = {}

    def get(self, path, kind):
        key = (path, kind)
        if key not in self._cache:
            try:
                self._cache[key] = (
                    {"cert": lambda: load_certs(path, "certificate"),
                     "anchor": lambda: load_certs(path, "trust anchor"),
                     "crl": lambda: load_crls(path),
                     "ocsp": lambda: load_ocsp(path)}[kind](),
                    None,
                )
            except LoadError as e:
                self._cache[key] = (None, e)
        objs, error = self._cache[key]
        if error is not None:
            raise error
        return objs


@dataclass
class Inputs:
    cert: object
    intermediates: list
    anchors: list
    crls: list
    ocsps: list


def load_inputs(case, loader):
    certs = loader.get(case.cert, "cert")
    if len(certs) != 1:
        raise LoadError(f"the certificate file {case.cert} holds {len(certs)} certificates, not one")
    gather = lambda paths, kind: [obj for p in paths for obj in loader.get(p, kind)]
    return Inputs(
        cert=certs[0],
        intermediates=gather(case.intermediates, "cert"),
        anchors=gather(case.anchors, "anchor"),
        crls=gather(case.crls, "crl"),
        ocsps=gather(case.ocsp, "ocsp"),
    )


# ---------------------------------------------------------------------------------------------
# Validation


def new_context(case, inputs):
    checking = case.revocation != "none"
    return ValidationContext(
        trust_roots=inputs.anchors,
        other_certs=inputs.intermediates,
        allow_fetching=False,
        # Lists, never None: pyhanko refuses a hard-fail context without any revocation source.
        crls=inputs.crls if checking else None,
        ocsps=inputs.ocsps if checking else None,
        revocation_mode=case.revocation,
        moment=case.moment,
    )


def pkix_params(case):
    if case.policy is None:
        return None
    return PKIXValidationParams(user_initial_policy_set=frozenset([case.policy]), initial_explicit_policy=True)


async def validate(case, inputs, context):
    """(verdict, message) of one validation."""
    try:
        validator = CertificateValidator(inputs.cert, validation_context=context, pkix_params=pkix_params(case))
        await validator.async_validate_usage(set(case.key_usage), set(case.eku) if case.eku else None)
        return "valid", ""
    except RevokedError as e:
        reason = e.reason.native if e.reason is not None else "unspecified"
        return "revoked", f"RevokedError: {e} [reason {reason}]"
    except (ValidationError, PathError, CRLValidationError, OCSPValidationError) as e:
        return "invalid", f"{type(e).__name__}: {e}"
    except Exception as e:  # noqa: BLE001 - reported as the verdict "error"
        return "error", f"{type(e).__name__}: {e}"


async def run_cases(cases):
    loader = Loader()
    for case in cases:
        try:
            inputs = load_inputs(case, loader)
            verdict, message = await validate(case, inputs, new_context(case, inputs))
        except LoadError as e:
            verdict, message = "error", f"LoadError: {e}"
        except Exception as e:  # noqa: BLE001 - e.g. a ValidationContext refusing its inputs
            verdict, message = "error", f"{type(e).__name__}: {e}"
        print(json.dumps({"name": case.name, "verdict": verdict, "message": message}), flush=True)


async def run_bench(cases, repeat):
    loader = Loader()
    loaded = []
    for case in cases:
        try:
            loaded.append((case, load_inputs(case, loader)))
        except LoadError as e:
            print(f"oracle_pyhanko: bench: case {case.name} skipped: {e}", file=sys.stderr)
    verdicts = Counter()
    total = 0
    start = time.perf_counter()
    for case, inputs in loaded:
        try:
            context = new_context(case, inputs)
        except Exception as e:  # noqa: BLE001
            print(f"oracle_pyhanko: bench: case {case.name} skipped: {type(e).__name__}: {e}", file=sys.stderr)
            continue
        for _ in range(repeat):
            verdict, _ = await validate(case, inputs, context)
            verdicts[verdict] += 1
            total += 1
    elapsed = time.perf_counter() - start
    print(f"oracle_pyhanko: bench verdicts: {dict(sorted(verdicts.items()))}", file=sys.stderr)
    rate = total / elapsed if elapsed > 0 else 0.0
    print(json.dumps({"bench": True, "validations": total, "seconds": round(elapsed, 6), "per_second": round(rate, 3)}))


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Validate certificates with pyhanko-certvalidator (see the module docstring for the manifest).")
    parser.add_argument("manifest", help="JSON manifest of the cases")
    parser.add_argument("--bench", action="store_true", help="benchmark instead of printing verdicts")
    parser.add_argument("--repeat", type=int, default=1, metavar="N", help="validations of each case in --bench mode")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.repeat != 1 and not args.bench:
        parser.error("--repeat only applies with --bench")

    if PYHANKO_VERSION != EXPECTED_PYHANKO:
        print(f"oracle_pyhanko: warning: pyhanko-certvalidator {PYHANKO_VERSION} is installed, "
              f"the oracle was written for {EXPECTED_PYHANKO}: {INSTALL_HINT}", file=sys.stderr)
    try:
        cases = read_manifest(args.manifest)
    except ManifestError as e:
        print(f"oracle_pyhanko: bad manifest {args.manifest}: {e}", file=sys.stderr)
        return 1
    asyncio.run(run_bench(cases, args.repeat) if args.bench else run_cases(cases))
    return 0


if __name__ == "__main__":
    sys.exit(main())
