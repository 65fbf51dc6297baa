//! The source lines a traceback prints for one frame, with the carets CPython 3.11+ draw under
//! the failing expression (PEP 657).
//!
//! CPython records a position per instruction (`co_positions`) and its traceback printer cuts
//! that segment out of the line, parses it, and, for a binary operation, a subscript or (3.13)
//! a call, marks the operator or the brackets with `^` and the rest with `~`. This module ports
//! both printers: 3.11/3.12's (`Lib/traceback.py`, mirrored by `Python/traceback.c`) and
//! 3.13's, which also prints every line of a multi-line expression and leaves carets out when
//! they would only underline a whole `x = f(...)` or `return f(...)`. Offsets are counted in
//! characters; CPython's widening of East Asian wide characters is not modelled.

use crate::bytecode::Pos;
use ruff_python_ast::{Expr, Stmt};
use ruff_text_size::Ranged;

/// How a version prints a frame's source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaretStyle {
    /// 2.7 to 3.10: the stripped line only.
    Plain,
    /// 3.11 and 3.12: the stripped line, then carets under the instruction's segment.
    Py311,
    /// 3.13: every line of the instruction, dedented, with carets where they say something.
    Py313,
}

/// The text printed under `  File "…", line N, in f` for an instruction at `pos` on `line`:
/// each line indented by four spaces and ending in a newline; empty when the line is blank.
#[must_use]
pub fn frame_source(source: &str, line: u32, pos: Option<Pos>, style: CaretStyle) -> String {
    let lines: Vec<&str> = source.lines().collect();
    let Some(text) = line
        .checked_sub(1)
        .and_then(|i| lines.get(i as usize).copied())
    else {
        return String::new();
    };
    let stripped = py_strip(text);
    if stripped.is_empty() {
        return String::new();
    }
    let plain = format!("    {stripped}\n");
    let located = pos
        .and_then(|p| locate(source, p))
        .filter(|l| l.start.0 + 1 == line as usize);
    let Some(loc) = located else {
        return plain;
    };
    match style {
        CaretStyle::Plain => plain,
        CaretStyle::Py311 => py311(&lines, loc, &plain).unwrap_or(plain),
        CaretStyle::Py313 => py313(&lines, loc).unwrap_or(plain),
    }
}

/// An instruction's span as (0-based line, byte column) pairs.
#[derive(Clone, Copy, Debug)]
struct Loc {
    start: (usize, usize),
    end: (usize, usize),
}

fn locate(source: &str, p: Pos) -> Option<Loc> {
    if p.end <= p.start || p.end as usize > source.len() {
        return None;
    }
    let at = |off: usize| {
        let before = source.get(..off)?;
        let line = before.matches('\n').count();
        let col = off - before.rfind('\n').map_or(0, |i| i + 1);
        Some((line, col))
    };
    Some(Loc {
        start: at(p.start as usize)?,
        end: at(p.end as usize)?,
    })
}

/// Python's `str.strip()` for the whitespace a source line can hold.
fn py_strip(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace())
}

/// Characters in `s[..byte]` (CPython's `_byte_offset_to_character_offset`).
fn chars_to(s: &str, byte: usize) -> usize {
    let mut b = byte.min(s.len());
    while !s.is_char_boundary(b) {
        b -= 1;
    }
    s[..b].chars().count()
}

fn parse_one_expr(src: &str) -> Option<Expr> {
    let module = ruff_python_parser::parse_module(src).ok()?.into_syntax();
    if module.body.len() != 1 {
        return None;
    }
    match module.body.into_iter().next()? {
        Stmt::Expr(e) => Some(*e.value),
        _ => None,
    }
}

