//! Times shown to people are in 北京时间 (UTC+8), whatever the clock of the machine that recorded them: the
//! ledger keeps each time as RFC 3339 with the offset it was taken at (and `--json` gives it as kept), but a
//! finance officer reading "已于 … 确认发放" expects the office's own time, not a server's UTC.

use chrono::{DateTime, FixedOffset};

/// UTC+8, China's one time zone.
fn beijing() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("8 hours is a valid offset")
}

/// A stored RFC 3339 time as 北京时间, `2024-03-12 09:05:09（北京时间）`; text that is not such a time (an older
/// ledger's) is shown as it is.
pub fn beijing_time(stored: &str) -> String {
    match DateTime::parse_from_rfc3339(stored) {
        Ok(t) => format!("{}（北京时间）", t.with_timezone(&beijing()).format("%Y-%m-%d %H:%M:%S")),
        Err(_) => stored.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_offset_is_shown_in_beijing_time() {
        // 01:05 UTC is 09:05 in Beijing; a time taken in Beijing stays as it is; 23:30 UTC is the next day.
        assert_eq!(beijing_time("2024-03-12T01:05:09+00:00"), "2024-03-12 09:05:09（北京时间）");
        assert_eq!(beijing_time("2024-03-12T09:05:09+08:00"), "2024-03-12 09:05:09（北京时间）");
        assert_eq!(beijing_time("2024-03-31T23:30:00Z"), "2024-04-01 07:30:00（北京时间）");
        assert_eq!(beijing_time("—"), "—");
    }
}
