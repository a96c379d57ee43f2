//! The plan: which establishment belongs to which legal entity, where, of what kind.

use std::io;

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use santepki_domain::Finess;

use super::categories::{EgKind, Profile};
use super::tables::{Dept, Tables};
use super::{id_error, pick, too_large, Sizes};

/// The few bytes per structure that records are built from. Establishment `i < legal entities`
/// is the main site of legal entity `i`; the others are extra sites of multi-site entities.
pub(super) struct Plan {
    pub(super) ej_profile: Vec<Profile>,
    pub(super) ej_dept: Vec<u8>,
    pub(super) ej_seq: Vec<u32>,
    /// The main establishment of each legal entity (`NONE` if it has none).
    pub(super) ej_main_eg: Vec<u32>,
    pub(super) eg_ej: Vec<u32>,
    pub(super) eg_kind: Vec<EgKind>,
    pub(super) eg_dept: Vec<u8>,
    pub(super) eg_seq: Vec<u32>,
    /// The establishment's rank in its legal entity, the NIC of its SIRET (0: no SIRET).
    pub(super) eg_nic: Vec<u16>,
    /// Establishments by kind, and by kind and département, for situations to pick from.
    by_kind: Vec<Vec<u32>>,
    by_kind_dept: Vec<Vec<u32>>,
    n_depts: usize,
}

pub(super) const NONE: u32 = u32::MAX;

/// FINESS sequences (after the département) of generated structures; seed cases use `0xxxxx`.
/// Overseas FINESS have one digit less of sequence (`97` + département digit + 5 digits).
const EJ_SEQ: (u32, u32) = (100_000, 300_000);
const EG_SEQ: (u32, u32) = (300_000, 1_000_000);
const EJ_SEQ_OVERSEAS: (u32, u32) = (10_000, 50_000);
const EG_SEQ_OVERSEAS: (u32, u32) = (50_000, 100_000);

