//! Money and VAT: amounts are integer euro cents, quantities hundredths of a unit, and VAT is
//! computed per line on the server (Dutch rates 21 %, 9 % and 0 %), rounded half away from zero.

use serde::{Deserialize, Serialize};

use crate::DomainError;

/// The VAT rates a Dutch moving company invoices with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum VatRate {
    /// 21 %: moving services, materials.
    Standard,
    /// 9 %: e.g. some goods.
    Reduced,
    /// 0 %: exempt or reverse-charged.
    Zero,
}

impl VatRate {
    pub const ALL: [VatRate; 3] = [VatRate::Standard, VatRate::Reduced, VatRate::Zero];

    pub fn percent(self) -> i32 {
        match self {
            Self::Standard => 21,
            Self::Reduced => 9,
            Self::Zero => 0,
        }
    }

    pub fn from_percent(percent: i32) -> Result<Self, DomainError> {
        match percent {
            21 => Ok(Self::Standard),
            9 => Ok(Self::Reduced),
            0 => Ok(Self::Zero),
            _ => Err(DomainError::invalid("vat_rate", "VAT is 21 %, 9 % or 0 %.")),
        }
    }
}

/// Divides and rounds half away from zero (0.5 cent → 1 cent, −0.5 → −1).
fn div_round(numerator: i128, denominator: i128) -> i128 {
    let quotient = numerator / denominator;
    let remainder = numerator % denominator;
    if remainder.abs() * 2 >= denominator.abs() {
        quotient + numerator.signum() * denominator.signum()
    } else {
        quotient
    }
}

/// What a line says, as typed by staff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineInput {
    pub description: String,
    /// Hundredths of a unit: 250 is 2.5 hours.
    pub quantity_hundredths: i64,
    pub unit: String,
    pub unit_price_cents: i64,
    pub vat_rate: VatRate,
}

/// A line with its amounts worked out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PricedLine {
    pub input: LineInput,
    pub net_cents: i64,
    pub vat_cents: i64,
}

/// The most a single amount may be (ten million euros): keeps sums far from overflow.
const MAX_CENTS: i128 = 1_000_000_000;

impl LineInput {
    /// Checks the line; `index` (from 0) names the line in the field of an error.
    pub fn priced(self, index: usize) -> Result<PricedLine, DomainError> {
        let line = index + 1;
        let description = self.description.trim();
        if description.is_empty() {
            return Err(DomainError::invalid(
                "description",
                format!("Line {line}: describe what is charged."),
            ));
        }
        if description.chars().count() > 500 {
            return Err(DomainError::invalid(
                "description",
                format!("Line {line}: keep the description under 500 characters."),
            ));
        }
        if self.quantity_hundredths == 0 || self.quantity_hundredths.unsigned_abs() > 100_000_000 {
            return Err(DomainError::invalid(
                "quantity",
                format!(
                    "Line {line}: the quantity must be a number other than 0, up to 1,000,000."
                ),
            ));
        }
        if i128::from(self.unit_price_cents).abs() > MAX_CENTS {
            return Err(DomainError::invalid(
                "unit_price",
                format!("Line {line}: the price is too large."),
            ));
        }
        let net = div_round(
            i128::from(self.quantity_hundredths) * i128::from(self.unit_price_cents),
            100,
        );
        if net.abs() > MAX_CENTS {
            return Err(DomainError::invalid(
                "unit_price",
                format!("Line {line}: the line total is too large."),
            ));
        }
        let vat = div_round(net * i128::from(self.vat_rate.percent()), 100);
        let unit = self.unit.trim().chars().take(20).collect();
        Ok(PricedLine {
            net_cents: net as i64,
            vat_cents: vat as i64,
            input: LineInput {
                description: description.to_owned(),
                unit,
                ..self
            },
        })
    }
}

/// VAT for one rate: the net amount it applies to and the tax.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct VatAmount {
    pub rate: VatRate,
    pub net_cents: i64,
    pub vat_cents: i64,
}

/// A document's totals: net, VAT per rate, VAT, and the total to pay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub net_cents: i64,
    pub vat: Vec<VatAmount>,
    pub vat_cents: i64,
    pub total_cents: i64,
}

