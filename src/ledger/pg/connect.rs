//! Connecting to a PostgreSQL ledger with libpq's defaults, which DBAs and their scripts already rely on: what
//! the URL leaves out comes from `PGHOST`, `PGPORT`, `PGUSER`, `PGDATABASE` (else the default socket folder, 5432,
//! the login name, the user name); the password from the URL, else `PGPASSWORD`, else the password file
//! (`PGPASSFILE`, else `~/.pgpass`, see `pgpass`). The postgres crate does none of this itself.
//!
//! `resolve` is pure (the environment is passed in as `PgEnv`, the password file is read through a closure), so
//! each rule has a unit test; `connect` does the IO and maps the driver's failures to `PgError`s.

use super::PgError;
use super::pgpass::{self, DEFAULT_SOCKET_DIR, Lookup};
use crate::ledger::location::PgUrl;
use postgres::config::Host;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The environment variables libpq reads, and the login name (what libpq takes from the password database).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PgEnv {
    pub host: Option<String>,
    pub port: Option<String>,
    pub user: Option<String>,
    pub database: Option<String>,
    pub password: Option<String>,
    pub passfile: Option<PathBuf>,
    pub home: Option<PathBuf>,
    pub login: Option<String>,
}

impl PgEnv {
    /// This process's environment (empty values count as unset, as in libpq).
    pub fn from_process() -> PgEnv {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        PgEnv {
            host: var("PGHOST"),
            port: var("PGPORT"),
            user: var("PGUSER"),
            database: var("PGDATABASE"),
            password: var("PGPASSWORD"),
            passfile: var("PGPASSFILE").map(PathBuf::from),
            home: var("HOME").map(PathBuf::from),
            login: var("USER").or_else(|| var("LOGNAME")),
        }
    }
}

/// What youfu connects to, for messages: never the password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub dbname: String,
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@{}:{}/{}", self.user, self.host, self.port, self.dbname)
    }
}

/// Where the password came from (for the message when the server refuses it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordSource {
    Url,
    Env,
    File(PathBuf),
    /// None found; `note` says why a password file was not used, if one was ignored.
    None {
        ignored_file: Option<String>,
    },
}

/// Settings complete enough for the driver, the target for messages, and where the password came from.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub config: postgres::Config,
    pub target: Target,
    pub password: PasswordSource,
}

/// Fill in libpq's defaults (see the module header). `read_passfile(path, host, port, db, user)` looks the
/// password up in a password file; `connect` passes `pgpass::lookup`.
pub fn resolve(
    url: &PgUrl,
    env: &PgEnv,
    read_passfile: impl Fn(&Path, &str, u16, &str, &str) -> Lookup,
) -> Result<Resolved, PgError> {
    let mut config = url.config().clone();
    let bad = |detail: String| PgError::BadUrl { shown: url.shown().to_string(), detail };
    if config.get_hosts().is_empty() {
        let host = env.host.clone().unwrap_or_else(|| DEFAULT_SOCKET_DIR.to_string());
        if host.starts_with('/') {
            config.host_path(&host);
        } else {
            config.host(&host);
        }
    }
    // libpq's PGPORT applies to a host given without a port (the crate has already put 5432 there).
    let env_port = match &env.port {
        Some(text) => Some(text.parse::<u16>().map_err(|_| bad(format!("环境变量 PGPORT 的值 {text} 不是端口号")))?),
        None => None,
    };
    if let Some(with_port) = env_port.and_then(|port| url.with_default_port(port)) {
        config = with_port;
    }
    if config.get_ports().is_empty() {
        config.port(env_port.unwrap_or(5432));
    }
    if config.get_user().is_none() {
        let user = env.user.clone().or_else(|| env.login.clone()).ok_or_else(|| {
            bad("地址中没有用户名，环境变量 PGUSER 也未设置：请写成 postgresql://用户名@服务器/数据库名".to_string())
        })?;
        config.user(&user);
    }
    let user = config.get_user().expect("set above").to_string();
    if config.get_dbname().is_none() {
        config.dbname(env.database.as_deref().unwrap_or(&user));
    }
    let host = match &config.get_hosts()[0] {
        Host::Tcp(name) => name.clone(),
        Host::Unix(path) => path.display().to_string(),
    };
    let port = config.get_ports()[0];
    let dbname = config.get_dbname().expect("set above").to_string();
    let password = if config.get_password().is_some() {
        PasswordSource::Url
    } else if let Some(password) = &env.password {
        config.password(password);
        PasswordSource::Env
    } else {
        let file = env.passfile.clone().or_else(|| env.home.as_ref().map(|h| h.join(".pgpass")));
        match file {
            None => PasswordSource::None { ignored_file: None },
            Some(file) => match read_passfile(&file, &host, port, &dbname, &user) {
                Lookup::Found(password) => {
                    config.password(password);
                    PasswordSource::File(file)
                }
                Lookup::NotFound => PasswordSource::None { ignored_file: None },
                Lookup::Ignored { path, why } => {
                    PasswordSource::None { ignored_file: Some(format!("密码文件 {} {why}", path.display())) }
                }
            },
        }
    };
    // A server that does not answer (a dropped packet, not a refusal) is reported after 10 s, not hung on.
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(Duration::from_secs(10));
    }
    if config.get_application_name().is_none() {
        config.application_name("youfu");
    }
    Ok(Resolved { config, target: Target { host, port, user, dbname }, password })
}

