//! Errors the compiler reports: syntax errors and constructs outside the supported subset.
//!
//! Errors are data with a source span; only the CLI renders them.

use std::fmt;

/// What went wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The source is not valid Python.
    Syntax,
    /// Valid Python that gilsim does not run.
    Unsupported,
    /// A `-D NAME=VALUE` define that cannot be applied.
    Define,
}

/// A located compile error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompileError {
    /// What kind of error.
    pub kind: ErrorKind,
    /// What happened, in one sentence.
    pub message: String,
    /// What the user can do about it.
    pub hint: Option<String>,
    /// Byte range in the source.
    pub start: usize,
    /// End of the byte range in the source.
    pub end: usize,
    /// 1-based line of `start`.
    pub line: u32,
    /// 1-based column (in characters) of `start`.
    pub col: u32,
}

impl CompileError {
    /// Builds an error at a byte range of `source`.
    #[must_use]
    pub fn at(
        kind: ErrorKind,
        source: &str,
        start: usize,
        end: usize,
        message: impl Into<String>,
        hint: Option<String>,
    ) -> Self {
        let (line, col) = line_col(source, start);
        CompileError {
            kind,
            message: message.into(),
            hint,
            start,
            end: end.max(start),
            line,
            col,
        }
    }
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.col, self.message)
    }
}

impl std::error::Error for CompileError {}

/// 1-based line and character column of a byte offset.
#[must_use]
pub fn line_col(source: &str, offset: usize) -> (u32, u32) {
    let offset = offset.min(source.len());
    let before = &source[..floor_char_boundary(source, offset)];
    let line = before.matches('\n').count() as u32 + 1;
    let line_start = before.rfind('\n').map_or(0, |p| p + 1);
    let col = before[line_start..].chars().count() as u32 + 1;
    (line, col)
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}
