//! Templates and rendering: the built-in report templates (compiled into the binary from `report-templates/`),
//! overrides from a folder or a single file, and rendering with tera and the report filters.
//!
//! A missing figure stays visible. Before rendering, the template's syntax tree is walked and every name it
//! reads is looked up in the context (`totals.amount`, `metrics["喜报份数"]`, `confirmation.rate` …). A name that
//! does not resolve, or resolves to `null` (a figure without a value), is listed in `Rendered::missing`, and the
//! `{{ … }}` that reads it is replaced by the text "X" as a whole — filters included, so `{{ metrics["慰问金"] |
//! wan }}元` renders "X元", never "0.0万元". An `{% if %}` condition that reads a missing name is false; a
//! `{% for %}` over a missing list renders "X"; a `{% set %}` from a missing name makes the new name missing too.
//! `is defined` / `is undefined` tests are not counted as uses.
//!
//! The walk edits the parsed template in `Tera::templates` (public in tera 1.x, doc-hidden); tera is pinned to
//! 1.20 in Cargo.toml.

use super::ReportError;
use super::filters;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use tera::ast::{Expr, ExprVal, Node};
use tera::{Context, Tera};

/// Where a template comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    BuiltIn,
    File(PathBuf),
}

/// One report template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateSource {
    /// `half`, `items`, `annual` …: the file name without `.md.tera` / `.tera`.
    pub name: String,
    /// The file name it is written to by `init-templates`.
    pub file_name: String,
    pub source: String,
    pub origin: Origin,
}

impl TemplateSource {
    /// The first `{# 说明：… #}` comment of the template, or "".
    pub fn description(&self) -> String {
        let Some(start) = self.source.find("{#") else {
            return String::new();
        };
        let rest = &self.source[start + 2..];
        let body = rest.split("#}").next().unwrap_or("");
        let first = body.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("");
        first.trim_start_matches("说明：").trim().to_string()
    }
}

/// The built-in templates: (name, file name, text).
pub const BUILTIN: &[(&str, &str, &str)] = &[
    ("half", "half.md.tera", include_str!("../../report-templates/half.md.tera")),
    ("items", "items.md.tera", include_str!("../../report-templates/items.md.tera")),
    ("annual", "annual.md.tera", include_str!("../../report-templates/annual.md.tera")),
    ("city", "city.md.tera", include_str!("../../report-templates/city.md.tera")),
];

/// The set of templates a run can choose from.
#[derive(Debug, Clone)]
pub struct Templates {
    list: Vec<TemplateSource>,
}

/// A template file name → its name: `half.md.tera` → `half`, `x.tera` → `x`; `None` for other files.
fn template_name(file_name: &str) -> Option<String> {
    let stem = file_name.strip_suffix(".tera")?;
    let stem = stem.strip_suffix(".md").or_else(|| stem.strip_suffix(".txt")).unwrap_or(stem);
    (!stem.is_empty()).then(|| stem.to_string())
}

impl Templates {
    pub fn builtin() -> Templates {
        Templates {
            list: BUILTIN
                .iter()
                .map(|(name, file, text)| TemplateSource {
                    name: name.to_string(),
                    file_name: file.to_string(),
                    source: text.to_string(),
                    origin: Origin::BuiltIn,
                })
                .collect(),
        }
    }

    /// Every `*.tera` file of `dir` replaces the built-in of the same name or adds a new template.
    pub fn with_dir(mut self, dir: &Path) -> Result<Templates, ReportError> {
        let entries = std::fs::read_dir(dir)
            .map_err(|e| ReportError::Unreadable(format!("无法读取模板文件夹 {}：{e}", dir.display())))?;
        let mut files: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        files.sort();
        for path in files {
            let Some(name) = path.file_name().and_then(|f| f.to_str()).and_then(template_name) else {
                continue;
            };
            let t = TemplateSource::read(&path, &name)?;
            match self.list.iter_mut().find(|x| x.name == name) {
                Some(existing) => *existing = t,
                None => self.list.push(t),
            }
        }
        Ok(self)
    }

