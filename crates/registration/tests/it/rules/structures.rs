//! Which identifier a structure orders with (R8, R10–R17): for each row of RULES.md's table,
//! the form that habilitates the structure, and the wrong identifier refused with the row's
//! rule.

use santepki_directory::generate::seed_cases as seed;
use santepki_domain::form413::{Form413, SignerRole, StructureCase};
use santepki_registration::testing::{self as t, TestCard};

use super::world::{assert_refused, world, World};

fn form(case: StructureCase, ids: &[String], signer: &TestCard, role: SignerRole, admins: &[&TestCard]) -> Form413 {
    t::form(case, ids, signer, role, admins)
}

/// The structures a validated form habilitated, sorted.
async fn habilitated(w: &World, preparer: &TestCard, signer: &TestCard, f: &Form413) -> Vec<String> {
    let mut ids: Vec<String> =
        w.habilitate(preparer, signer, f).await.habilitations.into_iter().map(|h| h.idnat_struct).collect();
    ids.sort();
    ids
}

/// R8: certificates are for structures of the directory: an identifier it does not hold is
/// refused.
#[tokio::test]
async fn r8_structure_must_be_in_the_directory() {
    let w = world().await;
    let p = w.pharmacy().await;
    let mut f = p.form.clone();
    // A well-formed test FINESS (letter in position 2) that the directory does not hold.
    f.identifiers = vec!["10B0000000".into()];
    assert_refused(w.prepare(&w.admin, &f).await, "R8", "/identifiers/0");
}

/// R10: a pharmacy orders with its FINESS géographique, signed by its titulaire.
#[tokio::test]
async fn r10_pharmacy_uses_finess_geographique() {
    let w = world().await;
    let p = w.pharmacy().await;
    let mut f = p.form.clone();
    f.identifiers = vec![format!("1{}", seed::PHARMACY_EJ)];
    assert_refused(w.prepare(&w.admin, &f).await, "R10", "/identifiers/0");
    assert_eq!(habilitated(&w, &w.admin, &p.pharmacist, &p.form).await, std::slice::from_ref(&p.eg));
}

/// R11: a SELAS LBM orders with the FINESS géographique of its main site; one certificate
/// serves every site.
#[tokio::test]
async fn r11_lbm_selas_uses_main_site_finess() {
    let w = world().await;
    let lr = w.card(seed::LBM_SELAS_LEGAL_REP_CARD).await;
    w.contract(&format!("1{}", seed::LBM_SELAS_EJ), Some(&lr)).await;
    let ej = form(
        StructureCase::LbmSelas,
        &[format!("1{}", seed::LBM_SELAS_EJ)],
        &lr,
        SignerRole::LegalRepresentative,
        &[&w.admin],
    );
    assert_refused(w.prepare(&lr, &ej).await, "R11", "/identifiers/0");
    let main = format!("1{}", seed::LBM_SELAS_MAIN_EG);
    let f =
        form(StructureCase::LbmSelas, std::slice::from_ref(&main), &lr, SignerRole::LegalRepresentative, &[&w.admin]);
    // Issue 15, point 5: a secondary site of the SELAS is refused, naming the main site.
    let secondary = form(
        StructureCase::LbmSelas,
        &[format!("1{}", seed::LBM_SELAS_SITES[1])],
        &lr,
        SignerRole::LegalRepresentative,
        &[&w.admin],
    );
    assert_refused(w.prepare(&lr, &secondary).await, "R11", "/identifiers/0");
    assert_eq!(habilitated(&w, &lr, &lr, &f).await, [main]);
    assert!(w.administrators(&format!("1{}", seed::LBM_SELAS_SITES[1])).await.is_empty());
}

/// R12: a multi-site LBM that is not a SELAS orders with its main site's FINESS géographique.
#[tokio::test]
async fn r12_lbm_multisite_uses_main_site_finess() {
    let w = world().await;
    let lr = w.directory_card(seed::LBM_MULTISITE_BIOLOGISTS_RPPS[0]).await;
    w.contract(&format!("1{}", seed::LBM_MULTISITE_EJ), Some(&lr)).await;
    let ej = form(
        StructureCase::LbmMultiSite,
        &[format!("1{}", seed::LBM_MULTISITE_EJ)],
        &lr,
        SignerRole::LegalRepresentative,
        &[&w.admin],
    );
    assert_refused(w.prepare(&lr, &ej).await, "R12", "/identifiers/0");
    // The same class as R11 (issue 15, point 5): the secondary site is refused.
    let secondary = form(
        StructureCase::LbmMultiSite,
        &[format!("1{}", seed::LBM_MULTISITE_SITES[1])],
        &lr,
        SignerRole::LegalRepresentative,
        &[&w.admin],
    );
    assert_refused(w.prepare(&lr, &secondary).await, "R12", "/identifiers/0");
    let main = format!("1{}", seed::LBM_MULTISITE_MAIN_EG);
    let f = form(
        StructureCase::LbmMultiSite,
        std::slice::from_ref(&main),
        &lr,
        SignerRole::LegalRepresentative,
        &[&w.admin],
    );
    assert_eq!(habilitated(&w, &w.admin, &lr, &f).await, [main]);
}

