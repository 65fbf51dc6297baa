//! Views: for each instruction, the opcode the profile's CPython version runs at that position.
//!
//! gilsim executes one instruction set (CPython 3.9's, plus the few opcodes of other versions
//! that are easy to run: RESUME, COPY, SWAP, PRECALL, RETURN_CONST…). Where a version names the
//! same operation differently (`INPLACE_ADD` is `BINARY_OP 13` in 3.11, a backward
//! `JUMP_ABSOLUTE` is `JUMP_BACKWARD`, 2.7's method call is `LOAD_ATTR` + `CALL_FUNCTION`), the
//! instruction's `view` holds that version's opcode. `dis` prints the view and the check-point
//! rules of [`Profile`] read it, so check points follow the version's own opcodes.

use crate::bytecode::{Instr, Op, flag};
use crate::profile::{Profile, Version};

/// Sets the `view` of every instruction of one code object (jump arguments resolved).
pub fn assign(profile: &Profile, instrs: &mut [Instr], lines: &[u32]) {
    let v = profile.version;
    let modern = profile.at_least(3, 11);
    for pc in 0..instrs.len() {
        let ins = instrs[pc];
        if ins.op == Op::SHOWN {
            continue;
        }
        let backward = ins.op.is_jump() && (ins.arg as usize) <= pc;
        instrs[pc].view = match v {
            Version::Py27 => view27(ins),
            Version::Py39 | Version::Py310 => ins.op,
            Version::Py311 | Version::Py312 | Version::Py313 | Version::Py313t => {
                if ins.has(flag::NONE_TEST) && pc > 0 {
                    none_jump(profile, ins, instrs[pc - 1], backward)
                } else {
                    view_modern(profile, ins, backward)
                }
            }
        };
        match ins.op {
            // 3.11+ keep blocks in the exception table; a `try:` leaves a NOP for its line.
            Op::SETUP_FINALLY if modern => instrs[pc].view = Op::NOP,
            Op::POP_BLOCK if modern => instrs[pc].flags |= flag::HIDDEN,
            Op::JUMP_FORWARD if ins.has(flag::OVER) => instrs[pc].flags |= flag::HIDDEN,
            // 2.7 and 3.11+ take the qualified name from the code object.
            Op::MAKE_FUNCTION if pc > 0 && (modern || v == Version::Py27) => {
                instrs[pc - 1].flags |= flag::HIDDEN;
            }
            _ => {}
        }
    }
    if profile.at_least(3, 13) {
        superinstructions(instrs, lines);
    }
}

/// 3.13's superinstructions: two adjacent fast-local instructions of one line, with small
/// arguments and no jump landing between them, show as one (the first is hidden; gilsim still
/// runs both, neither is a check point).
fn superinstructions(instrs: &mut [Instr], lines: &[u32]) {
    let mut target = vec![false; instrs.len() + 1];
    for i in instrs.iter() {
        if i.op.is_jump() {
            target[(i.arg as usize).min(instrs.len())] = true;
        }
    }
    let mut pc = 1;
    while pc < instrs.len() {
        let (a, b) = (instrs[pc - 1], instrs[pc]);
        let pair = match (a.view, b.view) {
            (Op::LOAD_FAST, Op::LOAD_FAST) => Some(Op::LOAD_FAST_LOAD_FAST),
            (Op::STORE_FAST, Op::LOAD_FAST) => Some(Op::STORE_FAST_LOAD_FAST),
            (Op::STORE_FAST, Op::STORE_FAST) => Some(Op::STORE_FAST_STORE_FAST),
            _ => None,
        };
        if let Some(view) = pair
            && a.arg < 16
            && b.arg < 16
            && a.flags == 0
            && b.flags == 0
            && !target[pc]
            && lines[pc - 1] == lines[pc]
        {
            instrs[pc - 1].flags |= flag::HIDDEN;
            instrs[pc].view = view;
            pc += 2;
        } else {
            pc += 1;
        }
    }
}

/// 3.11+: the jump of `x is None` / `x is not None` (after the hidden IS_OP `is_op`), which
/// jumps when the value is None if `is` tested true or `is not` tested false.
fn none_jump(profile: &Profile, ins: Instr, is_op: Instr, backward: bool) -> Op {
    let none = (ins.op == Op::POP_JUMP_IF_TRUE) != (is_op.arg == 1);
    match (profile.at_least(3, 12), backward, none) {
        (true, _, true) => Op::POP_JUMP_IF_NONE,
        (true, _, false) => Op::POP_JUMP_IF_NOT_NONE,
        (false, false, true) => Op::POP_JUMP_FORWARD_IF_NONE,
        (false, false, false) => Op::POP_JUMP_FORWARD_IF_NOT_NONE,
        (false, true, true) => Op::POP_JUMP_BACKWARD_IF_NONE,
        (false, true, false) => Op::POP_JUMP_BACKWARD_IF_NOT_NONE,
    }
}