    pub fn get(&self, name: &str) -> Option<&TemplateSource> {
        self.list.iter().find(|t| t.name == name)
    }

    pub fn list(&self) -> &[TemplateSource] {
        &self.list
    }

    pub fn names(&self) -> Vec<&str> {
        self.list.iter().map(|t| t.name.as_str()).collect()
    }
}

impl TemplateSource {
    /// A template file.
    pub fn read(path: &Path, name: &str) -> Result<TemplateSource, ReportError> {
        let source = std::fs::read_to_string(path)
            .map_err(|e| ReportError::Unreadable(format!("无法读取模板文件 {}：{e}", path.display())))?;
        Ok(TemplateSource {
            name: name.to_string(),
            file_name: path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default(),
            source,
            origin: Origin::File(path.to_path_buf()),
        })
    }
}

/// The text of a rendered template and the names it used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub text: String,
    /// Every context name the template reads that has a value, as written in the template.
    pub used: Vec<String>,
    /// Every name the template reads that has no value (rendered "X"), as written in the template, sorted.
    pub missing: Vec<String>,
}

/// The innermost message of a tera error chain (where a filter's own Chinese message is).
fn tera_message(e: &tera::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut inner: &dyn std::error::Error = e;
    while let Some(source) = inner.source() {
        parts.push(source.to_string());
        inner = source;
    }
    parts.join("：")
}

/// Render `template` with `context` (a JSON object), the report filters, no escaping.
pub fn render(template: &TemplateSource, context: &Value) -> Result<Rendered, ReportError> {
    let mut tera = Tera::default();
    tera.autoescape_on(vec![]);
    filters::register(&mut tera);
    let name = template.name.as_str();
    tera.add_raw_template(name, &template.source)
        .map_err(|e| ReportError::Template(format!("模板“{name}”有语法错误：{}", tera_message(&e))))?;

    let mut walker = Walker { context, used: BTreeSet::new(), missing: BTreeSet::new() };
    if let Some(t) = tera.templates.get_mut(name) {
        walker.nodes(&mut t.ast, &mut Vec::new());
        for defs in t.blocks_definitions.values_mut() {
            for (_, block) in defs.iter_mut() {
                walker.nodes(&mut block.body, &mut Vec::new());
            }
        }
        for def in t.blocks.values_mut() {
            walker.nodes(&mut def.body, &mut Vec::new());
        }
    }
    let ctx =
        Context::from_value(context.clone()).map_err(|e| ReportError::Template(format!("报告数据不是对象：{e}")))?;
    let text = tera
        .render(name, &ctx)
        .map_err(|e| ReportError::Template(format!("模板“{name}”无法生成：{}", tera_message(&e))))?;
    Ok(Rendered {
        text: text.trim_start_matches(['\n', '\r']).to_string(),
        used: walker.used.into_iter().collect(),
        missing: walker.missing.into_iter().collect(),
    })
}

/// A name bound inside the template (`for` variables, `set`), and whether its value is missing.
type Locals = Vec<(String, bool)>;

struct Walker<'a> {
    context: &'a Value,
    used: BTreeSet<String>,
    missing: BTreeSet<String>,
}

fn text_x() -> Node {
    Node::Text("X".to_string())
}

