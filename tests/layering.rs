//! The layering rule, enforced rather than remembered (README, "Layout"): every `crate::X` (and `super::` that
//! reaches the crate root) in src/ is checked against the table of what each top-level module may use, and the
//! files inside a module may not import one another in a circle. Test code (`#[cfg(test)] mod … { }` blocks,
//! `tests.rs`, `testutil.rs`, `store_tests.rs`, the ledger's `suite.rs`) is not checked: a test may reach up to see
//! what the user sees.
//!
//! A module's own folders may be units of their own, listed as `parent::child` (the ledger's backends,
//! `ledger::sqlite` and `ledger::pg`): a reference names the unit it reaches (`crate::ledger::sqlite::Ledger` →
//! `ledger::sqlite`, `super::pg::PgError` from ledger/location.rs → `ledger::pg`), a module may always use its own
//! sub-units (the ledger's interface opens a backend), and everything else must be in the table. So `cli` may use
//! the ledger's interface and shared types but not name a backend, and the backends may not reach up to `cli` or
//! `compute`.
//!
//! The scan reads the source as text with comments and string literals blanked out, so a path in a message or a
//! doc comment does not count, and keeps every line where it was, so a failure names the line.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// What each top-level module (and each unit `parent::child`) may use. Lower layers first; a module may use only
/// modules listed before it, and its own sub-units.
const ALLOWED: &[(&str, &[&str])] = &[
    // Threads in one place (the width, split work, pipelines): below everything, so the core may split its work.
    ("parallel", &[]),
    // The pure core: the words of the domain, the working-day calendar, the computations.
    ("domain", &["parallel"]),
    ("calendar", &["parallel", "domain"]),
    ("compute", &["parallel", "domain", "calendar"]),
    // youfu.toml mapped into the core's rule types.
    ("config", &["parallel", "domain", "calendar", "compute"]),
    // The edges: files in, files out, the ledger, the report's text.
    ("input", &["parallel", "domain", "calendar", "compute"]),
    ("ledger", &["parallel", "domain", "calendar", "compute"]),
    // The ledger's backends, behind its interface (`ledger::LedgerStore`): each may use the interface's shared
    // types, never the commands or the computations.
    ("ledger::sqlite", &["parallel", "domain", "calendar", "ledger"]),
    ("ledger::pg", &["parallel", "domain", "calendar", "ledger"]),
    ("output", &["parallel", "domain", "calendar", "compute", "config"]),
    ("report", &["parallel", "domain", "calendar", "compute", "config", "input"]),
    // The commands: everything.
    ("cli", &["parallel", "domain", "calendar", "compute", "config", "input", "ledger", "output", "report"]),
    ("lib", &["parallel", "domain", "calendar", "compute", "config", "input", "ledger", "output", "report", "cli"]),
    ("main", &["cli"]),
];

/// Files that only tests compile.
const TEST_FILES: &[&str] = &["tests.rs", "testutil.rs", "store_tests.rs", "suite.rs"];

struct Source {
    /// Path relative to src/.
    rel: PathBuf,
    /// The text with comments and literals blanked and test blocks removed; newlines kept.
    code: String,
}

#[test]
fn no_module_imports_a_higher_layer() {
    let violations = upward_imports(&sources());
    assert!(
        violations.is_empty(),
        "imports against the layering (tests/layering.rs, README \"Layout\"):\n{}",
        violations.join("\n")
    );
}

#[test]
fn no_two_files_of_a_module_import_each_other() {
    let cycles = file_cycles(&sources());
    assert!(
        cycles.is_empty(),
        "files of a module importing one another in a circle (break it with a leaf module):\n{}",
        cycles.join("\n")
    );
}