fn view27(ins: Instr) -> Op {
    use Op::*;
    match ins.op {
        LOAD_METHOD => LOAD_ATTR,
        CALL_METHOD => CALL_FUNCTION,
        CALL_FUNCTION_EX if ins.arg & 1 == 0 => CALL_FUNCTION_VAR,
        CALL_FUNCTION_EX => CALL_FUNCTION_VAR_KW,
        DUP_TOP_TWO => DUP_TOPX,
        IS_OP | CONTAINS_OP => COMPARE_OP,
        SETUP_FINALLY if ins.has(flag::EXCEPT) => SETUP_EXCEPT,
        JUMP_ABSOLUTE if ins.has(flag::BREAK) => BREAK_LOOP,
        CALL_FUNCTION if ins.has(flag::EXIT_CALL) => WITH_CLEANUP,
        POP_TOP if ins.has(flag::EXIT_CALL) => END_FINALLY,
        op => op,
    }
}

fn view_modern(profile: &Profile, ins: Instr, backward: bool) -> Op {
    use Op::*;
    let p312 = profile.at_least(3, 12);
    match ins.op {
        op if binary_op_arg(op).is_some() => BINARY_OP,
        CALL_FUNCTION | CALL_METHOD => CALL,
        CALL_FUNCTION_KW if profile.at_least(3, 13) => CALL_KW,
        CALL_FUNCTION_KW => CALL,
        JUMP_ABSOLUTE if backward => JUMP_BACKWARD,
        JUMP_ABSOLUTE => JUMP_FORWARD,
        POP_JUMP_IF_FALSE if !p312 && backward => POP_JUMP_BACKWARD_IF_FALSE,
        POP_JUMP_IF_TRUE if !p312 && backward => POP_JUMP_BACKWARD_IF_TRUE,
        POP_JUMP_IF_FALSE if !p312 => POP_JUMP_FORWARD_IF_FALSE,
        POP_JUMP_IF_TRUE if !p312 => POP_JUMP_FORWARD_IF_TRUE,
        SETUP_WITH => BEFORE_WITH,
        // 3.13 split FORMAT_VALUE: the conversion is a CONVERT_VALUE of its own (shown before).
        FORMAT_VALUE if profile.at_least(3, 13) && ins.arg & 4 != 0 => FORMAT_WITH_SPEC,
        FORMAT_VALUE if profile.at_least(3, 13) => FORMAT_SIMPLE,
        // The method form: 3.11 LOAD_METHOD, 3.12+ LOAD_ATTR with its low bit set.
        LOAD_ATTR | LOAD_METHOD if ins.has(flag::METHOD) => {
            if p312 {
                LOAD_ATTR
            } else {
                LOAD_METHOD
            }
        }
        op => op,
    }
}

/// The argument of 3.11's BINARY_OP for a 3.9 arithmetic opcode, and its symbol.
#[must_use]
pub fn binary_op_arg(op: Op) -> Option<(u32, &'static str)> {
    use Op::*;
    Some(match op {
        BINARY_ADD => (0, "+"),
        BINARY_AND => (1, "&"),
        BINARY_FLOOR_DIVIDE => (2, "//"),
        BINARY_LSHIFT => (3, "<<"),
        BINARY_MULTIPLY => (5, "*"),
        BINARY_MODULO => (6, "%"),
        BINARY_OR => (7, "|"),
        BINARY_POWER => (8, "**"),
        BINARY_RSHIFT => (9, ">>"),
        BINARY_SUBTRACT => (10, "-"),
        BINARY_TRUE_DIVIDE => (11, "/"),
        BINARY_XOR => (12, "^"),
        INPLACE_ADD => (13, "+="),
        INPLACE_AND => (14, "&="),
        INPLACE_FLOOR_DIVIDE => (15, "//="),
        INPLACE_LSHIFT => (16, "<<="),
        INPLACE_MULTIPLY => (18, "*="),
        INPLACE_MODULO => (19, "%="),
        INPLACE_OR => (20, "|="),
        INPLACE_POWER => (21, "**="),
        INPLACE_RSHIFT => (22, ">>="),
        INPLACE_SUBTRACT => (23, "-="),
        INPLACE_TRUE_DIVIDE => (24, "/="),
        INPLACE_XOR => (25, "^="),
        _ => return None,
    })
}
