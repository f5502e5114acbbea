//! The password file `~/.pgpass` (or `PGPASSFILE`), read as libpq reads it — the postgres crate does not, and
//! DBAs hand passwords out this way so that they stay out of youfu.toml and shell history.
//!
//! libpq's rules (PostgreSQL 15, `passwordFromFile` and `pwdfMatchesString` in fe-connect.c): one entry a line,
//! `hostname:port:database:username:password`; a line starting with `#` is a comment; each of the first four
//! fields is either `*` (matches anything) or the value itself, with `\:` and `\\` standing for `:` and `\`;
//! the first matching line wins; the password runs to the next unescaped `:` (backslashes removed). The host
//! `localhost` also matches a connection over the default Unix socket folder. On Unix the file is ignored (with a
//! warning) when it is not a plain file or when its group or others have any access (`chmod 0600`).

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

/// The Unix socket folder that a libpq built by Debian uses when no host is given, which `.pgpass` knows as
/// `localhost`.
pub const DEFAULT_SOCKET_DIR: &str = "/var/run/postgresql";

/// The outcome of looking for a password in the password file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Found(String),
    /// No file, or no line matches.
    NotFound,
    /// The file exists but libpq would ignore it: group/world access (mode given), or not a plain file.
    Ignored {
        path: PathBuf,
        why: String,
    },
}

/// The password of the first line of `contents` matching host, port, database and user (libpq's rules above).
/// `host` is the host as connected to: a name, an address, or a socket folder (the default folder and an empty
/// host count as `localhost`).
pub fn find_password(contents: &str, host: &str, port: u16, database: &str, user: &str) -> Option<String> {
    let host = if host.is_empty() || host == DEFAULT_SOCKET_DIR { "localhost" } else { host };
    let port = port.to_string();
    for line in contents.split('\n') {
        if line.starts_with('#') {
            continue;
        }
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        let mut rest = line;
        let mut matched = true;
        for wanted in [host, port.as_str(), database, user] {
            match match_field(rest, wanted) {
                Some(after) => rest = after,
                None => {
                    matched = false;
                    break;
                }
            }
        }
        if matched {
            return Some(unescape_password(rest));
        }
    }
    None
}

/// libpq's `pwdfMatchesString`: if the field at the start of `buf` is `*` or equals `token` (after removing
/// escapes), what follows its `:`.
fn match_field<'a>(buf: &'a str, token: &str) -> Option<&'a str> {
    if let Some(after) = buf.strip_prefix("*:") {
        return Some(after);
    }
    let bytes = buf.as_bytes();
    let token = token.as_bytes();
    let (mut i, mut t) = (0, 0);
    while i < bytes.len() {
        let mut escaped = false;
        if bytes[i] == b'\\' {
            i += 1;
            escaped = true;
            if i == bytes.len() {
                return None;
            }
        }
        if bytes[i] == b':' && !escaped {
            // `i` is at an ASCII byte, so `i + 1` is a char boundary.
            return (t == token.len()).then(|| &buf[i + 1..]);
        }
        if t == token.len() || bytes[i] != token[t] {
            return None;
        }
        i += 1;
        t += 1;
    }
    None
}

/// The password field: up to the first unescaped `:`, each `\x` read as `x`.
fn unescape_password(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        match c {
            ':' => break,
            '\\' => match chars.next() {
                Some(next) => out.push(next),
                None => out.push('\\'),
            },
            c => out.push(c),
        }
    }
    out
}

/// Whether libpq would use a file of this mode: no access at all for group and others.
pub fn mode_is_private(mode: u32) -> bool {
    mode & 0o077 == 0
}

