//! 类别: the kinds of 优抚对象 docs/domain.md lists, their common aliases, and the nearest known name for a
//! misspelling. A county adds its own kinds and aliases in youfu.toml.

use std::collections::BTreeMap;

/// The kinds named in docs/domain.md ("Words", 类别).
pub const KNOWN: &[&str] = &[
    "残疾军人",
    "烈士遗属",
    "因公牺牲军人遗属",
    "病故军人遗属",
    "在乡复员军人",
    "带病回乡退伍军人",
    "参战退役人员",
    "参试退役人员",
    "农村籍退役士兵",
    "烈士子女",
    "在乡退伍红军老战士",
    "在乡西路军红军老战士",
    "红军失散人员",
];

/// Common other names → the known name.
pub const ALIASES: &[(&str, &str)] = &[
    ("伤残军人", "残疾军人"),
    ("残疾退役军人", "残疾军人"),
    ("伤残退役军人", "残疾军人"),
    ("烈属", "烈士遗属"),
    ("因公牺牲遗属", "因公牺牲军人遗属"),
    ("病故遗属", "病故军人遗属"),
    ("复员军人", "在乡复员军人"),
    ("带病回乡", "带病回乡退伍军人"),
    ("带病回乡退役军人", "带病回乡退伍军人"),
    ("参战人员", "参战退役人员"),
    ("参试人员", "参试退役人员"),
    ("年满60周岁农村籍退役士兵", "农村籍退役士兵"),
    ("60周岁农村籍退役士兵", "农村籍退役士兵"),
    ("农村籍老义务兵", "农村籍退役士兵"),
    ("部分烈士子女", "烈士子女"),
    ("烈士老年子女", "烈士子女"),
    ("红军老战士", "在乡退伍红军老战士"),
    ("西路军红军老战士", "在乡西路军红军老战士"),
];

/// The 类别 a run accepts: the known list plus configuration.
#[derive(Debug, Clone)]
pub struct Categories {
    names: Vec<String>,
    aliases: BTreeMap<String, String>,
}

/// Result of looking up a 类别 as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CategoryLookup {
    Known(String),
    /// Not known; the nearest known name if one is close.
    Unknown {
        nearest: Option<String>,
    },
}

impl Default for Categories {
    fn default() -> Self {
        Categories::new(&[], &BTreeMap::new())
    }
}

impl Categories {
    pub fn new(extra: &[String], extra_aliases: &BTreeMap<String, String>) -> Self {
        let mut names: Vec<String> = KNOWN.iter().map(|s| s.to_string()).collect();
        names.extend(extra.iter().cloned());
        let mut aliases: BTreeMap<String, String> =
            ALIASES.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
        aliases.extend(extra_aliases.clone());
        Categories { names, aliases }
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Look a typed name up: exact, then alias, else the nearest known name (edit distance on characters,
    /// close enough when at most a third of the characters differ).
    pub fn lookup(&self, typed: &str) -> CategoryLookup {
        let t = typed.trim();
        if self.names.iter().any(|n| n == t) {
            return CategoryLookup::Known(t.to_string());
        }
        if let Some(n) = self.aliases.get(t) {
            return CategoryLookup::Known(n.clone());
        }
        let candidates = self.names.iter().chain(self.aliases.keys());
        let best = candidates
            .map(|n| (strsim::levenshtein(n, t), n))
            .min_by_key(|(d, _)| *d)
            .filter(|(d, n)| *d * 3 <= n.chars().count().max(t.chars().count()));
        let nearest = best.map(|(_, n)| self.aliases.get(n).cloned().unwrap_or_else(|| n.clone()));
        CategoryLookup::Unknown { nearest }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_alias_and_misspelling() {
        let c = Categories::default();
        assert_eq!(c.lookup("残疾军人"), CategoryLookup::Known("残疾军人".into()));
        assert_eq!(c.lookup(" 伤残军人 "), CategoryLookup::Known("残疾军人".into()));
        assert_eq!(c.lookup("烈属"), CategoryLookup::Known("烈士遗属".into()));
        // one character wrong
        assert_eq!(c.lookup("残疾军仁"), CategoryLookup::Unknown { nearest: Some("残疾军人".into()) });
        assert_eq!(c.lookup("病故军人遗嘱"), CategoryLookup::Unknown { nearest: Some("病故军人遗属".into()) });
        assert_eq!(c.lookup("公务员"), CategoryLookup::Unknown { nearest: None });
    }

    #[test]
    fn config_adds_names_and_aliases() {
        let mut aliases = BTreeMap::new();
        aliases.insert("镇籍老兵".to_string(), "在乡复员军人".to_string());
        let c = Categories::new(&["见义勇为人员".to_string()], &aliases);
        assert_eq!(c.lookup("见义勇为人员"), CategoryLookup::Known("见义勇为人员".into()));
        assert_eq!(c.lookup("镇籍老兵"), CategoryLookup::Known("在乡复员军人".into()));
    }
}