/// The checker itself finds what it is for (so the two tests above cannot pass by finding nothing).
#[test]
fn the_checker_sees_upward_imports_and_cycles() {
    let src = |rel: &str, text: &str| Source { rel: rel.into(), code: code_of(text) };
    let found = upward_imports(&[
        src(
            "compute/batch.rs",
            "use crate::config::RoundingPolicy;\n// use crate::cli::exit;\nfn f() { let _ = \"crate::cli\"; }\n",
        ),
        src("domain/mod.rs", "use super::report::X;\nuse crate::parallel::width;\n"),
        src("parallel.rs", "use crate::domain::Month;\n"),
        src("ledger/store.rs", "use crate::{domain::Y, cli::exit};\nfn g() { super::super::output::atomic(); }\n"),
        src(
            "calendar/mod.rs",
            "use crate::domain::Z;\n#[cfg(test)]\nmod tests {\n    use crate::cli::exit; fn h() { let _ = '{'; }\n}\n",
        ),
    ]);
    assert_eq!(
        found,
        [
            "src/compute/batch.rs:1: compute uses config; compute may use only: parallel, domain, calendar",
            "src/domain/mod.rs:1: domain uses report; domain may use only: parallel",
            "src/parallel.rs:1: parallel uses domain; parallel may use nothing",
            "src/ledger/store.rs:1: ledger uses cli; ledger may use only: parallel, domain, calendar, compute",
            "src/ledger/store.rs:2: ledger uses output; ledger may use only: parallel, domain, calendar, compute",
        ]
    );
    let cycles = file_cycles(&[
        src("ledger/store.rs", "use super::schema::Found;\n"),
        src("ledger/schema.rs", "use crate::ledger::{sql::e, store::f};\n"),
        src("ledger/sql.rs", "use super::LedgerError;\n"),
    ]);
    assert_eq!(cycles, ["ledger: schema -> store -> schema"]);
}

/// The ledger's backends are units of their own: `cli` may not name them, they may not reach up, and the ledger's
/// interface may open them.
#[test]
fn the_checker_keeps_the_ledger_backends_behind_the_interface() {
    let src = |rel: &str, text: &str| Source { rel: rel.into(), code: code_of(text) };
    let found = upward_imports(&[
        src(
            "cli/load.rs",
            "use crate::ledger::{LedgerStore, location::LedgerLocation};\nuse crate::ledger::sqlite::Ledger;\n",
        ),
        src("cli/exit.rs", "impl LedgerExit for super::super::ledger::{pg::PgError, LedgerError} {}\n"),
        src("ledger/api.rs", "use super::sqlite::Ledger;\nfn f() { crate::ledger::pg::PgLedger::open(); }\n"),
        src("ledger/location.rs", "use super::pg::PgError;\n"),
        src("ledger/sqlite/store.rs", "use crate::ledger::{BatchInfo, LedgerError};\nuse super::schema;\n"),
        src("ledger/sqlite/mod.rs", "use crate::compute::Rules;\nuse super::pg::PgError;\n"),
        src("ledger/pg/mod.rs", "use crate::cli::exit;\nuse super::sqlite::Ledger;\n"),
    ]);
    assert_eq!(
        found,
        [
            "src/cli/load.rs:2: cli uses ledger::sqlite; cli may use only: parallel, domain, calendar, compute, config, input, ledger, output, report",
            "src/cli/exit.rs:1: cli uses ledger::pg; cli may use only: parallel, domain, calendar, compute, config, input, ledger, output, report",
            "src/ledger/sqlite/mod.rs:1: ledger::sqlite uses compute; ledger::sqlite may use only: parallel, domain, calendar, ledger",
            "src/ledger/sqlite/mod.rs:2: ledger::sqlite uses ledger::pg; ledger::sqlite may use only: parallel, domain, calendar, ledger",
            "src/ledger/pg/mod.rs:1: ledger::pg uses cli; ledger::pg may use only: parallel, domain, calendar, ledger",
            "src/ledger/pg/mod.rs:2: ledger::pg uses ledger::sqlite; ledger::pg may use only: parallel, domain, calendar, ledger",
        ]
    );
}