impl Walker<'_> {
    fn nodes(&mut self, nodes: &mut [Node], locals: &mut Locals) {
        for node in nodes.iter_mut() {
            self.node(node, locals);
        }
    }

    fn node(&mut self, node: &mut Node, locals: &mut Locals) {
        match node {
            Node::VariableBlock(_, expr) => {
                let missing = self.expr(expr, locals);
                if missing {
                    *node = text_x();
                }
            }
            Node::Set(_, set) => {
                let missing = self.expr(&mut set.value, locals);
                if missing {
                    set.value = Expr::new(ExprVal::String("X".into()));
                }
                locals.push((set.key.clone(), missing));
            }
            Node::If(if_node, _) => {
                for (_, cond, body) in if_node.conditions.iter_mut() {
                    if self.expr(cond, locals) {
                        *cond = Expr::new(ExprVal::Bool(false));
                    }
                    self.nodes(body, locals);
                }
                if let Some((_, body)) = &mut if_node.otherwise {
                    self.nodes(body, locals);
                }
            }
            Node::Forloop(_, for_loop, _) => {
                if self.expr(&mut for_loop.container, locals) {
                    *node = text_x();
                    return;
                }
                let depth = locals.len();
                locals.push(("loop".into(), false));
                locals.push((for_loop.value.clone(), false));
                if let Some(k) = &for_loop.key {
                    locals.push((k.clone(), false));
                }
                self.nodes(&mut for_loop.body, locals);
                if let Some(body) = &mut for_loop.empty_body {
                    self.nodes(body, locals);
                }
                locals.truncate(depth);
            }
            Node::FilterSection(_, section, _) => {
                for arg in section.filter.args.values_mut() {
                    self.expr(arg, locals);
                }
                self.nodes(&mut section.body, locals);
            }
            Node::Block(_, block, _) => self.nodes(&mut block.body, locals),
            Node::MacroDefinition(_, def, _) => {
                let depth = locals.len();
                locals.extend(def.args.keys().map(|k| (k.clone(), false)));
                self.nodes(&mut def.body, locals);
                locals.truncate(depth);
            }
            _ => {}
        }
    }

    /// Record the names `expr` reads; true when any of them is missing.
    fn expr(&mut self, expr: &mut Expr, locals: &Locals) -> bool {
        let mut missing = self.val(&mut expr.val, locals);
        for f in expr.filters.iter_mut() {
            for arg in f.args.values_mut() {
                missing |= self.expr(arg, locals);
            }
        }
        missing
    }

    fn val(&mut self, val: &mut ExprVal, locals: &Locals) -> bool {
        match val {
            ExprVal::Ident(ident) => {
                let (missing, literal) = self.ident(ident, locals);
                if let Some(l) = literal {
                    *val = l;
                }
                missing
            }
            ExprVal::Math(m) => self.expr(&mut m.lhs, locals) | self.expr(&mut m.rhs, locals),
            ExprVal::Logic(l) => self.expr(&mut l.lhs, locals) | self.expr(&mut l.rhs, locals),
            ExprVal::Test(t) => {
                let mut missing = false;
                for a in t.args.iter_mut() {
                    missing |= self.expr(a, locals);
                }
                if t.name == "defined" || t.name == "undefined" {
                    if !t.ident.is_ascii() && !is_local(&t.ident, locals) {
                        // Decided here: tera cannot look up a non-ASCII key (see `ident`).
                        let defined = resolve(self.context, &path_segments(&t.ident)).is_some_and(|v| !v.is_null());
                        let holds = defined == (t.name == "defined");
                        *val = ExprVal::Bool(holds != t.negated);
                    }
                    return missing;
                }
                let (m, _) = self.ident(&t.ident, locals);
                missing | m
            }
            ExprVal::MacroCall(c) => c.args.values_mut().fold(false, |m, a| self.expr(a, locals) | m),
            ExprVal::FunctionCall(c) => c.args.values_mut().fold(false, |m, a| self.expr(a, locals) | m),
            ExprVal::Array(items) => items.iter_mut().fold(false, |m, a| self.expr(a, locals) | m),
            ExprVal::StringConcat(c) => c.values.iter_mut().fold(false, |m, v| self.val(v, locals) | m),
            ExprVal::In(i) => self.expr(&mut i.lhs, locals) | self.expr(&mut i.rhs, locals),
            ExprVal::String(_) | ExprVal::Int(_) | ExprVal::Float(_) | ExprVal::Bool(_) => false,
        }
    }

    /// Whether `ident` is missing, and, for a present name with a non-ASCII key (`metrics["喜报份数"]`) whose
    /// value is a string, number or boolean, the literal to put in its place: tera 1.20's path lookup slices
    /// such keys at character counts instead of byte offsets and panics, so it must never see them.
    fn ident(&mut self, ident: &str, locals: &Locals) -> (bool, Option<ExprVal>) {
        let segments = path_segments(ident);
        let Some(Segment::Key(root)) = segments.first() else {
            return (false, None);
        };
        if let Some((_, missing)) = locals.iter().rev().find(|(name, _)| name == root) {
            // A loop variable or a `set` name: its own source was checked where it was bound.
            return (*missing, None);
        }
        if root == "__tera_context" {
            return (false, None);
        }
        match resolve(self.context, &segments) {
            Some(v) if !v.is_null() => {
                self.used.insert(ident.to_string());
                let literal = if ident.is_ascii() {
                    None
                } else {
                    match v {
                        Value::String(s) => Some(ExprVal::String(s.clone())),
                        Value::Bool(b) => Some(ExprVal::Bool(*b)),
                        Value::Number(n) => Some(match n.as_i64() {
                            Some(i) => ExprVal::Int(i),
                            None => ExprVal::String(n.to_string()),
                        }),
                        _ => None,
                    }
                };
                (false, literal)
            }
            _ => {
                self.missing.insert(ident.to_string());
                (true, None)
            }
        }
    }
}