/// 3.11's `_extract_caret_anchors_from_line_segment`: (left end, right start) in characters.
fn anchors311(segment: &str) -> Option<(usize, usize)> {
    let seg: Vec<char> = segment.chars().collect();
    let norm = |b: usize| chars_to(segment, b);
    match parse_one_expr(segment)? {
        Expr::BinOp(b) => {
            let op_start = norm(b.left.end().to_usize());
            let op_end = norm(b.right.start().to_usize());
            let op: Vec<char> = seg.get(op_start..op_end)?.to_vec();
            let offset = op.iter().take_while(|c| c.is_whitespace()).count();
            let mut left = op_start + offset;
            let mut right = left + 1;
            if offset + 1 < op.len() && !op[offset + 1].is_whitespace() {
                right += 1;
            }
            while left < seg.len() && (seg[left].is_whitespace() || ")#".contains(seg[left])) {
                left += 1;
                right += 1;
            }
            Some((left, right))
        }
        Expr::Subscript(s) => {
            let mut left = norm(s.value.end().to_usize());
            let mut right = norm(s.slice.end().to_usize() + 1);
            while left < seg.len() && (seg[left].is_whitespace() || seg[left] != '[') {
                left += 1;
            }
            while right < seg.len() && (seg[right].is_whitespace() || seg[right] != ']') {
                right += 1;
            }
            if right < seg.len() {
                right += 1;
            }
            Some((left, right))
        }
        _ => None,
    }
}

fn py311(lines: &[&str], loc: Loc, plain: &str) -> Option<String> {
    let text = lines[loc.start.0];
    let stripped: Vec<char> = py_strip(text).chars().collect();
    let start = chars_to(text, loc.start.1);
    let (end, anchors) = if loc.start.0 == loc.end.0 {
        let end = chars_to(text, loc.end.1);
        let segment: String = text
            .chars()
            .skip(start)
            .take(end.saturating_sub(start))
            .collect();
        (end, anchors311(&segment))
    } else {
        (text.trim_end().chars().count(), None)
    };
    // `linecache` keeps the newline: the printer counts it among the stripped characters.
    let stripped_chars = text.chars().count() + 1 - stripped.len();
    let width = end.saturating_sub(start);
    let secondary = anchors.is_some_and(|(l, r)| r > l);
    if width >= stripped.len() && !secondary {
        return None;
    }
    let mut out = plain.to_string();
    out.push_str("    ");
    out.push_str(&" ".repeat((start + 1).saturating_sub(stripped_chars)));
    match anchors {
        Some((l, r)) => {
            out.push_str(&"~".repeat(l));
            out.push_str(&"^".repeat(r.saturating_sub(l)));
            out.push_str(&"~".repeat(width.saturating_sub(r)));
        }
        None => out.push_str(&"^".repeat(width)),
    }
    out.push('\n');
    Some(out)
}

/// 3.13's anchors: (left line, left col, right line, right col), lines and characters counted
/// within the segment.
type Anchors = (usize, usize, usize, usize);

fn anchors313(segment: &str) -> Option<Anchors> {
    let wrapped = format!("(\n{segment}\n)");
    let expr = parse_one_expr(&wrapped)?;
    let lines: Vec<Vec<char>> = segment.lines().map(|l| l.chars().collect()).collect();
    let line_texts: Vec<&str> = segment.lines().collect();
    // A byte offset in `wrapped` as (segment line, character column).
    let at = |off: usize| -> Option<(usize, usize)> {
        let before = wrapped.get(..off)?;
        let line = before.matches('\n').count().checked_sub(1)?;
        let col = off - before.rfind('\n').map_or(0, |i| i + 1);
        Some((line, chars_to(line_texts.get(line)?, col)))
    };
    let next_valid = |mut line: usize, mut col: usize| -> Option<(usize, usize)> {
        while line < lines.len() && col >= lines[line].len() {
            col = 0;
            line += 1;
        }
        (line < lines.len()).then_some((line, col))
    };
    let increment_until = |mut line: usize, mut col: usize, stop: &dyn Fn(char) -> bool| {
        loop {
            let ch = *lines.get(line)?.get(col)?;
            if ch == '\\' || ch == '#' {
                (line, col) = next_valid(line + 1, 0)?;
            } else if !stop(ch) {
                (line, col) = next_valid(line, col + 1)?;
            } else {
                return Some((line, col));
            }
        }
    };
    let end_of = |e: &Expr| {
        let (l, c) = at(e.end().to_usize())?;
        next_valid(l, c)
    };
    let brackets = |inner: &Expr, whole: &Expr, open: char| {
        let (l, c) = end_of(inner)?;
        let (l, c) = increment_until(l, c, &|ch| ch == open)?;
        let (rl, rc) = at(whole.end().to_usize())?;
        Some((l, c, rl, rc))
    };
    match &expr {
        Expr::BinOp(b) => {
            let (l, c) = end_of(&b.left)?;
            let (l, c) = increment_until(l, c, &|ch| !ch.is_whitespace() && ch != ')')?;
            let mut right = c + 1;
            let (rl, rc) = at(b.right.start().to_usize())?;
            if right < lines[l].len()
                && (rl > l || right < rc)
                && !lines[l][right].is_whitespace()
                && !"\\#".contains(lines[l][right])
            {
                right += 1;
            }
            Some((l, c, l, right))
        }
        Expr::Subscript(s) => brackets(&s.value, &expr, '['),
        Expr::Call(call) => brackets(&call.func, &expr, '('),
        _ => None,
    }
}