/// R13: a practice of a société d'exercice (SA09) orders with its SIRET.
#[tokio::test]
async fn r13_societe_exercice_uses_siret() {
    let w = world().await;
    let partner = w.directory_card(seed::SOCIETE_EXERCICE_RADIOLOGISTS_RPPS[0]).await;
    let siret = format!("3{}", seed::SOCIETE_EXERCICE_SIRET);
    w.contract(&siret, Some(&partner)).await;
    let wrong = form(
        StructureCase::SocieteExercice,
        &[format!("1{}", seed::PHARMACY_EG)],
        &partner,
        SignerRole::LegalRepresentative,
        &[&w.admin],
    );
    assert_refused(w.prepare(&w.admin, &wrong).await, "R13", "/identifiers/0");
    let f = form(
        StructureCase::SocieteExercice,
        std::slice::from_ref(&siret),
        &partner,
        SignerRole::LegalRepresentative,
        &[&w.admin],
    );
    assert_eq!(habilitated(&w, &w.admin, &partner, &f).await, [siret]);
}

/// R14: SCM practices (SA07/SA08) order with their RPPS rang, at most four per form, each
/// signed by its own holder.
#[tokio::test]
async fn r14_rpps_rang_at_most_four_per_form() {
    let w = world().await;
    let radiologist = w.card(seed::SCM_RADIOLOGIST_CARD).await;
    w.contract(&format!("8{}", seed::SCM_RADIOLOGIST_RPPS), None).await;
    let rangs: Vec<String> = seed::SCM_RADIOLOGIST_RPPS_RANGS.iter().map(|r| format!("4{r}")).collect();
    let scm = |ids: &[String], signer: &TestCard| {
        form(StructureCase::ScmPractice, ids, signer, SignerRole::PracticeHolder, &[&w.admin])
    };
    assert_refused(w.prepare(&w.admin, &scm(&rangs[..5], &radiologist)).await, "R14", "/identifiers");
    let siret = [format!("3{}", seed::SCM_RADIOLOGIST_SIRET)];
    assert_refused(w.prepare(&w.admin, &scm(&siret, &radiologist)).await, "R14", "/identifiers/0");
    // Another professional is not the holder of these practices.
    let other = w.card(seed::TEST_PS_CARD).await;
    assert_refused(w.prepare(&w.admin, &scm(&rangs[..1], &other)).await, "R20", "/identifiers/0");
    let mut four = rangs[..4].to_vec();
    four.sort();
    assert_eq!(habilitated(&w, &w.admin, &radiologist, &scm(&rangs[..4], &radiologist)).await, four);
}

/// R15: a radiology GIE (SA04) or GCS (SA30) orders with its FINESS.
#[tokio::test]
async fn r15_radiology_group_uses_finess() {
    let w = world().await;
    let lr = w.directory_card(seed::RADIOLOGY_GIE_RADIOLOGISTS_RPPS[0]).await;
    w.contract(&format!("1{}", seed::RADIOLOGY_GIE_EJ), Some(&lr)).await;
    let siret = form(
        StructureCase::RadiologyGroup,
        &[format!("3{}", seed::SOCIETE_EXERCICE_SIRET)],
        &lr,
        SignerRole::LegalRepresentative,
        &[&w.admin],
    );
    assert_refused(w.prepare(&w.admin, &siret).await, "R15", "/identifiers/0");
    let gie = format!("1{}", seed::RADIOLOGY_GIE_EG);
    let f = form(
        StructureCase::RadiologyGroup,
        std::slice::from_ref(&gie),
        &lr,
        SignerRole::LegalRepresentative,
        &[&w.admin],
    );
    assert_eq!(habilitated(&w, &w.admin, &lr, &f).await, [gie]);
}

/// R16: a social or medico-social manager orders with its FINESS juridique for all its sites,
/// signed by its director (CDE).
#[tokio::test]
async fn r16_medico_social_manager_uses_finess_juridique() {
    let w = world().await;
    let ej = format!("1{}", seed::ESSMS_EJ);
    let director = w.new_card("CDE", "DIRECTRICE", "CAMILLE", &ej).await;
    w.contract(&ej, Some(&director)).await;
    let eg = form(
        StructureCase::MedicoSocialManager,
        &[format!("1{}", seed::ESSMS_EGS[0])],
        &director,
        SignerRole::LegalRepresentative,
        &[&w.admin],
    );
    assert_refused(w.prepare(&w.admin, &eg).await, "R16", "/identifiers/0");
    let f = form(
        StructureCase::MedicoSocialManager,
        std::slice::from_ref(&ej),
        &director,
        SignerRole::LegalRepresentative,
        &[&w.admin],
    );
    assert_eq!(habilitated(&w, &w.admin, &director, &f).await, [ej]);
    for site in seed::ESSMS_EGS {
        assert!(w.administrators(&format!("1{site}")).await.is_empty(), "{site}");
    }
}

/// R17: a health establishment asking for PRO certificates names its SIRET and the mail domain
/// the PRO offer requires.
#[tokio::test]
async fn r17_establishment_pro_offer_needs_mail_domain() {
    let w = world().await;
    let ej = format!("1{}", seed::HOSPITAL_EJ);
    let director = w.new_card("CDE", "DIRECTEUR", "PAUL", &ej).await;
    let it = w.new_card("CPE", "INFORMATICIENNE", "LEA", &format!("1{}", seed::HOSPITAL_EG)).await;
    w.contract(&ej, Some(&director)).await;
    let siret = format!("3{}", seed::HOSPITAL_SIRET);
    let mut f = form(
        StructureCase::Establishment,
        std::slice::from_ref(&siret),
        &director,
        SignerRole::LegalRepresentative,
        &[&it],
    );
    f.offers.pro = true;
    f.site = Some(super::declared::hospital_site(&w).await);
    assert_refused(w.prepare(&it, &f).await, "R17", "/offers/pro_mail_domain");
    f.offers.pro_mail_domain = Some("ch-montvert.fr".into());
    assert_eq!(habilitated(&w, &it, &director, &f).await, [siret]);
}
