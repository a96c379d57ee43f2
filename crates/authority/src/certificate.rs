//! Building certificates: CA certificates of the hierarchy and end-entity to-be-signed
//! certificates from a profile's content.

use chrono::{DateTime, Utc};
use const_oid::db::rfc5280;
use der::asn1::{Ia5String, OctetString, Utf8StringRef};
use der::{Any, Decode, Encode};
use spki::SubjectPublicKeyInfoOwned;
use x509_cert::certificate::{TbsCertificate, Version};
use x509_cert::ext::pkix::certpolicy::{PolicyInformation, PolicyQualifierInfo};
use x509_cert::ext::pkix::crl::dp::DistributionPoint;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName, OtherName};
use x509_cert::ext::pkix::{
    AccessDescription, AuthorityInfoAccessSyntax, AuthorityKeyIdentifier, BasicConstraints, CertificatePolicies,
    CrlDistributionPoints, ExtendedKeyUsage, FreshestCrl, KeyUsage, KeyUsages, PrivateKeyUsagePeriod, SubjectAltName,
    SubjectKeyIdentifier,
};
use x509_cert::ext::Extension;
use x509_cert::name::Name;
use x509_cert::time::Validity;
use x509_cert::Certificate;

use crate::keys::{CaSigner, KeyError};
use crate::profiles::{
    AltName, CardSubject, Content, Profile, OID_CARD_PRODUCT_TYPE, OID_PRODUCT_CATEGORY, OID_PROFESSION_CODE, OID_UPN,
};
use crate::settings::CaSettings;
use crate::x509;

/// What an issuer contributes to the certificates it signs.
pub(crate) struct IssuerInfo<'a> {
    pub id: &'a str,
    pub subject: &'a Name,
    pub key_identifier: &'a [u8],
    pub signer: &'a dyn CaSigner,
}

fn uri(s: &str) -> Result<GeneralName, der::Error> {
    Ok(GeneralName::UniformResourceIdentifier(Ia5String::new(s)?))
}

fn distribution_point(url: &str) -> Result<DistributionPoint, der::Error> {
    Ok(DistributionPoint {
        distribution_point: Some(DistributionPointName::FullName(vec![uri(url)?])),
        reasons: None,
        crl_issuer: None,
    })
}

fn key_usage(usages: &[KeyUsages]) -> KeyUsage {
    let mut flags = der::flagset::FlagSet::<KeyUsages>::default();
    for u in usages {
        flags |= *u;
    }
    KeyUsage(flags)
}

/// A CA certificate: the root signs itself (`issuer` None), an issuing CA is signed by the root
/// with pathLen 0. Both: BasicConstraints critical, keyCertSign + cRLSign critical, SKI.
#[allow(clippy::too_many_arguments)]
pub(crate) fn ca_certificate(
    settings: &CaSettings,
    subject: &Name,
    spki_der: &[u8],
    serial: &[u8],
    not_before: DateTime<Utc>,
    not_after: DateTime<Utc>,
    issuer: Option<&IssuerInfo<'_>>,
    self_signer: &dyn CaSigner,
) -> Result<Certificate, IssueBuildError> {
    let spki = SubjectPublicKeyInfoOwned::from_der(spki_der)?;
    let ski = x509::key_identifier(spki_der)?;
    let signer = issuer.map_or(self_signer, |i| i.signer);
    let mut extensions = vec![
        x509::extension(true, &BasicConstraints { ca: true, path_len_constraint: issuer.map(|_| 0) })?,
        x509::extension(true, &key_usage(&[KeyUsages::KeyCertSign, KeyUsages::CRLSign]))?,
        x509::extension(false, &SubjectKeyIdentifier(OctetString::new(ski.clone())?))?,
    ];
    if let Some(i) = issuer {
        extensions.push(x509::extension(false, &authority_key_id(i.key_identifier)?)?);
        extensions
            .push(x509::extension(false, &CrlDistributionPoints(vec![distribution_point(&settings.crl_url(i.id))?]))?);
        // The root publishes delta CRLs too; relying parties such as pyhanko find them only
        // through the certificate's FreshestCRL.
        extensions
            .push(x509::extension(false, &FreshestCrl(vec![distribution_point(&settings.delta_crl_url(i.id))?]))?);
        extensions.push(x509::extension(
            false,
            &AuthorityInfoAccessSyntax(vec![AccessDescription {
                access_method: rfc5280::ID_AD_CA_ISSUERS,
                access_location: uri(&settings.ca_cert_url(i.id))?,
            }]),
        )?);
        extensions.push(x509::extension(
            false,
            &CertificatePolicies(vec![PolicyInformation {
                policy_identifier: rfc5280::ANY_POLICY,
                policy_qualifiers: None,
            }]),
        )?);
    }
    let tbs = TbsCertificate {
        version: Version::V3,
        serial_number: x509::serial_number(serial)?,
        signature: signer.algorithm().signature_algorithm(),
        issuer: issuer.map_or_else(|| subject.clone(), |i| i.subject.clone()),
        validity: Validity { not_before: x509::time(not_before)?, not_after: x509::time(not_after)? },
        subject: subject.clone(),
        subject_public_key_info: spki,
        issuer_unique_id: None,
        subject_unique_id: None,
        extensions: Some(extensions),
    };
    sign_certificate(tbs, signer)
}