fn sources() -> Vec<Source> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&root, &mut files);
    files.sort();
    files
        .into_iter()
        .filter(|p| !TEST_FILES.contains(&p.file_name().unwrap().to_str().unwrap()))
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            Source { rel: p.strip_prefix(&root).unwrap().to_path_buf(), code: code_of(&text) }
        })
        .collect()
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module of a file (`compute/batch.rs` → compute, `config.rs` → config) and how deep the file's
/// module is (`config.rs`, `compute/mod.rs` → 1; `compute/batch.rs` → 2).
fn module_of(rel: &Path) -> (String, usize) {
    let parts: Vec<String> = rel.iter().map(|p| p.to_str().unwrap().trim_end_matches(".rs").to_string()).collect();
    let depth = if parts.last().is_some_and(|p| p == "mod") { parts.len() - 1 } else { parts.len() };
    (parts[0].clone(), depth)
}

/// Every reference to another unit: (line, unit). A path is resolved from the crate root (`crate::`, and
/// `youfu::` in main.rs) or from the file's own module (`super::`), and names the longest unit of `ALLOWED` it
/// reaches (`ledger::sqlite`, else `ledger`). References to the file's own unit or to one of its sub-units are
/// left out.
fn references(s: &Source) -> Vec<(usize, String)> {
    let own = unit_of(&s.rel);
    let (top, depth) = module_of(&s.rel);
    // The file's module path: ledger/sqlite/store.rs → [ledger, sqlite, store]; ledger/sqlite/mod.rs → [ledger, sqlite].
    let module: Vec<String> =
        s.rel.iter().map(|p| p.to_str().unwrap().trim_end_matches(".rs").to_string()).filter(|p| p != "mod").collect();
    let mut refs = Vec::new();
    let b = s.code.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let rest = &s.code[i..];
        let starts_ident = i == 0 || !is_ident(b[i - 1]);
        let path: Option<(usize, Vec<String>)> = if !starts_ident {
            None
        } else if rest.starts_with("crate::") {
            Some((i + "crate::".len(), Vec::new()))
        } else if top == "main" && rest.starts_with("youfu::") {
            Some((i + "youfu::".len(), Vec::new()))
        } else if rest.starts_with("super::") {
            let mut j = i;
            let mut ups = 0;
            while s.code[j..].starts_with("super::") {
                j += "super::".len();
                ups += 1;
            }
            Some((j, module[..depth.saturating_sub(ups)].to_vec()))
        } else {
            None
        };
        let Some((at, prefix)) = path else {
            i += 1;
            continue;
        };
        let line = s.code[..i].matches('\n').count() + 1;
        for (name, end) in names_at(&s.code, at) {
            let mut path = prefix.clone();
            path.push(name);
            // One segment further, for a unit such as ledger::sqlite (`ledger::sqlite::X`, `ledger::{sqlite::X}`).
            let subs: Vec<String> = match s.code[end..].strip_prefix("::") {
                Some(_) => names_at(&s.code, end + 2).into_iter().map(|(n, _)| n).collect(),
                None => Vec::new(),
            };
            let mut units: Vec<String> = subs
                .iter()
                .map(|sub| {
                    let mut p = path.clone();
                    p.push(sub.clone());
                    unit_of_path(&p)
                })
                .collect();
            if units.is_empty() {
                units.push(unit_of_path(&path));
            }
            for unit in units {
                let inside = unit == own || unit.starts_with(&format!("{own}::"));
                if !inside && unit != "self" && unit != "super" {
                    refs.push((line, unit));
                }
            }
        }
        i = at;
    }
    refs
}

/// The unit of `ALLOWED` a file belongs to: ledger/sqlite/store.rs → ledger::sqlite, ledger/api.rs → ledger.
fn unit_of(rel: &Path) -> String {
    let parts: Vec<String> = rel.iter().map(|p| p.to_str().unwrap().trim_end_matches(".rs").to_string()).collect();
    unit_of_path(&parts)
}

/// The longest unit of `ALLOWED` that a module path starts with (its first segment when none is longer).
fn unit_of_path(path: &[String]) -> String {
    let joined = path.join("::");
    ALLOWED
        .iter()
        .map(|(unit, _)| *unit)
        .filter(|unit| unit.contains("::") && (joined == *unit || joined.starts_with(&format!("{unit}::"))))
        .max_by_key(|unit| unit.len())
        .map(str::to_string)
        .unwrap_or_else(|| path.first().cloned().unwrap_or_default())
}

