//! The node's clock against the database's. A CRL or an OCSP response signed by a node whose
//! clock is off carries wrong times: a thisUpdate ahead makes the next delta CRL skip the
//! revocations in between, one behind makes relying parties see a newer CRL number that is
//! older. Such a node signs nothing of the kind until its clock is set right. (On SQLite the
//! database's clock is the node's own: there is nothing to compare.)

use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::{Authority, AuthorityError};

/// How far the node's clock may be from the database's.
pub const TOLERANCE_SECONDS: i64 = 60;
/// How long a check is trusted before the database is asked again.
const RECHECK: Duration = Duration::from_secs(10);

/// The last check's time and verdict (`None`: never checked).
#[derive(Default)]
pub(crate) struct ClockCheck(Mutex<Option<(Instant, Result<(), String>)>>);

impl Authority {
    /// Refuses when this node's clock is more than a minute from the database's.
    pub async fn check_clock(&self) -> Result<(), AuthorityError> {
        let recent = self.clock_check().0.lock().ok().and_then(|g| g.clone()).filter(|(at, _)| at.elapsed() < RECHECK);
        let verdict = match recent {
            Some((_, verdict)) => verdict,
            None => {
                let database = santepki_storage::monitoring::database_now(self.db()).await?;
                let skew = chrono::Utc::now().timestamp() - database;
                let verdict = if skew.abs() > TOLERANCE_SECONDS {
                    Err(format!(
                        "this node's clock is {} s {} the database's: no CRL or OCSP response is signed until it is set right",
                        skew.abs(),
                        if skew > 0 { "ahead of" } else { "behind" }
                    ))
                } else {
                    Ok(())
                };
                if let Ok(mut g) = self.clock_check().0.lock() {
                    *g = Some((Instant::now(), verdict.clone()));
                }
                verdict
            }
        };
        verdict.map_err(AuthorityError::Clock)
    }
}
