//! The disassembler: code objects printed as CPython 3.9's `dis` prints them, with the
//! profile's check points marked.
//!
//! Each row is `line  >> offset OPNAME arg (argrepr)` exactly as `dis` lays it out, followed by
//! a switch mark when the profile lets another thread run right after that instruction:
//! `⇄` always, `⇄?` only sometimes (a conditional jump on a non-`bool` value).

use crate::bytecode::{ArgKind, COMPARE_OPS, CodeObject, Const, Op, Program};
use crate::profile::{CheckAfter, Profile};
use std::fmt::Write as _;

/// Where a thread may be switched out relative to one instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SwitchMark {
    /// Never right after this instruction.
    No,
    /// Always possible right after it.
    Yes,
    /// Possible after it in some executions only.
    Sometimes,
}

/// The switch mark of instruction `i` of `code` under `profile`.
#[must_use]
pub fn switch_mark(profile: &Profile, code: &CodeObject, i: usize) -> SwitchMark {
    let instr = code.instrs[i];
    let after = profile.check_after(instr.op);
    if after == CheckAfter::Never {
        return SwitchMark::No;
    }
    let mut successors = Vec::with_capacity(2);
    if !matches!(
        instr.op,
        Op::JUMP_ABSOLUTE | Op::JUMP_FORWARD | Op::RETURN_VALUE | Op::RERAISE | Op::RAISE_VARARGS
    ) {
        successors.push(i + 1);
    }
    if instr.op.is_jump() && instr.op != Op::SETUP_FINALLY && instr.op != Op::SETUP_WITH {
        successors.push(instr.arg as usize);
    }
    if matches!(instr.op, Op::RETURN_VALUE) {
        // The caller continues after its CALL, which dispatches with a check.
        return SwitchMark::Yes;
    }
    let checked = successors
        .iter()
        .filter(|&&s| {
            code.instrs
                .get(s)
                .is_some_and(|n| !profile.skips_check_before(n.op))
        })
        .count();
    match (after, checked) {
        (_, 0) => SwitchMark::No,
        (CheckAfter::Always, n) if n == successors.len() => SwitchMark::Yes,
        _ => SwitchMark::Sometimes,
    }
}

/// `repr()` of a constant as CPython prints it.
#[must_use]
pub fn const_repr(program: &Program, c: &Const) -> String {
    match c {
        Const::None => "None".into(),
        Const::Bool(true) => "True".into(),
        Const::Bool(false) => "False".into(),
        Const::Int(v) => v.to_string(),
        Const::BigInt(s) => s.clone(),
        Const::Float(f) => float_repr(*f),
        Const::Str(s) => str_repr(s),
        Const::Ellipsis => "Ellipsis".into(),
        Const::Tuple(items) => {
            let parts: Vec<String> = items.iter().map(|i| const_repr(program, i)).collect();
            if parts.len() == 1 {
                format!("({},)", parts[0])
            } else {
                format!("({})", parts.join(", "))
            }
        }
        Const::Code(id) => {
            let code = &program.codes[*id as usize];
            format!(
                "<code object {} at 0x…, file \"{}\", line {}>",
                code.name, program.filename, code.first_line
            )
        }
    }
}

/// A float as Python's `repr` prints it (shortest round-trip form).
#[must_use]
pub fn float_repr(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0.0" } else { "0.0" }.into();
    }
    let (digits, exp) = shortest_digits(f.abs());
    let sign = if f < 0.0 { "-" } else { "" };
    let n = digits.len() as i32;
    // repr's 'r' format: positional for exponents -4..16, scientific otherwise.
    let body = if (-4..16).contains(&exp) {
        if exp >= 0 {
            let int_len = (exp + 1) as usize;
            if n as usize <= int_len {
                format!("{digits}{}.0", "0".repeat(int_len - n as usize))
            } else {
                format!("{}.{}", &digits[..int_len], &digits[int_len..])
            }
        } else {
            format!("0.{}{digits}", "0".repeat((-exp - 1) as usize))
        }
    } else {
        let mant = if n > 1 {
            format!("{}.{}", &digits[..1], &digits[1..])
        } else {
            digits.clone()
        };
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{mant}e{esign}{:02}", exp.abs())
    };
    format!("{sign}{body}")
}

/// The shortest decimal digits that read back as `f` (positive, finite, non-zero) and the
/// exponent of the first one, as CPython's repr chooses them: among equally short strings
/// the one nearest the exact binary value (Rust's shortest algorithm may pick the other
/// neighbour: `1e15 + 0.3` is exactly ...000.25, which CPython prints as `...000.2`).
fn shortest_digits(f: f64) -> (String, i32) {
    let split = |sci: &str| -> (String, i32) {
        let (mant, e) = sci.split_once('e').unwrap_or((sci, "0"));
        (mant.replace('.', ""), e.parse().unwrap_or(0))
    };
    let (digits, exp) = split(&format!("{f:e}"));
    let nearest = format!("{:.*e}", digits.len() - 1, f);
    if nearest.parse::<f64>() == Ok(f) {
        return split(&nearest);
    }
    (digits, exp)
}

/// Rewrites Rust's exponent (`1e-7`, `1.5e16`) as Python writes it (`1e-07`, `1.5e+16`).
#[must_use]
pub fn python_exponent(text: &str) -> String {
    let Some((mant, exp)) = text.split_once('e') else {
        return text.to_string();
    };
    let (sign, digits) = exp.strip_prefix('-').map_or(("+", exp), |d| ("-", d));
    format!("{mant}e{sign}{digits:0>2}")
}

