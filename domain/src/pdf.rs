//! Quotes, invoices and credit notes as PDF (A4), written with pdf-writer and the standard
//! PDF fonts (Helvetica for text, Courier for amounts so that columns line up without font
//! metrics). Text is encoded as WinAnsi, which covers Dutch names and the euro sign.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};
use sea_orm::ConnectionTrait;

use crate::{
    company, customers,
    invoices::{Invoice, InvoiceKind},
    money::{format_euros, PricedLine, Totals},
    quotes::Quote,
    DomainError,
};

/// What goes on paper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paper {
    /// "Invoice F2026-00001"
    pub title: String,
    pub company_name: String,
    /// Address, KvK, VAT number, IBAN, e-mail, phone.
    pub company_lines: Vec<String>,
    /// The customer's name and address.
    pub recipient: Vec<String>,
    /// ("Invoice date", "30 Nov 2026") …
    pub facts: Vec<(String, String)>,
    pub lines: Vec<PricedLine>,
    pub totals: Totals,
    /// Payment instructions or the quote's terms.
    pub closing: Vec<String>,
    /// `#rrggbb` for the title bar.
    pub colour: String,
}

const WIDTH: f32 = 595.0;
const HEIGHT: f32 = 842.0;
const LEFT: f32 = 50.0;
const RIGHT: f32 = 545.0;
const BOTTOM: f32 = 70.0;
/// Courier's advance is 600/1000 of the size for every character.
const COURIER_ADVANCE: f32 = 0.6;

/// The WinAnsi byte for a character; `?` for what it cannot show.
fn win_ansi(c: char) -> u8 {
    match c {
        ' '..='~' => c as u8,
        '\u{00A0}'..='\u{00FF}' => c as u32 as u8,
        '€' => 0x80,
        '‚' => 0x82,
        '„' => 0x84,
        '…' => 0x85,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '−' => b'-',
        '\t' | '\n' | '\r' => b' ',
        _ => b'?',
    }
}

fn encode(text: &str) -> Vec<u8> {
    text.chars().map(win_ansi).collect()
}

/// Splits text into lines of at most `width` characters, at spaces where possible.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let mut word = word.to_owned();
        while word.chars().count() > width {
            let head: String = word.chars().take(width).collect();
            word = word.chars().skip(width).collect();
            if !current.is_empty() {
                lines.push(std::mem::take(&mut current));
            }
            lines.push(head);
        }
        if !current.is_empty() && current.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(&word);
    }
    if !current.is_empty() || lines.is_empty() {
        lines.push(current);
    }
    lines
}

fn hex_colour(colour: &str) -> (f32, f32, f32) {
    let hex = colour.trim_start_matches('#');
    let part = |i: usize| {
        hex.get(i..i + 2)
            .and_then(|h| u8::from_str_radix(h, 16).ok())
            .map_or(0.2, |v| f32::from(v) / 255.0)
    };
    if hex.len() == 6 {
        (part(0), part(2), part(4))
    } else {
        (0.12, 0.37, 0.55)
    }
}

/// Writes pages of content, starting a new page when the current one is full.
struct Writer {
    pages: Vec<Content>,
    y: f32,
}

impl Writer {
    fn new() -> Self {
        let mut writer = Self {
            pages: Vec::new(),
            y: 0.0,
        };
        writer.new_page();
        writer
    }

    fn new_page(&mut self) {
        self.pages.push(Content::new());
        self.y = HEIGHT - 60.0;
    }

