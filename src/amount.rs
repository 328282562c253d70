//! Amounts as people write them: "12.50 EUR", not 1250.
//!
//! A payment stores whole minor units (cents for EUR), as before. How many
//! decimals a unit has is a fixed function of the unit, the same on every
//! node and every version, so every page shows the same amount for the same
//! event: ISO 4217's minor units for currency codes (EUR 2, JPY 0, KWD 3),
//! the currency signs as their usual currency (€ £ $ ₹ 2, ¥ 0, ₿ 8, in
//! satoshis), and 0 for any other unit (HOUR, MEAL: counted whole).
//!
//! Reading accepts "12", "12.5", "12.50" and "12,50" (one separator, a dot
//! or a comma, no grouping), refusing more decimals than the unit has
//! rather than rounding someone's money. A separator followed by exactly
//! three digits, in a unit of fewer decimals ("1,000 EUR", "1.000 JPY"),
//! is refused as a thousands separator would be read by half of the
//! people typing it: it used to read as 1.00 (its zeros trimmed).

use thiserror::Error;

/// ISO 4217 currency codes whose minor unit is not 2 decimals (the
/// standard's list, 2024 edition), with theirs.
const NOT_TWO: &[(&str, u8)] = &[
    ("BHD", 3),
    ("BIF", 0),
    ("CLF", 4),
    ("CLP", 0),
    ("DJF", 0),
    ("GNF", 0),
    ("IQD", 3),
    ("ISK", 0),
    ("JOD", 3),
    ("JPY", 0),
    ("KMF", 0),
    ("KRW", 0),
    ("KWD", 3),
    ("LYD", 3),
    ("OMR", 3),
    ("PYG", 0),
    ("RWF", 0),
    ("TND", 3),
    ("UGX", 0),
    ("UYI", 0),
    ("UYW", 4),
    ("VND", 0),
    ("VUV", 0),
    ("XAF", 0),
    ("XOF", 0),
    ("XPF", 0),
];

/// ISO 4217 codes of currencies in use with 2 decimals.
const TWO: &str = "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL \
BSD BTN BWP BYN BZD CAD CDF CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP \
GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK \
LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR \
NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN \
SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD UYU UZS VES WST XCD XCG YER ZAR ZMW ZWG";

/// The most decimals any unit has (₿ in satoshis).
pub const MAX_DECIMALS: u8 = 8;

/// How many decimals `unit` is written with. See the [module docs](self).
pub fn decimals(unit: &str) -> u8 {
    match unit {
        "€" | "£" | "$" | "₹" => 2,
        "¥" => 0,
        "₿" => 8,
        _ => {
            if let Some((_, d)) = NOT_TWO.iter().find(|(code, _)| *code == unit) {
                *d
            } else if unit.len() == 3 && TWO.split(' ').any(|code| code == unit) {
                2
            } else {
                0
            }
        }
    }
}

/// Whether `unit` is a currency this module knows (an ISO 4217 code or a
/// currency sign): the page suggests these and warns about look-alikes.
pub fn is_known_currency(unit: &str) -> bool {
    matches!(unit, "€" | "£" | "$" | "₹" | "¥" | "₿")
        || NOT_TWO.iter().any(|(code, _)| *code == unit)
        || (unit.len() == 3 && TWO.split(' ').any(|code| code == unit))
}

/// `amount` minor units of `unit` as people write it: "-12.50", "3", "0.00000001".
pub fn format(amount: i128, unit: &str) -> String {
    let places = u32::from(decimals(unit));
    let sign = if amount < 0 { "-" } else { "" };
    let magnitude = amount.unsigned_abs();
    if places == 0 {
        return format!("{sign}{magnitude}");
    }
    let scale = 10u128.pow(places);
    let width = places as usize;
    format!("{sign}{}.{:0width$}", magnitude / scale, magnitude % scale,)
}

/// Why a typed amount was not read.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AmountError {
    /// Nothing was typed. Code `amount_empty`.
    #[error("no amount")]
    Empty,
    /// Not a number as the module reads them (digits, one dot or comma).
    /// Code `amount_not_a_number`.
    #[error("not a number")]
    NotANumber,
    /// More decimals than the unit has. Code `amount_too_precise`.
    #[error("{unit} has {decimals} decimals")]
    TooPrecise {
        /// The unit.
        unit: String,
        /// Its decimals.
        decimals: u8,
    },
    /// A separator followed by exactly three digits in a unit of fewer
    /// decimals: "1,000" is a thousand to some and one to others.
    /// Code `amount_grouped`.
    #[error("{text:?} may be a thousands separator")]
    Grouped {
        /// What was typed.
        text: String,
    },
    /// Zero (a payment of nothing). Code `amount_zero`.
    #[error("the amount is zero")]
    Zero,
    /// More than a payment can hold (2⁶⁴ − 1 minor units).
    /// Code `amount_too_large`.
    #[error("the amount is too large")]
    TooLarge,
}

impl AmountError {
    /// The stable code of this error (see each variant).
    pub fn code(&self) -> &'static str {
        match self {
            AmountError::Empty => "amount_empty",
            AmountError::NotANumber => "amount_not_a_number",
            AmountError::TooPrecise { .. } => "amount_too_precise",
            AmountError::Grouped { .. } => "amount_grouped",
            AmountError::Zero => "amount_zero",
            AmountError::TooLarge => "amount_too_large",
        }
    }
}