/// `repr()` of a str as CPython prints it.
#[must_use]
pub fn str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for ch in s.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

fn argrepr(program: &Program, code: &CodeObject, op: Op, arg: u32) -> Option<String> {
    let a = arg as usize;
    Some(match op.arg_kind() {
        ArgKind::None => return None,
        ArgKind::Plain | ArgKind::JumpAbs => String::new(),
        ArgKind::Const => const_repr(program, &code.consts[a]),
        ArgKind::Name => code.names[a].clone(),
        ArgKind::Local => code.varnames[a].clone(),
        ArgKind::Free => {
            if a < code.cellvars.len() {
                code.cellvars[a].clone()
            } else {
                code.freevars[a - code.cellvars.len()].clone()
            }
        }
        ArgKind::JumpRel => format!("to {}", CodeObject::offset(a)),
        ArgKind::Compare => COMPARE_OPS[a].to_string(),
        ArgKind::Format => {
            let conv = ["", "str", "repr", "ascii"][a & 3];
            let mut s = conv.to_string();
            if a & 4 != 0 {
                if !s.is_empty() {
                    s.push_str(", ");
                }
                s.push_str("with format");
            }
            s
        }
        ArgKind::MakeFunction => {
            let names = ["defaults", "kwdefaults", "annotations", "closure"];
            names
                .iter()
                .enumerate()
                .filter(|(i, _)| a & (1 << i) != 0)
                .map(|(_, n)| *n)
                .collect::<Vec<_>>()
                .join(", ")
        }
    })
}

/// The displayed argument: jump arguments are byte offsets as in CPython 3.9.
fn display_arg(op: Op, arg: u32, index: usize) -> u32 {
    match op.arg_kind() {
        ArgKind::JumpAbs => arg * 2,
        ArgKind::JumpRel => (arg as usize * 2).saturating_sub(index * 2 + 2) as u32,
        _ => arg,
    }
}

/// Disassembles one code object (without its nested code objects).
#[must_use]
pub fn dis_code(program: &Program, profile: &Profile, code: &CodeObject) -> String {
    let mut targets = vec![false; code.instrs.len() + 1];
    for ins in &code.instrs {
        if ins.op.is_jump() {
            targets[ins.arg as usize] = true;
        }
    }
    let max_line = code.lines.iter().copied().max().unwrap_or(0);
    let width = if max_line >= 1000 {
        max_line.to_string().len()
    } else {
        3
    };
    let mut out = String::new();
    if profile.checks_on_frame_entry() && code.kind != crate::bytecode::CodeKind::Module {
        let _ = writeln!(
            out,
            "{:width$}    ⇄ (a switch may also happen on entry, before offset 0)",
            ""
        );
    }
    for (i, ins) in code.instrs.iter().enumerate() {
        let starts = code.line_starts[i];
        if starts && i > 0 {
            out.push('\n');
        }
        let mut fields: Vec<String> = Vec::new();
        if starts {
            fields.push(format!("{:>width$}", code.lines[i]));
        } else {
            fields.push(" ".repeat(width));
        }
        fields.push("   ".into());
        fields.push(if targets[i] { ">>".into() } else { "  ".into() });
        fields.push(format!("{:>4}", CodeObject::offset(i)));
        fields.push(format!("{:<20}", ins.op.name()));
        if let Some(rep) = argrepr(program, code, ins.op, ins.arg) {
            fields.push(format!("{:>5}", display_arg(ins.op, ins.arg, i)));
            if !rep.is_empty() {
                fields.push(format!("({rep})"));
            }
        }
        let mut row = fields.join(" ").trim_end().to_string();
        match switch_mark(profile, code, i) {
            SwitchMark::No => {}
            SwitchMark::Yes => {
                pad_to(&mut row, 60);
                row.push('⇄');
            }
            SwitchMark::Sometimes => {
                pad_to(&mut row, 60);
                row.push_str("⇄?");
            }
        }
        out.push_str(&row);
        out.push('\n');
    }
    out
}

fn pad_to(s: &mut String, width: usize) {
    let len = s.chars().count();
    if len < width {
        s.push_str(&" ".repeat(width - len));
    } else {
        s.push_str("  ");
    }
}

/// Disassembles the whole program as `python -m dis FILE` does: the module, then each nested
/// code object in the order its constant appears, recursively.
#[must_use]
pub fn dis_program(program: &Program, profile: &Profile) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# CPython {} bytecode of {}; ⇄ marks where another thread may run next (⇄? only sometimes)",
        profile.name(),
        program.filename
    );
    dis_recursive(program, profile, 0, &mut out);
    out
}

fn dis_recursive(program: &Program, profile: &Profile, id: usize, out: &mut String) {
    let code = &program.codes[id];
    out.push_str(&dis_code(program, profile, code));
    for c in &code.consts {
        if let Const::Code(child) = c {
            let cc = &program.codes[*child as usize];
            let _ = write!(
                out,
                "\nDisassembly of <code object {} at 0x…, file \"{}\", line {}>:\n",
                cc.name, program.filename, cc.first_line
            );
            dis_recursive(program, profile, *child as usize, out);
        }
    }
}
