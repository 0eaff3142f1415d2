//! Delivers the outbox over SMTP (lettre). Without an SMTP URL mail stays in the outbox, where
//! the demo's "Outgoing mail" page shows it. A failed attempt is retried later; nothing is lost.
//!
//! Each message is made as a mail server expects it: a `Message-ID` in the sender's domain, a
//! `Date`, `MIME-Version`, the company's name as the sender's name with `Reply-To` the office's
//! address (answers reach people, not the robot), a plain-text and an HTML part, and
//! `Auto-Submitted: auto-generated` (RFC 3834) so that out-of-office replies stay away.

use std::{sync::Arc, time::Duration};

use lettre::{
    message::{
        header::{Header, HeaderName, HeaderValue},
        Mailbox, MultiPart,
    },
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
        // The company as it is now: its name on the envelope, its office for answers.
        let company = portico_domain::company::profile(&self.db).await.ok();
        let sender = Sender {
            from: &self.from,
            company_name: company.as_ref().map(|c| c.name.as_str()),
            office: company.as_ref().map(|c| c.email.as_str()),
        };
        let email = compose(message, &sender, std::time::SystemTime::now())?;
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

/// Who a message comes from.
pub struct Sender<'a> {
    /// `PORTICO_MAIL_FROM`: the address the server sends as.
    pub from: &'a Mailbox,
    /// Shown as the sender's name when set (the company).
    pub company_name: Option<&'a str>,
    /// Where answers go (the office), when set.
    pub office: Option<&'a str>,
}

/// `Auto-Submitted: auto-generated` (RFC 3834): written by a program, not a person.
#[derive(Debug, Clone)]
struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".to_owned())
    }
}

/// The plain text as simple HTML: paragraphs at blank lines, line breaks kept, addresses as
/// links; everything escaped.
fn html_of(text: &str) -> String {
    let paragraphs: Vec<String> = text
        .split("\n\n")
        .filter(|p| !p.trim().is_empty())
        .map(|paragraph| {
            let lines: Vec<String> = paragraph
                .lines()
                .map(|line| {
                    let trimmed = line.trim();
                    if trimmed.starts_with("https://") || trimmed.starts_with("http://") {
                        let href = html_escape::encode_double_quoted_attribute(trimmed);
                        let shown = html_escape::encode_text(trimmed);
                        format!("<a href=\"{href}\">{shown}</a>")
                    } else {
                        html_escape::encode_text(line).into_owned()
                    }
                })
                .collect();
            format!("<p>{}</p>", lines.join("<br>\n"))
        })
        .collect();
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head>\n\
         <body style=\"font-family: sans-serif; line-height: 1.5\">\n{}\n</body></html>\n",
        paragraphs.join("\n")
    )
}

/// One outbox message as the mail that leaves.
pub fn compose(
    message: &mail::OutboxMail,
    sender: &Sender<'_>,
    date: std::time::SystemTime,
) -> Result<Message, String> {
    let to: Mailbox = message
        .to_address
        .parse()
        .map_err(|e| format!("recipient: {e}"))?;
    let from = match sender.company_name.filter(|n| !n.trim().is_empty()) {
        Some(name) => Mailbox::new(Some(name.to_owned()), sender.from.email.clone()),
        None => sender.from.clone(),
    };
    let domain = sender.from.email.domain().to_owned();
    let mut builder = Message::builder()
        .message_id(Some(format!(
            "<outbox-{}.{}@{domain}>",
            message.id,
            uuid::Uuid::new_v4().simple()
        )))
        .date(date)
        .from(from)
        .to(to)
        .subject(message.subject.clone())
        .header(AutoSubmitted);
    if let Some(office) = sender.office.and_then(|o| o.parse::<Mailbox>().ok()) {
        builder = builder.reply_to(office);
    }
    builder
        .multipart(MultiPart::alternative_plain_html(
            message.body_text.clone(),
            html_of(&message.body_text),
        ))
        .map_err(|e| format!("building the message: {e}"))
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;

    fn outbox(body: &str) -> mail::OutboxMail {
        mail::OutboxMail {
            id: 7,
            to_address: "sanne@deboer.example".into(),
            subject: "Your quote is ready".into(),
            body_text: body.into(),
            created_at: Utc::now(),
            attempts: 0,
            next_attempt_at: Utc::now(),
            last_error: None,
            sent_at: None,
        }
    }

    #[test]
    fn a_message_carries_what_a_mail_server_expects() {
        let from: Mailbox = "portal@vandijk.example".parse().unwrap();
        let sender = Sender {
            from: &from,
            company_name: Some("Van Dijk Verhuizingen"),
            office: Some("office@vandijk.example"),
        };
        let email = compose(
            &outbox("Hello <Sanne> & co,\n\nYour quote:\nhttps://portal.example/moves/3\n"),
            &sender,
            std::time::SystemTime::now(),
        )
        .unwrap();
        let raw = String::from_utf8(email.formatted()).unwrap();
        let head = raw.split("\r\n\r\n").next().unwrap();
        for expected in [
            "MIME-Version: 1.0",
            "Auto-Submitted: auto-generated",
            "Reply-To: office@vandijk.example",
            "From: \"Van Dijk Verhuizingen\" <portal@vandijk.example>",
            "To: sanne@deboer.example",
            "Subject: Your quote is ready",
            "Content-Type: multipart/alternative",
        ] {
            assert!(head.contains(expected), "{expected} missing in:\n{head}");
        }
        assert!(head.contains("Date: "), "{head}");
        let id = head
            .lines()
            .find_map(|l| l.strip_prefix("Message-ID: "))
            .expect("a Message-ID");
        assert!(
            id.starts_with("<outbox-7.") && id.ends_with("@vandijk.example>"),
            "{id}"
        );
        assert!(
            raw.contains("Content-Type: text/plain; charset=utf-8"),
            "{raw}"
        );
        assert!(
            raw.contains("Content-Type: text/html; charset=utf-8"),
            "{raw}"
        );
        // The HTML part is escaped, and the address is a link (quoted-printable: `=3D`).
        assert!(raw.contains("Hello &lt;Sanne&gt; &amp; co"), "{raw}");
        assert!(
            raw.contains("<a href=3D\"https://portal.example/moves/3\">"),
            "{raw}"
        );
    }

    #[test]
    fn without_a_company_the_configured_sender_is_used_as_is() {
        let from: Mailbox = "Portico <portal@vandijk.example>".parse().unwrap();
        let sender = Sender {
            from: &from,
            company_name: None,
            office: None,
        };
        let email = compose(&outbox("Hi"), &sender, std::time::SystemTime::now()).unwrap();
        let raw = String::from_utf8(email.formatted()).unwrap();
        assert!(
            raw.contains("From: Portico <portal@vandijk.example>"),
            "{raw}"
        );
        assert!(!raw.contains("Reply-To:"), "{raw}");
    }
}