/// `textwrap.dedent`: removes the longest common leading whitespace of the non-blank lines
/// (blank lines become empty).
fn dedent(lines: &[String]) -> Vec<String> {
    let indent = |l: &str| l.len() - l.trim_start_matches([' ', '\t']).len();
    let common = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| &l[..indent(l)])
        .reduce(|a, b| {
            let n = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
            &a[..n]
        })
        .unwrap_or("")
        .len();
    lines
        .iter()
        .map(|l| {
            if l.trim().is_empty() {
                String::new()
            } else {
                l[common..].to_string()
            }
        })
        .collect()
}

/// 3.13's `_should_show_carets`.
fn should_show(start: usize, end: usize, all: &[String], anchors: bool) -> bool {
    let joined = all.join("\n");
    if let Ok(parsed) = ruff_python_parser::parse_module(&joined) {
        let module = parsed.into_syntax();
        let Some(first) = module.body.first() else {
            return false;
        };
        let value = match first {
            Stmt::Return(r) => r
                .value
                .as_deref()
                .filter(|v| matches!(v, Expr::Call(c) if c.func.is_name_expr())),
            Stmt::Assign(a) if a.targets.len() == 1 && a.targets[0].is_name_expr() => {
                Some(&*a.value).filter(|v| v.is_call_expr())
            }
            _ => None,
        };
        if let Some(v) = value {
            // (line, character column) of a byte offset in `joined`.
            let at = |off: usize| {
                let before = joined.get(..off).unwrap_or("");
                let line_start = before.rfind('\n').map_or(0, |i| i + 1);
                (
                    before.matches('\n').count(),
                    before[line_start..].chars().count(),
                )
            };
            let (sl, sc) = at(v.start().to_usize());
            let (el, ec) = at(v.end().to_usize());
            if sl == 0 && el + 1 == all.len() && sc == start && ec == end {
                return false;
            }
        }
    }
    if anchors {
        return true;
    }
    let first: Vec<char> = all[0].chars().collect();
    let last: Vec<char> = all[all.len() - 1].chars().collect();
    let before: String = first.iter().take(start).collect();
    let after: String = last.iter().skip(end).collect();
    !before.trim_start().is_empty() || !after.trim_end().is_empty()
}

