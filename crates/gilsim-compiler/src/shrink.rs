//! `--shrink N`: make a real program small enough to explore without editing it. Integer
//! literals above N that size the work are rewritten to N: the stop of a `range(...)` call,
//! the bound a `while` loop compares against, and a module-level size constant
//! (`ITERATIONS = 100_000`). Each rewrite is reported (line:col, old text → new), because the
//! exploration is of the rewritten program.

use ruff_python_ast::visitor::{Visitor, walk_expr, walk_stmt};
use ruff_python_ast::{CmpOp, Expr, Number, Stmt};
use ruff_text_size::{Ranged, TextRange};

/// One literal rewritten by [`shrink`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rewrite {
    /// 1-based line of the literal.
    pub line: u32,
    /// 1-based column (in characters).
    pub col: u32,
    /// The literal as the source wrote it (`100_000`).
    pub old: String,
    /// What it became.
    pub new: u64,
    /// What the literal was: "range stop", "while bound" or "size constant NAME".
    pub role: String,
}

/// The program with its work-sizing literals above `n` rewritten to `n` (a two-argument
/// `range(a, b)` becomes `range(a, a + n)`), and the rewrites in source order. Names in `keep`
/// (those a `-D` set) are left alone. A source that does not parse is returned unchanged: the
/// compiler reports it.
#[must_use]
pub fn shrink(source: &str, n: u64, keep: &[String]) -> (String, Vec<Rewrite>) {
    let Ok(parsed) = ruff_python_parser::parse_module(source) else {
        return (source.to_string(), Vec::new());
    };
    let module = parsed.into_syntax();
    let mut finder = Finder {
        n,
        found: Vec::new(),
    };
    for stmt in &module.body {
        if let Some((name, value)) = size_constant(stmt)
            && !keep.iter().any(|k| k == name)
        {
            finder.literal(value, n, &format!("size constant {name}"));
        }
    }
    finder.visit_body(&module.body);
    let mut edits = finder.found;
    edits.sort_by_key(|(r, _, _)| r.start());
    edits.dedup_by_key(|(r, _, _)| r.start());
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(source.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let mut rewrites = Vec::new();
    for (range, new, role) in &edits {
        let start = range.start().to_usize();
        let line = line_starts.partition_point(|&s| s <= start);
        let col = source[line_starts[line - 1]..start].chars().count() + 1;
        rewrites.push(Rewrite {
            line: line as u32,
            col: col as u32,
            old: source[range.start().to_usize()..range.end().to_usize()].to_string(),
            new: *new,
            role: role.clone(),
        });
    }
    let mut out = source.to_string();
    for (range, new, _) in edits.iter().rev() {
        out.replace_range(
            range.start().to_usize()..range.end().to_usize(),
            &new.to_string(),
        );
    }
    (out, rewrites)
}

/// `NAME = <int literal>` (or annotated) at module level.
fn size_constant(stmt: &Stmt) -> Option<(&str, &Expr)> {
    match stmt {
        Stmt::Assign(a) if a.targets.len() == 1 => match &a.targets[0] {
            Expr::Name(name) => Some((name.id.as_str(), &a.value)),
            _ => None,
        },
        Stmt::AnnAssign(a) => match (&*a.target, a.value.as_deref()) {
            (Expr::Name(name), Some(v)) => Some((name.id.as_str(), v)),
            _ => None,
        },
        _ => None,
    }
}

/// A non-negative int literal's value.
fn int_literal(e: &Expr) -> Option<u64> {
    match e {
        Expr::NumberLiteral(lit) => match &lit.value {
            Number::Int(i) => i.as_u64(),
            _ => None,
        },
        _ => None,
    }
}

struct Finder {
    n: u64,
    found: Vec<(TextRange, u64, String)>,
}

impl Finder {
    /// Rewrites `e` to `to` when it is an int literal above `to`.
    fn literal(&mut self, e: &Expr, to: u64, role: &str) {
        if int_literal(e).is_some_and(|v| v > to) {
            self.found.push((e.range(), to, role.to_string()));
        }
    }
}

impl<'a> Visitor<'a> for Finder {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        if let Stmt::While(w) = stmt
            && let Expr::Compare(c) = &*w.test
            && c.ops.len() == 1
            && matches!(c.ops[0], CmpOp::Lt | CmpOp::LtE | CmpOp::NotEq)
        {
            self.literal(&c.comparators[0], self.n, "while bound");
        }
        walk_stmt(self, stmt);
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        if let Expr::Call(call) = expr
            && matches!(&*call.func, Expr::Name(f) if f.id.as_str() == "range")
            && call.arguments.keywords.is_empty()
        {
            let args = &call.arguments.args;
            match &args[..] {
                [stop] => self.literal(stop, self.n, "range stop"),
                [start, stop, ..] => {
                    if let Some(a) = int_literal(start) {
                        self.literal(stop, a.saturating_add(self.n), "range stop");
                    }
                }
                [] => {}
            }
        }
        walk_expr(self, expr);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shrinks_loop_bounds_and_size_constants_and_says_where() {
        let src = "THREADS = 10\nITERATIONS = 100_000\nSMALL = 1\nfor i in range(1000000):\n    pass\nfor j in range(5, 50):\n    pass\nn = 0\nwhile n < 20000:\n    n += 1\nx = [range(2)]\n";
        let (out, rw) = shrink(src, 2, &["THREADS".to_string()]);
        assert_eq!(
            out,
            "THREADS = 10\nITERATIONS = 2\nSMALL = 1\nfor i in range(2):\n    pass\nfor j in range(5, 7):\n    pass\nn = 0\nwhile n < 2:\n    n += 1\nx = [range(2)]\n"
        );
        let text: Vec<String> = rw
            .iter()
            .map(|r| format!("{}:{} {} → {} ({})", r.line, r.col, r.old, r.new, r.role))
            .collect();
        assert_eq!(
            text,
            [
                "2:14 100_000 → 2 (size constant ITERATIONS)",
                "4:16 1000000 → 2 (range stop)",
                "6:19 50 → 7 (range stop)",
                "9:11 20000 → 2 (while bound)",
            ]
        );
        assert_eq!(shrink("x = (", 2, &[]).1, Vec::new());
    }
}
