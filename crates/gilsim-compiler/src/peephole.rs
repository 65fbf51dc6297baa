//! CPython 3.9's peephole optimiser (`Python/peephole.c`), for the rewrites that change which
//! opcodes `dis` shows: jump threading, jumps to a return become returns, unreachable code after
//! a return is dropped, and the NOPs this leaves are removed.

use crate::bytecode::{Instr, Op, Pos, flag};
use crate::profile::Profile;

fn unconditional(op: Op) -> bool {
    matches!(op, Op::JUMP_FORWARD | Op::JUMP_ABSOLUTE)
}

/// Optimises one code object's instructions (jump arguments are instruction indexes) together
/// with its per-instruction lines and columns.
pub fn optimize(
    profile: &Profile,
    instrs: &mut Vec<Instr>,
    lines: &mut Vec<u32>,
    cols: &mut Vec<Pos>,
) {
    if profile.at_least(3, 10) {
        // 3.11 copies only blocks without a line (the implicit return, below).
        if profile.version != crate::profile::Version::Py311 {
            inline_small_exits(instrs, lines, cols);
        }
        duplicate_exit(instrs, lines, cols);
        if profile.version == crate::profile::Version::Py310 {
            duplicate_with_exits(instrs, lines, cols);
        }
    }
    let n = instrs.len();
    let targets = jump_targets(instrs);
    if profile.at_least(3, 12) {
        return_const(instrs, &targets);
    }
    // 3.10+ keep a line's NOP only when no neighbour carries that line.
    for i in 0..n {
        if instrs[i].op == Op::SHOWN
            && instrs[i].view == Op::NOP
            && ((i > 0 && lines[i - 1] == lines[i]) || lines.get(i + 1) == Some(&lines[i]))
        {
            instrs[i] = Instr::new(Op::NOP, 0);
        }
    }
    let mut i = 0;
    while i < n {
        let ins = instrs[i];
        match ins.op {
            Op::POP_JUMP_IF_FALSE | Op::POP_JUMP_IF_TRUE | Op::JUMP_FORWARD | Op::JUMP_ABSOLUTE => {
                let tgt = ins.arg as usize;
                if let Some(t) = instrs.get(tgt).copied() {
                    // 3.11 copies only exit blocks without a line: it keeps the jump.
                    if unconditional(ins.op)
                        && matches!(t.op, Op::RETURN_VALUE | Op::RETURN_CONST)
                        && profile.version != crate::profile::Version::Py311
                    {
                        instrs[i] = Instr::new(t.op, t.arg);
                    } else if unconditional(t.op)
                        && (!profile.at_least(3, 10)
                            || ((lines[i] == lines[tgt]
                                || (profile.at_least(3, 12) && t.has(flag::NO_LINE)))
                                // Only dead code lies between: the jump goes to the next
                                // live instruction and is dropped below instead.
                                && !(unconditional(ins.op) && tgt > i && (i + 1..tgt).all(|h| !targets[h]))))
                    {
                        // 3.10+ thread a jump only where no line event is lost.
                        // 3.9 makes every threaded jump absolute (it may now go backwards);
                        // 3.10+ keep the jump's own opcode unless the target is absolute.
                        let op = if ins.op == Op::JUMP_FORWARD
                            && (!profile.at_least(3, 10) || t.op == Op::JUMP_ABSOLUTE)
                        {
                            Op::JUMP_ABSOLUTE
                        } else {
                            ins.op
                        };
                        // Threaded onto a loop's jump, it no longer skips a handler.
                        instrs[i] = Instr {
                            op,
                            view: op,
                            arg: t.arg,
                            flags: ins.flags & !flag::OVER,
                        };
                    }
                }
            }
            Op::JUMP_IF_FALSE_OR_POP | Op::JUMP_IF_TRUE_OR_POP => {
                let tgt = ins.arg as usize;
                if let Some(t) = instrs.get(tgt).copied() {
                    let on_true =
                        |op: Op| matches!(op, Op::JUMP_IF_TRUE_OR_POP | Op::POP_JUMP_IF_TRUE);
                    if matches!(
                        t.op,
                        Op::JUMP_IF_FALSE_OR_POP
                            | Op::JUMP_IF_TRUE_OR_POP
                            | Op::POP_JUMP_IF_FALSE
                            | Op::POP_JUMP_IF_TRUE
                    ) {
                        if on_true(t.op) == on_true(ins.op) {
                            instrs[i].arg = t.arg;
                        } else {
                            let op = if ins.op == Op::JUMP_IF_TRUE_OR_POP {
                                Op::POP_JUMP_IF_TRUE
                            } else {
                                Op::POP_JUMP_IF_FALSE
                            };
                            instrs[i] = Instr::new(op, (tgt + 1) as u32);
                        }
                    }
                }
            }
            _ => {}
        }
        // Unreachable code after a return, up to the next jump target (SETUP_FINALLY and RERAISE
        // stay: they mark block limits).
        // 3.10+ also drop what follows an unconditional jump (a `break`'s dead loop tail).
        let ends_block = matches!(instrs[i].op, Op::RETURN_VALUE | Op::RETURN_CONST)
            || (profile.at_least(3, 10) && unconditional(instrs[i].op));
        if ends_block {
            let mut h = i + 1;
            while h < n && !targets[h] && !matches!(instrs[h].op, Op::SETUP_FINALLY | Op::RERAISE) {
                instrs[h] = Instr::new(Op::NOP, 0);
                h += 1;
            }
        }
        i += 1;
    }
    remove_nops(instrs, lines, cols);
    if profile.at_least(3, 12) {
        forward_conditionals(instrs, lines, cols);
    }
    cold_handler_exits(instrs);
    if profile.at_least(3, 10) {
        // A jump to the very next instruction goes (3.10's flowgraph falls through).
        let mut any = false;
        for (k, ins) in instrs.iter_mut().enumerate() {
            if unconditional(ins.op) && ins.arg as usize == k + 1 {
                *ins = Instr::new(Op::NOP, 0);
                any = true;
            }
        }
        if any {
            remove_nops(instrs, lines, cols);
        }
    }
}

