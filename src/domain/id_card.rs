//! 公民身份号码 (GB 11643-1999, rule 7 of docs/domain.md): 18 characters, the last a check character by ISO 7064 MOD 11-2.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use std::fmt;

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// A valid 18-character 身份证号 (upper-case X), kept inline: 18 ASCII bytes, no allocation (a province's roster
/// holds a million).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdCard([u8; 18]);

impl fmt::Debug for IdCard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("IdCard").field(&self.as_str()).finish()
    }
}

impl Serialize for IdCard {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Why a 身份证号 is not valid; `Display` is the Chinese message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdError {
    Empty,
    Length(usize),
    Characters,
    BirthDate,
    /// A birth year before 1900: no recipient alive to be paid was born then (a slip or a made-up number).
    BirthYear(i32),
    CheckDigit {
        expected: char,
        found: char,
    },
}

impl fmt::Display for IdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdError::Empty => write!(f, "身份证号为空"),
            IdError::Length(15) => write!(f, "身份证号为15位旧号码，须换用18位号码"),
            IdError::Length(n) => write!(f, "身份证号应为18位，实为{n}位"),
            IdError::Characters => write!(f, "身份证号只能由17位数字和最后一位数字或X组成"),
            IdError::BirthDate => write!(f, "身份证号中的出生日期不存在"),
            IdError::BirthYear(y) => write!(f, "身份证号中的出生年份 {y} 早于1900年"),
            IdError::CheckDigit { expected, found } => {
                write!(f, "身份证号校验码错误：按前17位应为“{expected}”，实为“{found}”")
            }
        }
    }
}
impl std::error::Error for IdError {}

/// The check character for the first 17 digits (which must be ASCII digits).
pub fn check_char(first17: &[u8]) -> char {
    let sum: u32 = first17.iter().zip(WEIGHTS).map(|(d, w)| (d - b'0') as u32 * w).sum();
    CHECK_CHARS[(sum % 11) as usize]
}

impl IdCard {
    /// Validate a 身份证号 already normalised to half-width; a lower-case x is accepted and upper-cased.
    pub fn parse(text: &str) -> Result<IdCard, IdError> {
        let t = text.trim();
        if t.is_empty() {
            return Err(IdError::Empty);
        }
        if t.len() != 18 || !t.is_ascii() {
            // 18 characters that are not all ASCII are 18 characters of the wrong kind.
            let n = t.chars().count();
            return Err(if n == 18 { IdError::Characters } else { IdError::Length(n) });
        }
        // Upper-cased on the stack: this runs for every row of a province's roster.
        let mut b = [0u8; 18];
        b.copy_from_slice(t.as_bytes());
        b.make_ascii_uppercase();
        let upper = std::str::from_utf8(&b).expect("ASCII");
        if !b[..17].iter().all(u8::is_ascii_digit) || !(b[17].is_ascii_digit() || b[17] == b'X') {
            return Err(IdError::Characters);
        }
        match birth_date_of(upper) {
            None => return Err(IdError::BirthDate),
            Some(d) if d.year() < FIRST_BIRTH_YEAR => return Err(IdError::BirthYear(d.year())),
            Some(_) => {}
        }
        let expected = check_char(&b[..17]);
        let found = b[17] as char;
        if expected != found {
            return Err(IdError::CheckDigit { expected, found });
        }
        Ok(IdCard(b))
    }

    pub fn as_str(&self) -> &str {
        // Every output line shows the 身份证号 (a province's batch: millions of times); the checked conversion was
        // 8 % of recording its draft.
        debug_assert!(self.0.is_ascii());
        // SAFETY: an `IdCard` is only made by `parse`, which checked that all 18 bytes are ASCII digits or `X`.
        unsafe { std::str::from_utf8_unchecked(&self.0) }
    }

    /// The 身份证号 as one number (see `pack`): equal numbers are equal 身份证号, and 8 bytes hash and compare far
    /// faster than the text.
    pub fn packed(&self) -> u64 {
        pack(&self.0).expect("a parsed 身份证号 is 17 digits and a check character")
    }

    pub fn birth_date(&self) -> NaiveDate {
        birth_date_of(self.as_str()).expect("checked in parse")
    }

    /// Whole years of age on `date` (the birthday itself counts).
    pub fn age_on(&self, date: NaiveDate) -> i32 {
        let b = self.birth_date();
        let mut age = date.year() - b.year();
        if (date.month(), date.day()) < (b.month(), b.day()) {
            age -= 1;
        }
        age
    }

    /// 男 for an odd 17th digit, 女 for an even one.
    pub fn sex(&self) -> &'static str {
        if (self.0[16] - b'0') % 2 == 1 { "男" } else { "女" }
    }
}

