//! 银行账号 checks. Bank card numbers often, but not always, pass the Luhn check: a failure is a warning.

/// Luhn (mod 10) check over an all-digit account number.
pub fn luhn_ok(digits: &str) -> bool {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = (b - b'0') as u32;
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_table() {
        // 79927398713: the textbook example, sum 70
        assert!(luhn_ok("79927398713"));
        assert!(!luhn_ok("79927398710"));
        // 6217000000000000001 doubled digits from the right: 1 + 0… + (6→(12-9)=3)? worked: 6,2,1,7 at odd/even places
        // positions from right (0-based): 1@0, zeros, 7@15 (odd→14→5), 1@16 (1), 2@17 (odd→4), 6@18 (6): 1+5+1+4+6 = 17 → false
        assert!(!luhn_ok("6217000000000000001"));
        // change the last digit to make the sum 20: 1 → 4
        assert!(luhn_ok("6217000000000000004"));
        assert!(!luhn_ok(""));
        assert!(!luhn_ok("12a4"));
    }
}