/// The first segment(s) of a path starting at `at`, each with where it ends: `ledger::X` → [ledger];
/// `{domain::Y, cli}` → [domain, cli].
fn names_at(code: &str, at: usize) -> Vec<(String, usize)> {
    let b = code.as_bytes();
    if b.get(at) != Some(&b'{') {
        let name = ident_at(code, at);
        let end = at + name.len();
        return vec![(name, end)];
    }
    let mut names = Vec::new();
    let mut depth = 0;
    let mut expect = true;
    for (k, &c) in b.iter().enumerate().skip(at) {
        match c {
            b'{' => {
                depth += 1;
                expect = depth == 1;
            }
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            b',' if depth == 1 => expect = true,
            c if expect && is_ident(c) => {
                let name = ident_at(code, k);
                let end = k + name.len();
                names.push((name, end));
                expect = false;
            }
            _ => {}
        }
    }
    names
}

fn ident_at(code: &str, at: usize) -> String {
    code[at..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect()
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

fn upward_imports(sources: &[Source]) -> Vec<String> {
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let mut found = Vec::new();
    for s in sources {
        let top = unit_of(&s.rel);
        let Some(may) = allowed.get(top.as_str()) else {
            found.push(format!(
                "src/{}: module {top} is not in the table ALLOWED of tests/layering.rs",
                s.rel.display()
            ));
            continue;
        };
        for (line, name) in references(s) {
            if !may.contains(&name.as_str()) {
                let may = if may.is_empty() {
                    "may use nothing".to_string()
                } else {
                    format!("may use only: {}", may.join(", "))
                };
                found.push(format!("src/{}:{line}: {top} uses {name}; {top} {may}", s.rel.display()));
            }
        }
    }
    found.dedup();
    found
}

/// Circles among the files of one module (`store` → `schema` → `store`), each given once.
fn file_cycles(sources: &[Source]) -> Vec<String> {
    // module folder → file → the sibling files it uses
    let mut graphs: BTreeMap<PathBuf, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for s in sources.iter().filter(|s| s.rel.components().count() >= 2) {
        let stem = s.rel.file_stem().unwrap().to_str().unwrap().to_string();
        if stem == "mod" {
            continue;
        }
        graphs.entry(s.rel.parent().unwrap().to_path_buf()).or_default().insert(stem, BTreeSet::new());
    }
    for s in sources.iter().filter(|s| s.rel.components().count() >= 2) {
        let dir = s.rel.parent().unwrap().to_path_buf();
        let stem = s.rel.file_stem().unwrap().to_str().unwrap().to_string();
        if stem == "mod" {
            continue;
        }
        let crate_path = format!("crate::{}::", dir.to_str().unwrap().replace('/', "::"));
        let siblings: BTreeSet<String> = graphs[&dir].keys().cloned().collect();
        let mut uses = BTreeSet::new();
        for prefix in ["super::", crate_path.as_str()] {
            let mut from = 0;
            while let Some(k) = s.code[from..].find(prefix) {
                let at = from + k;
                let starts_ident = at == 0 || !is_ident(s.code.as_bytes()[at - 1]);
                from = at + prefix.len();
                if starts_ident && !s.code[from..].starts_with("super::") {
                    uses.extend(
                        names_at(&s.code, from)
                            .into_iter()
                            .map(|(n, _)| n)
                            .filter(|n| siblings.contains(n) && *n != stem),
                    );
                }
            }
        }
        graphs.get_mut(&dir).unwrap().insert(stem, uses);
    }
    let mut cycles = BTreeSet::new();
    for (dir, graph) in &graphs {
        for start in graph.keys() {
            let mut path = vec![start.clone()];
            find_cycles(graph, &mut path, &mut cycles, dir);
        }
    }
    cycles.into_iter().collect()
}

fn find_cycles(
    graph: &BTreeMap<String, BTreeSet<String>>,
    path: &mut Vec<String>,
    out: &mut BTreeSet<String>,
    dir: &Path,
) {
    let last = path.last().unwrap().clone();
    for next in &graph[&last] {
        if *next == path[0] {
            // Each circle once: written from its smallest file.
            if path.iter().all(|p| p >= &path[0]) {
                out.insert(format!("{}: {} -> {}", dir.display(), path.join(" -> "), path[0]));
            }
        } else if !path.contains(next) && next > &path[0] {
            path.push(next.clone());
            find_cycles(graph, path, out, dir);
            path.pop();
        }
    }
}

/// `text` with comments, string and char literals blanked (newlines kept), and `#[cfg(test)] mod x { … }` blocks
/// removed.
fn code_of(text: &str) -> String {
    let blank = blank_literals(text);
    let mut out = blank.clone();
    let mut from = 0;
    while let Some(k) = blank[from..].find("#[cfg(test)]") {
        let at = from + k;
        from = at + 1;
        let after = blank[at + "#[cfg(test)]".len()..].trim_start();
        let after = after.strip_prefix("pub ").unwrap_or(after).trim_start();
        let Some(decl) = after.strip_prefix("mod ") else { continue };
        let name_end = decl.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(decl.len());
        if !decl[name_end..].trim_start().starts_with('{') {
            continue; // `mod tests;`: a file of its own
        }
        let open = at + blank[at..].find('{').unwrap();
        let mut depth = 0;
        let mut end = blank.len();
        for (k, c) in blank[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + k + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        out.replace_range(at..end, &blank[at..end].replace(|c: char| c != '\n', " "));
    }
    out
}

fn blank_literals(text: &str) -> String {
    let c: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |out: &mut String, ch: char| out.push(if ch == '\n' { '\n' } else { ' ' });
    let mut i = 0;
    let prev_ident = |i: usize| i > 0 && (c[i - 1].is_alphanumeric() || c[i - 1] == '_');
    while i < c.len() {
        if c[i] == '/' && c.get(i + 1) == Some(&'/') {
            while i < c.len() && c[i] != '\n' {
                blank(&mut out, c[i]);
                i += 1;
            }
        } else if c[i] == '/' && c.get(i + 1) == Some(&'*') {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    blank(&mut out, c[i]);
                    i += 1;
                }
            }
        } else if (c[i] == 'r' || (c[i] == 'b' && c.get(i + 1) == Some(&'r')))
            && !prev_ident(i)
            && matches!(c.get(i + 1 + usize::from(c[i] == 'b')), Some('#') | Some('"'))
        {
            // r"…", r#"…"#, br"…"
            let mut j = i + 1 + usize::from(c[i] == 'b');
            let mut hashes = 0;
            while c.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if c.get(j) != Some(&'"') {
                out.push(c[i]);
                i += 1;
                continue;
            }
            j += 1;
            while j < c.len() && !(c[j] == '"' && (0..hashes).all(|h| c.get(j + 1 + h) == Some(&'#'))) {
                j += 1;
            }
            let end = (j + 1 + hashes).min(c.len());
            (i..end).for_each(|k| blank(&mut out, c[k]));
            i = end;
        } else if c[i] == '"' {
            let mut j = i + 1;
            while j < c.len() && c[j] != '"' {
                j += if c[j] == '\\' { 2 } else { 1 };
            }
            let end = (j + 1).min(c.len());
            (i..end).for_each(|k| blank(&mut out, c[k]));
            i = end;
        } else if c[i] == '\'' && (c.get(i + 1) == Some(&'\\') || c.get(i + 2) == Some(&'\'')) {
            // A char literal ('{', '\n', '\''); a lifetime ('a) has no closing quote two characters on.
            let mut j = if c[i + 1] == '\\' { i + 3 } else { i + 2 };
            while j < c.len() && c[j] != '\'' {
                j += 1;
            }
            let end = (j + 1).min(c.len());
            (i..end).for_each(|k| blank(&mut out, c[k]));
            i = end;
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}
