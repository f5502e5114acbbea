//! Where a ledger is: a SQLite file (a path, a county's default) or a PostgreSQL database (a `postgresql://` or
//! `postgres://` URL, a city's or province's shared ledger). What `ledger =` in youfu.toml and `--ledger` hold.
//!
//! Pure: parsing reads no environment and touches no file or network (defaults such as `PGUSER` and the
//! password from `~/.pgpass` are filled in when connecting, `pg::connect`). A URL keeps its password, if it has
//! one, out of every `Display` and message: `shown()` is the URL with the password replaced by `***`.

use super::pg::PgError;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

#[derive(Debug, Clone)]
pub enum LedgerLocation {
    /// A SQLite ledger file (relative paths are resolved by the caller, against the config file's folder).
    File(PathBuf),
    /// A PostgreSQL database (boxed: its settings are large beside a path).
    Postgres(Box<PgUrl>),
}

/// A parsed `postgresql://` URL. `Debug` and `Display` show it redacted.
#[derive(Clone)]
pub struct PgUrl {
    config: postgres::Config,
    shown: String,
    /// The URL as given, password included: never shown, only re-parsed by `with_default_port`.
    raw: String,
    /// Whether the URL names a port (the postgres crate fills in 5432 when it does not, where libpq would take
    /// PGPORT).
    explicit_port: bool,
    /// The county whose ledger this is (youfu.toml's `county_code`), attached by the command that opens it: a
    /// shared ledger is opened for one county (`with_county`).
    county: Option<String>,
}

impl LedgerLocation {
    /// A string with a `scheme://` is a URL (only postgresql:// and postgres:// are accepted); anything else is a
    /// file path.
    pub fn parse(text: &str) -> Result<LedgerLocation, PgError> {
        let trimmed = text.trim();
        let Some((scheme, _)) = trimmed.split_once("://") else {
            return Ok(LedgerLocation::File(PathBuf::from(text)));
        };
        // A Windows-style or odd path with "://" inside is not a URL: a scheme is letters, digits, + - . only.
        let looks_like_scheme = !scheme.is_empty()
            && scheme.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
        if !looks_like_scheme {
            return Ok(LedgerLocation::File(PathBuf::from(text)));
        }
        let shown = redact(trimmed);
        if !scheme.eq_ignore_ascii_case("postgresql") && !scheme.eq_ignore_ascii_case("postgres") {
            return Err(PgError::BadUrl {
                shown,
                detail: format!("不支持 {scheme}:// 地址，台账只能是文件路径或 postgresql:// 地址"),
            });
        }
        // The postgres crate accepts only the lower-case schemes.
        let normalised = format!("{}{}", scheme.to_ascii_lowercase(), &trimmed[scheme.len()..]);
        let config = postgres::Config::from_str(&normalised).map_err(|e| {
            // The crate's Display says only "invalid connection string"; the reason is in its source.
            let mut detail = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(inner) = source {
                detail.push_str(": ");
                detail.push_str(&inner.to_string());
                source = inner.source();
            }
            if let Some(password) = url_password(trimmed).filter(|p| !p.is_empty()) {
                detail = detail.replace(password, "***");
            }
            PgError::BadUrl { shown: shown.clone(), detail: format!("地址格式有误（{detail}）") }
        })?;
        if config.get_hosts().len() > 1 {
            return Err(PgError::BadUrl { shown, detail: "只能指定一台数据库服务器".to_string() });
        }
        // "postgresql://host/db?port=N": the crate has put 5432 for the host already, and N after it.
        if config.get_ports().len() > 1 {
            return Err(PgError::BadUrl {
                shown,
                detail: "端口请写在服务器名之后，形如 postgresql://用户名@服务器:5432/数据库名".to_string(),
            });
        }
        let explicit_port = names_a_port(&normalised);
        Ok(LedgerLocation::Postgres(Box::new(PgUrl { config, shown, raw: normalised, explicit_port, county: None })))
    }
}

/// The authority of `scheme://authority/…`: between "://" and the first '/' or '?'; (start, end) in `url`.
fn authority_span(url: &str) -> Option<(usize, usize)> {
    let start = url.find("://")? + 3;
    let end = url[start..].find(['/', '?']).map_or(url.len(), |i| start + i);
    Some((start, end))
}