    fn page(&mut self) -> &mut Content {
        if self.pages.is_empty() {
            self.pages.push(Content::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    /// Makes room for `height` points, on a new page if needed.
    fn need(&mut self, height: f32) {
        if self.y - height < BOTTOM {
            self.new_page();
        }
    }

    fn text(&mut self, font: &[u8], size: f32, x: f32, y: f32, text: &str) {
        let bytes = encode(text);
        let page = self.page();
        page.begin_text();
        page.set_font(Name(font), size);
        page.next_line(x, y);
        page.show(Str(&bytes));
        page.end_text();
    }

    /// An amount (or any short text) in Courier, ending at `right`.
    fn right(&mut self, size: f32, right: f32, y: f32, text: &str) {
        let width = text.chars().count() as f32 * size * COURIER_ADVANCE;
        self.text(b"F3", size, right - width, y, text);
    }

    fn rule(&mut self, y: f32) {
        let page = self.page();
        page.set_fill_gray(0.75);
        page.rect(LEFT, y, RIGHT - LEFT, 0.6);
        page.fill_nonzero();
        page.set_fill_gray(0.0);
    }
}

/// Renders the document; every page carries the title and its page number.
pub fn render(paper: &Paper) -> Vec<u8> {
    let mut w = Writer::new();
    let (r, g, b) = hex_colour(&paper.colour);

    // Company, top right; recipient, left.
    w.text(b"F2", 16.0, LEFT, w.y, &paper.company_name);
    let mut y = w.y - 16.0;
    for line in &paper.company_lines {
        w.text(b"F1", 8.5, LEFT, y, line);
        y -= 11.0;
    }
    let mut ry = w.y;
    for (i, line) in paper.recipient.iter().enumerate() {
        let (font, size): (&[u8], f32) = if i == 0 { (b"F2", 10.0) } else { (b"F1", 10.0) };
        w.text(font, size, 340.0, ry, line);
        ry -= 13.0;
    }
    w.y = y.min(ry) - 20.0;

    // Title bar in the company's colour.
    {
        let top = w.y;
        let page = w.page();
        page.set_fill_rgb(r, g, b);
        page.rect(LEFT, top - 8.0, RIGHT - LEFT, 26.0);
        page.fill_nonzero();
        page.set_fill_gray(1.0);
    }
    w.text(b"F2", 14.0, LEFT + 8.0, w.y, &paper.title);
    w.page().set_fill_gray(0.0);
    w.y -= 32.0;
    for (label, value) in &paper.facts {
        w.text(b"F1", 9.5, LEFT, w.y, label);
        w.text(b"F2", 9.5, LEFT + 110.0, w.y, value);
        w.y -= 13.0;
    }
    w.y -= 12.0;

    // The lines.
    let header = |w: &mut Writer| {
        w.text(b"F2", 9.0, LEFT, w.y, "Description");
        w.text(b"F2", 9.0, 300.0, w.y, "Quantity");
        w.text(b"F2", 9.0, 392.0, w.y, "Price");
        w.text(b"F2", 9.0, 455.0, w.y, "VAT");
        w.text(b"F2", 9.0, 505.0, w.y, "Amount");
        w.rule(w.y - 5.0);
        w.y -= 18.0;
    };
    header(&mut w);
    for line in &paper.lines {
        let description = wrap(&line.input.description, 48);
        let height = 12.0 * description.len() as f32 + 4.0;
        if w.y - height < BOTTOM {
            w.new_page();
            header(&mut w);
        }
        let top = w.y;
        for (i, part) in description.iter().enumerate() {
            w.text(b"F1", 9.5, LEFT, top - 12.0 * i as f32, part);
        }
        let quantity = crate::money::format_quantity(line.input.quantity_hundredths);
        w.text(
            b"F1",
            9.5,
            300.0,
            top,
            &format!("{quantity} {}", line.input.unit),
        );
        w.right(9.0, 440.0, top, &format_euros(line.input.unit_price_cents));
        w.right(
            9.0,
            480.0,
            top,
            &format!("{}%", line.input.vat_rate.percent()),
        );
        w.right(9.0, RIGHT, top, &format_euros(line.net_cents));
        w.y = top - height;
    }
    w.rule(w.y + 6.0);
    w.y -= 10.0;

    // Totals, right.
    w.need(20.0 + 14.0 * (paper.totals.vat.len() as f32 + 2.0));
    let totals_row = |w: &mut Writer, label: &str, amount: i64, bold: bool| {
        w.text(if bold { b"F2" } else { b"F1" }, 10.0, 330.0, w.y, label);
        w.right(10.0, RIGHT, w.y, &format_euros(amount));
        w.y -= 15.0;
    };
    totals_row(&mut w, "Net", paper.totals.net_cents, false);
    for vat in &paper.totals.vat {
        totals_row(
            &mut w,
            &format!(
                "VAT {}% over {}",
                vat.rate.percent(),
                format_euros(vat.net_cents)
            ),
            vat.vat_cents,
            false,
        );
    }
    totals_row(&mut w, "Total", paper.totals.total_cents, true);
    w.y -= 14.0;

    for line in &paper.closing {
        for part in wrap(line, 95) {
            w.need(14.0);
            w.text(b"F1", 9.5, LEFT, w.y, &part);
            w.y -= 13.0;
        }
    }

    // Page numbers, then the file.
    let count = w.pages.len();
    for (index, page) in w.pages.iter_mut().enumerate() {
        let label = encode(&format!("{} · page {} of {count}", paper.title, index + 1));
        page.begin_text();
        page.set_font(Name(b"F1"), 7.5);
        page.next_line(LEFT, 40.0);
        page.show(Str(&label));
        page.end_text();
    }

    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let fonts = [
        (b"F1", b"Helvetica".as_slice(), Ref::new(3)),
        (b"F2", b"Helvetica-Bold", Ref::new(4)),
        (b"F3", b"Courier", Ref::new(5)),
    ];
    let mut next = 6;
    let mut page_ids = Vec::new();
    let mut contents = Vec::new();
    for page in w.pages {
        page_ids.push(Ref::new(next));
        contents.push((Ref::new(next + 1), page.finish()));
        next += 2;
    }
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(page_ids.iter().copied())
        .count(i32::try_from(page_ids.len()).unwrap_or(i32::MAX));
    for (page_id, (content_id, _)) in page_ids.iter().zip(&contents) {
        let mut page = pdf.page(*page_id);
        page.media_box(Rect::new(0.0, 0.0, WIDTH, HEIGHT));
        page.parent(tree);
        page.contents(*content_id);
        let mut resources = page.resources();
        let mut font_map = resources.fonts();
        for (name, _, id) in &fonts {
            font_map.pair(Name(name.as_slice()), *id);
        }
        font_map.finish();
        resources.finish();
        page.finish();
    }
    for (name, base, id) in fonts {
        let _ = name;
        pdf.type1_font(id)
            .base_font(Name(base))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    for (content_id, content) in &contents {
        pdf.stream(*content_id, content);
    }
    pdf.document_info(Ref::new(next))
        .title(pdf_writer::TextStr(&paper.title));
    pdf.finish()
}

/// The company's block: name, and the lines under it.
async fn company_block(
    db: &impl ConnectionTrait,
) -> Result<(String, Vec<String>, String, company::Company), DomainError> {
    let c = company::profile(db).await?;
    let mut lines: Vec<String> = c
        .address
        .lines()
        .map(str::to_owned)
        .filter(|l| !l.trim().is_empty())
        .collect();
    lines.push(format!("{} · {}", c.phone, c.email));
    if !c.kvk_number.is_empty() {
        lines.push(format!("KvK {}", c.kvk_number));
    }
    if !c.vat_number.is_empty() {
        lines.push(format!("VAT {}", c.vat_number));
    }
    if !c.iban.is_empty() {
        lines.push(format!("IBAN {}", c.iban));
    }
    Ok((c.name.clone(), lines, c.brand_colour.clone(), c))
}

async fn recipient(
    db: &impl ConnectionTrait,
    customer_id: i32,
) -> Result<Vec<String>, DomainError> {
    let c = customers::find(db, customer_id).await?;
    let mut lines = vec![c.name];
    if !c.address.is_empty() {
        lines.push(c.address);
    }
    let place = format!("{} {}", c.postcode, c.city).trim().to_owned();
    if !place.is_empty() {
        lines.push(place);
    }
    lines.push(c.email);
    Ok(lines)
}

fn date(day: chrono::NaiveDate) -> String {
    day.format("%-d %B %Y").to_string()
}

/// An issued invoice or credit note (a draft is marked as such in its title).
pub async fn invoice_paper(
    db: &impl ConnectionTrait,
    invoice: &Invoice,
) -> Result<Paper, DomainError> {
    let (company_name, company_lines, colour, settings) = company_block(db).await?;
    let with_lines = crate::invoices::with_lines(db, invoice.clone()).await?;
    let number = invoice
        .number
        .clone()
        .unwrap_or_else(|| "(draft)".to_owned());
    let credit = invoice.kind == InvoiceKind::CreditNote;
    let mut facts = Vec::new();
    if let Some(day) = invoice.issue_date {
        facts.push((
            if credit { "Date" } else { "Invoice date" }.to_owned(),
            date(day),
        ));
    }
    if let Some(day) = invoice.due_date {
        facts.push(("Due date".to_owned(), date(day)));
    }
    if let Some(job_id) = invoice.job_id {
        facts.push((
            "Job".to_owned(),
            crate::jobs::find(db, job_id).await?.reference,
        ));
    }
    if let Some(original) = invoice.credits_invoice_id {
        let original = crate::invoices::find(db, original).await?;
        facts.push((
            "Credits invoice".to_owned(),
            original.number.unwrap_or_default(),
        ));
    }
    let closing = if credit {
        vec!["This credit note cancels the invoice named above.".to_owned()]
    } else {
        vec![format!(
            "Please pay {} by {} to {} ({}), quoting {number}.",
            format_euros(invoice.outstanding_cents()),
            invoice.due_date.map(date).unwrap_or_default(),
            if settings.iban.is_empty() {
                "our account"
            } else {
                settings.iban.as_str()
            },
            company_name
        )]
    };
    Ok(Paper {
        title: format!(
            "{} {number}",
            if credit { "Credit note" } else { "Invoice" }
        ),
        company_name,
        company_lines,
        recipient: recipient(db, invoice.customer_id).await?,
        facts,
        lines: with_lines.lines,
        totals: with_lines.totals,
        closing,
        colour,
    })
}

/// A version of a quote.
pub async fn quote_paper(db: &impl ConnectionTrait, quote: &Quote) -> Result<Paper, DomainError> {
    let (company_name, company_lines, colour, _) = company_block(db).await?;
    let job = crate::jobs::find(db, quote.job_id).await?;
    let with_lines = crate::quotes::with_lines(db, quote.clone()).await?;
    let mut facts = vec![
        ("Job".to_owned(), job.reference.clone()),
        ("From".to_owned(), job.origin_address.clone()),
        ("To".to_owned(), job.destination_address.clone()),
        ("Valid until".to_owned(), date(quote.valid_until)),
    ];
    if let Some(sent) = quote.sent_at {
        facts.insert(0, ("Date".to_owned(), date(sent.date_naive())));
    }
    Ok(Paper {
        title: format!("Quote {} version {}", job.reference, quote.version),
        company_name,
        company_lines,
        recipient: recipient(db, job.customer_id).await?,
        facts,
        lines: with_lines.lines,
        totals: with_lines.totals,
        closing: vec![format!(
            "Accept this quote in your portal before {}. Prices include the VAT shown.",
            date(quote.valid_until)
        )],
        colour,
    })
}

/// The receipt of a customer's acceptance: who accepted which version when, from where, and
/// the SHA-256 of the frozen quote PDF they accepted, so that either side can later prove from
/// their own copy which document was agreed. The quote's lines and totals follow, as sent.
pub async fn receipt_paper(db: &impl ConnectionTrait, quote: &Quote) -> Result<Paper, DomainError> {
    let (company_name, company_lines, colour, settings) = company_block(db).await?;
    let job = crate::jobs::find(db, quote.job_id).await?;
    let with_lines = crate::quotes::with_lines(db, quote.clone()).await?;
    let (Some(at), Some(name), Some(hash)) = (
        quote.decided_at,
        quote.signed_name.clone(),
        quote.signed_pdf_sha256.clone(),
    ) else {
        return Err(DomainError::NotFound("acceptance receipt"));
    };
    let zone: chrono_tz::Tz = settings
        .time_zone
        .parse()
        .unwrap_or(chrono_tz::Europe::Amsterdam);
    let local = at.with_timezone(&zone);
    let (first, second) = hash.split_at(hash.len() / 2);
    let mut facts = vec![
        (
            "Quote".to_owned(),
            format!("{} version {}", job.reference, quote.version),
        ),
        ("Accepted by".to_owned(), name.clone()),
        (
            "Accepted on".to_owned(),
            format!("{} ({})", local.format("%-d %B %Y, %H:%M:%S"), zone.name()),
        ),
        (
            "In UTC".to_owned(),
            at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        ),
    ];
    if let Some(ip) = &quote.signed_ip {
        facts.push(("From address".to_owned(), ip.clone()));
    }
    if let Some(agent) = &quote.signed_user_agent {
        let agent: String = agent.chars().take(60).collect();
        facts.push(("Browser".to_owned(), agent));
    }
    facts.push(("Quote PDF SHA-256".to_owned(), first.to_owned()));
    facts.push((String::new(), second.to_owned()));
    Ok(Paper {
        title: format!(
            "Acceptance of quote {} version {}",
            job.reference, quote.version
        ),
        company_name,
        company_lines,
        recipient: recipient(db, job.customer_id).await?,
        facts,
        lines: with_lines.lines,
        totals: with_lines.totals,
        closing: vec![
            format!(
                "{name} accepted the quote above by typing their name in the customer portal \
                 and confirming it. The document accepted is the quote PDF whose SHA-256 \
                 fingerprint is {hash}."
            ),
            "To check a copy: compute its SHA-256 (for example with `sha256sum` or \
             `certutil -hashfile file SHA256`) and compare it with the fingerprint above, or \
             drop the file on the portal's receipt check page, /receipts/check after signing in."
                .to_owned(),
        ],
        colour,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_dutch_text_and_the_euro_sign_as_win_ansi() {
        assert_eq!(encode("€ 12,50 – Café"), b"\x80 12,50 \x96 Caf\xe9");
        assert_eq!(encode("Ayşe"), b"Ay?e");
    }

    #[test]
    fn wraps_at_spaces_and_breaks_long_words() {
        assert_eq!(wrap("one two three", 7), vec!["one two", "three"]);
        assert_eq!(wrap("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
        assert_eq!(wrap("", 10), vec![""]);
    }
}