fn py313(lines: &[&str], loc: Loc) -> Option<String> {
    let original: Vec<String> = (loc.start.0..=loc.end.0)
        .map(|i| lines.get(i).map_or("", |l| l.trim_end()).to_string())
        .collect();
    let all = dedent(&original);
    let first = &original[0];
    let last = &original[original.len() - 1];
    let dedented_by = first.chars().count() - all[0].chars().count();
    let start = chars_to(first, loc.start.1).saturating_sub(dedented_by);
    let end = chars_to(last, loc.end.1).saturating_sub(dedented_by);
    let joined = all.join("\n");
    let total = joined.chars().count();
    let last_len = all[all.len() - 1].chars().count();
    let cut_end = total.checked_sub(last_len.checked_sub(end)?)?;
    let segment: String = joined
        .chars()
        .skip(start)
        .take(cut_end.checked_sub(start)?)
        .collect();
    let anchors = anchors313(&segment).map(|(ll, lc, rl, rc)| {
        let lc = if ll == 0 { lc + start } else { lc };
        let rc = if rl == 0 { rc + start } else { rc };
        (ll, lc, rl, rc)
    });
    let show = should_show(start, end, &all, anchors.is_some());
    let n = all.len();
    let mut significant = std::collections::BTreeSet::from([0, n - 1]);
    if let Some((ll, _, rl, _)) = anchors {
        for l in [ll, rl] {
            significant.extend(l.saturating_sub(1)..=l + 1);
            if l == 0 {
                significant.insert(0);
            }
        }
    }
    significant.retain(|&l| l < n);
    let mut result: Vec<String> = Vec::new();
    let output_line = |l: usize, result: &mut Vec<String>| {
        let text = &all[l];
        result.push(text.clone());
        if !show {
            return;
        }
        let chars: Vec<char> = text.chars().collect();
        let spaces = chars.iter().take_while(|c| c.is_whitespace()).count();
        let count = if l == n - 1 { end } else { chars.len() };
        let carets: String = (0..count)
            .map(|col| {
                if col < spaces || (l == 0 && col < start) {
                    ' '
                } else if let Some((ll, lc, rl, rc)) = anchors
                    && (l > ll || (l == ll && col >= lc))
                    && (l < rl || (l == rl && col < rc))
                {
                    '^'
                } else if anchors.is_some() {
                    '~'
                } else {
                    '^'
                }
            })
            .collect();
        result.push(carets);
    };
    let sig: Vec<usize> = significant.into_iter().collect();
    for (i, &l) in sig.iter().enumerate() {
        if i > 0 {
            let diff = l - sig[i - 1];
            if diff == 2 {
                output_line(l - 1, &mut result);
            } else if diff > 2 {
                result.push(format!("...<{} lines>...", diff - 1));
            }
        }
        output_line(l, &mut result);
    }
    let mut out = String::new();
    for l in dedent(&result) {
        out.push_str("    ");
        out.push_str(&l);
        out.push('\n');
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos_of(src: &str, needle: &str) -> Pos {
        let start = src.find(needle).expect("needle") as u32;
        Pos {
            col: 1,
            start,
            end: start + needle.len() as u32,
        }
    }

    fn show(src: &str, line: u32, needle: &str, style: CaretStyle) -> String {
        frame_source(src, line, Some(pos_of(src, needle)), style)
    }

    #[test]
    fn binary_operation_marks_the_operator() {
        let src = "def f(n):\n    x = counts[0] + n / 0\n";
        assert_eq!(
            show(src, 2, "n / 0", CaretStyle::Py311),
            "    x = counts[0] + n / 0\n                    ~~^~~\n"
        );
        assert_eq!(
            show(src, 2, "n / 0", CaretStyle::Py313),
            "    x = counts[0] + n / 0\n                    ~~^~~\n"
        );
        assert_eq!(
            show(src, 2, "n / 0", CaretStyle::Plain),
            "    x = counts[0] + n / 0\n"
        );
    }

    #[test]
    fn subscript_marks_the_brackets() {
        let src = "    d['success'] += 1\n";
        assert_eq!(
            show(src, 1, "d['success']", CaretStyle::Py311),
            "    d['success'] += 1\n    ~^^^^^^^^^^^\n"
        );
    }

    #[test]
    fn whole_line_has_no_carets_and_313_marks_calls() {
        let src = "    self.run()\n";
        assert_eq!(
            show(src, 1, "self.run()", CaretStyle::Py311),
            "    self.run()\n"
        );
        assert_eq!(
            show(src, 1, "self.run()", CaretStyle::Py313),
            "    self.run()\n    ~~~~~~~~^^\n"
        );
        let src = "    y = other(1)\n";
        assert_eq!(
            show(src, 1, "other(1)", CaretStyle::Py311),
            "    y = other(1)\n        ^^^^^^^^\n"
        );
        assert_eq!(
            show(src, 1, "other(1)", CaretStyle::Py313),
            "    y = other(1)\n"
        );
    }

    #[test]
    fn multi_line_call() {
        let src = "value = combine(\n    1,\n    \"three\",\n)\n";
        let call = &src[8..src.len() - 1];
        assert_eq!(
            show(src, 1, call, CaretStyle::Py311),
            "    value = combine(\n            ^^^^^^^^\n"
        );
        assert_eq!(
            show(src, 1, call, CaretStyle::Py313),
            "    value = combine(\n        1,\n        \"three\",\n    )\n"
        );
    }
}