/// Whether the URL gives a port: `host:port` in the authority, or a `port=` parameter.
fn names_a_port(url: &str) -> bool {
    let Some((start, end)) = authority_span(url) else { return false };
    let authority = &url[start..end];
    let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let in_host = if host.starts_with('[') { host.contains("]:") } else { host.contains(':') };
    let in_query = url.split_once('?').is_some_and(|(_, q)| q.split('&').any(|p| p.starts_with("port=")));
    in_host || in_query
}

impl PgUrl {
    /// The same database, opened for the county `county_code` (6 digits; checked when connecting).
    pub fn with_county(&self, county_code: &str) -> PgUrl {
        PgUrl { county: Some(county_code.to_string()), ..self.clone() }
    }

    /// The county the ledger is opened for, if attached.
    pub fn county(&self) -> Option<&str> {
        self.county.as_deref()
    }

    /// The URL with any password replaced by `***`.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// The settings given in the URL (host, port, user, database, password, options), before libpq's defaults.
    pub fn config(&self) -> &postgres::Config {
        &self.config
    }

    /// The settings with `port` for a host the URL gives without one (libpq's PGPORT); None when the URL names
    /// a port or no host.
    pub fn with_default_port(&self, port: u16) -> Option<postgres::Config> {
        if self.explicit_port || self.config.get_hosts().is_empty() {
            return None;
        }
        let (_, end) = authority_span(&self.raw)?;
        let raw = format!("{}:{port}{}", &self.raw[..end], &self.raw[end..]);
        postgres::Config::from_str(&raw).ok()
    }
}

impl fmt::Display for PgUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

impl fmt::Debug for PgUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PgUrl({})", self.shown)
    }
}

impl fmt::Display for LedgerLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LedgerLocation::File(path) => write!(f, "{}", path.display()),
            LedgerLocation::Postgres(url) => f.write_str(url.shown()),
        }
    }
}

/// The password of `scheme://user:password@host…`, as written (still percent-encoded).
fn url_password(url: &str) -> Option<&str> {
    let (_, rest) = url.split_once("://")?;
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let (userinfo, _) = authority.rsplit_once('@')?;
    userinfo.split_once(':').map(|(_, password)| password)
}

/// The URL with the password in its user part, and any `password=` query parameter, replaced by `***`.
pub fn redact(url: &str) -> String {
    let mut out = url.to_string();
    if let Some(password) = url_password(url) {
        let (scheme, rest) = url.split_once("://").expect("url_password found one");
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (userinfo, host) = rest[..authority_end].rsplit_once('@').expect("url_password found one");
        let user = &userinfo[..userinfo.len() - password.len() - 1];
        out = format!("{scheme}://{user}:***@{host}{}", &rest[authority_end..]);
    }
    if let Some(q) = out.find('?') {
        let (head, query) = out.split_at(q + 1);
        let query: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=***"),
                _ => pair.to_string(),
            })
            .collect();
        out = format!("{head}{}", query.join("&"));
    }
    out
}

