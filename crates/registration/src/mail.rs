//! Outgoing mail (R24, R25): written to the `mail_outbox` table in the transaction of the state
//! change it announces, then delivered by [`Registration::deliver_mail`], which any node may run:
//! a row is claimed with a conditional UPDATE before it is sent, and a claim left by a stopped
//! node goes stale and is taken again.

use std::path::PathBuf;

use chrono::{Duration, Utc};
use lettre::message::{header::ContentType, Mailbox};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use santepki_storage::registration::{self as store, Conn, MailRow};
use santepki_storage::time;

use crate::{new_id, RegError, Registration};

/// How mail leaves the platform.
#[derive(Debug, Clone)]
pub enum MailTransport {
    /// A plain SMTP relay (the organisation's, or a local sink in tests).
    Smtp {
        /// The relay's host name.
        host: String,
        /// The relay's port.
        port: u16,
    },
    /// `.eml` files in a folder (the demo's outbox).
    Folder(PathBuf),
    /// Mail stays queued in the database.
    Disabled,
}

#[derive(Debug, Clone)]
/// Where and how the platform sends its notices (R24 acknowledgements and validations, R35 expiry).
pub struct MailSettings {
    /// The sender address of every notice.
    pub from: String,
    /// How mail leaves the platform.
    pub transport: MailTransport,
    /// Where the agency's back office is written to (copy of acknowledgements).
    pub agency: Option<String>,
}

impl Default for MailSettings {
    fn default() -> Self {
        MailSettings {
            from: "santepki <no-reply@santepki.invalid>".into(),
            transport: MailTransport::Disabled,
            agency: None,
        }
    }
}

/// After this long a claim is considered left by a stopped node.
const STALE_CLAIM: i64 = 300;
/// Attempts before a mail is marked failed.
const MAX_ATTEMPTS: i64 = 8;

/// Queues a mail in the caller's transaction. Recipients without an address are dropped; a mail
/// with no recipient left is not queued.
pub(crate) async fn queue(
    conn: &mut Conn,
    recipients: &[String],
    subject: &str,
    body: &str,
    about: &str,
) -> Result<(), RegError> {
    let mut to: Vec<String> = recipients.iter().map(|r| r.trim().to_owned()).filter(|r| r.contains('@')).collect();
    to.sort();
    to.dedup();
    if to.is_empty() {
        return Ok(());
    }
    let row = MailRow {
        id: new_id("mail"),
        recipients: to.join(","),
        subject: subject.to_owned(),
        body: body.to_owned(),
        about: about.to_owned(),
        state: santepki_domain::values::MailState::Queued,
        attempts: 0,
        last_error: None,
        claimed_at: None,
        created_at: time::now(),
        sent_at: None,
    };
    store::enqueue_mail(conn, &row).await?;
    Ok(())
}

/// What one delivery round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Delivery {
    /// Messages handed over to the transport.
    pub sent: usize,
    /// Messages the transport refused; retried next round until `MAX_ATTEMPTS`, then marked failed.
    pub failed: usize,
}

impl Registration {
    /// Delivers the mails due. Safe on several nodes at once: each mail is claimed first.
    pub async fn deliver_mail(&self) -> Result<Delivery, RegError> {
        let mut out = Delivery::default();
        if matches!(self.mail.transport, MailTransport::Disabled) {
            return Ok(out);
        }
        let stale = time::format(Utc::now() - Duration::seconds(STALE_CLAIM));
        for row in store::mails_due(self.db(), &stale, 200).await? {
            if !store::claim_mail(self.db(), &row.id, &stale, &time::now()).await? {
                continue;
            }
            match self.send(&row).await {
                Ok(()) => {
                    store::finish_mail(self.db(), &row.id, Ok(&time::now())).await?;
                    out.sent += 1;
                }
                Err(e) => {
                    tracing::warn!(mail = %row.id, error = %e, "mail delivery failed");
                    store::finish_mail(self.db(), &row.id, Err((&e, row.attempts + 1 >= MAX_ATTEMPTS))).await?;
                    out.failed += 1;
                }
            }
        }
        Ok(out)
    }

    async fn send(&self, row: &MailRow) -> Result<(), String> {
        let from: Mailbox = self.mail.from.parse().map_err(|e| format!("sender {}: {e}", self.mail.from))?;
        let mut builder = Message::builder().from(from).subject(row.subject.clone()).header(ContentType::TEXT_PLAIN);
        for r in row.recipients.split(',') {
            builder = builder.to(r.parse::<Mailbox>().map_err(|e| format!("recipient {r}: {e}"))?);
        }
        let message = builder.body(row.body.clone()).map_err(|e| e.to_string())?;
        match &self.mail.transport {
            MailTransport::Smtp { host, port } => {
                let transport =
                    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host.as_str()).port(*port).build();
                transport.send(message).await.map(|_| ()).map_err(|e| e.to_string())
            }
            MailTransport::Folder(dir) => {
                tokio::fs::create_dir_all(dir).await.map_err(|e| format!("{}: {e}", dir.display()))?;
                AsyncFileTransport::<Tokio1Executor>::new(dir)
                    .send(message)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
            MailTransport::Disabled => Err("mail disabled".into()),
        }
    }

    /// The mails about a form or habilitation (operators and tests).
    pub async fn mails_about(&self, about: &str) -> Result<Vec<MailRow>, RegError> {
        Ok(store::mails_about(self.db(), about).await?)
    }
}
