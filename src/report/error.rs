//! What the report layer fails with, as values; the CLI decides how each one is shown and its exit code.

/// A template that cannot be used. Problems of the metrics sheet are `Problems` (located, like any input), and a
/// period that does not parse is `PeriodError`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    /// A template file or folder that cannot be read.
    #[error("{0}")]
    Unreadable(String),
    /// A template that does not parse, or does not render with the figures.
    #[error("{0}")]
    Template(String),
}