/// The URL with no password at all (its user part keeps the user; a `password=` query parameter is dropped): for
/// a command line youfu prints for the user to run again, which finds the password in PGPASSWORD or ~/.pgpass.
pub fn without_password(url: &str) -> String {
    let mut out = url.to_string();
    if let Some(password) = url_password(url) {
        let (scheme, rest) = url.split_once("://").expect("url_password found one");
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (userinfo, host) = rest[..authority_end].rsplit_once('@').expect("url_password found one");
        let user = &userinfo[..userinfo.len() - password.len() - 1];
        out = format!("{scheme}://{user}@{host}{}", &rest[authority_end..]);
    }
    if let Some(q) = out.find('?') {
        let (head, query) = out.split_at(q);
        let kept: Vec<&str> = query[1..]
            .split('&')
            .filter(|pair| !pair.split_once('=').is_some_and(|(key, _)| key.eq_ignore_ascii_case("password")))
            .collect();
        out = if kept.is_empty() { head.to_string() } else { format!("{head}?{}", kept.join("&")) };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::exit::LedgerExit;

    #[test]
    fn a_printed_command_line_leaves_the_password_out() {
        assert_eq!(without_password("postgresql://youfu:s3cr:et@db:5432/l"), "postgresql://youfu@db:5432/l");
        assert_eq!(
            without_password("postgresql://youfu@db/l?password=x&sslmode=disable"),
            "postgresql://youfu@db/l?sslmode=disable"
        );
        assert_eq!(without_password("postgresql://youfu@db/l?password=x"), "postgresql://youfu@db/l");
        assert_eq!(without_password("postgresql://youfu@%2Ftmp%2Fpg/l"), "postgresql://youfu@%2Ftmp%2Fpg/l");
    }
    use postgres::config::Host;

    fn pg(text: &str) -> PgUrl {
        match LedgerLocation::parse(text).unwrap() {
            LedgerLocation::Postgres(url) => *url,
            other => panic!("{other:?}"),
        }
    }

    fn bad(text: &str) -> (String, String) {
        match LedgerLocation::parse(text).unwrap_err() {
            e @ PgError::BadUrl { .. } => {
                assert_eq!(e.exit_code(), 7);
                let PgError::BadUrl { shown, .. } = &e else { unreachable!() };
                (shown.clone(), e.to_string())
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn paths_stay_paths() {
        for path in ["youfu.db", "/data/台账/youfu.db", "../x.db", "C:\\ledger\\youfu.db", "a:b", "weird ://x"] {
            assert!(matches!(LedgerLocation::parse(path).unwrap(), LedgerLocation::File(p) if p.as_os_str() == path));
        }
    }

    #[test]
    fn a_postgresql_url_gives_host_port_user_database() {
        let url = pg("postgresql://youfu@db.city.gov.cn:6543/youfu_ledger");
        assert_eq!(url.config().get_user(), Some("youfu"));
        assert_eq!(url.config().get_hosts(), &[Host::Tcp("db.city.gov.cn".into())]);
        assert_eq!(url.config().get_ports(), &[6543]);
        assert_eq!(url.config().get_dbname(), Some("youfu_ledger"));
        assert_eq!(url.config().get_password(), None);
        assert_eq!(url.to_string(), "postgresql://youfu@db.city.gov.cn:6543/youfu_ledger");
        // postgres:// and an upper-case scheme are the same.
        let url = pg("POSTGRES://u@h/d");
        assert_eq!(url.config().get_dbname(), Some("d"));
        // A Unix socket folder, percent-encoded, as libpq writes it.
        let url = pg("postgresql://youfu@%2Fvar%2Frun%2Fpostgresql/youfu_ledger");
        assert_eq!(url.config().get_hosts(), &[Host::Unix("/var/run/postgresql".into())]);
    }

    #[test]
    fn the_password_is_never_shown() {
        let url = pg("postgresql://youfu:s3cr%40t@db:5432/ledger");
        assert_eq!(url.config().get_password(), Some(&b"s3cr@t"[..]));
        assert_eq!(url.shown(), "postgresql://youfu:***@db:5432/ledger");
        assert_eq!(format!("{url:?}"), "PgUrl(postgresql://youfu:***@db:5432/ledger)");
        let url = pg("postgresql://db/ledger?user=youfu&password=hunter2&application_name=youfu");
        assert_eq!(url.shown(), "postgresql://db/ledger?user=youfu&password=***&application_name=youfu");
        // Also when the URL does not parse.
        let (shown, message) = bad("postgresql://youfu:hunter2@db:notaport/ledger");
        assert_eq!(shown, "postgresql://youfu:***@db:notaport/ledger");
        assert!(!message.contains("hunter2"), "{message}");
    }

    #[test]
    fn a_url_that_does_not_parse_is_refused_in_chinese() {
        let (_, message) = bad("postgresql://youfu@db:notaport/ledger");
        assert_eq!(
            message,
            "台账地址 postgresql://youfu@db:notaport/ledger 无法解析：地址格式有误（invalid connection string: invalid value for option `port`）。\
             PostgreSQL 台账的地址形如 postgresql://用户名@服务器:5432/数据库名（密码请放在 PGPASSWORD 环境变量或 ~/.pgpass 中）"
        );
        let (_, message) = bad("mysql://root@db/ledger");
        assert_eq!(
            message,
            "台账地址 mysql://root@db/ledger 无法解析：不支持 mysql:// 地址，台账只能是文件路径或 postgresql:// 地址。\
             PostgreSQL 台账的地址形如 postgresql://用户名@服务器:5432/数据库名（密码请放在 PGPASSWORD 环境变量或 ~/.pgpass 中）"
        );
        let (_, message) = bad("postgresql://u@db1,db2/ledger");
        assert!(message.contains("只能指定一台数据库服务器"), "{message}");
        let (_, message) = bad("postgresql://u@db/ledger?port=5434");
        assert!(message.contains("端口请写在服务器名之后"), "{message}");
    }
}