fn authority_key_id(key_identifier: &[u8]) -> Result<AuthorityKeyIdentifier, der::Error> {
    Ok(AuthorityKeyIdentifier {
        key_identifier: Some(OctetString::new(key_identifier.to_vec())?),
        authority_cert_issuer: None,
        authority_cert_serial_number: None,
    })
}

/// Signs a to-be-signed certificate.
pub fn sign_certificate(tbs: TbsCertificate, signer: &dyn CaSigner) -> Result<Certificate, IssueBuildError> {
    let der = tbs.to_der()?;
    let signature = x509::sign(signer, &der)?;
    Ok(Certificate { signature_algorithm: tbs.signature.clone(), tbs_certificate: tbs, signature })
}

/// Everything an end-entity certificate is made of.
pub(crate) struct EndEntity<'a> {
    /// Which certificate profile.
    pub profile: Profile,
    /// Subject and alternative names from the profile.
    pub content: &'a Content,
    /// The requester's public key.
    pub spki: &'a SubjectPublicKeyInfoOwned,
    /// Its DER encoding (for the SKI).
    pub spki_der: &'a [u8],
    /// The serial number bytes, positive and random.
    pub serial: &'a [u8],
    /// Start of validity.
    pub not_before: DateTime<Utc>,
    /// End of validity (also the PrivateKeyUsagePeriod of SIGN profiles).
    pub not_after: DateTime<Utc>,
    /// The card, for a card certificate (product type extension).
    pub card: Option<&'a CardSubject>,
    /// The profession code, for a card certificate (extension `1.2.250.1.71.1.2.7`).
    pub profession_code: Option<&'a str>,
}