impl Totals {
    /// Sums priced lines; the breakdown lists each rate used, highest first.
    pub fn of(lines: &[PricedLine]) -> Self {
        let mut vat: Vec<VatAmount> = Vec::new();
        for line in lines {
            match vat.iter_mut().find(|v| v.rate == line.input.vat_rate) {
                Some(entry) => {
                    entry.net_cents += line.net_cents;
                    entry.vat_cents += line.vat_cents;
                }
                None => vat.push(VatAmount {
                    rate: line.input.vat_rate,
                    net_cents: line.net_cents,
                    vat_cents: line.vat_cents,
                }),
            }
        }
        vat.sort_by_key(|v| v.rate);
        let net_cents = lines.iter().map(|l| l.net_cents).sum();
        let vat_cents = lines.iter().map(|l| l.vat_cents).sum();
        Self {
            net_cents,
            vat,
            vat_cents,
            total_cents: net_cents + vat_cents,
        }
    }
}

/// Prices every line; an empty list is refused.
pub fn price_lines(lines: Vec<LineInput>) -> Result<Vec<PricedLine>, DomainError> {
    if lines.is_empty() {
        return Err(DomainError::invalid("lines", "Add at least one line."));
    }
    if lines.len() > 200 {
        return Err(DomainError::invalid(
            "lines",
            "A document has at most 200 lines.",
        ));
    }
    lines
        .into_iter()
        .enumerate()
        .map(|(index, line)| line.priced(index))
        .collect()
}

/// `€ 1.234,56` — Dutch notation, as on the company's paperwork.
pub fn format_euros(cents: i64) -> String {
    let sign = if cents < 0 { "−" } else { "" };
    let cents = cents.unsigned_abs();
    let euros = (cents / 100).to_string();
    let mut grouped = String::new();
    for (i, digit) in euros.chars().enumerate() {
        if i > 0 && (euros.len() - i).is_multiple_of(3) {
            grouped.push('.');
        }
        grouped.push(digit);
    }
    format!("{sign}€ {grouped},{:02}", cents % 100)
}

/// Hundredths of a unit as people write them: `650` → `6,5`, `100` → `1`, `125` → `1,25`.
pub fn format_quantity(hundredths: i64) -> String {
    let sign = if hundredths < 0 { "-" } else { "" };
    let abs = hundredths.unsigned_abs();
    match abs % 100 {
        0 => format!("{sign}{}", abs / 100),
        f if f % 10 == 0 => format!("{sign}{},{}", abs / 100, f / 10),
        f => format!("{sign}{},{f:02}", abs / 100),
    }
}

/// Reads an amount as typed ("1234,5", "1.234,50", "1234.50", "€ 12") into cents.
pub fn parse_euros(text: &str, field: &'static str) -> Result<i64, DomainError> {
    parse_hundredths(text.trim().trim_start_matches('€').trim(), field)
}