impl Plan {
    pub(super) fn build(sizes: Sizes, tables: &Tables, r: &mut ChaCha8Rng) -> io::Result<Plan> {
        let n_depts = tables.depts.len();
        if sizes.establishments > 0 && sizes.legal_entities == 0 {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "establishments need at least one legal entity"));
        }
        let mut plan = Plan {
            ej_profile: Vec::with_capacity(sizes.legal_entities),
            ej_dept: Vec::with_capacity(sizes.legal_entities),
            ej_seq: Vec::with_capacity(sizes.legal_entities),
            ej_main_eg: vec![NONE; sizes.legal_entities],
            eg_ej: Vec::with_capacity(sizes.establishments),
            eg_kind: Vec::with_capacity(sizes.establishments),
            eg_dept: Vec::with_capacity(sizes.establishments),
            eg_seq: Vec::with_capacity(sizes.establishments),
            eg_nic: Vec::with_capacity(sizes.establishments),
            by_kind: vec![Vec::new(); EgKind::ALL.len()],
            by_kind_dept: vec![Vec::new(); EgKind::ALL.len() * n_depts],
            n_depts,
        };
        let mut ej_counter = vec![0u32; n_depts];
        let mut eg_counter = vec![0u32; n_depts];
        let mut nic_counter = vec![0u16; sizes.legal_entities];
        let mut by_profile: Vec<Vec<u32>> = vec![Vec::new(); Profile::ALL.len()];
        let profile_weights: Vec<(Profile, u32)> = Profile::ALL.iter().map(|p| (*p, p.info().weight)).collect();

        for e in 0..sizes.legal_entities {
            let profile = pick(r, &profile_weights);
            let d = tables.pick_dept(r);
            plan.ej_seq.push(next_seq(&mut ej_counter[d], &tables.depts[d], EJ_SEQ, EJ_SEQ_OVERSEAS)?);
            plan.ej_profile.push(profile);
            plan.ej_dept.push(d as u8);
            by_profile[profile as usize].push(e as u32);
        }
        let n_main = sizes.legal_entities.min(sizes.establishments);
        for e in 0..n_main {
            let kind = pick(r, plan.ej_profile[e].info().main);
            let d = plan.ej_dept[e] as usize;
            plan.push_eg(e, kind, d, tables, &mut eg_counter, &mut nic_counter)?;
        }
        // Extra sites go to legal entities of multi-site profiles (hospitals, labs, managers…).
        let extra_weights: Vec<(Profile, u32)> = Profile::ALL
            .iter()
            .filter(|p| p.info().extra_weight > 0 && !by_profile[**p as usize].is_empty())
            .map(|p| (*p, p.info().extra_weight))
            .collect();
        for _ in n_main..sizes.establishments {
            let (e, kind) = if extra_weights.is_empty() {
                // No multi-site entity at this scale: another site of any entity, of its kind.
                let e = r.gen_range(0..sizes.legal_entities);
                (e, pick(r, plan.ej_profile[e].info().main))
            } else {
                let profile = pick(r, &extra_weights);
                let members = &by_profile[profile as usize];
                let e = members[r.gen_range(0..members.len())] as usize;
                (e, pick(r, profile.info().extra))
            };
            let spread = plan.ej_profile[e].info().spread;
            let d = if r.gen_ratio(spread, 100) { tables.pick_dept(r) } else { plan.ej_dept[e] as usize };
            plan.push_eg(e, kind, d, tables, &mut eg_counter, &mut nic_counter)?;
        }
        Ok(plan)
    }

    fn push_eg(
        &mut self,
        e: usize,
        kind: EgKind,
        d: usize,
        tables: &Tables,
        eg_counter: &mut [u32],
        nic_counter: &mut [u16],
    ) -> io::Result<()> {
        let i = self.eg_ej.len() as u32;
        if self.ej_main_eg[e] == NONE {
            self.ej_main_eg[e] = i;
        }
        self.eg_seq.push(next_seq(&mut eg_counter[d], &tables.depts[d], EG_SEQ, EG_SEQ_OVERSEAS)?);
        // NICs 0001–9998; an entity with more sites leaves the extra ones without SIRET.
        let nic = &mut nic_counter[e];
        *nic = nic.saturating_add(1);
        self.eg_nic.push(if *nic < 9999 { *nic } else { 0 });
        self.eg_ej.push(e as u32);
        self.eg_kind.push(kind);
        self.eg_dept.push(d as u8);
        self.by_kind[kind as usize].push(i);
        self.by_kind_dept[kind as usize * self.n_depts + d].push(i);
        Ok(())
    }

    /// An establishment of one of `kinds`, preferably in département `d`, proportionally to how
    /// many there are. A biology lab is replaced by its legal entity's main site: every
    /// biologist's situation is registered there (R11, R12).
    pub(super) fn pick_eg(&self, kinds: &[EgKind], d: usize, r: &mut ChaCha8Rng) -> Option<usize> {
        let local = |k: &EgKind| &self.by_kind_dept[*k as usize * self.n_depts + d];
        let local_total: usize = kinds.iter().map(|k| local(k).len()).sum();
        let use_local = local_total > 0 && r.gen_ratio(4, 5);
        let list = |k: &EgKind| if use_local { local(k) } else { &self.by_kind[*k as usize] };
        let total: usize = kinds.iter().map(|k| list(k).len()).sum();
        if total == 0 {
            return None;
        }
        let mut n = r.gen_range(0..total);
        for l in kinds.iter().map(list) {
            if n < l.len() {
                let i = l[n] as usize;
                return Some(if self.eg_kind[i] == EgKind::Lbm {
                    self.ej_main_eg[self.eg_ej[i] as usize] as usize
                } else {
                    i
                });
            }
            n -= l.len();
        }
        None
    }
}

/// The next FINESS sequence number of a département.
fn next_seq(counter: &mut u32, dept: &Dept, metro: (u32, u32), overseas: (u32, u32)) -> io::Result<u32> {
    let (start, end) = if dept.finess_prefix.len() == 3 { overseas } else { metro };
    let seq = start + *counter;
    if seq >= end {
        return Err(too_large(&format!("more FINESS numbers than département {} can hold", dept.code)));
    }
    *counter += 1;
    Ok(seq)
}

pub(super) fn finess_number(dept: &Dept, seq: u32) -> io::Result<Finess> {
    let width = 8 - dept.finess_prefix.len();
    Finess::with_key(&format!("{}{:0width$}", dept.finess_prefix, seq)).map_err(id_error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use santepki_domain::Departement;

    #[test]
    fn generated_identifiers_keep_to_their_ranges() {
        let tables = Tables::new();
        let corse = tables.dept_index("2A").unwrap();
        assert_eq!(
            finess_number(&tables.depts[corse], 100_000).unwrap().as_str(),
            Finess::with_key("2A100000").unwrap().as_str()
        );
        let guadeloupe = tables.dept_index("971").unwrap();
        let f = finess_number(&tables.depts[guadeloupe], 10_000).unwrap();
        assert!(f.as_str().starts_with("97110000"), "{f}");
        assert_eq!(tables.depts[guadeloupe].finess_code, "9A");
        assert_eq!(Departement::by_code(tables.depts[guadeloupe].finess_code).unwrap().code, "971");
        assert_eq!(tables.depts.len(), 100, "metropolitan 01–95 without 20, 2A, 2B, and four overseas");
    }
}