/// Connect as `resolve` says; every failure a `PgError` naming the target (never the password).
pub fn connect(url: &PgUrl, env: &PgEnv) -> Result<(postgres::Client, Target), PgError> {
    let resolved = resolve(url, env, pgpass::lookup)?;
    match resolved.config.connect(postgres::NoTls) {
        Ok(client) => Ok((client, resolved.target)),
        Err(e) => Err(connect_error(&resolved, &e)),
    }
}

/// The message for a failed connection attempt.
pub fn connect_error(resolved: &Resolved, e: &postgres::Error) -> PgError {
    use postgres::error::SqlState;
    let target = resolved.target.to_string();
    let user = resolved.target.user.clone();
    let note = match &resolved.password {
        PasswordSource::Url => "（本次使用的是地址中的密码）".to_string(),
        PasswordSource::Env => "（本次使用的是 PGPASSWORD 中的密码）".to_string(),
        PasswordSource::File(path) => format!("（本次使用的是密码文件 {} 中的密码）", path.display()),
        PasswordSource::None { ignored_file: Some(why) } => format!("（{why}）"),
        PasswordSource::None { ignored_file: None } => String::new(),
    };
    if let Some(code) = e.code() {
        if *code == SqlState::INVALID_PASSWORD || *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION {
            return PgError::AuthFailed { target, user, note };
        }
        if *code == SqlState::INVALID_CATALOG_NAME {
            return PgError::NoDatabase { target, dbname: resolved.target.dbname.clone() };
        }
        if *code == SqlState::CANNOT_CONNECT_NOW || *code == SqlState::TOO_MANY_CONNECTIONS {
            let detail = e.as_db_error().map(|d| d.message().to_string()).unwrap_or_else(|| e.to_string());
            return PgError::Unreachable { target, detail: format!("服务器暂不接受连接（{detail}）") };
        }
    }
    // The driver says "password missing" (a configuration error) when the server asks for a password it has not.
    if e.as_db_error().is_none() && super::error::describe(e).contains("password missing") {
        return PgError::PasswordMissing { target, user, note };
    }
    let io = std::error::Error::source(e).and_then(|s| s.downcast_ref::<std::io::Error>());
    if let Some(io) = io {
        use std::io::ErrorKind;
        let detail = match io.kind() {
            ErrorKind::ConnectionRefused => "连接被拒绝（服务器未启动，或端口不对）".to_string(),
            ErrorKind::NotFound if resolved.target.host.starts_with('/') => {
                format!("套接字文件夹 {} 中没有数据库服务器（服务器未启动，或路径不对）", resolved.target.host)
            }
            ErrorKind::TimedOut => "连接超时（服务器无应答）".to_string(),
            _ => io.to_string(),
        };
        return PgError::Unreachable { target, detail };
    }
    if e.as_db_error().is_none() {
        // Name resolution and timeouts come as driver errors without an io source.
        let text = super::error::describe(e);
        let detail = if text.contains("timeout") || text.contains("timed out") {
            "连接超时（服务器无应答）".to_string()
        } else {
            text
        };
        return PgError::Unreachable { target, detail };
    }
    PgError::Db { target, detail: super::error::describe(e) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::location::LedgerLocation;

    fn url(text: &str) -> PgUrl {
        match LedgerLocation::parse(text).unwrap() {
            LedgerLocation::Postgres(url) => *url,
            other => panic!("{other:?}"),
        }
    }

    fn no_file(_: &Path, _: &str, _: u16, _: &str, _: &str) -> Lookup {
        Lookup::NotFound
    }

    #[test]
    fn what_the_url_leaves_out_comes_from_libpqs_variables() {
        let env = PgEnv {
            host: Some("db.city".into()),
            port: Some("6000".into()),
            user: Some("officer".into()),
            database: Some("ledger".into()),
            login: Some("root".into()),
            ..PgEnv::default()
        };
        let r = resolve(&url("postgresql://"), &env, no_file).unwrap();
        assert_eq!(r.target.to_string(), "officer@db.city:6000/ledger");
        // The URL wins over the variables; PGPORT applies to a host given without a port, as in libpq.
        let r = resolve(&url("postgresql://youfu@other:5433/youfu_ledger"), &env, no_file).unwrap();
        assert_eq!(r.target.to_string(), "youfu@other:5433/youfu_ledger");
        let r = resolve(&url("postgresql://youfu:pw@other/youfu_ledger"), &env, no_file).unwrap();
        assert_eq!(r.target.to_string(), "youfu@other:6000/youfu_ledger");
        assert_eq!(r.config.get_password(), Some(&b"pw"[..]));
        let r = resolve(&url("postgresql:///youfu_ledger?host=/tmp/pg&port=5434"), &env, no_file).unwrap();
        assert_eq!(r.target.to_string(), "officer@/tmp/pg:5434/youfu_ledger");
        let r = resolve(&url("postgresql://youfu@[::1]/youfu_ledger"), &env, no_file).unwrap();
        assert_eq!(r.target.to_string(), "youfu@::1:6000/youfu_ledger");
        // Nothing set: the default socket folder, 5432, the login name as user and database.
        let env = PgEnv { login: Some("kezhang".into()), ..PgEnv::default() };
        let r = resolve(&url("postgres://"), &env, no_file).unwrap();
        assert_eq!(r.target.to_string(), "kezhang@/var/run/postgresql:5432/kezhang");
        assert_eq!(r.config.get_hosts(), &[Host::Unix("/var/run/postgresql".into())]);
        // PGHOST may be a socket folder too.
        let env = PgEnv { host: Some("/tmp/pg".into()), user: Some("u".into()), ..PgEnv::default() };
        let r = resolve(&url("postgres:///d"), &env, no_file).unwrap();
        assert_eq!(r.config.get_hosts(), &[Host::Unix("/tmp/pg".into())]);
    }

    #[test]
    fn no_user_anywhere_or_a_bad_pgport_is_a_clear_refusal() {
        let e = resolve(&url("postgresql://db/ledger"), &PgEnv::default(), no_file).unwrap_err();
        assert_eq!(
            e.to_string(),
            "台账地址 postgresql://db/ledger 无法解析：地址中没有用户名，环境变量 PGUSER 也未设置：请写成 \
             postgresql://用户名@服务器/数据库名。PostgreSQL 台账的地址形如 postgresql://用户名@服务器:5432/数据库名\
             （密码请放在 PGPASSWORD 环境变量或 ~/.pgpass 中）"
        );
        let env = PgEnv { port: Some("abc".into()), ..PgEnv::default() };
        let e = resolve(&url("postgresql://u@db/ledger"), &env, no_file).unwrap_err();
        assert!(e.to_string().contains("环境变量 PGPORT 的值 abc 不是端口号"), "{e}");
    }

    #[test]
    fn the_password_from_the_url_then_pgpassword_then_the_password_file() {
        let asked = std::cell::RefCell::new(Vec::new());
        let file = |path: &Path, host: &str, port: u16, db: &str, user: &str| {
            asked.borrow_mut().push(format!("{}|{host}|{port}|{db}|{user}", path.display()));
            Lookup::Found("from-file".into())
        };
        let home = PgEnv { home: Some("/home/k".into()), ..PgEnv::default() };
        let with_env = PgEnv { password: Some("from-env".into()), ..home.clone() };

        let r = resolve(&url("postgresql://u:from-url@db/l"), &with_env, file).unwrap();
        assert_eq!((r.config.get_password(), r.password), (Some(&b"from-url"[..]), PasswordSource::Url));
        let r = resolve(&url("postgresql://u@db/l"), &with_env, file).unwrap();
        assert_eq!((r.config.get_password(), r.password), (Some(&b"from-env"[..]), PasswordSource::Env));
        assert!(asked.borrow().is_empty());
        let r = resolve(&url("postgresql://u@db:5433/l"), &home, file).unwrap();
        assert_eq!(
            (r.config.get_password(), r.password),
            (Some(&b"from-file"[..]), PasswordSource::File("/home/k/.pgpass".into()))
        );
        assert_eq!(asked.borrow().as_slice(), ["/home/k/.pgpass|db|5433|l|u"]);
        // PGPASSFILE instead of ~/.pgpass.
        let env = PgEnv { passfile: Some("/etc/youfu/pgpass".into()), ..home.clone() };
        let r = resolve(&url("postgresql://u@db/l"), &env, file).unwrap();
        assert_eq!(r.password, PasswordSource::File("/etc/youfu/pgpass".into()));
        // An ignored file is said in the message.
        let ignored = |p: &Path, _: &str, _: u16, _: &str, _: &str| Lookup::Ignored {
            path: p.to_path_buf(),
            why: "权限为 0644".into(),
        };
        let r = resolve(&url("postgresql://u@db/l"), &home, ignored).unwrap();
        assert_eq!(
            r.password,
            PasswordSource::None { ignored_file: Some("密码文件 /home/k/.pgpass 权限为 0644".into()) }
        );
        assert_eq!(r.config.get_password(), None);
    }
}