fn is_local(ident: &str, locals: &Locals) -> bool {
    match path_segments(ident).first() {
        Some(Segment::Key(root)) => locals.iter().any(|(name, _)| name == root),
        _ => false,
    }
}

/// One step of a path such as `metrics["喜报份数"].x[0]`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Key(String),
    Index(usize),
    /// `a[b]`: looked up at render time; the static check stops here.
    Dynamic,
}

fn path_segments(ident: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = ident.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '.' => {
                if !cur.is_empty() {
                    out.push(Segment::Key(std::mem::take(&mut cur)));
                }
            }
            '[' => {
                if !cur.is_empty() {
                    out.push(Segment::Key(std::mem::take(&mut cur)));
                }
                let mut inner = String::new();
                for c in chars.by_ref() {
                    if c == ']' {
                        break;
                    }
                    inner.push(c);
                }
                let inner = inner.trim();
                let quoted = ['"', '\'', '`']
                    .iter()
                    .find(|q| inner.len() >= 2 && inner.starts_with(**q) && inner.ends_with(**q));
                out.push(if quoted.is_some() {
                    Segment::Key(inner[1..inner.len() - 1].to_string())
                } else if let Ok(i) = inner.parse::<usize>() {
                    Segment::Index(i)
                } else {
                    Segment::Dynamic
                });
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(Segment::Key(cur));
    }
    out
}