/// Look the password up in the file at `path` (libpq: `PGPASSFILE`, else `~/.pgpass`).
pub fn lookup(path: &Path, host: &str, port: u16, database: &str, user: &str) -> Lookup {
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(_) => return Lookup::NotFound,
    };
    if !meta.is_file() {
        return Lookup::Ignored { path: path.to_path_buf(), why: "不是普通文件".to_string() };
    }
    let mode = meta.permissions().mode() & 0o777;
    if !mode_is_private(mode) {
        return Lookup::Ignored {
            path: path.to_path_buf(),
            why: format!(
                "权限为 {mode:04o}，同组或其他用户可以读取，libpq 规则下不予使用；请运行 chmod 0600 {}",
                path.display()
            ),
        };
    }
    match std::fs::read(path) {
        Ok(bytes) => match find_password(&String::from_utf8_lossy(&bytes), host, port, database, user) {
            Some(password) => Lookup::Found(password),
            None => Lookup::NotFound,
        },
        Err(e) => Lookup::Ignored { path: path.to_path_buf(), why: format!("无法读取：{e}") },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_matching_line_wins_and_star_matches_anything() {
        let file = "\
# comment: db.example:5432:youfu_ledger:youfu:not-this
db.example:5432:other:youfu:other-db
db.example:5432:youfu_ledger:youfu:s3cret
*:*:*:youfu:fallback
";
        assert_eq!(find_password(file, "db.example", 5432, "youfu_ledger", "youfu").as_deref(), Some("s3cret"));
        assert_eq!(find_password(file, "db.example", 5432, "other", "youfu").as_deref(), Some("other-db"));
        assert_eq!(find_password(file, "db.example", 5433, "youfu_ledger", "youfu").as_deref(), Some("fallback"));
        assert_eq!(find_password(file, "elsewhere", 5432, "x", "youfu").as_deref(), Some("fallback"));
        assert_eq!(find_password(file, "db.example", 5432, "youfu_ledger", "admin"), None);
    }

    #[test]
    fn a_comment_line_never_matches() {
        assert_eq!(find_password("#*:*:*:*:pw\n", "h", 5432, "d", "u"), None);
        // Only a '#' in the first column starts a comment.
        assert_eq!(find_password(" #x:*:*:*:pw\n", " #x", 5432, "d", "u").as_deref(), Some("pw"));
    }

    #[test]
    fn backslash_escapes_colons_and_backslashes_in_fields_and_password() {
        // Host "a:b", database "d\b"; the password "p:w\x" is written p\:w\\x; after an unescaped ':' the rest of
        // the line is ignored.
        let file = "a\\:b:5432:d\\\\b:u:p\\:w\\\\x:ignored\n";
        assert_eq!(find_password(file, "a:b", 5432, "d\\b", "u").as_deref(), Some("p:w\\x"));
        // A field is compared whole: "a" is not "a:b".
        assert_eq!(find_password(file, "a", 5432, "d\\b", "u"), None);
        // A trailing backslash in the password is kept.
        assert_eq!(find_password("h:1:d:u:pw\\\n", "h", 1, "d", "u").as_deref(), Some("pw\\"));
    }

    #[test]
    fn prefixes_do_not_match_and_star_only_as_a_whole_field() {
        let file = "db:5432:youfu:youfu:one\ndb.example:5432:youfu*:youfu:two\n";
        assert_eq!(find_password(file, "db.example", 5432, "youfu", "youfu"), None);
        assert_eq!(find_password(file, "db.example", 5432, "youfu*", "youfu").as_deref(), Some("two"));
        assert_eq!(find_password(file, "d", 5432, "youfu", "youfu"), None);
    }

    #[test]
    fn localhost_matches_no_host_and_the_default_socket_folder() {
        let file = "localhost:5432:*:youfu:local\n/tmp/sock:5432:*:youfu:sock\n";
        assert_eq!(find_password(file, "", 5432, "d", "youfu").as_deref(), Some("local"));
        assert_eq!(find_password(file, DEFAULT_SOCKET_DIR, 5432, "d", "youfu").as_deref(), Some("local"));
        assert_eq!(find_password(file, "/tmp/sock", 5432, "d", "youfu").as_deref(), Some("sock"));
        assert_eq!(find_password(file, "/other", 5432, "d", "youfu"), None);
    }

    #[test]
    fn crlf_lines_and_empty_passwords() {
        let file = "h:5432:d:u:pw\r\nh:5432:e:u:\r\n";
        assert_eq!(find_password(file, "h", 5432, "d", "u").as_deref(), Some("pw"));
        assert_eq!(find_password(file, "h", 5432, "e", "u").as_deref(), Some(""));
        // A line with too few fields matches nothing.
        assert_eq!(find_password("h:5432:d\n", "h", 5432, "d", "u"), None);
    }

    #[test]
    fn a_file_others_can_read_is_ignored_as_libpq_does() {
        assert!(mode_is_private(0o600));
        assert!(mode_is_private(0o400));
        assert!(!mode_is_private(0o640));
        assert!(!mode_is_private(0o604));
        assert!(!mode_is_private(0o610));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pgpass");
        std::fs::write(&path, "*:*:*:*:pw\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        match lookup(&path, "h", 5432, "d", "u") {
            Lookup::Ignored { why, .. } => {
                assert_eq!(
                    why,
                    format!(
                        "权限为 0644，同组或其他用户可以读取，libpq 规则下不予使用；请运行 chmod 0600 {}",
                        path.display()
                    )
                );
            }
            other => panic!("{other:?}"),
        }
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(lookup(&path, "h", 5432, "d", "u"), Lookup::Found("pw".into()));
        assert_eq!(lookup(&dir.path().join("none"), "h", 5432, "d", "u"), Lookup::NotFound);
        assert!(matches!(lookup(dir.path(), "h", 5432, "d", "u"), Lookup::Ignored { .. }));
    }
}
