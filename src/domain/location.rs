//! Where a problem is, as the user sees it (file, sheet, Excel row, column header), and the problem itself:
//! a stable code, a Chinese message, the offending value and what to do about it.

use serde::Serialize;
use std::fmt;

/// A place in an input file. `row` is the row number Excel or WPS shows (1-based, counting title rows).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Default)]
pub struct Location {
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
}

impl Location {
    pub fn file(file: impl Into<String>) -> Self {
        Location { file: file.into(), ..Default::default() }
    }
    pub fn with_sheet(mut self, sheet: Option<String>) -> Self {
        self.sheet = sheet;
        self
    }
    pub fn with_row(mut self, row: u32) -> Self {
        self.row = Some(row);
        self
    }
    pub fn with_column(mut self, column: impl Into<String>) -> Self {
        self.column = Some(column.into());
        self
    }
}

/// `roster.xlsx 工作表「花名册」第12行「身份证号」列`
impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(sheet) = &self.sheet {
            write!(f, " 工作表「{sheet}」")?;
        }
        if let Some(row) = self.row {
            let sep = if self.sheet.is_some() { "" } else { " " };
            write!(f, "{sep}第{row}行")?;
        }
        if let Some(col) = &self.column {
            write!(f, "「{col}」列")?;
        }
        Ok(())
    }
}

/// One thing wrong with the input, with everything a finance officer needs to find and fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Stable code for scripts, e.g. `ID_CHECK_DIGIT`.
    pub code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// What is wrong, in Chinese.
    pub message: String,
    /// What to do, in Chinese.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Problem {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Problem { code, location: None, value: None, message: message.into(), hint: None }
    }
    pub fn at(mut self, location: Location) -> Self {
        self.location = Some(location);
        self
    }
    pub fn value(mut self, value: impl Into<String>) -> Self {
        self.value = Some(value.into());
        self
    }
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// `roster.xlsx 工作表「花名册」第12行「身份证号」列：身份证号校验码错误（值：“110101199003071234”）。应为 X，请核对原始证件。[ID_CHECK_DIGIT]`
impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(loc) = &self.location {
            write!(f, "{loc}：")?;
        }
        write!(f, "{}", self.message)?;
        if let Some(v) = &self.value {
            write!(f, "（值：“{v}”）")?;
        }
        write!(f, "。")?;
        if let Some(h) = &self.hint {
            write!(f, "{h}")?;
        }
        write!(f, " [{}]", self.code)
    }
}

/// A non-empty list of problems: what a refused run reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
#[serde(transparent)]
pub struct Problems(pub Vec<Problem>);

impl Problems {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn push(&mut self, p: Problem) {
        self.0.push(p);
    }
    pub fn extend(&mut self, other: Problems) {
        self.0.extend(other.0);
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// `Ok(value)` when there is no problem.
    pub fn into_result<T>(self, value: T) -> Result<T, Problems> {
        if self.0.is_empty() { Ok(value) } else { Err(self) }
    }
}

impl From<Problem> for Problems {
    fn from(p: Problem) -> Self {
        Problems(vec![p])
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Problems {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_file_sheet_row_column_value_and_hint() {
        let p = Problem::new("ID_CHECK_DIGIT", "身份证号校验码错误")
            .at(Location::file("roster.xlsx").with_sheet(Some("花名册".into())).with_row(12).with_column("身份证号"))
            .value("110101199003071234")
            .hint("应为 X，请核对原始证件。");
        assert_eq!(
            p.to_string(),
            "roster.xlsx 工作表「花名册」第12行「身份证号」列：身份证号校验码错误（值：“110101199003071234”）。应为 X，请核对原始证件。 [ID_CHECK_DIGIT]"
        );
    }

    #[test]
    fn csv_location_has_no_sheet() {
        let loc = Location::file("roster.csv").with_row(3);
        assert_eq!(loc.to_string(), "roster.csv 第3行");
    }
}
