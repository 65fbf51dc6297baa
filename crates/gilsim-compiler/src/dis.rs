//! The disassembler: code objects printed as the profile's CPython prints them with `dis`
//! (2.7's byte offsets, 3.10's instruction counts, 3.11's inline caches, 3.13's labels), with
//! the profile's check points marked. Exception tables are not printed: gilsim keeps 3.9's
//! block instructions and hides them from 3.11+ listings.
//!
//! Each row is `line  >> offset OPNAME arg (argrepr)` exactly as `dis` lays it out, followed by
//! a switch mark when the profile lets another thread run right after that instruction:
//! `⇄` always, `⇄?` only sometimes (a conditional jump on a non-`bool` value).

use crate::bytecode::{ArgKind, COMPARE_OPS, CodeKind, CodeObject, Const, Op, Program, flag};
use crate::profile::{CheckAfter, Profile, Version};
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
    let after = profile.check_at(&code.instrs, i);
    if after == CheckAfter::Never {
        return SwitchMark::No;
    }
    if matches!(instr.op, Op::RETURN_VALUE | Op::RETURN_CONST) {
        // The caller continues after its CALL, which dispatches with a check.
        return SwitchMark::Yes;
    }
    let mut successors = Vec::with_capacity(2);
    if !matches!(
        instr.op,
        Op::JUMP_ABSOLUTE | Op::JUMP_FORWARD | Op::RERAISE | Op::RAISE_VARARGS
    ) {
        successors.push(i + 1);
    }
    if instr.op.is_jump()
        && !matches!(
            instr.op,
            Op::SETUP_FINALLY | Op::SETUP_WITH | Op::SETUP_LOOP
        )
    {
        successors.push(instr.arg as usize);
    }
    let checked = successors
        .iter()
        .filter(|&&s| {
            code.instrs
                .get(s)
                .is_some_and(|n| !profile.skips_check_before(*n))
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

/// The shown argument of a row: the number `dis` prints and its parenthesised meaning.
struct Shown {
    arg: Option<u32>,
    repr: String,
}

/// 2.7's COMPARE_OP names, which include `in`, `not in`, `is` and `is not`.
const COMPARE_OPS_27: [&str; 10] = [
    "<", "<=", "==", "!=", ">", ">=", "in", "not in", "is", "is not",
];

/// The per-version layout of one code object: byte offsets of the shown rows.
struct Layout {
    /// Byte offset of each instruction (hidden ones share the next row's offset).
    offset: Vec<usize>,
    /// Byte offset just after each instruction and its cache entries.
    next: Vec<usize>,
}

/// Inline cache entries (two bytes each) after an opcode, as `dis` counts them in offsets.
fn caches(profile: &Profile, view: Op) -> usize {
    use Op::*;
    match profile.version {
        Version::Py311 => match view {
            LOAD_GLOBAL => 5,
            BINARY_OP | UNPACK_SEQUENCE | STORE_SUBSCR | PRECALL => 1,
            COMPARE_OP => 2,
            BINARY_SUBSCR | LOAD_ATTR | STORE_ATTR | CALL => 4,
            LOAD_METHOD => 10,
            _ => 0,
        },
        Version::Py312 => match view {
            LOAD_GLOBAL => 4,
            BINARY_OP | UNPACK_SEQUENCE | COMPARE_OP | BINARY_SUBSCR | STORE_SUBSCR | FOR_ITER => 1,
            LOAD_ATTR => 9,
            STORE_ATTR => 4,
            CALL => 3,
            _ => 0,
        },
        Version::Py313 | Version::Py313t => match view {
            LOAD_GLOBAL => 4,
            BINARY_OP | UNPACK_SEQUENCE | COMPARE_OP | CONTAINS_OP | BINARY_SUBSCR
            | STORE_SUBSCR | FOR_ITER | POP_JUMP_IF_FALSE | POP_JUMP_IF_TRUE | JUMP_BACKWARD => 1,
            LOAD_ATTR => 9,
            STORE_ATTR => 4,
            CALL | TO_BOOL => 3,
            _ => 0,
        },
        Version::Py27 | Version::Py39 | Version::Py310 => 0,
    }
}

fn layout(profile: &Profile, code: &CodeObject) -> Layout {
    let n = code.instrs.len();
    let mut offset = Vec::with_capacity(n + 1);
    let mut next = Vec::with_capacity(n + 1);
    let mut at = 0;
    for ins in &code.instrs {
        offset.push(at);
        if !ins.has(flag::HIDDEN) {
            at += match profile.version {
                // 2.7: one byte, three with an argument.
                Version::Py27 => {
                    if ins.view.arg_kind() == ArgKind::None {
                        1
                    } else {
                        3
                    }
                }
                Version::Py39
                | Version::Py310
                | Version::Py311
                | Version::Py312
                | Version::Py313
                | Version::Py313t => 2 + 2 * caches(profile, ins.view),
            };
        }
        next.push(at);
    }
    offset.push(at);
    next.push(at);
    Layout { offset, next }
}

fn shown(program: &Program, profile: &Profile, code: &CodeObject, lay: &Layout, i: usize) -> Shown {
    let ins = code.instrs[i];
    let a = ins.arg as usize;
    let v = profile.version;
    let p313 = profile.at_least(3, 13);
    let plain = |arg: u32, repr: String| Shown {
        arg: Some(arg),
        repr,
    };
    let none = Shown {
        arg: None,
        repr: String::new(),
    };
    let name = |k: usize| code.names[k].clone();
    // Ops whose shown argument differs from gilsim's.
    match ins.view {
        Op::BINARY_OP => {
            let (n, sym) = crate::views::binary_op_arg(ins.op).unwrap_or((0, "?"));
            return plain(n, sym.to_string());
        }
        Op::LOAD_GLOBAL if profile.at_least(3, 11) => {
            let null = ins.has(flag::NULL_PLUS);
            let repr = match (null, p313) {
                (false, _) => name(a),
                (true, false) => format!("NULL + {}", name(a)),
                (true, true) => format!("{} + NULL", name(a)),
            };
            return plain((ins.arg << 1) | u32::from(null), repr);
        }
        Op::LOAD_ATTR if profile.at_least(3, 12) => {
            let method = ins.has(flag::METHOD);
            let repr = match (method, p313) {
                (false, _) => name(a),
                (true, false) => format!("NULL|self + {}", name(a)),
                (true, true) => format!("{} + NULL|self", name(a)),
            };
            return plain((ins.arg << 1) | u32::from(method), repr);
        }
        Op::CALL | Op::CALL_KW | Op::PRECALL => {
            let n = if ins.has(flag::EXIT_CALL) || ins.has(flag::ONE_LESS) {
                ins.arg.saturating_sub(1)
            } else {
                ins.arg
            };
            return plain(n, String::new());
        }
        Op::COMPARE_OP if v == Version::Py27 => {
            let k = match ins.op {
                Op::IS_OP => 8 + a,
                Op::CONTAINS_OP => 6 + a,
                _ => a,
            };
            return plain(k as u32, COMPARE_OPS_27[k.min(9)].to_string());
        }
        Op::COMPARE_OP if profile.at_least(3, 12) => {
            // The low bits are a mask of the outcomes that make the comparison true.
            const MASK: [u32; 6] = [2, 10, 8, 7, 4, 12];
            let sym = COMPARE_OPS[a];
            if p313 {
                let b = ins.has(flag::BOOL_CMP);
                let arg = (ins.arg << 5) | if b { 16 } else { 0 } | MASK[a];
                let repr = if b {
                    format!("bool({sym})")
                } else {
                    sym.to_string()
                };
                return plain(arg, repr);
            }
            return plain((ins.arg << 4) | MASK[a], sym.to_string());
        }
        Op::DUP_TOPX => return plain(2, String::new()),
        Op::LOAD_FAST_LOAD_FAST | Op::STORE_FAST_LOAD_FAST | Op::STORE_FAST_STORE_FAST if i > 0 => {
            let first = code.instrs[i - 1].arg;
            let names = format!("{}, {}", code.varnames[first as usize], code.varnames[a]);
            return plain((first << 4) | ins.arg, names);
        }
        Op::WITH_CLEANUP | Op::END_FINALLY | Op::BREAK_LOOP | Op::BEFORE_WITH => return none,
        Op::LOAD_METHOD | Op::LOAD_ATTR => return plain(ins.arg, name(a)),
        _ => {}
    }
    if ins.view.is_jump() || ins.op.is_jump() {
        return jump_shown(profile, code, lay, i);
    }
    Shown {
        arg: if ins.view.arg_kind() == ArgKind::None {
            None
        } else {
            Some(ins.arg)
        },
        repr: argrepr(program, code, ins.view, ins.arg).unwrap_or_default(),
    }
}

/// The instruction a jump is listed as going to: its own target, except 2.7's SETUP_WITH,
/// whose handler is the WITH_CLEANUP the normal path also runs (gilsim's 3.9 handler code is
/// hidden there).
fn shown_target(profile: &Profile, code: &CodeObject, i: usize) -> usize {
    let ins = code.instrs[i];
    if profile.version == Version::Py27 && ins.op == Op::SETUP_WITH {
        let at = ins.arg as usize;
        if let Some(k) = (i..at)
            .rev()
            .find(|&k| code.instrs[k].view == Op::WITH_CLEANUP)
        {
            return k;
        }
    }
    ins.arg as usize
}

/// The argument of a jump: 2.7 and 3.9 print absolute jumps as bare byte offsets and relative
/// ones in bytes, 3.10 counts instructions, 3.11+ code units relative to the next instruction
/// (backward for JUMP_BACKWARD); 3.13 names the target by its label.
fn jump_shown(profile: &Profile, code: &CodeObject, lay: &Layout, i: usize) -> Shown {
    let ins = code.instrs[i];
    let target = lay.offset[shown_target(profile, code, i).min(code.instrs.len())];
    let next = lay.next[i];
    let abs = ins.view.arg_kind() == ArgKind::JumpAbs;
    let to = |t: usize| format!("to {t}");
    match profile.version {
        Version::Py27 | Version::Py39 => {
            if abs {
                Shown {
                    arg: Some(target as u32),
                    repr: String::new(),
                }
            } else {
                Shown {
                    arg: Some(target.saturating_sub(next) as u32),
                    repr: to(target),
                }
            }
        }
        Version::Py310 => Shown {
            arg: Some(if abs {
                (target / 2) as u32
            } else {
                (target.saturating_sub(next) / 2) as u32
            }),
            repr: to(target),
        },
        Version::Py311 | Version::Py312 | Version::Py313 | Version::Py313t => {
            let delta = target.abs_diff(next);
            Shown {
                arg: Some((delta / 2) as u32),
                repr: to(target),
            }
        }
    }
}

fn argrepr(program: &Program, code: &CodeObject, op: Op, arg: u32) -> Option<String> {
    let a = arg as usize;
    Some(match op.arg_kind() {
        ArgKind::None => return None,
        ArgKind::Plain | ArgKind::JumpAbs | ArgKind::JumpRel => String::new(),
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

/// The opcode names of one code object as the profile's `dis` lists them (hidden instructions
/// left out), for comparing with a real interpreter.
#[must_use]
pub fn opnames(code: &CodeObject) -> Vec<&'static str> {
    code.instrs
        .iter()
        .filter(|i| !i.has(flag::HIDDEN))
        .map(|i| i.view.name())
        .collect()
}

/// Disassembles one code object (without its nested code objects).
#[must_use]
pub fn dis_code(program: &Program, profile: &Profile, code: &CodeObject) -> String {
    let n = code.instrs.len();
    let mut targets = vec![false; n + 1];
    for (i, ins) in code.instrs.iter().enumerate() {
        if ins.op.is_jump() && !(profile.version == Version::Py27 && ins.has(flag::HIDDEN)) {
            targets[shown_target(profile, code, i)] = true;
        }
    }
    let lay = layout(profile, code);
    let labels = profile.at_least(3, 13);
    // 3.13 names jump targets L1, L2… in offset order.
    let mut label_of = vec![0usize; n + 1];
    let mut k = 0;
    for (i, t) in targets.iter().enumerate() {
        if *t {
            k += 1;
            label_of[i] = k;
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
    let mut first = true;
    let mut prev_line = 0;
    for (i, ins) in code.instrs.iter().enumerate() {
        if ins.has(flag::HIDDEN) {
            continue;
        }
        let starts = code.lines[i] != prev_line || first;
        prev_line = code.lines[i];
        if starts && !first {
            out.push('\n');
        }
        first = false;
        let mut fields: Vec<String> = Vec::new();
        if starts {
            fields.push(format!("{:>width$}", code.lines[i]));
        } else {
            fields.push(" ".repeat(width));
        }
        if labels {
            let l = if targets[i] {
                format!("L{}:", label_of[i])
            } else {
                String::new()
            };
            fields.push(format!("  {l:<7}"));
        } else {
            fields.push("   ".into());
            fields.push(if targets[i] { ">>".into() } else { "  ".into() });
            fields.push(format!("{:>4}", lay.offset[i]));
        }
        let mut sh = shown(program, profile, code, &lay, i);
        if labels && (ins.op.is_jump() || ins.view.is_jump()) && ins.op != Op::SETUP_LOOP {
            sh.repr = format!("to L{}", label_of[shown_target(profile, code, i).min(n)]);
        }
        let name = ins.view.name();
        match sh.arg {
            Some(arg) => {
                fields.push(format!("{name:<20}"));
                fields.push(format!("{arg:>5}"));
                if !sh.repr.is_empty() {
                    fields.push(format!("({})", sh.repr));
                }
            }
            None => fields.push(name.to_string()),
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

/// The opcode names of `code` on its normal path, as the profile's `dis` names them: the
/// instructions reachable from the entry without entering an exception handler, in order,
/// hidden ones left out. `scripts/cpython_opnames.py` lists a real interpreter's the same way.
#[must_use]
pub fn normal_path_opnames(code: &CodeObject) -> Vec<&'static str> {
    let n = code.instrs.len();
    let mut seen = vec![false; n];
    let mut todo = vec![0usize];
    while let Some(k) = todo.pop() {
        if k >= n || seen[k] {
            continue;
        }
        seen[k] = true;
        let ins = code.instrs[k];
        if ins.op.is_jump()
            && !matches!(ins.op, Op::SETUP_FINALLY | Op::SETUP_WITH | Op::SETUP_LOOP)
        {
            todo.push(ins.arg as usize);
        }
        if !matches!(
            ins.op,
            Op::RETURN_VALUE
                | Op::RETURN_CONST
                | Op::RERAISE
                | Op::RAISE_VARARGS
                | Op::JUMP_ABSOLUTE
                | Op::JUMP_FORWARD
        ) {
            todo.push(k + 1);
        }
    }
    code.instrs
        .iter()
        .zip(seen)
        .filter(|(i, s)| *s && !i.has(flag::HIDDEN))
        .map(|(i, _)| i.view.name())
        .collect()
}

/// [`normal_path_opnames`] of every function (not class body) of `program`, keyed by its `co_name` path
/// (`outer.inner`), as `scripts/cpython_opnames.py` prints them.
#[must_use]
pub fn program_opnames(program: &Program) -> std::collections::BTreeMap<String, Vec<&'static str>> {
    fn walk(
        p: &Program,
        id: usize,
        prefix: &str,
        out: &mut std::collections::BTreeMap<String, Vec<&'static str>>,
    ) {
        for c in &p.codes[id].consts {
            if let Const::Code(child) = c {
                let code = &p.codes[*child as usize];
                let name = format!("{prefix}{}", code.name);
                if matches!(code.kind, CodeKind::Function | CodeKind::Generator) {
                    out.insert(name.clone(), normal_path_opnames(code));
                }
                walk(p, *child as usize, &format!("{name}."), out);
            }
        }
    }
    let mut out = std::collections::BTreeMap::new();
    walk(program, 0, "", &mut out);
    out
}

/// Whether a thread can be switched out inside source line `line` under `profile`, between the
/// line's first instruction and its last store: `Some(false)` when no check point lies there,
/// so the line's read-modify-write is never split under this version; `None` when the line has
/// no store to look at.
#[must_use]
pub fn line_can_be_split(profile: &Profile, program: &Program, line: u32) -> Option<bool> {
    let mut seen = false;
    for code in &program.codes {
        let on_line: Vec<usize> = (0..code.instrs.len())
            .filter(|&i| code.lines[i] == line && !code.instrs[i].has(flag::HIDDEN))
            .collect();
        let Some(&last_store) = on_line.iter().rev().find(|&&i| {
            matches!(
                code.instrs[i].op,
                Op::STORE_GLOBAL
                    | Op::STORE_NAME
                    | Op::STORE_ATTR
                    | Op::STORE_SUBSCR
                    | Op::STORE_DEREF
                    | Op::STORE_FAST
            )
        }) else {
            continue;
        };
        seen = true;
        if on_line
            .iter()
            .filter(|&&i| i < last_store)
            .any(|&i| switch_mark(profile, code, i) != SwitchMark::No)
        {
            return Some(true);
        }
    }
    seen.then_some(false)
}
