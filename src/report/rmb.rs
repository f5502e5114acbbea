//! Chinese numerals: 人民币大写 (the capital-figure amount written on vouchers and bank documents) and the shared
//! integer writer that `filters::cn_number` also uses for 小写 ordinals (一、二是、（三）).

use crate::domain::money::{RoundingMode, round_fen};
use rust_decimal::Decimal;

/// One set of Chinese numeral characters.
pub(crate) struct Numerals {
    /// 0..=9.
    digits: [&'static str; 10],
    /// 十, 百, 千 (or 拾, 佰, 仟).
    ten: &'static str,
    hundred: &'static str,
    thousand: &'static str,
    /// Write 十 instead of 一十 when the whole number starts at the tens place (十一, 十万), as ordinals do.
    /// 大写 amounts always write the 壹: 壹拾元, 壹拾万元.
    drop_leading_one_ten: bool,
}

/// 大写: 零壹贰叁肆伍陆柒捌玖, 拾佰仟; 10 is 壹拾.
pub(crate) const UPPER: Numerals = Numerals {
    digits: ["零", "壹", "贰", "叁", "肆", "伍", "陆", "柒", "捌", "玖"],
    ten: "拾",
    hundred: "佰",
    thousand: "仟",
    drop_leading_one_ten: false,
};

/// 小写: 零一二三四五六七八九, 十百千; 10 is 十, 110 is 一百一十.
pub(crate) const LOWER: Numerals = Numerals {
    digits: ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"],
    ten: "十",
    hundred: "百",
    thousand: "千",
    drop_leading_one_ten: true,
};

const WAN: u128 = 10_000;
const YI: u128 = 100_000_000;

/// A non-negative integer in Chinese numerals, grouped by 万 and 亿 (亿 groups nest: 10¹² is 一万亿).
///
/// Zeros follow the group rule of 会计基础工作规范 第五十二条 as its worked examples write it
/// (壹拾万柒仟, 壹仟零壹拾, 壹亿零壹万零壹):
/// - inside a 4-digit group, a run of zeros between non-zero digits is one 零 (1001 → 一千零一, 1010 → 一千零一十);
///   zeros at the end of a group are not written (1100 → 一千一百);
/// - a lower group that is written after a higher one gets one 零 in front when it starts with a zero or when a
///   whole group between them is zero (100001 → 十万零一, 100000001 → 一亿零一, 101000 → 十万一千,
///   107000 → 十万七千: a zero at the 万 place followed by a non-zero 千 is not written);
/// - 0 alone is 零.
pub(crate) fn integer(n: u128, numerals: &Numerals) -> String {
    let mut out = String::new();
    if n == 0 {
        out.push_str(numerals.digits[0]);
    } else {
        write_integer(n, numerals, true, &mut out);
    }
    out
}

/// `n > 0`. `leading`: nothing has been written before this part of the number.
fn write_integer(n: u128, numerals: &Numerals, leading: bool, out: &mut String) {
    if n < YI {
        write_below_yi(n, numerals, leading, out);
        return;
    }
    write_integer(n / YI, numerals, leading, out);
    out.push('亿');
    let low = n % YI;
    if low > 0 {
        if low < 1000 * WAN {
            // The 万 group starts with a zero, or is zero altogether.
            out.push_str(numerals.digits[0]);
        }
        write_below_yi(low, numerals, false, out);
    }
}

/// `0 < n < 10⁸`.
fn write_below_yi(n: u128, numerals: &Numerals, leading: bool, out: &mut String) {
    let high = n / WAN;
    let low = n % WAN;
    if high > 0 {
        write_group(high, numerals, leading, out);
        out.push('万');
    }
    if low > 0 {
        if high > 0 && low < 1000 {
            out.push_str(numerals.digits[0]);
        }
        write_group(low, numerals, leading && high == 0, out);
    }
}

/// `0 < n < 10⁴`: leading zeros are the caller's business; inner zero runs are one 零, trailing zeros nothing.
fn write_group(n: u128, numerals: &Numerals, leading: bool, out: &mut String) {
    let digits = [n / 1000, n / 100 % 10, n / 10 % 10, n % 10];
    let units = [numerals.thousand, numerals.hundred, numerals.ten, ""];
    let mut started = false;
    let mut pending_zero = false;
    for (i, &d) in digits.iter().enumerate() {
        if d == 0 {
            pending_zero |= started;
            continue;
        }
        if pending_zero {
            out.push_str(numerals.digits[0]);
            pending_zero = false;
        }
        let is_leading_ten = leading && !started && i == 2 && d == 1;
        if !(is_leading_ten && numerals.drop_leading_one_ten) {
            out.push_str(numerals.digits[d as usize]);
        }
        out.push_str(units[i]);
        started = true;
    }
}

/// 人民币大写 (capital-figure amount) per 会计基础工作规范 (财政部 1996) 第五十二条.
///
/// The rule, as implemented:
/// 1. The amount is first rounded to 分, 四舍五入 (half away from zero, `round_fen(_, HalfUp)`): 0.005 → 壹分.
/// 2. Digits 零壹贰叁肆伍陆柒捌玖; units 拾佰仟万亿, then 元角分. Ten is always 壹拾 (10 → 壹拾元整).
/// 3. The integer part (元) is written by 4-digit groups (万, 亿): inside a group a run of zeros between
///    non-zero digits is one 零 (1001 → 壹仟零壹元整, 1010 → 壹仟零壹拾元整); zeros at the end of a group are not
///    written (1100 → 壹仟壹佰元整, 10000 → 壹万元整); a lower group starting with zeros, or after a whole zero
///    group, gets one 零 (100001 → 壹拾万零壹元整, 100010001 → 壹亿零壹万零壹元整). Where the 规范 allows both
///    forms we always write the first form of its own examples: a zero at the 万 place before a non-zero 千 is
///    not written (107000.53 → 壹拾万柒仟元零伍角叁分, not 壹拾万零柒仟元伍角叁分).
/// 4. 角 and 分: when the 元 digit is 0 and 角 is not 0, one 零 is written after 元 (1680.32 →
///    壹仟陆佰捌拾元零叁角贰分, 10.5 → 壹拾元零伍角整; the 规范 also allows omitting it, we never do); when
///    角 is 0 and 分 is not, 零 stands for the 角 (100.08 → 壹佰元零捌分, 16409.02 → 壹万陆仟肆佰零玖元零贰分).
/// 5. "整" (never "正") after 元 or 角 when there is no 分; nothing after 分.
/// 6. Below one 元 the 元 part is left out: 0.50 → 伍角整, 0.01 → 壹分, 0.35 → 叁角伍分. Zero is 零元整.
/// 7. A negative amount gets the prefix 负 (−1.5 → 负壹元伍角整); an amount that rounds to zero has no 负.
/// 8. Range: every amount a `Decimal` holds; 亿 groups nest above 9999亿 (10¹² → 壹万亿元整).
pub fn rmb_upper(amount: Decimal) -> String {
    let rounded = round_fen(amount, RoundingMode::HalfUp);
    let magnitude = rounded.abs();
    let yuan = u128::try_from(magnitude.trunc()).expect("a Decimal's integer part fits in u128");
    let cents = u32::try_from((magnitude - magnitude.trunc()) * Decimal::ONE_HUNDRED)
        .expect("fraction of a rounded amount is below 100 分");
    let (jiao, fen) = ((cents / 10) as usize, (cents % 10) as usize);

    let mut out = String::new();
    if rounded.is_sign_negative() && !rounded.is_zero() {
        out.push('负');
    }
    if yuan == 0 && cents == 0 {
        out.push_str("零元整");
        return out;
    }
    if yuan > 0 {
        write_integer(yuan, &UPPER, true, &mut out);
        out.push('元');
        // Rule 4: a zero at the 元 place before a non-zero 角 (yuan > 0, ends in 0), or a zero 角 before 分.
        if (yuan % 10 == 0 && jiao != 0) || (jiao == 0 && fen != 0) {
            out.push('零');
        }
    }
    if jiao != 0 {
        out.push_str(UPPER.digits[jiao]);
        out.push('角');
    }
    if fen != 0 {
        out.push_str(UPPER.digits[fen]);
        out.push('分');
    } else {
        out.push('整');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn rmb_upper_table() {
        // Each expected string worked out by hand from the rule in the doc comment of `rmb_upper`.
        let cases: &[(Decimal, &str)] = &[
            (dec!(0), "零元整"),
            (dec!(0.00), "零元整"),
            (dec!(0.01), "壹分"),
            (dec!(0.1), "壹角整"),
            (dec!(0.5), "伍角整"),
            (dec!(0.35), "叁角伍分"),
            (dec!(1), "壹元整"),
            (dec!(5.00), "伍元整"),
            (dec!(10), "壹拾元整"),
            (dec!(10.5), "壹拾元零伍角整"), // 元 digit 0, 角 5 → 零
            (dec!(10.05), "壹拾元零伍分"),  // 角 0, 分 5 → 零 for the 角
            (dec!(11), "壹拾壹元整"),
            (dec!(20), "贰拾元整"),
            (dec!(100.08), "壹佰元零捌分"),
            (dec!(1000.00), "壹仟元整"),
            (dec!(1001), "壹仟零壹元整"), // 百 and 十 zero: one 零
            (dec!(1010), "壹仟零壹拾元整"),
            (dec!(1100), "壹仟壹佰元整"),            // trailing zeros not written
            (dec!(1409.50), "壹仟肆佰零玖元伍角整"), // 元 digit 9: no 零 before 伍角
            (dec!(1680.32), "壹仟陆佰捌拾元零叁角贰分"),
            (dec!(6007.14), "陆仟零柒元壹角肆分"),
            (dec!(10000), "壹万元整"),
            (dec!(16409.02), "壹万陆仟肆佰零玖元零贰分"),
            (dec!(100000), "壹拾万元整"),
            (dec!(100001), "壹拾万零壹元整"), // 万 group 10, lower group 0001 → 零壹
            (dec!(101000), "壹拾万壹仟元整"),
            (dec!(107000.53), "壹拾万柒仟元零伍角叁分"),
            (dec!(1000000.01), "壹佰万元零壹分"),
            (dec!(1010000), "壹佰零壹万元整"),
            (dec!(10100000), "壹仟零壹拾万元整"),
            (dec!(66849000), "陆仟陆佰捌拾肆万玖仟元整"), // 6684.9万元
            (dec!(100000000), "壹亿元整"),
            (dec!(100000001), "壹亿零壹元整"), // whole zero 万 group → one 零
            (dec!(100010001), "壹亿零壹万零壹元整"),
            (dec!(100100000), "壹亿零壹拾万元整"),
            (dec!(101000000), "壹亿零壹佰万元整"), // 万 group 0100 starts with a zero
            (dec!(109990000), "壹亿零玖佰玖拾玖万元整"),
            (dec!(110000000), "壹亿壹仟万元整"),
            (dec!(1010000000), "壹拾亿壹仟万元整"),
            (dec!(1000010000), "壹拾亿零壹万元整"),
            (dec!(100000000.1), "壹亿元零壹角整"),
            (dec!(123456789.12), "壹亿贰仟叁佰肆拾伍万陆仟柒佰捌拾玖元壹角贰分"),
            (dec!(1000000000), "壹拾亿元整"),
            (
                dec!(999999999999.99), // 1e12 − 0.01
                "玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分",
            ),
            (dec!(1000000000000), "壹万亿元整"),
            (dec!(-1.5), "负壹元伍角整"),
            (dec!(-107000.53), "负壹拾万柒仟元零伍角叁分"),
            // more than two decimals: 四舍五入 to 分 first
            (dec!(0.005), "壹分"),
            (dec!(0.004), "零元整"),
            (dec!(-0.004), "零元整"), // rounds to zero: no 负
            (dec!(8889.1666), "捌仟捌佰捌拾玖元壹角柒分"),
            (dec!(9.995), "壹拾元整"),
        ];
        for (amount, expected) in cases {
            assert_eq!(rmb_upper(*amount), *expected, "rmb_upper({amount})");
        }
    }

    /// Read Chinese numerals back (either set): (negative, 元 or the integer, 角, 分). Test-only inverse.
    fn parse_back(text: &str) -> (bool, u128, u32, u32) {
        let value = |c: char| -> Option<u128> {
            "零壹贰叁肆伍陆柒捌玖"
                .chars()
                .position(|d| d == c)
                .or_else(|| "零一二三四五六七八九".chars().position(|d| d == c))
                .map(|p| p as u128)
        };
        let (mut negative, mut total, mut section, mut digit) = (false, 0u128, 0u128, None::<u128>);
        let (mut yuan, mut jiao, mut fen) = (None, 0, 0);
        for c in text.chars() {
            match c {
                '负' => negative = true,
                '拾' | '十' => section += digit.take().unwrap_or(1) * 10,
                '佰' | '百' => section += digit.take().expect("digit before 百") * 100,
                '仟' | '千' => section += digit.take().expect("digit before 千") * 1000,
                '万' => {
                    total += (section + digit.take().unwrap_or(0)) * WAN;
                    section = 0;
                }
                '亿' => {
                    total = (total + section + digit.take().unwrap_or(0)) * YI;
                    section = 0;
                }
                '元' => yuan = Some(total + section + digit.take().unwrap_or(0)),
                '角' => jiao = digit.take().expect("digit before 角") as u32,
                '分' => fen = digit.take().expect("digit before 分") as u32,
                '整' => {}
                _ => digit = Some(value(c).expect("a numeral")),
            }
        }
        let integer = yuan.unwrap_or(total + section + digit.unwrap_or(0));
        (negative, integer, jiao, fen)
    }

    proptest::proptest! {
        /// Any amount up to 10¹⁴ 元 reads back to itself, and zeros are never doubled or left dangling.
        #[test]
        fn rmb_upper_reads_back(fen in -9_999_999_999_999_999i64..=9_999_999_999_999_999i64) {
            let amount = Decimal::new(fen, 2);
            let text = rmb_upper(amount);
            let magnitude = fen.unsigned_abs() as u128;
            proptest::prop_assert_eq!(
                parse_back(&text),
                (fen < 0, magnitude / 100, (magnitude / 10 % 10) as u32, (magnitude % 10) as u32),
                "{} → {}", amount, text
            );
            proptest::prop_assert!(!text.contains("零零"), "{}", text);
            for dangling in ["零万", "零亿", "零角", "零分", "零整"] {
                proptest::prop_assert!(!text.contains(dangling), "{}", text);
            }
            proptest::prop_assert!(fen == 0 || !text.contains("零元"), "{}", text);
            proptest::prop_assert_eq!(text.ends_with('整'), fen % 10 == 0, "{}", text);
        }

        #[test]
        fn lower_integers_read_back(n in 0u32..=u32::MAX) {
            let text = integer(u128::from(n), &LOWER);
            proptest::prop_assert_eq!(parse_back(&text).1, u128::from(n), "{} → {}", n, text);
            proptest::prop_assert!(!text.contains("零零") && (n == 0 || !text.ends_with('零')), "{}", text);
        }
    }

    #[test]
    fn lower_integers() {
        let cases: &[(u128, &str)] = &[
            (0, "零"),
            (1, "一"),
            (10, "十"),
            (11, "十一"),
            (20, "二十"),
            (99, "九十九"),
            (100, "一百"),
            (101, "一百零一"),
            (110, "一百一十"), // 一 kept: the 十 is not the leading digit
            (1000, "一千"),
            (1010, "一千零一十"),
            (10000, "一万"),
            (100000, "十万"),
            (100010, "十万零一十"),
            (110000, "十一万"),
            (1000000000, "十亿"),
        ];
        for (n, expected) in cases {
            assert_eq!(integer(*n, &LOWER), *expected, "integer({n})");
        }
    }
}