/// Reads a typed amount of `unit` into minor units. See the
/// [module docs](self).
pub fn parse(text: &str, unit: &str) -> Result<u64, AmountError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(AmountError::Empty);
    }
    let (whole, fraction) = match text.find(['.', ',']) {
        Some(at) => (&text[..at], &text[at + 1..]),
        None => (text, ""),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !digits(fraction) || (whole.is_empty() && fraction.is_empty()) {
        return Err(AmountError::NotANumber);
    }
    let places = decimals(unit);
    // "0,001" groups nothing: a thousand is never written so.
    if fraction.len() == 3 && places < 3 && whole.bytes().any(|b| b != b'0') {
        return Err(AmountError::Grouped {
            text: text.to_owned(),
        });
    }
    let fraction = fraction.trim_end_matches('0');
    if fraction.len() > usize::from(places) {
        return Err(AmountError::TooPrecise {
            unit: unit.to_owned(),
            decimals: places,
        });
    }
    let mut value: u64 = 0;
    let padded = fraction
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(places.into());
    for b in whole.bytes().chain(padded) {
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(b - b'0')))
            .ok_or(AmountError::TooLarge)?;
    }
    if value == 0 {
        return Err(AmountError::Zero);
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currencies_have_their_iso_decimals_and_other_units_none() {
        assert_eq!(decimals("EUR"), 2);
        assert_eq!(decimals("JPY"), 0);
        assert_eq!(decimals("KWD"), 3);
        assert_eq!(decimals("€"), 2);
        assert_eq!(decimals("₿"), MAX_DECIMALS);
        assert_eq!(decimals("HOUR"), 0);
        assert_eq!(decimals("eur"), 0, "units are case-sensitive, as in events");
        assert!(is_known_currency("CHF"));
        assert!(!is_known_currency("HOUR"));
        assert!(
            NOT_TWO.windows(2).all(|w| w[0].0 < w[1].0),
            "sorted, no repeats"
        );
        assert!(NOT_TWO.iter().all(|(code, _)| !TWO.contains(code)));
    }

    #[test]
    fn amounts_show_with_the_units_decimals() {
        assert_eq!(format(1250, "EUR"), "12.50");
        assert_eq!(format(-1250, "EUR"), "-12.50");
        assert_eq!(format(5, "EUR"), "0.05");
        assert_eq!(format(-5, "EUR"), "-0.05");
        assert_eq!(format(0, "EUR"), "0.00");
        assert_eq!(format(1250, "JPY"), "1250");
        assert_eq!(format(3, "HOUR"), "3");
        assert_eq!(format(1, "₿"), "0.00000001");
        assert_eq!(
            format(-i128::from(u64::MAX) * 2, "KWD"),
            "-36893488147419103.230"
        );
    }

    #[test]
    fn typed_amounts_read_as_people_write_them() {
        assert_eq!(parse("12.50", "EUR"), Ok(1250));
        assert_eq!(parse("12,5", "EUR"), Ok(1250));
        assert_eq!(parse(" 12 ", "EUR"), Ok(1200));
        assert_eq!(parse(".5", "EUR"), Ok(50));
        assert_eq!(parse("12.", "EUR"), Ok(1200));
        assert_eq!(
            parse("12.5000", "EUR"),
            Ok(1250),
            "trailing zeros lose nothing"
        );
        assert_eq!(parse("1.000", "KWD"), Ok(1000), "three decimals of its own");
        assert_eq!(parse(".500", "EUR"), Ok(50), "no thousands before it");
        assert_eq!(parse("3", "HOUR"), Ok(3));
        assert_eq!(parse("0.00000001", "₿"), Ok(1));
        assert_eq!(parse("18446744073709551615", "HOUR"), Ok(u64::MAX));
    }

    #[test]
    fn amounts_that_cannot_be_read_say_why() {
        assert_eq!(parse("", "EUR"), Err(AmountError::Empty));
        assert_eq!(parse("abc", "EUR"), Err(AmountError::NotANumber));
        assert_eq!(parse("-5", "EUR"), Err(AmountError::NotANumber));
        assert_eq!(parse("1.2.3", "EUR"), Err(AmountError::NotANumber));
        assert_eq!(parse("1,234.50", "EUR"), Err(AmountError::NotANumber));
        assert_eq!(parse(".", "EUR"), Err(AmountError::NotANumber));
        assert_eq!(parse("1e3", "EUR"), Err(AmountError::NotANumber));
        // A thousands separator to some, decimals to others: not guessed
        // (before, "1,000" read as 1.00).
        for (text, unit) in [
            ("1,000", "EUR"),
            ("5.000", "EUR"),
            ("1,000", "JPY"),
            ("12.505", "EUR"),
        ] {
            assert_eq!(
                parse(text, unit),
                Err(AmountError::Grouped { text: text.into() }),
                "{text} {unit}"
            );
        }
        assert_eq!(
            parse("0.001", "EUR").map_err(|e| e.code()),
            Err("amount_too_precise"),
            "no thousand is written 0,001"
        );
        assert_eq!(
            parse("12.5051", "EUR"),
            Err(AmountError::TooPrecise {
                unit: "EUR".into(),
                decimals: 2
            })
        );
        assert_eq!(
            parse("1.5", "HOUR").map_err(|e| e.code()),
            Err("amount_too_precise")
        );
        assert_eq!(parse("0.00", "EUR"), Err(AmountError::Zero));
        assert_eq!(
            parse("18446744073709551616", "HOUR"),
            Err(AmountError::TooLarge)
        );
        assert_eq!(
            parse("184467440737095516.16", "EUR"),
            Err(AmountError::TooLarge)
        );
    }

    #[test]
    fn what_is_shown_reads_back_to_the_same_amount() {
        for unit in ["EUR", "JPY", "KWD", "₿", "HOUR"] {
            for amount in [1u64, 7, 10, 99, 100, 1250, 123_456_789, u64::MAX] {
                let shown = format(i128::from(amount), unit);
                assert_eq!(parse(&shown, unit), Ok(amount), "{unit} {amount}");
            }
        }
    }
}