/// The value at `segments`, `None` when a step is absent. A dynamic step resolves to the value before it.
fn resolve<'v>(mut value: &'v Value, segments: &[Segment]) -> Option<&'v Value> {
    for s in segments {
        value = match s {
            Segment::Key(k) => value.get(k)?,
            Segment::Index(i) => value.get(*i)?,
            Segment::Dynamic => return Some(value),
        };
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tpl(source: &str) -> TemplateSource {
        TemplateSource {
            name: "t".into(),
            file_name: "t.md.tera".into(),
            source: source.into(),
            origin: Origin::BuiltIn,
        }
    }

    fn ctx() -> Value {
        json!({
            "totals": {"amount": "66849123.45", "persons": 13047, "person_times": 0},
            "metrics": {"喜报份数": "212", "慰问金": null},
            "confirmation": null,
            "by_item": [{"name": "抚恤金", "amount": "100.50"}],
        })
    }

    #[test]
    fn present_figures_render_and_are_listed_as_used() {
        let r = render(
            &tpl("发放{{ totals.persons | approx }}名，{{ totals.amount | wan }}元，送喜报{{ metrics[\"喜报份数\"] }}份，{{ totals.person_times }}人次。"),
            &ctx(),
        )
        .unwrap();
        // 13047 → 1.3万余; 66849123.45 → 6684.9万; a real zero prints as 0
        assert_eq!(r.text, "发放1.3万余名，6684.9万元，送喜报212份，0人次。");
        assert_eq!(r.missing, Vec::<String>::new());
        assert_eq!(r.used, vec!["metrics[\"喜报份数\"]", "totals.amount", "totals.person_times", "totals.persons"]);
    }

    #[test]
    fn missing_figures_render_x_with_their_filters_and_are_listed() {
        let r = render(
            &tpl("慰问金{{ metrics[\"慰问金\"] | wan(decimals=2) }}元；信访{{ metrics[\"信访件数\"] }}件；确认率{{ confirmation.rate | pct }}；{{ totls.amount }}；{{ totals.amount + metrics.x }}"),
            &ctx(),
        )
        .unwrap();
        assert_eq!(r.text, "慰问金X元；信访X件；确认率X；X；X");
        assert_eq!(
            r.missing,
            vec!["confirmation.rate", "metrics.x", "metrics[\"信访件数\"]", "metrics[\"慰问金\"]", "totls.amount"]
        );
    }

    #[test]
    fn conditions_loops_sets_and_defined_tests() {
        let r = render(
            &tpl(concat!(
                "{% for i in by_item %}{{ i.name }}{{ i.amount | yuan }}元{% endfor %}|",
                "{% for i in by_town %}{{ i.name }}{% endfor %}|",
                "{% if metrics.y > 3 %}多{% else %}少{% endif %}|",
                "{% set w = metrics[\"慰问金\"] %}{{ w | wan }}|",
                "{% set p = totals.persons %}{{ p }}|",
                "{% if metrics.z is defined %}有{% else %}无{% endif %}",
                "{% if metrics[\"喜报份数\"] is defined %}有{% endif %}{% if metrics[\"无此项\"] is not defined %}无{% endif %}",
            )),
            &ctx(),
        )
        .unwrap();
        assert_eq!(r.text, "抚恤金100.50元|X|少|X|13047|无有无");
        assert_eq!(r.missing, vec!["by_town", "metrics.y", "metrics[\"慰问金\"]"]);
        assert_eq!(r.used, vec!["by_item", "totals.persons"]);
    }

    #[test]
    fn syntax_and_filter_errors_are_reported() {
        let e = render(&tpl("{{ totals.amount | wan(decimal=2) }}"), &ctx()).unwrap_err().to_string();
        assert!(
            e.starts_with("模板“t”无法生成：") && e.ends_with("过滤器 wan 没有参数 decimal；可用的参数：decimals"),
            "{e}"
        );
        let e = render(&tpl("{{ totals.amount "), &ctx()).unwrap_err().to_string();
        assert!(e.starts_with("模板“t”有语法错误："), "{e}");
    }

    #[test]
    fn path_segments_parse() {
        assert_eq!(
            path_segments("metrics[\"喜报份数\"].a[0][x]"),
            vec![
                Segment::Key("metrics".into()),
                Segment::Key("喜报份数".into()),
                Segment::Key("a".into()),
                Segment::Index(0),
                Segment::Dynamic
            ]
        );
    }

    #[test]
    fn builtins_and_descriptions() {
        let t = Templates::builtin();
        assert_eq!(t.names(), vec!["half", "items", "annual", "city"]);
        for s in t.list() {
            assert!(!s.description().is_empty(), "{} has no 说明", s.name);
        }
        assert_eq!(template_name("half.md.tera").as_deref(), Some("half"));
        assert_eq!(template_name("my.tera").as_deref(), Some("my"));
        assert_eq!(template_name("notes.txt"), None);
    }

    #[test]
    fn a_folder_overrides_and_adds() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("half.md.tera"), "{# 说明：我们自己的半年模板 #}自定义").unwrap();
        std::fs::write(dir.path().join("extra.tera"), "额外").unwrap();
        std::fs::write(dir.path().join("readme.txt"), "not a template").unwrap();
        let t = Templates::builtin().with_dir(dir.path()).unwrap();
        assert_eq!(t.names(), vec!["half", "items", "annual", "city", "extra"]);
        assert_eq!(t.get("half").unwrap().description(), "我们自己的半年模板");
        assert_eq!(t.get("half").unwrap().origin, Origin::File(dir.path().join("half.md.tera")));
        let e = Templates::builtin().with_dir(&dir.path().join("nope")).unwrap_err().to_string();
        assert!(e.starts_with(&format!("无法读取模板文件夹 {}：", dir.path().join("nope").display())), "{e}");
    }
}
