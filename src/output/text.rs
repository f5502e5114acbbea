//! Formatting the numbers of the output files into a reused buffer, without a temporary String per field:
//! an amount as `format_yuan` writes it, a 所属期 as `YearMonth` displays it. Same text, tested against both.

use crate::domain::YearMonth;
use crate::domain::money::format_yuan;
use rust_decimal::Decimal;

/// Append the decimal digits of `n`.
pub fn push_u64(buf: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf.extend_from_slice(&digits[i..]);
}

/// Append `format_yuan(amount)` (two decimals).
pub fn push_yuan(buf: &mut Vec<u8>, amount: Decimal) {
    let mut a = amount;
    a.rescale(2);
    let m = a.mantissa();
    // rescale(2) keeps the value when it fits; a negative or an amount beyond u64 分 takes the slow path.
    if a.scale() != 2 || m < 0 || a.is_sign_negative() || m > i128::from(u64::MAX) {
        buf.extend_from_slice(format_yuan(amount).as_bytes());
        return;
    }
    let fen = m as u64;
    push_u64(buf, fen / 100);
    buf.push(b'.');
    buf.push(b'0' + (fen % 100 / 10) as u8);
    buf.push(b'0' + (fen % 10) as u8);
}

/// Append `month.to_string()` (`2024-03`).
pub fn push_month(buf: &mut Vec<u8>, month: YearMonth) {
    let y = month.year();
    if !(0..=9999).contains(&y) {
        buf.extend_from_slice(month.to_string().as_bytes());
        return;
    }
    let y = y as u32;
    buf.extend_from_slice(&[
        b'0' + (y / 1000) as u8,
        b'0' + (y / 100 % 10) as u8,
        b'0' + (y / 10 % 10) as u8,
        b'0' + (y % 10) as u8,
        b'-',
        b'0' + (month.month() / 10) as u8,
        b'0' + (month.month() % 10) as u8,
    ]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn yuan(d: Decimal) -> String {
        let mut b = Vec::new();
        push_yuan(&mut b, d);
        String::from_utf8(b).unwrap()
    }

    #[test]
    fn amounts_and_months_read_as_before() {
        assert_eq!(yuan(dec!(8889.17)), "8889.17");
        assert_eq!(yuan(dec!(600)), "600.00");
        assert_eq!(yuan(dec!(0)), "0.00");
        assert_eq!(yuan(dec!(0.5)), "0.50");
        assert_eq!(yuan(dec!(202652622.61)), "202652622.61");
        assert_eq!(yuan(dec!(-12.3)), "-12.30");
        // more decimals than 分 (never in a batch): rounded as format_yuan rounds
        assert_eq!(yuan(dec!(1.005)), format_yuan(dec!(1.005)));
        let mut b = Vec::new();
        push_month(&mut b, "2024-03".parse().unwrap());
        b.push(b',');
        push_month(&mut b, "1900-12".parse().unwrap());
        assert_eq!(String::from_utf8(b).unwrap(), "2024-03,1900-12");
        let mut b = Vec::new();
        push_u64(&mut b, 0);
        push_u64(&mut b, u64::MAX);
        assert_eq!(String::from_utf8(b).unwrap(), "018446744073709551615");
    }

    proptest! {
        #[test]
        fn push_yuan_is_format_yuan(fen in -10_000_000_000_000_000i64..10_000_000_000_000_000i64, scale in 0u32..4) {
            let d = Decimal::new(fen, scale);
            prop_assert_eq!(yuan(d), format_yuan(d));
        }

        #[test]
        fn push_month_is_display(y in 1900i32..=9999, m in 1u32..=12) {
            let ym: YearMonth = format!("{y:04}-{m:02}").parse().unwrap();
            let mut b = Vec::new();
            push_month(&mut b, ym);
            prop_assert_eq!(String::from_utf8(b).unwrap(), ym.to_string());
        }
    }
}