fn birth_date_of(id: &str) -> Option<NaiveDate> {
    let y = id.get(6..10)?.parse().ok()?;
    let m = id.get(10..12)?.parse().ok()?;
    let d = id.get(12..14)?.parse().ok()?;
    NaiveDate::from_ymd_opt(y, m, d)
}

/// The earliest birth year a 身份证号 may hold (the plausible dates of these files start in 1900).
const FIRST_BIRTH_YEAR: i32 = 1900;

impl fmt::Display for IdCard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An 18-character 身份证号 as a number: the 17 digits × 11 + the check character (X = 10), one-to-one and below
/// 10^17 × 11 < 2^63. Anything else (15 digits, a lower-case x, other characters) gives `None`.
pub fn pack(text: &[u8]) -> Option<u64> {
    if text.len() != 18 {
        return None;
    }
    let mut n = 0u64;
    for &b in &text[..17] {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u64::from(b - b'0');
    }
    let check = match text[17] {
        b @ b'0'..=b'9' => u64::from(b - b'0'),
        b'X' => 10,
        _ => return None,
    };
    Some(n * 11 + check)
}

/// The 身份证号 text of a `pack`ed number.
pub fn unpack(n: u64) -> String {
    let check = match n % 11 {
        10 => 'X',
        d => char::from(b'0' + d as u8),
    };
    format!("{:017}{check}", n / 11)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A birth year before 1900 is refused by name (1880 was accepted before); 1900 itself is not.
    #[test]
    fn a_birth_before_1900_is_refused() {
        let with_check = |first17: &str| format!("{first17}{}", check_char(first17.as_bytes()));
        let id = with_check("11010518991231002");
        assert_eq!(IdCard::parse(&id), Err(IdError::BirthYear(1899)));
        assert_eq!(IdError::BirthYear(1899).to_string(), "身份证号中的出生年份 1899 早于1900年");
        assert!(IdCard::parse(&with_check("11010519000101002")).is_ok());
    }

    /// Synthetic IDs; check characters worked out by hand from the weights.
    #[test]
    fn check_characters_table() {
        // 11010519491231002: 1*7+1*9+0*10+1*5+0*8+5*4+1*2+9*1+4*6+9*3+1*7+2*9+3*10+1*5+0*8+0*4+2*2 = 167; 167 % 11 = 2 → 'X'
        assert_eq!(check_char(b"11010519491231002"), 'X');
        // 44030419800101001: 4*7+4*9+0+3*5+0+4*4+1*2+9*1+8*6+0+0+1*9+0+1*5+0+0+1*2 = 170; 170 % 11 = 5 → '7'
        assert_eq!(check_char(b"44030419800101001"), '7');
        // all zeros: sum 0 → '1'
        assert_eq!(check_char(b"00000000000000000"), '1');
    }

    #[test]
    fn parse_valid_and_lowercase_x() {
        let id = IdCard::parse("11010519491231002x").unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
        assert_eq!(id.birth_date(), NaiveDate::from_ymd_opt(1949, 12, 31).unwrap());
        assert_eq!(id.sex(), "女");
        let id = IdCard::parse("440304198001010017").unwrap();
        assert_eq!(id.sex(), "男");
    }

    #[test]
    fn refusals() {
        assert_eq!(IdCard::parse(""), Err(IdError::Empty));
        assert_eq!(IdCard::parse("110105491231002"), Err(IdError::Length(15)));
        assert_eq!(IdCard::parse("1101051949123100"), Err(IdError::Length(16)));
        assert_eq!(IdCard::parse("1101051949123100AX"), Err(IdError::Characters));
        assert_eq!(IdCard::parse("110105194902300021"), Err(IdError::BirthDate));
        assert_eq!(IdCard::parse("110105194912310021"), Err(IdError::CheckDigit { expected: 'X', found: '1' }));
        assert_eq!(
            IdError::CheckDigit { expected: 'X', found: '1' }.to_string(),
            "身份证号校验码错误：按前17位应为“X”，实为“1”"
        );
    }

    #[test]
    fn age_counts_whole_years() {
        let id = IdCard::parse("440304198001010017").unwrap();
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(id.age_on(d(2039, 12, 31)), 59);
        assert_eq!(id.age_on(d(2040, 1, 1)), 60);
    }

    #[test]
    fn packing_is_one_to_one_and_refuses_what_is_not_18_characters() {
        // 41152619480909001 × 11 + 10 (X)
        assert_eq!(pack(b"41152619480909001X"), Some(41152619480909001 * 11 + 10));
        for id in ["411526195003150014", "41152619480909001X", "110105194912310021"] {
            assert_eq!(unpack(pack(id.as_bytes()).unwrap()), id);
        }
        assert_eq!(pack(b"41152619480909001x"), None);
        assert_eq!(pack(b"411526480909001"), None);
        assert_eq!(pack(b"4115261948090900AX"), None);
    }
}