/// Reads a decimal with up to two places ("2,5" or "2.5") into hundredths. A dot followed by
/// exactly three digits is a thousands separator ("1.234"), as in Dutch.
pub fn parse_hundredths(text: &str, field: &'static str) -> Result<i64, DomainError> {
    let refuse = || DomainError::invalid(field, "Enter a number, e.g. 12,50.");
    let text = text.trim().replace(' ', "");
    if text.is_empty() {
        return Err(refuse());
    }
    let (negative, digits) = match text.strip_prefix('-').or_else(|| text.strip_prefix('−')) {
        Some(rest) => (true, rest.to_owned()),
        None => (false, text.clone()),
    };
    // The decimal separator is the last ',' or a '.' not followed by exactly three digits.
    let (whole, fraction) = match digits.rfind(',') {
        Some(at) => (digits[..at].replace('.', ""), digits[at + 1..].to_owned()),
        None => match digits.rfind('.') {
            Some(at) if digits.len() - at - 1 != 3 => {
                (digits[..at].to_owned(), digits[at + 1..].to_owned())
            }
            _ => (digits.replace('.', ""), String::new()),
        },
    };
    if whole.is_empty() && fraction.is_empty()
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !fraction.chars().all(|c| c.is_ascii_digit())
        || fraction.len() > 2
        || whole.len() > 12
    {
        return Err(refuse());
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| refuse())?
    };
    let fraction: i64 = match fraction.len() {
        0 => 0,
        1 => fraction.parse::<i64>().map_err(|_| refuse())? * 10,
        _ => fraction.parse().map_err(|_| refuse())?,
    };
    let value = whole * 100 + fraction;
    Ok(if negative { -value } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(quantity_hundredths: i64, unit_price_cents: i64, vat_rate: VatRate) -> LineInput {
        LineInput {
            description: "Verhuizers".into(),
            quantity_hundredths,
            unit: "uur".into(),
            unit_price_cents,
            vat_rate,
        }
    }

    #[test]
    fn rounds_half_away_from_zero() {
        assert_eq!(div_round(5, 10), 1);
        assert_eq!(div_round(4, 10), 0);
        assert_eq!(div_round(-5, 10), -1);
        assert_eq!(div_round(-4, 10), 0);
        assert_eq!(div_round(15, 10), 2);
        assert_eq!(div_round(-15, 10), -2);
    }

    #[test]
    fn prices_a_line_per_line_with_rounding() {
        // 2.5 h × € 47,99 = € 119,975 → € 119,98; 21 % of that = 25,1958 → € 25,20.
        let priced = line(250, 4799, VatRate::Standard).priced(0).unwrap();
        assert_eq!(priced.net_cents, 11998);
        assert_eq!(priced.vat_cents, 2520);
        // 9 % of € 0,05 = 0,45 cent → 0; of € 0,06 = 0,54 → 1 cent.
        assert_eq!(
            line(100, 5, VatRate::Reduced).priced(0).unwrap().vat_cents,
            0
        );
        assert_eq!(
            line(100, 6, VatRate::Reduced).priced(0).unwrap().vat_cents,
            1
        );
        assert_eq!(
            line(100, 1000, VatRate::Zero).priced(0).unwrap().vat_cents,
            0
        );
        // A credit line is negative and rounds symmetrically.
        let credit = line(-250, 4799, VatRate::Standard).priced(0).unwrap();
        assert_eq!((credit.net_cents, credit.vat_cents), (-11998, -2520));
    }

    #[test]
    fn totals_break_vat_down_per_rate() {
        let lines = price_lines(vec![
            line(400, 5500, VatRate::Standard), // 220,00 + 46,20
            line(100, 1250, VatRate::Reduced),  //  12,50 +  1,13 (1,125)
            line(300, 333, VatRate::Standard),  //   9,99 +  2,10 (2,0979)
            line(100, 2500, VatRate::Zero),     //  25,00 +  0
        ])
        .unwrap();
        let totals = Totals::of(&lines);
        assert_eq!(totals.net_cents, 22000 + 1250 + 999 + 2500);
        assert_eq!(totals.vat_cents, 4620 + 113 + 210);
        assert_eq!(totals.total_cents, totals.net_cents + totals.vat_cents);
        assert_eq!(
            totals.vat,
            vec![
                VatAmount {
                    rate: VatRate::Standard,
                    net_cents: 22999,
                    vat_cents: 4830
                },
                VatAmount {
                    rate: VatRate::Reduced,
                    net_cents: 1250,
                    vat_cents: 113
                },
                VatAmount {
                    rate: VatRate::Zero,
                    net_cents: 2500,
                    vat_cents: 0
                },
            ]
        );
    }

    #[test]
    fn refuses_bad_lines_naming_the_field_and_line() {
        let mut empty = line(100, 100, VatRate::Standard);
        empty.description = "  ".into();
        assert!(matches!(
            empty.priced(2),
            Err(DomainError::Invalid { field: "description", message }) if message.starts_with("Line 3")
        ));
        assert!(matches!(
            line(0, 100, VatRate::Standard).priced(0),
            Err(DomainError::Invalid {
                field: "quantity",
                ..
            })
        ));
        assert!(matches!(
            line(100, 2_000_000_000, VatRate::Standard).priced(0),
            Err(DomainError::Invalid {
                field: "unit_price",
                ..
            })
        ));
        assert!(matches!(
            price_lines(vec![]),
            Err(DomainError::Invalid { field: "lines", .. })
        ));
        assert!(VatRate::from_percent(19).is_err());
        assert_eq!(VatRate::from_percent(9).unwrap(), VatRate::Reduced);
    }

    #[test]
    fn formats_and_parses_dutch_amounts() {
        assert_eq!(format_euros(123456), "€ 1.234,56");
        assert_eq!(format_euros(5), "€ 0,05");
        assert_eq!(format_euros(-100000), "−€ 1.000,00");
        assert_eq!(parse_euros("1.234,56", "price").unwrap(), 123456);
        assert_eq!(parse_euros("€ 12", "price").unwrap(), 1200);
        assert_eq!(parse_euros("12.5", "price").unwrap(), 1250);
        assert_eq!(parse_euros("1.234", "price").unwrap(), 123400);
        assert_eq!(parse_euros("-3,10", "price").unwrap(), -310);
        assert_eq!(parse_hundredths("2,5", "quantity").unwrap(), 250);
        for bad in ["", "abc", "1,234", "1,2,3", "12e3", "-"] {
            assert!(parse_euros(bad, "price").is_err(), "{bad} was accepted");
        }
    }
}