/// 3.10+ (`duplicate_exits_without_lineno`): the implicit `return None` at the end (it has no
/// line; an explicit `return 0` there is not copied), when more
/// than one instruction leads to it, gets a copy at the end for each conditional jump to it but
/// the last predecessor, so that each copy can carry its own line.
fn duplicate_exit(instrs: &mut Vec<Instr>, lines: &mut Vec<u32>, cols: &mut Vec<Pos>) {
    let is_exit = |v: &[Instr]| {
        let n = v.len();
        n >= 3
            && v[n - 2].op == Op::LOAD_CONST
            && v[n - 2].has(flag::NO_LINE)
            && v[n - 1].op == Op::RETURN_VALUE
    };
    if !is_exit(instrs) {
        return;
    }
    // An unconditional jump to it gets the block itself (`inline_small_exit_blocks`).
    let r = instrs.len() - 2;
    let (konst, ret) = (instrs[r], instrs[r + 1]);
    let uncond: Vec<usize> = (0..r)
        .filter(|&i| {
            instrs[i].arg as usize == r
                && matches!(instrs[i].op, Op::JUMP_ABSOLUTE | Op::JUMP_FORWARD)
        })
        .collect();
    for j in uncond.into_iter().rev() {
        instrs[j] = konst;
        insert_at(instrs, lines, cols, j + 1, ret);
    }
    let n = instrs.len();
    let r = n - 2;
    let before = instrs[r - 1].op;
    let falls_in = !matches!(
        before,
        Op::JUMP_ABSOLUTE | Op::JUMP_FORWARD | Op::RETURN_VALUE | Op::RERAISE | Op::RAISE_VARARGS
    );
    let jumps: Vec<usize> = (0..r)
        .filter(|&i| {
            instrs[i].arg as usize == r
                && matches!(
                    instrs[i].op,
                    Op::POP_JUMP_IF_FALSE | Op::POP_JUMP_IF_TRUE | Op::FOR_ITER
                )
        })
        .collect();
    let mut preds = jumps.len() + usize::from(falls_in);
    for j in jumps {
        if preds <= 1 {
            break;
        }
        let at = instrs.len() as u32;
        for k in 0..2 {
            instrs.push(instrs[r + k]);
            lines.push(lines[j]);
            cols.push(cols[j]);
        }
        instrs[j].arg = at;
        preds -= 1;
    }
}