/// The to-be-signed end-entity certificate (REFERENCE.md's table): BasicConstraints CA:FALSE,
/// KeyUsage critical, ExtendedKeyUsage, SKI, AKI, CertificatePolicies with the CPS URI, CRL
/// distribution point and FreshestCRL, AIA (OCSP, caIssuers), SAN when the profile has names,
/// PrivateKeyUsagePeriod on SIGN, the product category and, on cards, product type and
/// profession code.
pub(crate) fn end_entity_tbs(
    settings: &CaSettings,
    issuer: &IssuerInfo<'_>,
    ee: &EndEntity<'_>,
) -> Result<TbsCertificate, IssueBuildError> {
    let rsa_key = ee.spki.algorithm.oid == const_oid::db::rfc5912::RSA_ENCRYPTION;
    let mut extensions: Vec<Extension> = vec![
        x509::extension(true, &BasicConstraints { ca: false, path_len_constraint: None })?,
        x509::extension(true, &key_usage(&ee.profile.key_usage(rsa_key)))?,
        x509::extension(false, &ExtendedKeyUsage(ee.profile.extended_key_usage()))?,
        x509::extension(false, &SubjectKeyIdentifier(OctetString::new(x509::key_identifier(ee.spki_der)?)?))?,
        x509::extension(false, &authority_key_id(issuer.key_identifier)?)?,
        x509::extension(
            false,
            &CertificatePolicies(vec![PolicyInformation {
                policy_identifier: settings.policy_oid,
                policy_qualifiers: Some(vec![PolicyQualifierInfo {
                    policy_qualifier_id: rfc5280::ID_QT_CPS,
                    qualifier: Some(Any::encode_from(&Ia5String::new(&settings.cps_uri)?)?),
                }]),
            }]),
        )?,
        x509::extension(false, &CrlDistributionPoints(vec![distribution_point(&settings.crl_url(issuer.id))?]))?,
        x509::extension(false, &FreshestCrl(vec![distribution_point(&settings.delta_crl_url(issuer.id))?]))?,
        x509::extension(
            false,
            &AuthorityInfoAccessSyntax(vec![
                AccessDescription { access_method: rfc5280::ID_AD_OCSP, access_location: uri(&settings.ocsp_url())? },
                AccessDescription {
                    access_method: rfc5280::ID_AD_CA_ISSUERS,
                    access_location: uri(&settings.ca_cert_url(issuer.id))?,
                },
            ]),
        )?,
    ];
    if !ee.content.alt_names.is_empty() {
        let mut names = Vec::new();
        for n in &ee.content.alt_names {
            names.push(match n {
                AltName::Dns(d) => GeneralName::DnsName(Ia5String::new(d)?),
                AltName::Email(e) => GeneralName::Rfc822Name(Ia5String::new(e)?),
                AltName::Upn(u) => GeneralName::OtherName(OtherName {
                    type_id: OID_UPN,
                    value: Any::encode_from(&Utf8StringRef::new(u)?)?,
                }),
            });
        }
        extensions.push(x509::extension(false, &SubjectAltName(names))?);
    }
    if ee.profile.has_private_key_usage_period() {
        extensions.push(x509::extension(
            false,
            &PrivateKeyUsagePeriod {
                not_before: Some(x509::generalized_time(ee.not_before)?),
                not_after: Some(x509::generalized_time(ee.not_after)?),
            },
        )?);
    }
    let category = if ee.card.is_some() { settings.card_category() } else { settings.software_category() };
    extensions.push(x509::raw_extension(OID_PRODUCT_CATEGORY, false, OctetString::new(vec![category])?.to_der()?)?);
    if let Some(card) = ee.card {
        extensions.push(x509::raw_extension(
            OID_CARD_PRODUCT_TYPE,
            false,
            u32::from(card.card_type.product_type()).to_der()?,
        )?);
        if let Some(code) = ee.profession_code {
            // The encoding of the real extension is not public: a UTF8String of the code is this
            // project's choice (docs/ca.md).
            extensions.push(x509::raw_extension(OID_PROFESSION_CODE, false, Utf8StringRef::new(code)?.to_der()?)?);
        }
    }
    Ok(TbsCertificate {
        version: Version::V3,
        serial_number: x509::serial_number(ee.serial)?,
        signature: issuer.signer.algorithm().signature_algorithm(),
        issuer: issuer.subject.clone(),
        validity: Validity { not_before: x509::time(ee.not_before)?, not_after: x509::time(ee.not_after)? },
        subject: x509::build_name(&ee.content.subject)?,
        subject_public_key_info: ee.spki.clone(),
        issuer_unique_id: None,
        subject_unique_id: None,
        extensions: Some(extensions),
    })
}

/// Errors while building or signing a certificate.
#[derive(Debug, thiserror::Error)]
pub enum IssueBuildError {
    /// DER encoding failed.
    #[error("encoding: {0}")]
    Der(#[from] der::Error),
    /// The CA key could not sign.
    #[error(transparent)]
    Key(#[from] KeyError),
}
