//! Delivers the outbox over SMTP (lettre). Without an SMTP URL mail stays in the outbox, where
//! the demo's "Outgoing mail" page shows it. A failed attempt is retried later; nothing is lost.

use std::{sync::Arc, time::Duration};

use lettre::{
    message::{header::ContentType, Mailbox},
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};
use portico_domain::{clock::SharedClock, mail, DatabaseConnection, DomainError};
use tokio::sync::Notify;

/// What one round of delivery did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Delivery {
    pub sent: usize,
    pub failed: usize,
}

#[derive(Clone)]
pub struct Mailer {
    db: DatabaseConnection,
    clock: SharedClock,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    wake: Arc<Notify>,
}

#[derive(Debug, thiserror::Error)]
pub enum MailerError {
    #[error("PORTICO_SMTP_URL: {0}")]
    Url(String),
    #[error("PORTICO_MAIL_FROM: {0}")]
    From(String),
}

impl Mailer {
    pub fn new(
        db: DatabaseConnection,
        clock: SharedClock,
        smtp_url: &str,
        from: &str,
    ) -> Result<Self, MailerError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
            .map_err(|e| MailerError::Url(e.to_string()))?
            .timeout(Some(Duration::from_secs(20)))
            .build();
        let from: Mailbox = from
            .parse()
            .map_err(|e| MailerError::From(format!("{e}")))?;
        Ok(Self {
            db,
            clock,
            transport,
            from,
            wake: Arc::new(Notify::new()),
        })
    }

    /// Wakes the delivery loop (after something was put in the outbox).
    pub fn wake(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Sends every message that is due, one after the other.
    pub async fn deliver_due(&self) -> Result<Delivery, DomainError> {
        let mut delivery = Delivery::default();
        for message in mail::due(&self.db, self.clock.now(), 50).await? {
            match self.send(&message).await {
                Ok(()) => {
                    mail::mark_sent(&self.db, message, self.clock.now()).await?;
                    delivery.sent += 1;
                }
                Err(error) => {
                    tracing::warn!(mail = message.id, %error, "mail not sent; will retry");
                    mail::mark_failed(&self.db, message, self.clock.now(), &error).await?;
                    delivery.failed += 1;
                }
            }
        }
        Ok(delivery)
    }

    async fn send(&self, message: &mail::OutboxMail) -> Result<(), String> {
        let to: Mailbox = message
            .to_address
            .parse()
            .map_err(|e| format!("recipient: {e}"))?;
        let email = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(message.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(message.body_text.clone())
            .map_err(|e| format!("building the message: {e}"))?;
        self.transport
            .send(email)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    /// Delivers in the background: when woken, and every 30 s for retries.
    pub fn spawn(self) {
        tokio::spawn(async move {
            loop {
                match self.deliver_due().await {
                    Ok(Delivery { sent: 0, failed: 0 }) => {}
                    Ok(delivery) => tracing::info!(?delivery, "outbox delivered"),
                    Err(error) => tracing::warn!(%error, "reading the outbox"),
                }
                let _ = tokio::time::timeout(Duration::from_secs(30), self.wake.notified()).await;
            }
        });
    }
}