/// 3.10+ (`inline_small_exit_blocks`): an unconditional jump to a block of at most four
/// instructions that ends in a return (a `break` before `y = 1; return y`) is replaced by a
/// copy of the block. Under 3.10 this removes a JUMP_ABSOLUTE, which checks the eval breaker.
fn inline_small_exits(instrs: &mut Vec<Instr>, lines: &mut Vec<u32>, cols: &mut Vec<Pos>) {
    const MAX_COPY_SIZE: usize = 4;
    let mut targets = jump_targets(instrs);
    let mut i = 0;
    while i < instrs.len() {
        let ins = instrs[i];
        if !unconditional(ins.op) {
            i += 1;
            continue;
        }
        let t = ins.arg as usize;
        let block = (t..instrs.len().min(t + MAX_COPY_SIZE))
            .take_while(|&k| k == t || !targets[k])
            .find(|&k| instrs[k].op.is_jump() || instrs[k].op == Op::RETURN_VALUE)
            .filter(|&r| instrs[r].op == Op::RETURN_VALUE && r != i);
        let Some(r) = block else {
            i += 1;
            continue;
        };
        // A block without a line (the implicit return) takes the jump's.
        let own_line = !instrs[t].has(flag::NO_LINE);
        let copy: Vec<(Instr, u32, Pos)> = (t..=r)
            .map(|k| {
                let (l, p) = if own_line {
                    (lines[k], cols[k])
                } else {
                    (lines[i], cols[i])
                };
                (instrs[k], l, p)
            })
            .collect();
        instrs[i] = copy[0].0;
        lines[i] = copy[0].1;
        cols[i] = copy[0].2;
        for (n, &(c, l, p)) in copy.iter().enumerate().skip(1) {
            insert_at(instrs, lines, cols, i + n, c);
            lines[i + n] = l;
            cols[i + n] = p;
        }
        targets = jump_targets(instrs);
        i += copy.len();
    }
}

/// 3.10: a `with` exit that returns (its POP_BLOCK has no line) and is reached both by falling
/// in and by jumps gets a copy, right after it, for each jump; the copy's POP_BLOCK
/// takes the jump's line.
fn duplicate_with_exits(instrs: &mut Vec<Instr>, lines: &mut Vec<u32>, cols: &mut Vec<Pos>) {
    let mut s = 1;
    while s < instrs.len() {
        let ins = instrs[s];
        if !(ins.op == Op::POP_BLOCK && ins.has(flag::NO_LINE)) {
            s += 1;
            continue;
        }
        let targets = jump_targets(instrs);
        let end = (s..instrs.len()).find(|&k| {
            instrs[k].op.is_jump() || instrs[k].op == Op::RETURN_VALUE || (k > s && targets[k])
        });
        let falls_in = !matches!(
            instrs[s - 1].op,
            Op::JUMP_ABSOLUTE
                | Op::JUMP_FORWARD
                | Op::RETURN_VALUE
                | Op::RERAISE
                | Op::RAISE_VARARGS
        );
        let Some(r) = end.filter(|&k| instrs[k].op == Op::RETURN_VALUE && falls_in) else {
            s += 1;
            continue;
        };
        // The jumps from the body before it (a copy shifts nothing before `r`).
        let jumps: Vec<usize> = (0..s)
            .filter(|&i| {
                instrs[i].arg as usize == s
                    && matches!(
                        instrs[i].op,
                        Op::POP_JUMP_IF_FALSE
                            | Op::POP_JUMP_IF_TRUE
                            | Op::JUMP_FORWARD
                            | Op::JUMP_ABSOLUTE
                    )
            })
            .collect();
        let len = r + 1 - s;
        for &j in jumps.iter().rev() {
            for k in 0..len {
                let copy = instrs[s + k];
                insert_at(instrs, lines, cols, r + 1 + k, copy);
                if k == 0 {
                    lines[r + 1] = lines[j];
                    instrs[r + 1].flags &= !flag::NO_LINE;
                } else {
                    lines[r + 1 + k] = lines[s + k];
                }
            }
            instrs[j].arg = (r + 1) as u32;
        }
        s = r + 1;
    }
}

/// Keeps HANDLER_EXIT only on a handler's jump whose target the code reaches without an
/// exception (3.12 then places the handler after it and jumps back); a target reached only
/// from handlers is placed after them too, and the jump stays forward.
fn cold_handler_exits(instrs: &mut [Instr]) {
    let n = instrs.len();
    if !instrs.iter().any(|i| i.has(flag::HANDLER_EXIT)) {
        return;
    }
    let mut warm = vec![false; n + 1];
    let mut todo = vec![0usize];
    while let Some(k) = todo.pop() {
        if k >= n || warm[k] {
            continue;
        }
        warm[k] = true;
        let ins = instrs[k];
        // Handlers are entered by exceptions, not by the block set-up's "jump".
        let setup = matches!(ins.op, Op::SETUP_FINALLY | Op::SETUP_WITH | Op::SETUP_LOOP);
        if ins.op.is_jump() && !setup && !ins.has(flag::HANDLER_EXIT) {
            todo.push(ins.arg as usize);
        }
        let ends = unconditional(ins.op)
            || matches!(
                ins.op,
                Op::RETURN_VALUE | Op::RETURN_CONST | Op::RAISE_VARARGS | Op::RERAISE
            );
        if !ends {
            todo.push(k + 1);
        }
    }
    for ins in instrs.iter_mut() {
        if ins.has(flag::HANDLER_EXIT) && !warm[ins.arg as usize] {
            ins.flags &= !flag::HANDLER_EXIT;
        }
    }
}

/// 3.12+ have no backward conditional jump: one whose target lies behind (threaded onto a
/// loop's back-edge) is inverted to skip a JUMP_BACKWARD to that target.
fn forward_conditionals(instrs: &mut Vec<Instr>, lines: &mut Vec<u32>, cols: &mut Vec<Pos>) {
    let mut i = 0;
    while i < instrs.len() {
        let ins = instrs[i];
        let inverse = match ins.op {
            Op::POP_JUMP_IF_FALSE => Some(Op::POP_JUMP_IF_TRUE),
            Op::POP_JUMP_IF_TRUE => Some(Op::POP_JUMP_IF_FALSE),
            _ => None,
        };
        if let Some(inv) = inverse
            && ins.arg as usize <= i
        {
            insert_at(
                instrs,
                lines,
                cols,
                i + 1,
                Instr::new(Op::JUMP_ABSOLUTE, ins.arg),
            );
            instrs[i] = Instr {
                op: inv,
                view: inv,
                arg: (i + 2) as u32,
                flags: ins.flags,
            };
            i += 1;
        }
        i += 1;
    }
}

/// Inserts `ins` at `pos`, moving every jump to `pos` or later one further.
fn insert_at(
    instrs: &mut Vec<Instr>,
    lines: &mut Vec<u32>,
    cols: &mut Vec<Pos>,
    pos: usize,
    ins: Instr,
) {
    for i in instrs.iter_mut() {
        if i.op.is_jump() && i.arg as usize >= pos {
            i.arg += 1;
        }
    }
    instrs.insert(pos, ins);
    let (l, c) = (lines[pos - 1], cols[pos - 1]);
    lines.insert(pos, l);
    cols.insert(pos, c);
}

/// 3.12+: `LOAD_CONST k; RETURN_VALUE` is one RETURN_CONST k (the freed slot becomes a NOP).
fn return_const(instrs: &mut [Instr], targets: &[bool]) {
    for i in 0..instrs.len().saturating_sub(1) {
        if instrs[i].op == Op::LOAD_CONST && instrs[i + 1].op == Op::RETURN_VALUE {
            // Not when a jump lands on the RETURN_VALUE with its own value to return.
            let ret = Instr::new(Op::RETURN_CONST, instrs[i].arg);
            if !targets[i + 1] {
                instrs[i] = ret;
                instrs[i + 1] = Instr::new(Op::NOP, 0);
            }
        }
    }
}

fn jump_targets(instrs: &[Instr]) -> Vec<bool> {
    let mut t = vec![false; instrs.len() + 1];
    for ins in instrs {
        if ins.op.is_jump()
            && let Some(x) = t.get_mut(ins.arg as usize)
        {
            *x = true;
        }
    }
    t
}

fn remove_nops(instrs: &mut Vec<Instr>, lines: &mut Vec<u32>, cols: &mut Vec<Pos>) {
    let n = instrs.len();
    // new_index[i]: where instruction i (or the next kept one) lands.
    let mut new_index = vec![0u32; n + 1];
    let mut kept = 0u32;
    for (i, ins) in instrs.iter().enumerate() {
        new_index[i] = kept;
        if ins.op != Op::NOP {
            kept += 1;
        }
    }
    new_index[n] = kept;
    let mut out_i = Vec::with_capacity(kept as usize);
    let mut out_l = Vec::with_capacity(kept as usize);
    let mut out_c = Vec::with_capacity(kept as usize);
    for (i, ins) in instrs.iter().enumerate() {
        if ins.op == Op::NOP {
            continue;
        }
        let mut ins = *ins;
        if ins.op.is_jump() {
            ins.arg = new_index[(ins.arg as usize).min(n)];
        }
        out_i.push(ins);
        out_l.push(lines[i]);
        out_c.push(cols[i]);
    }
    *instrs = out_i;
    *lines = out_l;
    *cols = out_c;
}
