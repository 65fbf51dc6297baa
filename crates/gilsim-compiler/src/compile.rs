//! Code generation: the AST of a module to CPython 3.9-style code objects.
//!
//! The generator follows CPython 3.9's `compile.c` statement by statement, so that the opcode
//! sequence of each supported construct is the one `dis` shows on a real 3.9 (the fidelity tests
//! compare them). Constructs outside the subset are refused with a located error.

use crate::bytecode::{CodeId, CodeKind, CodeObject, Const, Instr, Op, Pos, Program, flag};
use crate::error::{CompileError, ErrorKind};
use crate::profile::Profile;
use crate::symtable::{Access, ScopeKind, SymbolTable};
use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::{Ranged, TextRange};

/// Compiles a whole module.
///
/// # Errors
/// A [`CompileError`] for a syntax error or a construct gilsim does not support.
pub fn compile(source: &str, filename: &str, profile: &Profile) -> Result<Program, CompileError> {
    compile_as(source, filename, profile, true)
}

/// Compiles one of gilsim's own bundled modules: Python 3 source under every profile, as
/// CPython's own modules are written for their version (no 2.7 print statement, f-strings
/// allowed), with the profile's bytecode.
///
/// # Errors
/// A [`CompileError`], which for a bundled module is a bug of gilsim's.
pub fn compile_bundled(
    source: &str,
    filename: &str,
    profile: &Profile,
) -> Result<Program, CompileError> {
    compile_as(source, filename, profile, false)
}

fn compile_as(
    source: &str,
    filename: &str,
    profile: &Profile,
    user_code: bool,
) -> Result<Program, CompileError> {
    let parsed = ruff_python_parser::parse_module(source).map_err(|e| {
        let r = e.location;
        CompileError::at(
            ErrorKind::Syntax,
            source,
            r.start().to_usize(),
            r.end().to_usize(),
            format!("invalid syntax: {}", e.error),
            Some("fix the syntax; the same file fails under python3 too".to_string()),
        )
    })?;
    let module = parsed.into_syntax();
    let table = SymbolTable::build(&module.body);
    if let Some(at) = table.too_deep {
        return Err(CompileError::at(
            ErrorKind::Unsupported,
            source,
            at as usize,
            at as usize + 1,
            format!(
                "functions, lambdas, classes and comprehensions nested more than {} deep",
                crate::symtable::MAX_SCOPE_DEPTH
            ),
            Some("flatten the nesting; CPython itself gives up on such code".to_string()),
        ));
    }
    let mut imported = std::collections::BTreeSet::new();
    module_imports(&module.body, &mut imported);
    let print_function = module.body.iter().any(|st| {
        matches!(st, Stmt::ImportFrom(i)
            if i.module.as_ref().is_some_and(|m| m.as_str() == "__future__")
                && i.names.iter().any(|a| a.name.as_str() == "print_function"))
    });
    let mut c = Compiler {
        source,
        profile: *profile,
        print_statement: user_code
            && profile.version == crate::profile::Version::Py27
            && !print_function,
        python2_syntax: user_code && profile.version == crate::profile::Version::Py27,
        imported,
        table,
        codes: Vec::new(),
        units: Vec::new(),
        line_starts: line_starts(source),
    };
    c.enter_unit(0, "<module>".into(), "<module>".into(), CodeKind::Module, 1);
    c.module_body(&module.body)?;
    c.leave_unit(0);
    Ok(Program {
        filename: filename.to_string(),
        source: source.to_string(),
        codes: c.codes.into_iter().map(|c| c.expect("code")).collect(),
    })
}

/// The names `import` statements bind in the module's own scope (not inside functions or
/// classes).
fn module_imports(body: &[Stmt], out: &mut std::collections::BTreeSet<String>) {
    for s in body {
        match s {
            Stmt::Import(i) => {
                for a in &i.names {
                    let name = a.asname.as_ref().map_or_else(
                        || a.name.as_str().split('.').next().unwrap_or("").to_string(),
                        |n| n.as_str().to_string(),
                    );
                    out.insert(name);
                }
            }
            Stmt::ImportFrom(i) => {
                for a in &i.names {
                    let n = a.asname.as_ref().unwrap_or(&a.name);
                    out.insert(n.as_str().to_string());
                }
            }
            Stmt::If(i) => {
                module_imports(&i.body, out);
                for c in &i.elif_else_clauses {
                    module_imports(&c.body, out);
                }
            }
            Stmt::Try(t) => {
                module_imports(&t.body, out);
                module_imports(&t.orelse, out);
                module_imports(&t.finalbody, out);
                for h in &t.handlers {
                    let ast::ExceptHandler::ExceptHandler(h) = h;
                    module_imports(&h.body, out);
                }
            }
            Stmt::With(w) => module_imports(&w.body, out),
            Stmt::For(f) => module_imports(&f.body, out),
            Stmt::While(w) => module_imports(&w.body, out),
            _ => {}
        }
    }
}

fn line_starts(source: &str) -> Vec<usize> {
    let mut v = vec![0];
    for (i, b) in source.bytes().enumerate() {
        if b == b'\n' {
            v.push(i + 1);
        }
    }
    v
}

type Label = u32;

#[derive(Clone, Debug)]
enum FBlock {
    WhileLoop { cont: Label, brk: Label },
    ForLoop { cont: Label, brk: Label },
    TryExcept,
    FinallyTry { body: Vec<Stmt> },
    FinallyEnd,
    With,
    HandlerCleanup { name: Option<String> },
    PopValue,
}

struct Unit {
    code: CodeObject,
    id: CodeId,
    scope: usize,
    labels: Vec<Option<u32>>,
    fixups: Vec<(usize, Label)>,
    fblocks: Vec<FBlock>,
    line: u32,
    pos: Pos,
}

struct Compiler<'s> {
    source: &'s str,
    profile: Profile,
    /// Names bound by an `import` at module level (CPython's DEF_IMPORT): 3.11+ call their
    /// attributes as plain attributes, not as methods.
    imported: std::collections::BTreeSet<String>,
    /// 2.7 without `from __future__ import print_function`: `print(a, b)` is the print
    /// statement applied to the tuple `(a, b)`.
    print_statement: bool,
    /// The learner's program under 2.7 (not a bundled module): f-strings and `nonlocal` are
    /// SyntaxErrors there.
    python2_syntax: bool,
    table: SymbolTable,
    codes: Vec<Option<CodeObject>>,
    units: Vec<Unit>,
    line_starts: Vec<usize>,
}

type R<T = ()> = Result<T, CompileError>;

fn binop(op: ast::Operator, inplace: bool) -> Option<Op> {
    use ast::Operator as O;
    Some(match (op, inplace) {
        (O::Add, false) => Op::BINARY_ADD,
        (O::Sub, false) => Op::BINARY_SUBTRACT,
        (O::Mult, false) => Op::BINARY_MULTIPLY,
        (O::Div, false) => Op::BINARY_TRUE_DIVIDE,
        (O::FloorDiv, false) => Op::BINARY_FLOOR_DIVIDE,
        (O::Mod, false) => Op::BINARY_MODULO,
        (O::Pow, false) => Op::BINARY_POWER,
        (O::LShift, false) => Op::BINARY_LSHIFT,
        (O::RShift, false) => Op::BINARY_RSHIFT,
        (O::BitAnd, false) => Op::BINARY_AND,
        (O::BitOr, false) => Op::BINARY_OR,
        (O::BitXor, false) => Op::BINARY_XOR,
        (O::Add, true) => Op::INPLACE_ADD,
        (O::Sub, true) => Op::INPLACE_SUBTRACT,
        (O::Mult, true) => Op::INPLACE_MULTIPLY,
        (O::Div, true) => Op::INPLACE_TRUE_DIVIDE,
        (O::FloorDiv, true) => Op::INPLACE_FLOOR_DIVIDE,
        (O::Mod, true) => Op::INPLACE_MODULO,
        (O::Pow, true) => Op::INPLACE_POWER,
        (O::LShift, true) => Op::INPLACE_LSHIFT,
        (O::RShift, true) => Op::INPLACE_RSHIFT,
        (O::BitAnd, true) => Op::INPLACE_AND,
        (O::BitOr, true) => Op::INPLACE_OR,
        (O::BitXor, true) => Op::INPLACE_XOR,
        (O::MatMult, _) => return None,
    })
}

/// The constant an expression folds to, as CPython 3.9's AST optimiser folds it.
fn const_of(e: &Expr) -> Option<Const> {
    const_within(e, 64)
}

/// Folds at most `depth` levels deep, so that machine-written towers (`2 ** 2 ** ...`) do not
/// make every level re-fold the whole tree below it.
fn const_within(e: &Expr, depth: u32) -> Option<Const> {
    let depth = depth.checked_sub(1)?;
    let const_of = |e: &Expr| const_within(e, depth);
    match e {
        Expr::NoneLiteral(_) => Some(Const::None),
        Expr::BooleanLiteral(b) => Some(Const::Bool(b.value)),
        Expr::EllipsisLiteral(_) => Some(Const::Ellipsis),
        Expr::StringLiteral(s) => Some(Const::Str(s.value.to_str().to_string())),
        Expr::NumberLiteral(n) => match &n.value {
            ast::Number::Int(i) => Some(match i.as_i64() {
                Some(v) => Const::Int(v),
                None => Const::BigInt(i.to_string()),
            }),
            ast::Number::Float(f) => Some(Const::Float(*f)),
            ast::Number::Complex { .. } => None,
        },
        Expr::UnaryOp(u) => fold_unary(u.op, const_of(&u.operand)?),
        Expr::BinOp(b) => fold_binop(b.op, const_of(&b.left)?, const_of(&b.right)?),
        Expr::Tuple(t) => t
            .elts
            .iter()
            .map(const_of)
            .collect::<Option<Vec<_>>>()
            .map(Const::Tuple),
        _ => None,
    }
}

/// An int constant as i128 (bools count as ints, as in Python).
fn int_of(c: &Const) -> Option<i128> {
    match c {
        Const::Int(v) => Some(i128::from(*v)),
        Const::Bool(b) => Some(i128::from(*b)),
        Const::BigInt(s) => s.parse().ok(),
        _ => None,
    }
}

fn float_of(c: &Const) -> Option<f64> {
    match c {
        Const::Float(f) => Some(*f),
        other => int_of(other).map(|i| i as f64),
    }
}

/// An int result, if CPython 3.9's optimiser would keep it (at most 128 bits).
fn int_const(v: i128) -> Option<Const> {
    if v.unsigned_abs() >= 1u128 << 127 {
        return None;
    }
    Some(match i64::try_from(v) {
        Ok(small) => Const::Int(small),
        Err(_) => Const::BigInt(v.to_string()),
    })
}

fn truth_of(c: &Const) -> Option<bool> {
    Some(match c {
        Const::None => false,
        Const::Bool(b) => *b,
        Const::Int(v) => *v != 0,
        Const::BigInt(_) => true,
        Const::Float(f) => *f != 0.0,
        Const::Str(s) => !s.is_empty(),
        Const::Tuple(t) => !t.is_empty(),
        Const::Ellipsis => true,
        Const::Code(_) => return None,
    })
}

/// CPython 3.9's `fold_unaryop`.
fn fold_unary(op: ast::UnaryOp, c: Const) -> Option<Const> {
    match op {
        ast::UnaryOp::Not => truth_of(&c).map(|t| Const::Bool(!t)),
        ast::UnaryOp::USub => match c {
            Const::Float(f) => Some(Const::Float(-f)),
            other => int_const(-int_of(&other)?),
        },
        ast::UnaryOp::UAdd => match c {
            Const::Float(f) => Some(Const::Float(f)),
            other => int_const(int_of(&other)?),
        },
        ast::UnaryOp::Invert => match c {
            Const::Float(_) => None,
            other => int_const(!int_of(&other)?),
        },
    }
}

/// CPython 3.9's `fold_binop` with its size limits (128-bit ints, 4096-character strings).
fn fold_binop(op: ast::Operator, l: Const, r: Const) -> Option<Const> {
    use ast::Operator as O;
    const MAX_STR: usize = 4096;
    if let (Const::Str(a), Const::Str(b), O::Add) = (&l, &r, op) {
        return (a.len() + b.len() <= MAX_STR).then(|| Const::Str(format!("{a}{b}")));
    }
    if let (Const::Str(a), O::Mult) = (&l, op) {
        let n = usize::try_from(int_of(&r)?.max(0)).ok()?;
        return (a.len().saturating_mul(n) <= MAX_STR).then(|| Const::Str(a.repeat(n)));
    }
    if let (Const::Tuple(a), Const::Tuple(b), O::Add) = (&l, &r, op) {
        return (a.len() + b.len() <= 256)
            .then(|| Const::Tuple(a.iter().chain(b).cloned().collect()));
    }
    if let (Const::Tuple(a), O::Mult) = (&l, op) {
        let n = usize::try_from(int_of(&r)?.max(0)).ok()?;
        return (a.len().saturating_mul(n) <= 256)
            .then(|| Const::Tuple(a.iter().cloned().cycle().take(a.len() * n).collect()));
    }
    if matches!(
        l,
        Const::Str(_) | Const::Tuple(_) | Const::None | Const::Ellipsis | Const::Code(_)
    ) || matches!(
        r,
        Const::Str(_) | Const::Tuple(_) | Const::None | Const::Ellipsis | Const::Code(_)
    ) {
        return None;
    }
    let float = matches!(l, Const::Float(_)) || matches!(r, Const::Float(_));
    if float || op == O::Div {
        let (a, b) = (float_of(&l)?, float_of(&r)?);
        let v = match op {
            O::Add => a + b,
            O::Sub => a - b,
            O::Mult => a * b,
            O::Div if b != 0.0 => a / b,
            O::FloorDiv if b != 0.0 => crate::num::float_divmod(a, b).0,
            O::Mod if b != 0.0 => crate::num::float_divmod(a, b).1,
            O::Pow if !(a == 0.0 && b < 0.0 || a < 0.0 && b.fract() != 0.0) => a.powf(b),
            _ => return None,
        };
        return v.is_finite().then_some(Const::Float(v));
    }
    let (a, b) = (int_of(&l)?, int_of(&r)?);
    let bits = |x: i128| 128 - x.unsigned_abs().leading_zeros();
    match op {
        O::Add => int_const(a.checked_add(b)?),
        O::Sub => int_const(a.checked_sub(b)?),
        O::Mult => {
            if bits(a) + bits(b) > 128 {
                return None;
            }
            int_const(a.checked_mul(b)?)
        }
        O::FloorDiv if b != 0 => {
            int_const(a.div_euclid(b) - i128::from(b < 0 && a.rem_euclid(b) != 0))
        }
        O::Mod if b != 0 => {
            let m = a.rem_euclid(b.abs());
            int_const(if b < 0 && m != 0 { m + b } else { m })
        }
        O::Pow if b >= 0 => {
            if b > 0 && u128::from(bits(a)) * b as u128 > 128 {
                return None;
            }
            int_const(a.checked_pow(u32::try_from(b).ok()?)?)
        }
        O::Pow => {
            let v = (a as f64).powf(b as f64);
            (a != 0 && v.is_finite()).then_some(Const::Float(v))
        }
        O::LShift if (0..128).contains(&b) => {
            if bits(a) + b as u32 > 128 {
                return None;
            }
            int_const(a.checked_shl(b as u32)?)
        }
        O::RShift if b >= 0 => int_const(if b >= 127 {
            if a < 0 { -1 } else { 0 }
        } else {
            a >> b
        }),
        O::BitAnd => int_const(a & b),
        O::BitOr => int_const(a | b),
        O::BitXor => int_const(a ^ b),
        _ => None,
    }
}

/// The comparison whose position 3.11's `assert` leaves on its raise: the test's last
/// comparison, through `not`, `and` and `or`; none for any other test.
fn last_comparison(e: &Expr) -> Option<TextRange> {
    match e {
        Expr::Compare(c) => Some(c.range),
        Expr::UnaryOp(u) if u.op == ast::UnaryOp::Not => last_comparison(&u.operand),
        Expr::BoolOp(b) => b.values.last().and_then(last_comparison),
        _ => None,
    }
}

fn const_truth(e: &Expr) -> Option<bool> {
    match const_of(e)? {
        Const::None => Some(false),
        Const::Bool(b) => Some(b),
        Const::Int(v) => Some(v != 0),
        Const::Float(f) => Some(f != 0.0),
        Const::Str(s) => Some(!s.is_empty()),
        Const::Tuple(t) => Some(!t.is_empty()),
        _ => None,
    }
}

fn ends_in_return(instrs: &[Instr]) -> bool {
    matches!(instrs.last(), Some(i) if i.op == Op::RETURN_VALUE)
}

impl Compiler<'_> {
    // ----- units, labels, emission -----

    fn enter_unit(
        &mut self,
        scope: usize,
        name: String,
        qualname: String,
        kind: CodeKind,
        line: u32,
    ) {
        let id = self.codes.len() as CodeId;
        self.codes.push(None);
        let s = &self.table.scopes[scope];
        let varnames = if matches!(s.kind, ScopeKind::Function | ScopeKind::Comprehension) {
            s.varnames()
        } else {
            Vec::new()
        };
        let cell_params = s
            .cellvars
            .iter()
            .map(|c| s.params.iter().position(|p| p == c).map(|p| p as u32))
            .collect();
        let code = CodeObject {
            name,
            qualname,
            kind,
            first_line: line,
            argcount: 0,
            posonlyargcount: 0,
            kwonlyargcount: 0,
            varargs: false,
            varkw: false,
            varnames,
            cellvars: s.cellvars.clone(),
            cell_params,
            freevars: s.freevars.clone(),
            names: Vec::new(),
            consts: Vec::new(),
            instrs: Vec::new(),
            lines: Vec::new(),
            cols: Vec::new(),
            line_starts: Vec::new(),
        };
        self.units.push(Unit {
            code,
            id,
            scope,
            labels: Vec::new(),
            fixups: Vec::new(),
            fblocks: Vec::new(),
            line,
            pos: Pos {
                col: 1,
                start: 0,
                end: 0,
            },
        });
        if kind == CodeKind::Generator && self.profile.version == crate::profile::Version::Py310 {
            // 3.10 starts a generator with GEN_START (it pops the value first sent).
            self.emit_shown(Op::GEN_START, 0);
        }
        if self.modern() {
            if kind == CodeKind::Generator {
                // The generator object is made at the call; these run at its first resumption.
                self.emit_shown(Op::RETURN_GENERATOR, 0);
                self.emit_shown(Op::POP_TOP, 0);
            }
            // 3.11+: every code object starts with RESUME 0, its entry check point.
            self.emit(Op::RESUME, 0);
        }
    }

    /// Finishes the current unit: adds the implicit return, resolves jumps, stores the code.
    fn leave_unit(&mut self, _scope: usize) -> CodeId {
        // As CPython's b_return: the implicit `return None` is left out only when the block
        // being compiled ends in a return (a label bound at the end starts a new block).
        let u = self.u();
        let end = u.code.instrs.len() as u32;
        let block_starts_here = u.labels.contains(&Some(end));
        if !ends_in_return(&u.code.instrs) || block_starts_here {
            let none = self.const_idx(Const::None);
            self.emit(Op::LOAD_CONST, none);
            self.flag_last(flag::NO_LINE);
            self.emit(Op::RETURN_VALUE, 0);
        }
        let mut unit = self.units.pop().expect("unit");
        for (at, label) in std::mem::take(&mut unit.fixups) {
            unit.code.instrs[at].arg = unit.labels[label as usize].expect("label bound");
        }
        crate::peephole::optimize(
            &self.profile,
            &mut unit.code.instrs,
            &mut unit.code.lines,
            &mut unit.code.cols,
        );
        crate::views::assign(&self.profile, &mut unit.code.instrs, &unit.code.lines);
        let mut starts = Vec::with_capacity(unit.code.lines.len());
        let mut prev = 0;
        for &l in &unit.code.lines {
            starts.push(l != prev);
            prev = l;
        }
        unit.code.line_starts = starts;
        let id = unit.id;
        self.codes[id as usize] = Some(unit.code);
        id
    }

    /// Calls the decorators, innermost first; 3.11+ give each call its decorator's position
    /// (and line), which a traceback through it points at.
    fn apply_decorators(&mut self, decorators: &[ast::Decorator]) {
        for d in decorators.iter().rev() {
            let old = self
                .profile
                .at_least(3, 11)
                .then(|| self.set_loc(d.expression.range()));
            self.emit(Op::CALL_FUNCTION, 1);
            if let Some(o) = old {
                self.restore_loc(o);
            }
        }
    }

    fn u(&mut self) -> &mut Unit {
        self.units.last_mut().expect("unit")
    }

    fn scope_kind(&self) -> ScopeKind {
        let u = self.units.last().expect("unit");
        self.table.scopes[u.scope].kind
    }

    fn new_label(&mut self) -> Label {
        let u = self.u();
        u.labels.push(None);
        (u.labels.len() - 1) as Label
    }

    fn bind(&mut self, l: Label) {
        let u = self.u();
        u.labels[l as usize] = Some(u.code.instrs.len() as u32);
    }

    fn emit(&mut self, op: Op, arg: u32) {
        // 3.11 replaced the DUP/ROT family by COPY and SWAP; the same permutation either way.
        if self.modern() {
            match op {
                Op::DUP_TOP => return self.emit_raw(Op::COPY, 1),
                Op::DUP_TOP_TWO => {
                    self.emit_raw(Op::COPY, 2);
                    return self.emit_raw(Op::COPY, 2);
                }
                Op::ROT_TWO => return self.emit_raw(Op::SWAP, 2),
                Op::ROT_THREE | Op::ROT_FOUR => {
                    let n = if op == Op::ROT_THREE { 3 } else { 4 };
                    for k in (2..=n).rev() {
                        self.emit_raw(Op::SWAP, k);
                    }
                    return;
                }
                _ => {}
            }
        }
        self.emit_raw(op, arg);
    }

    fn emit_raw(&mut self, op: Op, arg: u32) {
        let u = self.u();
        u.code.instrs.push(Instr::new(op, arg));
        u.code.lines.push(u.line);
        u.code.cols.push(u.pos);
    }

    /// A no-op that shows as `view` (with `arg`) in this version's listing and check rules.
    fn emit_shown(&mut self, view: Op, arg: u32) {
        self.emit_raw(Op::SHOWN, arg);
        if let Some(i) = self.u().code.instrs.last_mut() {
            i.view = view;
        }
    }

    /// Sets display flag `f` on the instruction emitted last.
    fn flag_last(&mut self, f: u16) {
        if let Some(i) = self.u().code.instrs.last_mut() {
            i.flags |= f;
        }
    }

    /// 3.11 and later: RESUME, PRECALL/CALL, COPY/SWAP, exception tables.
    fn modern(&self) -> bool {
        self.profile.at_least(3, 11)
    }

    fn is27(&self) -> bool {
        self.profile.version == crate::profile::Version::Py27
    }

    /// 3.11+: RESUME 1 after a yield, a check point when the generator is resumed.
    fn resume_after_yield(&mut self) {
        if self.modern() {
            self.emit(Op::RESUME, 1);
        }
    }

    /// PRECALL, which only 3.11 has, before a CALL of `n` arguments.
    fn precall(&mut self, n: u32) {
        if self.profile.version == crate::profile::Version::Py311 {
            self.emit(Op::PRECALL, n);
        }
    }

    fn emit_jump(&mut self, op: Op, l: Label) {
        let at = self.u().code.instrs.len();
        self.emit(op, 0);
        self.u().fixups.push((at, l));
    }

    fn const_idx(&mut self, c: Const) -> u32 {
        let consts = &mut self.u().code.consts;
        if let Some(i) = consts.iter().position(|x| same_const(x, &c)) {
            return i as u32;
        }
        consts.push(c);
        (consts.len() - 1) as u32
    }

    fn load_const(&mut self, c: Const) {
        let i = self.const_idx(c);
        self.emit(Op::LOAD_CONST, i);
    }

    fn name_idx(&mut self, n: &str) -> u32 {
        let names = &mut self.u().code.names;
        if let Some(i) = names.iter().position(|x| x == n) {
            return i as u32;
        }
        names.push(n.to_string());
        (names.len() - 1) as u32
    }

    fn set_loc(&mut self, r: TextRange) -> (u32, Pos) {
        let (line, pos) = self.pos_of(r);
        let u = self.u();
        let old = (u.line, u.pos);
        u.line = line;
        u.pos = pos;
        old
    }

    fn restore_loc(&mut self, old: (u32, Pos)) {
        let u = self.u();
        u.line = old.0;
        u.pos = old.1;
    }

    /// The start line of `r` and its position.
    fn pos_of(&self, r: TextRange) -> (u32, Pos) {
        let (line, col) = self.line_col(r.start().to_usize());
        let pos = Pos {
            col,
            start: r.start().to_u32(),
            end: r.end().to_u32(),
        };
        (line, pos)
    }

    fn line_col(&self, offset: usize) -> (u32, u32) {
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line];
        let col = self
            .source
            .get(start..offset)
            .map_or(0, |s| s.chars().count());
        (line as u32 + 1, col as u32 + 1)
    }

    fn unsupported(&self, r: TextRange, what: &str, hint: &str) -> CompileError {
        CompileError::at(
            ErrorKind::Unsupported,
            self.source,
            r.start().to_usize(),
            r.end().to_usize(),
            format!("gilsim does not support {what}"),
            Some(hint.to_string()),
        )
    }

    fn syntax(&self, r: TextRange, msg: &str) -> CompileError {
        CompileError::at(
            ErrorKind::Syntax,
            self.source,
            r.start().to_usize(),
            r.end().to_usize(),
            msg.to_string(),
            None,
        )
    }

    // ----- names -----

    fn access(&self, name: &str) -> Access {
        let u = self.units.last().expect("unit");
        self.table.scopes[u.scope].access_of(name)
    }

    fn deref_idx(&mut self, name: &str) -> u32 {
        let code = &self.u().code;
        if let Some(i) = code.cellvars.iter().position(|c| c == name) {
            return i as u32;
        }
        let i = code
            .freevars
            .iter()
            .position(|c| c == name)
            .expect("free var");
        (code.cellvars.len() + i) as u32
    }

    fn local_idx(&mut self, name: &str) -> u32 {
        let code = &mut self.u().code;
        if let Some(i) = code.varnames.iter().position(|c| c == name) {
            return i as u32;
        }
        code.varnames.push(name.to_string());
        (code.varnames.len() - 1) as u32
    }

    /// Whether the code of `e` starts with a LOAD_GLOBAL (`g`, `g.a.b`, `g[k]`).
    fn starts_with_global(&self, e: &Expr) -> bool {
        match e {
            Expr::Name(n) => self.compiles_to_global(n.id.as_str()),
            Expr::Attribute(a) => self.starts_with_global(&a.value),
            Expr::Subscript(s) => self.starts_with_global(&s.value),
            _ => false,
        }
    }

    /// Whether loading `name` here compiles to LOAD_GLOBAL.
    fn compiles_to_global(&self, name: &str) -> bool {
        let access = self.access(name);
        match access {
            Access::GlobalExplicit => true,
            Access::GlobalImplicit => {
                !matches!(self.scope_kind(), ScopeKind::Module | ScopeKind::Class)
            }
            _ => false,
        }
    }

    fn nameop(&mut self, name: &str, ctx: ast::ExprContext) {
        let access = self.access(name);
        let (load, store, del) = match access {
            Access::Local => (Op::LOAD_FAST, Op::STORE_FAST, Op::DELETE_FAST),
            Access::Cell | Access::Free => (Op::LOAD_DEREF, Op::STORE_DEREF, Op::DELETE_DEREF),
            Access::GlobalExplicit | Access::GlobalImplicit => {
                if matches!(self.scope_kind(), ScopeKind::Module | ScopeKind::Class)
                    && access == Access::GlobalImplicit
                {
                    (Op::LOAD_NAME, Op::STORE_NAME, Op::DELETE_NAME)
                } else {
                    (Op::LOAD_GLOBAL, Op::STORE_GLOBAL, Op::DELETE_GLOBAL)
                }
            }
            Access::Name => (Op::LOAD_NAME, Op::STORE_NAME, Op::DELETE_NAME),
            Access::ClassDeref => (Op::LOAD_CLASSDEREF, Op::STORE_NAME, Op::DELETE_NAME),
        };
        let op = match ctx {
            ast::ExprContext::Store => store,
            ast::ExprContext::Del => del,
            _ => load,
        };
        let arg = match op {
            Op::LOAD_FAST | Op::STORE_FAST | Op::DELETE_FAST => self.local_idx(name),
            Op::LOAD_DEREF | Op::STORE_DEREF | Op::DELETE_DEREF | Op::LOAD_CLASSDEREF => {
                self.deref_idx(name)
            }
            _ => self.name_idx(name),
        };
        self.emit(op, arg);
    }

    // ----- module, statements -----

    fn module_body(&mut self, body: &[Stmt]) -> R {
        let mut rest = body;
        if let Some(Stmt::Expr(e)) = body.first()
            && let Expr::StringLiteral(s) = &*e.value
        {
            let old = self.set_loc(e.range);
            self.load_const(Const::Str(s.value.to_str().to_string()));
            self.nameop("__doc__", ast::ExprContext::Store);
            self.restore_loc(old);
            rest = &body[1..];
        }
        for s in rest {
            self.stmt(s)?;
        }
        Ok(())
    }

    fn body(&mut self, body: &[Stmt]) -> R {
        for s in body {
            self.stmt(s)?;
        }
        Ok(())
    }

    fn stmt(&mut self, s: &Stmt) -> R {
        // A decorated def or class is on the `def`/`class` line (ruff's range starts at the
        // first decorator, CPython's node at the keyword; the name stands in for it).
        let range = match s {
            Stmt::FunctionDef(f) if !f.decorator_list.is_empty() => {
                TextRange::new(f.name.range.start(), s.range().end())
            }
            Stmt::ClassDef(c) if !c.decorator_list.is_empty() => {
                TextRange::new(c.name.range.start(), s.range().end())
            }
            _ => s.range(),
        };
        let (line, pos) = self.pos_of(range);
        {
            let u = self.u();
            u.line = line;
            u.pos = pos;
        }
        match s {
            Stmt::FunctionDef(f) => self.function_def(f),
            Stmt::ClassDef(c) => self.class_def(c),
            Stmt::Return(r) => self.return_stmt(r),
            Stmt::Delete(d) => {
                for t in &d.targets {
                    self.delete_target(t)?;
                }
                Ok(())
            }
            Stmt::Assign(a) => self.assign(a),
            Stmt::AugAssign(a) => self.aug_assign(a),
            Stmt::AnnAssign(a) => {
                if let Some(v) = &a.value {
                    self.expr(v)?;
                    self.store_target(&a.target)?;
                }
                Ok(())
            }
            Stmt::For(f) => {
                if f.is_async {
                    return Err(self.unsupported(f.range, "`async for`", "use a plain `for` loop"));
                }
                self.for_stmt(f)
            }
            Stmt::While(w) => self.while_stmt(w),
            Stmt::If(i) => self.if_stmt(i),
            Stmt::With(w) => {
                if w.is_async {
                    return Err(self.unsupported(w.range, "`async with`", "use a plain `with`"));
                }
                self.with_stmt(w, 0)
            }
            Stmt::Raise(r) => {
                let mut n = 0;
                if let Some(e) = &r.exc {
                    self.expr(e)?;
                    n = 1;
                    if let Some(c) = &r.cause {
                        self.expr(c)?;
                        n = 2;
                    }
                }
                self.emit(Op::RAISE_VARARGS, n);
                Ok(())
            }
            Stmt::Try(t) => {
                if t.is_star {
                    return Err(self.unsupported(t.range, "`except*`", "use a plain `except`"));
                }
                if t.finalbody.is_empty() {
                    self.try_except(t)
                } else {
                    self.try_finally(t)
                }
            }
            Stmt::Assert(a) => {
                let end = self.new_label();
                self.jump_if(&a.test, end, true)?;
                // The raise's position (a traceback's carets): 3.11 leaves the last comparison's,
                // 3.13 sets the test's, 3.12 keeps the statement's.
                let raise_at = if self.profile.at_least(3, 13) {
                    Some(a.test.range())
                } else if self.profile.at_least(3, 12) {
                    None
                } else if self.profile.at_least(3, 11) {
                    last_comparison(&a.test)
                } else {
                    None
                };
                let old = raise_at.map(|r| self.set_loc(r));
                self.emit(Op::LOAD_ASSERTION_ERROR, 0);
                if let Some(m) = &a.msg {
                    self.expr(m)?;
                    self.emit(Op::CALL_FUNCTION, 1);
                }
                self.emit(Op::RAISE_VARARGS, 1);
                if let Some(o) = old {
                    self.restore_loc(o);
                }
                self.bind(end);
                Ok(())
            }
            Stmt::Import(i) => {
                for a in &i.names {
                    self.load_const(Const::Int(0));
                    self.load_const(Const::None);
                    let full = a.name.as_str();
                    let ni = self.name_idx(full);
                    self.emit(Op::IMPORT_NAME, ni);
                    match &a.asname {
                        Some(asname) => {
                            let parts: Vec<&str> = full.split('.').collect();
                            if parts.len() > 1 {
                                for p in &parts[1..parts.len() - 1] {
                                    let pi = self.name_idx(p);
                                    self.emit(Op::IMPORT_FROM, pi);
                                    self.emit(Op::ROT_TWO, 0);
                                    self.emit(Op::POP_TOP, 0);
                                }
                                let last = self.name_idx(parts[parts.len() - 1]);
                                self.emit(Op::IMPORT_FROM, last);
                                self.nameop(asname.as_str(), ast::ExprContext::Store);
                                self.emit(Op::POP_TOP, 0);
                            } else {
                                self.nameop(asname.as_str(), ast::ExprContext::Store);
                            }
                        }
                        None => {
                            let top = full.split('.').next().unwrap_or(full).to_string();
                            self.nameop(&top, ast::ExprContext::Store);
                        }
                    }
                }
                Ok(())
            }
            Stmt::ImportFrom(i) => {
                if i.level > 0 {
                    return Err(self.unsupported(
                        i.range,
                        "relative imports",
                        "a scenario is one file; import only threading, time, sys, random, queue, concurrent.futures, logging, requests",
                    ));
                }
                let module = i.module.as_ref().map_or("", |m| m.as_str()).to_string();
                if i.names.iter().any(|a| a.name.as_str() == "*") {
                    return Err(self.unsupported(
                        i.range,
                        "`from module import *`",
                        &format!("import the names you use: `from {module} import Thread, Lock`"),
                    ));
                }
                self.load_const(Const::Int(0));
                let names = i
                    .names
                    .iter()
                    .map(|a| Const::Str(a.name.as_str().to_string()))
                    .collect();
                self.load_const(Const::Tuple(names));
                let mi = self.name_idx(&module);
                self.emit(Op::IMPORT_NAME, mi);
                for a in &i.names {
                    let ni = self.name_idx(a.name.as_str());
                    self.emit(Op::IMPORT_FROM, ni);
                    let bound = a.asname.as_ref().unwrap_or(&a.name).as_str().to_string();
                    self.nameop(&bound, ast::ExprContext::Store);
                }
                self.emit(Op::POP_TOP, 0);
                Ok(())
            }
            Stmt::Pass(_) if self.profile.at_least(3, 10) => {
                // 3.10+ keep a NOP where removing it would lose the line.
                self.emit_shown(Op::NOP, 0);
                Ok(())
            }
            Stmt::Nonlocal(n) if self.python2_syntax => Err(self.syntax(
                n.range,
                "invalid syntax (`nonlocal` is Python 3; Python 2.7 has no such statement)",
            )),
            Stmt::Global(_) | Stmt::Nonlocal(_) | Stmt::Pass(_) => Ok(()),
            Stmt::Expr(e) => {
                if const_of(&e.value).is_some() {
                    return Ok(()); // 3.9 drops constant expression statements (docstrings, `...`).
                }
                self.expr(&e.value)?;
                self.emit(Op::POP_TOP, 0);
                Ok(())
            }
            Stmt::Break(b) => self.break_continue(b.range, true),
            Stmt::Continue(b) => self.break_continue(b.range, false),
            Stmt::Match(m) => {
                Err(self.unsupported(m.range, "`match` statements", "use `if`/`elif`"))
            }
            Stmt::TypeAlias(t) => {
                Err(self.unsupported(t.range, "`type` aliases", "remove the alias"))
            }
            Stmt::IpyEscapeCommand(t) => Err(self.syntax(t.range, "invalid syntax")),
        }
    }

    fn break_continue(&mut self, range: TextRange, is_break: bool) -> R {
        let mut unwind = Vec::new();
        let mut target = None;
        for fb in self.u().fblocks.iter().rev() {
            match fb {
                FBlock::WhileLoop { cont, brk } | FBlock::ForLoop { cont, brk } => {
                    target = Some((fb.clone(), *cont, *brk));
                    break;
                }
                other => unwind.push(other.clone()),
            }
        }
        let Some((loop_block, cont, brk)) = target else {
            let what = if is_break {
                "'break' outside loop"
            } else {
                "'continue' not properly in loop"
            };
            return Err(self.syntax(range, what));
        };
        self.unwind_blocks(&unwind, false)?;
        if is_break {
            let from = self.u().code.instrs.len();
            self.unwind_one(&loop_block, false)?;
            if self.is27() {
                // 2.7's BREAK_LOOP pops the loop's block, the iterator with it.
                for i in &mut self.u().code.instrs[from..] {
                    i.flags |= flag::HIDDEN;
                }
            }
            self.emit_jump(Op::JUMP_ABSOLUTE, brk);
            self.flag_last(flag::BREAK);
        } else {
            self.emit_jump(Op::JUMP_ABSOLUTE, cont);
        }
        Ok(())
    }

    /// Emits the clean-up of the given frame blocks, innermost first (CPython's
    /// `compiler_unwind_fblock_stack`).
    fn unwind_blocks(&mut self, blocks: &[FBlock], preserve_tos: bool) -> R {
        for (i, fb) in blocks.iter().enumerate() {
            if let FBlock::FinallyTry { body } = fb {
                // The finally body runs with the blocks outside it still in force.
                self.emit(Op::POP_BLOCK, 0);
                let depth = self.u().fblocks.len();
                // `blocks` is innermost first: block i sits at depth - 1 - i; the finally body
                // compiles with it and everything inside it taken off the stack.
                let keep = depth - 1 - i;
                let saved: Vec<FBlock> = self.u().fblocks.drain(keep..).collect();
                if preserve_tos {
                    self.u().fblocks.push(FBlock::PopValue);
                }
                let body = body.clone();
                self.body(&body)?;
                if preserve_tos {
                    self.u().fblocks.pop();
                }
                self.u().fblocks.extend(saved);
            } else {
                self.unwind_one(fb, preserve_tos)?;
            }
        }
        Ok(())
    }

    fn unwind_one(&mut self, fb: &FBlock, preserve_tos: bool) -> R {
        match fb {
            FBlock::WhileLoop { .. } => {}
            FBlock::ForLoop { .. } | FBlock::PopValue => {
                if preserve_tos {
                    self.emit(Op::ROT_TWO, 0);
                }
                self.emit(Op::POP_TOP, 0);
            }
            FBlock::TryExcept => self.emit(Op::POP_BLOCK, 0),
            FBlock::FinallyTry { .. } => unreachable!("handled by unwind_blocks"),
            FBlock::FinallyEnd => {
                if preserve_tos {
                    self.emit(Op::ROT_FOUR, 0);
                }
                self.emit(Op::POP_TOP, 0);
                self.emit(Op::POP_TOP, 0);
                self.emit(Op::POP_TOP, 0);
                if preserve_tos {
                    self.emit(Op::ROT_FOUR, 0);
                }
                self.emit(Op::POP_EXCEPT, 0);
            }
            FBlock::With => {
                self.emit(Op::POP_BLOCK, 0);
                if preserve_tos {
                    self.emit(Op::ROT_TWO, 0);
                }
                self.call_exit_with_nones();
            }
            FBlock::HandlerCleanup { name } => {
                if name.is_some() {
                    self.emit(Op::POP_BLOCK, 0);
                }
                if preserve_tos {
                    self.emit(Op::ROT_FOUR, 0);
                }
                self.emit(Op::POP_EXCEPT, 0);
                if let Some(n) = name {
                    self.load_const(Const::None);
                    self.nameop(n, ast::ExprContext::Store);
                    self.nameop(n, ast::ExprContext::Del);
                }
            }
        }
        Ok(())
    }

    /// The normal exit of a `with`: `__exit__(None, None, None)` and the pop of its result.
    fn call_exit_with_nones(&mut self) {
        self.load_const(Const::None);
        if self.modern() {
            // 3.11+: three LOAD_CONSTs and a CALL of 2 (the exit function sits as a method).
            self.load_const(Const::None);
            self.load_const(Const::None);
            self.precall(2);
        } else {
            self.emit(Op::DUP_TOP, 0);
            if self.is27() {
                self.flag_last(flag::HIDDEN);
            }
            self.emit(Op::DUP_TOP, 0);
            if self.is27() {
                self.flag_last(flag::HIDDEN);
            }
        }
        // 2.7 shows this call as WITH_CLEANUP and the pop as END_FINALLY.
        self.emit(Op::CALL_FUNCTION, 3);
        self.flag_last(flag::EXIT_CALL);
        self.emit(Op::POP_TOP, 0);
        self.flag_last(flag::EXIT_CALL);
    }

    fn return_stmt(&mut self, r: &ast::StmtReturn) -> R {
        if !matches!(
            self.scope_kind(),
            ScopeKind::Function | ScopeKind::Comprehension
        ) {
            return Err(self.syntax(r.range, "'return' outside function"));
        }
        let preserve = r.value.as_ref().is_some_and(|v| const_of(v).is_none());
        if preserve {
            self.expr(r.value.as_ref().expect("value"))?;
        }
        let blocks: Vec<FBlock> = self.u().fblocks.iter().rev().cloned().collect();
        self.unwind_blocks(&blocks, preserve)?;
        match &r.value {
            None => self.load_const(Const::None),
            Some(v) if !preserve => self.expr(v)?,
            _ => {}
        }
        self.emit(Op::RETURN_VALUE, 0);
        Ok(())
    }

    fn delete_target(&mut self, t: &Expr) -> R {
        let old = self.set_loc(t.range());
        let r = self.delete_target_at(t);
        self.restore_loc(old);
        r
    }

    fn delete_target_at(&mut self, t: &Expr) -> R {
        match t {
            Expr::Name(n) => {
                self.nameop(n.id.as_str(), ast::ExprContext::Del);
                Ok(())
            }
            Expr::Attribute(a) => {
                self.expr(&a.value)?;
                let ni = self.name_idx(a.attr.as_str());
                self.emit(Op::DELETE_ATTR, ni);
                Ok(())
            }
            Expr::Subscript(s) => {
                self.expr(&s.value)?;
                self.expr(&s.slice)?;
                self.emit(Op::DELETE_SUBSCR, 0);
                Ok(())
            }
            Expr::Tuple(t) => t.elts.iter().try_for_each(|e| self.delete_target(e)),
            Expr::List(t) => t.elts.iter().try_for_each(|e| self.delete_target(e)),
            other => Err(self.syntax(other.range(), "cannot delete this expression")),
        }
    }

    fn assign(&mut self, a: &ast::StmtAssign) -> R {
        // 3.9 swaps `a, b = b, a` with ROT_TWO / ROT_THREE instead of a tuple.
        if a.targets.len() == 1
            && let (Expr::Tuple(tt), Expr::Tuple(vt)) = (&a.targets[0], &*a.value)
        {
            let n = tt.elts.len();
            let starred = |v: &[Expr]| v.iter().any(|e| matches!(e, Expr::Starred(_)));
            if (n == 2 || n == 3)
                && vt.elts.len() == n
                && !starred(&tt.elts)
                && !starred(&vt.elts)
                && const_of(&a.value).is_none()
            {
                for e in &vt.elts {
                    self.expr(e)?;
                }
                if n == 2 {
                    self.emit(Op::ROT_TWO, 0);
                } else {
                    self.emit(Op::ROT_THREE, 0);
                    self.emit(Op::ROT_TWO, 0);
                }
                for t in &tt.elts {
                    self.store_target(t)?;
                }
                return Ok(());
            }
        }
        self.expr(&a.value)?;
        for (i, t) in a.targets.iter().enumerate() {
            if i + 1 < a.targets.len() {
                self.emit(Op::DUP_TOP, 0);
            }
            self.store_target(t)?;
        }
        Ok(())
    }

    fn store_target(&mut self, t: &Expr) -> R {
        let old = self.set_loc(t.range());
        let r = self.store_target_inner(t);
        self.restore_loc(old);
        r
    }

    fn store_target_inner(&mut self, t: &Expr) -> R {
        match t {
            Expr::Name(n) => {
                self.nameop(n.id.as_str(), ast::ExprContext::Store);
                Ok(())
            }
            Expr::Attribute(a) => {
                self.expr(&a.value)?;
                let ni = self.name_idx(a.attr.as_str());
                self.emit(Op::STORE_ATTR, ni);
                Ok(())
            }
            Expr::Subscript(s) => {
                self.expr(&s.value)?;
                self.expr(&s.slice)?;
                self.emit(Op::STORE_SUBSCR, 0);
                Ok(())
            }
            Expr::Tuple(t) => self.unpack(&t.elts, t.range),
            Expr::List(t) => self.unpack(&t.elts, t.range),
            other => Err(self.syntax(other.range(), "cannot assign to this expression")),
        }
    }

    fn unpack(&mut self, elts: &[Expr], range: TextRange) -> R {
        let star = elts.iter().position(|e| matches!(e, Expr::Starred(_)));
        match star {
            None => self.emit(Op::UNPACK_SEQUENCE, elts.len() as u32),
            Some(i) => {
                if elts
                    .iter()
                    .filter(|e| matches!(e, Expr::Starred(_)))
                    .count()
                    > 1
                {
                    return Err(self.syntax(range, "multiple starred expressions in assignment"));
                }
                let after = elts.len() - i - 1;
                self.emit(Op::UNPACK_EX, (i as u32) | ((after as u32) << 8));
            }
        }
        for e in elts {
            match e {
                Expr::Starred(s) => self.store_target(&s.value)?,
                other => self.store_target(other)?,
            }
        }
        Ok(())
    }

    fn aug_assign(&mut self, a: &ast::StmtAugAssign) -> R {
        let Some(op) = binop(a.op, true) else {
            return Err(self.unsupported(
                a.range,
                "the `@=` operator",
                "use a plain function call",
            ));
        };
        // The load and the store carry the target's position, the operation the statement's.
        let target = a.target.range();
        match &*a.target {
            Expr::Name(n) => {
                let old = self.set_loc(target);
                self.nameop(n.id.as_str(), ast::ExprContext::Load);
                self.restore_loc(old);
                self.expr(&a.value)?;
                self.emit(op, 0);
                let old = self.set_loc(target);
                self.nameop(n.id.as_str(), ast::ExprContext::Store);
                self.restore_loc(old);
            }
            Expr::Attribute(at) => {
                let old = self.set_loc(target);
                self.expr(&at.value)?;
                self.emit(Op::DUP_TOP, 0);
                let ni = self.name_idx(at.attr.as_str());
                self.emit(Op::LOAD_ATTR, ni);
                self.restore_loc(old);
                self.expr(&a.value)?;
                self.emit(op, 0);
                let old = self.set_loc(target);
                self.emit(Op::ROT_TWO, 0);
                self.emit(Op::STORE_ATTR, ni);
                self.restore_loc(old);
            }
            Expr::Subscript(s) => {
                let old = self.set_loc(target);
                self.expr(&s.value)?;
                self.expr(&s.slice)?;
                self.emit(Op::DUP_TOP_TWO, 0);
                self.emit(Op::BINARY_SUBSCR, 0);
                self.restore_loc(old);
                self.expr(&a.value)?;
                self.emit(op, 0);
                let old = self.set_loc(target);
                self.emit(Op::ROT_THREE, 0);
                self.emit(Op::STORE_SUBSCR, 0);
                self.restore_loc(old);
            }
            other => {
                return Err(
                    self.syntax(other.range(), "illegal expression for augmented assignment")
                );
            }
        }
        Ok(())
    }

    fn for_stmt(&mut self, f: &ast::StmtFor) -> R {
        let start = self.new_label();
        let cleanup = self.new_label();
        let end = self.new_label();
        if self.is27() {
            self.emit_jump(Op::SETUP_LOOP, end);
        }
        self.expr(&f.iter)?;
        self.emit(Op::GET_ITER, 0);
        self.bind(start);
        self.u().fblocks.push(FBlock::ForLoop {
            cont: start,
            brk: end,
        });
        self.emit_jump(Op::FOR_ITER, cleanup);
        self.store_target(&f.target)?;
        self.body(&f.body)?;
        self.emit_jump(Op::JUMP_ABSOLUTE, start);
        self.flag_last(flag::NO_LINE);
        self.bind(cleanup);
        self.u().fblocks.pop();
        if self.is27() {
            self.emit(Op::POP_LOOP, 0);
        } else if self.profile.at_least(3, 12) {
            // 3.12's FOR_ITER jumps past END_FOR; gilsim's pops the iterator and lands on it.
            self.emit(Op::END_FOR, 0);
            if self.profile.at_least(3, 13) {
                self.emit(Op::END_FOR_POP, 0);
            }
        }
        self.body(&f.orelse)?;
        self.bind(end);
        Ok(())
    }

    fn while_stmt(&mut self, w: &ast::StmtWhile) -> R {
        let truth = const_truth(&w.test);
        if truth == Some(false) {
            return self.body(&w.orelse);
        }
        let top = self.new_label();
        let end = self.new_label();
        let anchor = self.new_label();
        let body = self.new_label();
        if self.is27() {
            self.emit_jump(Op::SETUP_LOOP, end);
        }
        self.bind(top);
        self.u().fblocks.push(FBlock::WhileLoop {
            cont: top,
            brk: end,
        });
        if truth.is_none() {
            self.jump_if(&w.test, anchor, false)?;
        } else if self.profile.at_least(3, 10) {
            // `while True:` keeps a NOP for its line, outside the loop (the back-edge goes to
            // the body).
            self.emit_shown(Op::NOP, 0);
        }
        self.bind(body);
        self.body(&w.body)?;
        if truth.is_none() && self.profile.at_least(3, 10) {
            // 3.10+ test again at the bottom (the loop is inverted): a backward conditional
            // jump, which 3.12+ write as a forward exit and a JUMP_BACKWARD.
            let here = self.set_loc(w.range);
            if self.profile.at_least(3, 12) {
                self.jump_if(&w.test, anchor, false)?;
                self.emit_jump(Op::JUMP_ABSOLUTE, body);
            } else {
                self.jump_if(&w.test, body, true)?;
            }
            self.restore_loc(here);
        } else {
            let target = if self.profile.at_least(3, 10) {
                body
            } else {
                top
            };
            self.emit_jump(Op::JUMP_ABSOLUTE, target);
        }
        self.bind(anchor);
        self.u().fblocks.pop();
        if self.is27() {
            self.emit(Op::POP_LOOP, 0);
        }
        self.body(&w.orelse)?;
        self.bind(end);
        Ok(())
    }

    fn if_stmt(&mut self, i: &ast::StmtIf) -> R {
        let end = self.new_label();
        self.if_chain(&i.test, &i.body, &i.elif_else_clauses, end)?;
        self.bind(end);
        Ok(())
    }

    fn if_chain(
        &mut self,
        test: &Expr,
        body: &[Stmt],
        rest: &[ast::ElifElseClause],
        end: Label,
    ) -> R {
        match const_truth(test) {
            Some(true) => return self.body(body),
            Some(false) => return self.else_part(rest, end),
            None => {}
        }
        if rest.is_empty() {
            self.jump_if(test, end, false)?;
            self.body(body)?;
            if self.is27() {
                // 2.7 jumps over the absent `else` too (a jump to the next instruction, which
                // its peephole keeps; jump threading may make it a ticking JUMP_ABSOLUTE).
                self.emit_jump(Op::JUMP_FORWARD, end);
            }
            return Ok(());
        }
        let next = self.new_label();
        self.jump_if(test, next, false)?;
        self.body(body)?;
        self.emit_jump(Op::JUMP_FORWARD, end);
        self.bind(next);
        self.else_part(rest, end)
    }

    fn else_part(&mut self, rest: &[ast::ElifElseClause], end: Label) -> R {
        let Some(first) = rest.first() else {
            return Ok(());
        };
        match &first.test {
            Some(t) => {
                let (line, pos) = self.pos_of(t.range());
                let u = self.u();
                u.line = line;
                u.pos = pos;
                self.if_chain(t, &first.body, &rest[1..], end)
            }
            None => self.body(&first.body),
        }
    }

    /// Emits a jump to `target` taken when `e`'s truth equals `cond` (CPython's
    /// `compiler_jump_if`).
    fn jump_if(&mut self, e: &Expr, target: Label, cond: bool) -> R {
        match e {
            Expr::UnaryOp(u) if matches!(u.op, ast::UnaryOp::Not) => {
                self.jump_if(&u.operand, target, !cond)
            }
            Expr::BoolOp(b) => {
                let is_or = matches!(b.op, ast::BoolOp::Or);
                let next2 = if is_or == cond {
                    target
                } else {
                    self.new_label()
                };
                let n = b.values.len();
                for v in &b.values[..n - 1] {
                    self.jump_if(v, next2, is_or)?;
                }
                self.jump_if(&b.values[n - 1], target, cond)?;
                if next2 != target {
                    self.bind(next2);
                }
                Ok(())
            }
            Expr::Compare(c)
                if self.modern()
                    && c.ops.len() == 1
                    && matches!(c.ops[0], ast::CmpOp::Is | ast::CmpOp::IsNot)
                    && matches!(c.comparators[0], Expr::NoneLiteral(_)) =>
            {
                // 3.11+ test None in the jump itself; gilsim runs the comparison, hidden.
                self.expr(&c.left)?;
                self.load_const(Const::None);
                self.flag_last(flag::HIDDEN);
                let is_not = matches!(c.ops[0], ast::CmpOp::IsNot);
                self.emit(Op::IS_OP, u32::from(is_not));
                self.flag_last(flag::HIDDEN);
                let op = if cond {
                    Op::POP_JUMP_IF_TRUE
                } else {
                    Op::POP_JUMP_IF_FALSE
                };
                self.emit_jump(op, target);
                self.flag_last(flag::NONE_TEST);
                Ok(())
            }
            _ => {
                self.expr(e)?;
                if self.profile.at_least(3, 13) {
                    // 3.13 tests only exact bools: a comparison says so in its argument, any
                    // other value goes through TO_BOOL.
                    match self.u().code.instrs.last().map(|i| i.op) {
                        Some(Op::COMPARE_OP) => self.flag_last(flag::BOOL_CMP),
                        Some(Op::IS_OP | Op::CONTAINS_OP) => {}
                        _ => self.emit(Op::TO_BOOL, 0),
                    }
                }
                let op = if cond {
                    Op::POP_JUMP_IF_TRUE
                } else {
                    Op::POP_JUMP_IF_FALSE
                };
                self.emit_jump(op, target);
                Ok(())
            }
        }
    }

    fn with_stmt(&mut self, w: &ast::StmtWith, pos: usize) -> R {
        let item = &w.items[pos];
        let fin = self.new_label();
        let exit = self.new_label();
        self.expr(&item.context_expr)?;
        self.emit_jump(Op::SETUP_WITH, fin);
        self.u().fblocks.push(FBlock::With);
        match &item.optional_vars {
            Some(v) => self.store_target(v)?,
            None => self.emit(Op::POP_TOP, 0),
        }
        if pos + 1 == w.items.len() {
            self.body(&w.body)?;
        } else {
            self.with_stmt(w, pos + 1)?;
        }
        self.emit(Op::POP_BLOCK, 0);
        self.flag_last(flag::NO_LINE);
        // 3.11 and 3.12's POP_BLOCK is a NOP with the line of the body's last statement; after
        // a `for` loop that line is the loop's, which no neighbour carries, so the NOP stays.
        if self.profile.at_least(3, 11)
            && !self.profile.at_least(3, 13)
            && let Some(Stmt::For(f)) = w.body.last()
        {
            let here = self.set_loc(f.range);
            self.emit_shown(Op::NOP, 0);
            self.restore_loc(here);
        }
        self.u().fblocks.pop();
        // 3.10+ give the normal exit the line of the `with` itself.
        let here = self.profile.at_least(3, 10).then(|| self.set_loc(w.range));
        self.call_exit_with_nones();
        self.emit_jump(Op::JUMP_FORWARD, exit);
        // 3.12+ put the handler out of line; 2.7's normal path falls out of its END_FINALLY.
        if self.profile.at_least(3, 12) || self.is27() {
            self.flag_last(flag::OVER);
        }
        if let Some(here) = here {
            self.restore_loc(here);
        }
        self.bind(fin);
        let handler_start = self.u().code.instrs.len();
        self.emit(Op::WITH_EXCEPT_START, 0);
        let ok = self.new_label();
        self.emit_jump(Op::POP_JUMP_IF_TRUE, ok);
        self.emit(Op::RERAISE, 0);
        self.bind(ok);
        self.emit(Op::POP_TOP, 0);
        self.emit(Op::POP_TOP, 0);
        self.emit(Op::POP_TOP, 0);
        self.emit(Op::POP_EXCEPT, 0);
        self.emit(Op::POP_TOP, 0);
        if self.is27() {
            // 2.7's handler is the WITH_CLEANUP/END_FINALLY both paths run: gilsim's 3.9-style
            // handler is not listed.
            for ins in &mut self.u().code.instrs[handler_start..] {
                ins.flags |= flag::HIDDEN;
            }
        }
        self.bind(exit);
        Ok(())
    }

    fn try_finally(&mut self, t: &ast::StmtTry) -> R {
        let end = self.new_label();
        let exit = self.new_label();
        self.emit_jump(Op::SETUP_FINALLY, end);
        self.u().fblocks.push(FBlock::FinallyTry {
            body: t.finalbody.to_vec(),
        });
        if t.handlers.is_empty() {
            self.body(&t.body)?;
        } else {
            self.try_except(t)?;
        }
        self.emit(Op::POP_BLOCK, 0);
        self.u().fblocks.pop();
        if self.is27() {
            // 2.7 runs its one copy of the body with None pushed, and END_FINALLY pops it.
            let none = self.const_idx(Const::None);
            self.emit_shown(Op::LOAD_CONST, none);
        }
        self.body(&t.finalbody)?;
        if self.is27() {
            self.emit_shown(Op::END_FINALLY, 0);
        }
        self.emit_jump(Op::JUMP_FORWARD, exit);
        if self.is27() || self.profile.at_least(3, 12) {
            self.flag_last(flag::OVER);
        }
        self.bind(end);
        self.u().fblocks.push(FBlock::FinallyEnd);
        self.body(&t.finalbody)?;
        self.u().fblocks.pop();
        self.emit(Op::RERAISE, 0);
        self.bind(exit);
        Ok(())
    }

    fn try_except(&mut self, t: &ast::StmtTry) -> R {
        let except = self.new_label();
        let orelse = self.new_label();
        let end = self.new_label();
        self.emit_jump(Op::SETUP_FINALLY, except);
        self.flag_last(flag::EXCEPT);
        self.u().fblocks.push(FBlock::TryExcept);
        self.body(&t.body)?;
        self.emit(Op::POP_BLOCK, 0);
        // 3.12+ leave a NOP for the line of a body that ends in an `if` (POP_BLOCK's line).
        if self.profile.at_least(3, 12)
            && let Some(Stmt::If(i)) = t.body.last()
        {
            let here = self.set_loc(i.range);
            self.emit_shown(Op::NOP, 0);
            self.restore_loc(here);
        }
        self.u().fblocks.pop();
        self.emit_jump(Op::JUMP_FORWARD, orelse);
        if self.profile.at_least(3, 12) {
            self.flag_last(flag::OVER);
        }
        self.bind(except);
        let n = t.handlers.len();
        for (i, h) in t.handlers.iter().enumerate() {
            let ast::ExceptHandler::ExceptHandler(h) = h;
            if h.type_.is_none() && i + 1 < n {
                return Err(self.syntax(h.range, "default 'except:' must be last"));
            }
            let (line, pos) = self.pos_of(h.range);
            {
                let u = self.u();
                u.line = line;
                u.pos = pos;
            }
            let next = self.new_label();
            if let Some(ty) = &h.type_ {
                self.emit(Op::DUP_TOP, 0);
                self.expr(ty)?;
                self.emit_jump(Op::JUMP_IF_NOT_EXC_MATCH, next);
            }
            self.emit(Op::POP_TOP, 0);
            if let Some(name) = &h.name {
                let name = name.as_str().to_string();
                let cleanup_end = self.new_label();
                self.nameop(&name, ast::ExprContext::Store);
                self.emit(Op::POP_TOP, 0);
                self.emit_jump(Op::SETUP_FINALLY, cleanup_end);
                self.u().fblocks.push(FBlock::HandlerCleanup {
                    name: Some(name.clone()),
                });
                self.body(&h.body)?;
                self.u().fblocks.pop();
                self.emit(Op::POP_BLOCK, 0);
                self.emit(Op::POP_EXCEPT, 0);
                self.load_const(Const::None);
                self.nameop(&name, ast::ExprContext::Store);
                self.nameop(&name, ast::ExprContext::Del);
                self.emit_jump(Op::JUMP_FORWARD, end);
                self.flag_last(flag::HANDLER_EXIT);
                self.bind(cleanup_end);
                self.load_const(Const::None);
                self.nameop(&name, ast::ExprContext::Store);
                self.nameop(&name, ast::ExprContext::Del);
                self.emit(Op::RERAISE, 0);
            } else {
                self.emit(Op::POP_TOP, 0);
                self.emit(Op::POP_TOP, 0);
                self.u().fblocks.push(FBlock::HandlerCleanup { name: None });
                self.body(&h.body)?;
                self.u().fblocks.pop();
                self.emit(Op::POP_EXCEPT, 0);
                self.emit_jump(Op::JUMP_FORWARD, end);
                self.flag_last(flag::HANDLER_EXIT);
            }
            self.bind(next);
        }
        self.emit(Op::RERAISE, 0);
        self.bind(orelse);
        self.body(&t.orelse)?;
        self.bind(end);
        Ok(())
    }

    // ----- functions and classes -----

    fn qualname(&self, name: &str) -> String {
        let Some(u) = self.units.last() else {
            return name.to_string();
        };
        match self.table.scopes[u.scope].kind {
            ScopeKind::Module => name.to_string(),
            ScopeKind::Class => format!("{}.{name}", u.code.qualname),
            _ => format!("{}.<locals>.{name}", u.code.qualname),
        }
    }

    fn child_scope(&self, key: TextRange) -> usize {
        self.table
            .scope_at(key.start().to_u32())
            .expect("scope analysed")
    }

    /// Pushes the defaults and the closure of a function about to be made; returns the flags.
    fn function_prelude(&mut self, params: Option<&ast::Parameters>, scope: usize) -> R<u32> {
        let mut flags = 0;
        if let Some(p) = params {
            let defaults: Vec<&Expr> = p
                .posonlyargs
                .iter()
                .chain(p.args.iter())
                .filter_map(|a| a.default.as_deref())
                .collect();
            if !defaults.is_empty() {
                if let Some(consts) = defaults
                    .iter()
                    .map(|d| const_of(d))
                    .collect::<Option<Vec<_>>>()
                {
                    self.load_const(Const::Tuple(consts));
                } else {
                    for d in &defaults {
                        self.expr(d)?;
                    }
                    self.emit(Op::BUILD_TUPLE, defaults.len() as u32);
                }
                flags |= 1;
            }
            let kw: Vec<(&str, &Expr)> = p
                .kwonlyargs
                .iter()
                .filter_map(|a| a.default.as_deref().map(|d| (a.parameter.name.as_str(), d)))
                .collect();
            if !kw.is_empty() {
                for (_, d) in &kw {
                    self.expr(d)?;
                }
                let keys = kw
                    .iter()
                    .map(|(n, _)| Const::Str((*n).to_string()))
                    .collect();
                self.load_const(Const::Tuple(keys));
                self.emit(Op::BUILD_CONST_KEY_MAP, kw.len() as u32);
                flags |= 2;
            }
        }
        let free = self.table.scopes[scope].freevars.clone();
        if !free.is_empty() {
            for name in &free {
                // The class body provides `__class__` from its own cell.
                let idx = {
                    let code = &self.u().code;
                    code.cellvars.iter().position(|c| c == name).or_else(|| {
                        code.freevars
                            .iter()
                            .position(|c| c == name)
                            .map(|i| i + code.cellvars.len())
                    })
                };
                let Some(idx) = idx else {
                    unreachable!("free variable {name} not provided by the enclosing scope")
                };
                self.emit(Op::LOAD_CLOSURE, idx as u32);
            }
            self.emit(Op::BUILD_TUPLE, free.len() as u32);
            flags |= 8;
        }
        Ok(flags)
    }

    fn set_params(&mut self, p: &ast::Parameters) {
        let code = &mut self.u().code;
        code.argcount = (p.posonlyargs.len() + p.args.len()) as u32;
        code.posonlyargcount = p.posonlyargs.len() as u32;
        code.kwonlyargcount = p.kwonlyargs.len() as u32;
        code.varargs = p.vararg.is_some();
        code.varkw = p.kwarg.is_some();
    }

    fn function_def(&mut self, f: &ast::StmtFunctionDef) -> R {
        if f.is_async {
            return Err(self.unsupported(
                f.range,
                "`async def`",
                "use threads: this is a lesson about threading",
            ));
        }
        if f.type_params.is_some() {
            return Err(self.unsupported(f.range, "type parameters", "remove the `[T]` list"));
        }
        for d in &f.decorator_list {
            self.expr(&d.expression)?;
        }
        let scope = self.child_scope(f.range);
        let flags = self.function_prelude(Some(&f.parameters), scope)?;
        let name = f.name.as_str().to_string();
        let qualname = self.qualname(&name);
        let first_line = f.decorator_list.first().map_or(self.u().line, |d| {
            self.line_col(d.range.start().to_usize()).0
        });
        let kind = if self.table.scopes[scope].is_generator {
            CodeKind::Generator
        } else {
            CodeKind::Function
        };
        self.enter_unit(
            scope,
            name.clone(),
            qualname.clone(),
            kind,
            self.line_col(f.range.start().to_usize()).0,
        );
        self.u().code.first_line = first_line;
        self.set_params(&f.parameters);
        // co_consts[0] is the docstring or None.
        let mut body: &[Stmt] = &f.body;
        match body.first() {
            Some(Stmt::Expr(e)) if matches!(&*e.value, Expr::StringLiteral(_)) => {
                if let Expr::StringLiteral(s) = &*e.value {
                    self.const_idx(Const::Str(s.value.to_str().to_string()));
                }
                body = &body[1..];
            }
            _ => {
                self.const_idx(Const::None);
            }
        }
        self.body(body)?;
        let id = self.leave_unit(scope);
        self.load_const(Const::Code(id));
        self.load_const(Const::Str(qualname));
        self.emit(Op::MAKE_FUNCTION, flags);
        self.apply_decorators(&f.decorator_list);
        self.nameop(&name, ast::ExprContext::Store);
        Ok(())
    }

    fn class_def(&mut self, c: &ast::StmtClassDef) -> R {
        if c.type_params.is_some() {
            return Err(self.unsupported(c.range, "type parameters", "remove the `[T]` list"));
        }
        for d in &c.decorator_list {
            self.expr(&d.expression)?;
        }
        let scope = self.child_scope(c.range);
        let name = c.name.as_str().to_string();
        let qualname = self.qualname(&name);
        // 3.11+ call __build_class__ as any callable: a NULL beside it.
        let null = self.modern();
        if null && !self.profile.at_least(3, 13) {
            self.emit(Op::PUSH_NULL, 0);
        }
        self.emit(Op::LOAD_BUILD_CLASS, 0);
        if null && self.profile.at_least(3, 13) {
            self.emit(Op::PUSH_NULL, 0);
        }
        let line = self.line_col(c.range.start().to_usize()).0;
        self.enter_unit(scope, name.clone(), qualname.clone(), CodeKind::Class, line);
        self.nameop("__name__", ast::ExprContext::Load);
        self.nameop("__module__", ast::ExprContext::Store);
        self.load_const(Const::Str(qualname.clone()));
        self.nameop("__qualname__", ast::ExprContext::Store);
        let mut body: &[Stmt] = &c.body;
        if let Some(Stmt::Expr(e)) = body.first()
            && let Expr::StringLiteral(s) = &*e.value
        {
            self.load_const(Const::Str(s.value.to_str().to_string()));
            self.nameop("__doc__", ast::ExprContext::Store);
            body = &body[1..];
        }
        self.body(body)?;
        if self.table.scopes[scope].needs_class_cell {
            let idx = self.deref_idx("__class__");
            self.emit(Op::LOAD_CLOSURE, idx);
            self.emit(Op::DUP_TOP, 0);
            self.nameop("__classcell__", ast::ExprContext::Store);
            self.emit(Op::RETURN_VALUE, 0);
        } else {
            self.load_const(Const::None);
            self.emit(Op::RETURN_VALUE, 0);
        }
        let id = self.leave_unit(scope);
        let flags = self.function_prelude(None, scope)?;
        self.load_const(Const::Code(id));
        self.load_const(Const::Str(name.clone()));
        self.emit(Op::MAKE_FUNCTION, flags);
        self.load_const(Const::Str(name.clone()));
        let mut n = 2;
        if let Some(args) = &c.arguments {
            if let Some(k) = args.keywords.first() {
                return Err(self.unsupported(
                    k.range,
                    "class keywords such as `metaclass=`",
                    "use a plain base class",
                ));
            }
            for a in &args.args {
                if matches!(a, Expr::Starred(_)) {
                    return Err(self.unsupported(
                        a.range(),
                        "starred base classes",
                        "list the bases",
                    ));
                }
                self.expr(a)?;
                n += 1;
            }
        }
        self.precall(n);
        self.emit(Op::CALL_FUNCTION, n);
        self.apply_decorators(&c.decorator_list);
        self.nameop(&name, ast::ExprContext::Store);
        Ok(())
    }

    // ----- expressions -----

    fn expr(&mut self, e: &Expr) -> R {
        let old = self.set_loc(e.range());
        let r = self.expr_inner(e);
        self.restore_loc(old);
        r
    }

    fn expr_inner(&mut self, e: &Expr) -> R {
        if let Some(c) = const_of(e) {
            self.load_const(c);
            return Ok(());
        }
        match e {
            Expr::Name(n) => {
                self.nameop(n.id.as_str(), ast::ExprContext::Load);
                Ok(())
            }
            Expr::NumberLiteral(n) => {
                Err(self.unsupported(n.range, "complex numbers", "use floats"))
            }
            Expr::BytesLiteral(b) => Err(self.unsupported(b.range, "bytes literals", "use a str")),
            Expr::FString(f) => self.fstring(f),
            Expr::BinOp(b) => {
                let Some(op) = binop(b.op, false) else {
                    return Err(self.unsupported(
                        b.range,
                        "the `@` operator",
                        "use a function call",
                    ));
                };
                self.expr(&b.left)?;
                self.expr(&b.right)?;
                self.emit(op, 0);
                Ok(())
            }
            Expr::UnaryOp(u) => {
                self.expr(&u.operand)?;
                let op = match u.op {
                    ast::UnaryOp::Not => Op::UNARY_NOT,
                    ast::UnaryOp::USub => Op::UNARY_NEGATIVE,
                    ast::UnaryOp::UAdd => Op::UNARY_POSITIVE,
                    ast::UnaryOp::Invert => Op::UNARY_INVERT,
                };
                self.emit(op, 0);
                Ok(())
            }
            Expr::BoolOp(b) => {
                let end = self.new_label();
                let op = if matches!(b.op, ast::BoolOp::And) {
                    Op::JUMP_IF_FALSE_OR_POP
                } else {
                    Op::JUMP_IF_TRUE_OR_POP
                };
                let n = b.values.len();
                for v in &b.values[..n - 1] {
                    self.expr(v)?;
                    self.emit_jump(op, end);
                }
                self.expr(&b.values[n - 1])?;
                self.bind(end);
                Ok(())
            }
            Expr::Compare(c) => self.compare(c),
            Expr::If(i) => {
                let els = self.new_label();
                let end = self.new_label();
                self.jump_if(&i.test, els, false)?;
                self.expr(&i.body)?;
                self.emit_jump(Op::JUMP_FORWARD, end);
                self.bind(els);
                self.expr(&i.orelse)?;
                self.bind(end);
                Ok(())
            }
            Expr::Call(c) => self.call(c),
            Expr::Attribute(a) => {
                self.expr(&a.value)?;
                let ni = self.name_idx(a.attr.as_str());
                self.emit(Op::LOAD_ATTR, ni);
                Ok(())
            }
            Expr::Subscript(s) => {
                self.expr(&s.value)?;
                self.expr(&s.slice)?;
                self.emit(Op::BINARY_SUBSCR, 0);
                Ok(())
            }
            Expr::Slice(s) => {
                let mut n = 2;
                match &s.lower {
                    Some(l) => self.expr(l)?,
                    None => self.load_const(Const::None),
                }
                match &s.upper {
                    Some(u) => self.expr(u)?,
                    None => self.load_const(Const::None),
                }
                if let Some(st) = &s.step {
                    self.expr(st)?;
                    n = 3;
                }
                self.emit(Op::BUILD_SLICE, n);
                Ok(())
            }
            Expr::List(l) => self.sequence(&l.elts, Op::BUILD_LIST),
            Expr::Tuple(t) => self.sequence(&t.elts, Op::BUILD_TUPLE),
            Expr::Set(s) => self.sequence(&s.elts, Op::BUILD_SET),
            Expr::Dict(d) => self.dict(d),
            Expr::Lambda(l) => {
                let scope = self.child_scope(l.range);
                let flags = self.function_prelude(l.parameters.as_deref(), scope)?;
                let qualname = self.qualname("<lambda>");
                let line = self.u().line;
                self.enter_unit(
                    scope,
                    "<lambda>".into(),
                    qualname.clone(),
                    CodeKind::Function,
                    line,
                );
                if let Some(p) = &l.parameters {
                    self.set_params(p);
                }
                self.const_idx(Const::None);
                self.expr(&l.body)?;
                self.emit(Op::RETURN_VALUE, 0);
                let id = self.leave_unit(scope);
                self.load_const(Const::Code(id));
                self.load_const(Const::Str(qualname));
                self.emit(Op::MAKE_FUNCTION, flags);
                Ok(())
            }
            Expr::ListComp(c) => {
                self.comprehension(c.range, "<listcomp>", &c.generators, Comp::List(&c.elt))
            }
            Expr::SetComp(c) => {
                self.comprehension(c.range, "<setcomp>", &c.generators, Comp::Set(&c.elt))
            }
            Expr::DictComp(c) => {
                let Some(k) = &c.key else {
                    return Err(self.unsupported(
                        c.range,
                        "`**` in a dict comprehension",
                        "build the dict in a loop",
                    ));
                };
                self.comprehension(
                    c.range,
                    "<dictcomp>",
                    &c.generators,
                    Comp::Dict(k, &c.value),
                )
            }
            Expr::Generator(c) => {
                self.comprehension(c.range, "<genexpr>", &c.generators, Comp::Gen(&c.elt))
            }
            Expr::Named(n) => {
                self.expr(&n.value)?;
                self.emit(Op::DUP_TOP, 0);
                self.store_target(&n.target)
            }
            Expr::Yield(y) => {
                if !matches!(self.scope_kind(), ScopeKind::Function) {
                    return Err(self.syntax(y.range, "'yield' outside function"));
                }
                match &y.value {
                    Some(v) => self.expr(v)?,
                    None => self.load_const(Const::None),
                }
                self.emit(Op::YIELD_VALUE, 0);
                self.resume_after_yield();
                Ok(())
            }
            Expr::YieldFrom(y) => {
                Err(self.unsupported(y.range, "`yield from`", "loop and `yield` each item"))
            }
            Expr::Await(a) => Err(self.unsupported(
                a.range,
                "`await`",
                "use threads: this is a lesson about threading",
            )),
            Expr::TString(t) => {
                Err(self.unsupported(t.range, "template strings", "use an f-string"))
            }
            Expr::Starred(s) => Err(self.syntax(s.range, "can't use starred expression here")),
            Expr::IpyEscapeCommand(i) => Err(self.syntax(i.range, "invalid syntax")),
            Expr::StringLiteral(_)
            | Expr::BooleanLiteral(_)
            | Expr::NoneLiteral(_)
            | Expr::EllipsisLiteral(_) => {
                unreachable!("constants are folded above")
            }
        }
    }

    fn compare(&mut self, c: &ast::ExprCompare) -> R {
        self.expr(&c.left)?;
        let n = c.ops.len();
        if n == 1 {
            self.expr(&c.comparators[0])?;
            self.cmp_op(c.ops[0]);
            return Ok(());
        }
        let cleanup = self.new_label();
        for i in 0..n - 1 {
            self.expr(&c.comparators[i])?;
            self.emit(Op::DUP_TOP, 0);
            self.emit(Op::ROT_THREE, 0);
            self.cmp_op(c.ops[i]);
            self.emit_jump(Op::JUMP_IF_FALSE_OR_POP, cleanup);
        }
        self.expr(&c.comparators[n - 1])?;
        self.cmp_op(c.ops[n - 1]);
        let end = self.new_label();
        self.emit_jump(Op::JUMP_FORWARD, end);
        self.bind(cleanup);
        self.emit(Op::ROT_TWO, 0);
        self.emit(Op::POP_TOP, 0);
        self.bind(end);
        Ok(())
    }

    fn cmp_op(&mut self, op: ast::CmpOp) {
        use ast::CmpOp as C;
        match op {
            C::Lt => self.emit(Op::COMPARE_OP, 0),
            C::LtE => self.emit(Op::COMPARE_OP, 1),
            C::Eq => self.emit(Op::COMPARE_OP, 2),
            C::NotEq => self.emit(Op::COMPARE_OP, 3),
            C::Gt => self.emit(Op::COMPARE_OP, 4),
            C::GtE => self.emit(Op::COMPARE_OP, 5),
            C::Is => self.emit(Op::IS_OP, 0),
            C::IsNot => self.emit(Op::IS_OP, 1),
            C::In => self.emit(Op::CONTAINS_OP, 0),
            C::NotIn => self.emit(Op::CONTAINS_OP, 1),
        }
    }

    fn sequence(&mut self, elts: &[Expr], build: Op) -> R {
        let has_star = elts.iter().any(|e| matches!(e, Expr::Starred(_)));
        let all_const = elts.iter().map(const_of).collect::<Option<Vec<_>>>();
        if !has_star {
            if let (Some(consts), true) = (all_const, elts.len() > 2 && build != Op::BUILD_TUPLE) {
                // 3.9 builds long constant displays from a constant tuple.
                let (empty, extend) = if build == Op::BUILD_LIST {
                    (Op::BUILD_LIST, Op::LIST_EXTEND)
                } else {
                    (Op::BUILD_SET, Op::SET_UPDATE)
                };
                self.emit(empty, 0);
                self.load_const(Const::Tuple(consts));
                self.emit(extend, 1);
                return Ok(());
            }
            for e in elts {
                self.expr(e)?;
            }
            self.emit(build, elts.len() as u32);
            return Ok(());
        }
        let (start, append, extend) = match build {
            Op::BUILD_SET => (Op::BUILD_SET, Op::SET_ADD, Op::SET_UPDATE),
            _ => (Op::BUILD_LIST, Op::LIST_APPEND, Op::LIST_EXTEND),
        };
        let mut started = false;
        let mut pending = 0;
        for e in elts {
            if let Expr::Starred(s) = e {
                if !started {
                    self.emit(start, pending);
                    started = true;
                    pending = 0;
                }
                self.expr(&s.value)?;
                self.emit(extend, 1);
            } else if started {
                self.expr(e)?;
                self.emit(append, 1);
            } else {
                self.expr(e)?;
                pending += 1;
            }
        }
        if build == Op::BUILD_TUPLE {
            self.emit(Op::LIST_TO_TUPLE, 0);
        }
        Ok(())
    }

    fn dict(&mut self, d: &ast::ExprDict) -> R {
        let has_unpack = d.items.iter().any(|i| i.key.is_none());
        if !has_unpack {
            let n = d.items.len();
            let keys = d
                .items
                .iter()
                .map(|i| i.key.as_ref().and_then(const_of))
                .collect::<Option<Vec<_>>>();
            if let (Some(keys), true) = (keys, n > 1) {
                for it in &d.items {
                    self.expr(&it.value)?;
                }
                self.load_const(Const::Tuple(keys));
                self.emit(Op::BUILD_CONST_KEY_MAP, n as u32);
                return Ok(());
            }
            for it in &d.items {
                self.expr(it.key.as_ref().expect("key"))?;
                self.expr(&it.value)?;
            }
            self.emit(Op::BUILD_MAP, n as u32);
            return Ok(());
        }
        let mut pending = 0;
        let mut started = false;
        for it in &d.items {
            match &it.key {
                Some(k) => {
                    self.expr(k)?;
                    self.expr(&it.value)?;
                    pending += 1;
                }
                None => {
                    if !started || pending > 0 {
                        self.emit(Op::BUILD_MAP, pending);
                        if started {
                            self.emit(Op::DICT_UPDATE, 1);
                        }
                        started = true;
                        pending = 0;
                    }
                    self.expr(&it.value)?;
                    self.emit(Op::DICT_UPDATE, 1);
                }
            }
        }
        if pending > 0 {
            self.emit(Op::BUILD_MAP, pending);
            self.emit(Op::DICT_UPDATE, 1);
        }
        Ok(())
    }

    fn fstring(&mut self, f: &ast::ExprFString) -> R {
        let has_fstring = f
            .value
            .iter()
            .any(|p| matches!(p, ast::FStringPart::FString(_)));
        if self.python2_syntax && has_fstring {
            return Err(self.syntax(
                f.range,
                "invalid syntax (f-strings are Python 3.6+; on 2.7 use `%` or `str.format`)",
            ));
        }
        let mut pieces = 0u32;
        for part in f.value.iter() {
            match part {
                ast::FStringPart::Literal(s) => {
                    if !s.value.is_empty() {
                        self.load_const(Const::Str(s.value.to_string()));
                        pieces += 1;
                    }
                }
                ast::FStringPart::FString(fs) => pieces += self.fstring_elements(&fs.elements)?,
            }
        }
        if pieces == 0 {
            self.load_const(Const::Str(String::new()));
        } else if pieces > 1 {
            self.emit(Op::BUILD_STRING, pieces);
        }
        Ok(())
    }

    fn fstring_elements(&mut self, elements: &ast::InterpolatedStringElements) -> R<u32> {
        let mut pieces = 0;
        for el in elements.iter() {
            match el {
                ast::InterpolatedStringElement::Literal(l) => {
                    self.load_const(Const::Str(l.value.to_string()));
                    pieces += 1;
                }
                ast::InterpolatedStringElement::Interpolation(i) => {
                    let mut conv = match i.conversion {
                        ast::ConversionFlag::None => 0,
                        ast::ConversionFlag::Str => 1,
                        ast::ConversionFlag::Repr => 2,
                        ast::ConversionFlag::Ascii => 3,
                    };
                    if let Some(dbg) = &i.debug_text {
                        self.load_const(Const::Str(dbg.as_str().to_string()));
                        pieces += 1;
                        if conv == 0 && i.format_spec.is_none() {
                            conv = 2;
                        }
                    }
                    self.expr(&i.expression)?;
                    if conv & 3 != 0 && self.profile.at_least(3, 13) {
                        self.emit_shown(Op::CONVERT_VALUE, conv & 3);
                    }
                    if let Some(spec) = &i.format_spec {
                        let n = self.fstring_elements(&spec.elements)?;
                        if n == 0 {
                            self.load_const(Const::Str(String::new()));
                        } else if n > 1 {
                            self.emit(Op::BUILD_STRING, n);
                        }
                        conv |= 4;
                    }
                    self.emit(Op::FORMAT_VALUE, conv);
                    pieces += 1;
                }
            }
        }
        Ok(pieces)
    }

    fn call(&mut self, c: &ast::ExprCall) -> R {
        let args = &c.arguments;
        if self.print_statement && matches!(&*c.func, Expr::Name(n) if n.id.as_str() == "print") {
            if let Some(k) = args.keywords.first() {
                return Err(self.syntax(
                    k.range,
                    "invalid syntax (Python 2.7's print is a statement: `print(a, end='')` needs `from __future__ import print_function`)",
                ));
            }
            if args.args.len() != 1 {
                // `print(a, b)` prints the tuple `(a, b)` on 2.7, `print()` prints `()`.
                self.expr(&c.func)?;
                self.sequence(&args.args, Op::BUILD_TUPLE)?;
                self.precall(1);
                self.emit(Op::CALL_FUNCTION, 1);
                return Ok(());
            }
        }
        let has_star = args.args.iter().any(|a| matches!(a, Expr::Starred(_)));
        let has_kwsplat = args.keywords.iter().any(|k| k.arg.is_none());
        // 3.11+ call an attribute of an imported module as a plain attribute.
        let import_base = self.modern()
            && matches!(&*c.func, Expr::Attribute(a) if matches!(&*a.value,
                Expr::Name(n) if self.imported.contains(n.id.as_str())
                    && !matches!(self.access(n.id.as_str()), Access::Local | Access::Cell | Access::Free)));
        if let Expr::Attribute(a) = &*c.func
            && !has_star
            && args.keywords.is_empty()
            && !import_base
        {
            self.expr(&a.value)?;
            let ni = self.name_idx(a.attr.as_str());
            // The method is looked up at the attribute (`obj.meth` in a traceback's carets).
            let old = self.set_loc(a.range);
            self.emit(Op::LOAD_METHOD, ni);
            self.restore_loc(old);
            self.flag_last(flag::METHOD);
            for x in &args.args {
                self.expr(x)?;
            }
            self.precall(args.args.len() as u32);
            self.emit(Op::CALL_METHOD, args.args.len() as u32);
            return Ok(());
        }
        // 3.11/3.12: a PUSH_NULL before the callable, folded into its first instruction when
        // that is a LOAD_GLOBAL (`NULL + threading`); 3.13: after it, folded into a last LOAD_GLOBAL.
        // 3.11+ keep the method form for a call with keywords.
        let method_kw = self.modern()
            && !import_base
            && !has_star
            && !has_kwsplat
            && matches!(&*c.func, Expr::Attribute(_));
        let null_first = self.modern() && !self.profile.at_least(3, 13) && !method_kw;
        let fold_first = null_first && self.starts_with_global(&c.func);
        if null_first && !fold_first {
            self.emit(Op::PUSH_NULL, 0);
        }
        let first = self.u().code.instrs.len();
        self.expr(&c.func)?;
        if method_kw {
            self.flag_last(flag::METHOD);
        } else if fold_first {
            self.u().code.instrs[first].flags |= flag::NULL_PLUS;
        } else if self.profile.at_least(3, 13) {
            if self.u().code.instrs.last().map(|i| i.op) == Some(Op::LOAD_GLOBAL) {
                self.flag_last(flag::NULL_PLUS);
            } else {
                self.emit(Op::PUSH_NULL, 0);
            }
        }
        if has_star || has_kwsplat {
            // Positional arguments as one tuple; a lone `*x` is passed as it is.
            if let [Expr::Starred(st)] = &args.args[..] {
                self.expr(&st.value)?;
            } else if has_star {
                self.sequence(&args.args, Op::BUILD_TUPLE)?;
            } else {
                for x in &args.args {
                    self.expr(x)?;
                }
                self.emit(Op::BUILD_TUPLE, args.args.len() as u32);
            }
            if args.keywords.is_empty() {
                self.emit(Op::CALL_FUNCTION_EX, 0);
                return Ok(());
            }
            let mut pending = 0;
            let mut started = false;
            for k in &args.keywords {
                match &k.arg {
                    Some(name) => {
                        self.load_const(Const::Str(name.as_str().to_string()));
                        self.expr(&k.value)?;
                        pending += 1;
                    }
                    None => {
                        if pending > 0 || !started {
                            self.emit(Op::BUILD_MAP, pending);
                            if started {
                                self.emit(Op::DICT_MERGE, 1);
                            }
                            started = true;
                            pending = 0;
                        }
                        self.expr(&k.value)?;
                        self.emit(Op::DICT_MERGE, 1);
                    }
                }
            }
            if pending > 0 {
                self.emit(Op::BUILD_MAP, pending);
                if started {
                    self.emit(Op::DICT_MERGE, 1);
                }
            }
            self.emit(Op::CALL_FUNCTION_EX, 1);
            return Ok(());
        }
        for x in &args.args {
            self.expr(x)?;
        }
        if args.keywords.is_empty() {
            self.precall(args.args.len() as u32);
            self.emit(Op::CALL_FUNCTION, args.args.len() as u32);
        } else {
            let mut names = Vec::new();
            for k in &args.keywords {
                self.expr(&k.value)?;
                names.push(Const::Str(
                    k.arg.as_ref().expect("keyword").as_str().to_string(),
                ));
            }
            let n = (args.args.len() + args.keywords.len()) as u32;
            if self.modern() && !self.profile.at_least(3, 13) {
                // 3.11/3.12 name the keywords in KW_NAMES, which gilsim runs as LOAD_CONST.
                let k = self.const_idx(Const::Tuple(names));
                self.emit(Op::KW_NAMES, k);
                self.precall(n);
            } else {
                self.load_const(Const::Tuple(names));
            }
            self.emit(Op::CALL_FUNCTION_KW, n);
        }
        Ok(())
    }

    fn comprehension(
        &mut self,
        range: TextRange,
        name: &str,
        gens: &[ast::Comprehension],
        kind: Comp<'_>,
    ) -> R {
        if gens.iter().any(|g| g.is_async) {
            return Err(self.unsupported(
                range,
                "async comprehensions",
                "use a plain comprehension",
            ));
        }
        let scope = self.child_scope(range);
        let flags = self.function_prelude(None, scope)?;
        let qualname = self.qualname(name);
        let line = self.u().line;
        let code_kind = if matches!(kind, Comp::Gen(_)) {
            CodeKind::Generator
        } else {
            CodeKind::Function
        };
        self.enter_unit(scope, name.to_string(), qualname.clone(), code_kind, line);
        if code_kind == CodeKind::Function && self.profile.at_least(3, 12) {
            // 3.12 inlines list, set and dict comprehensions (PEP 709): no RESUME of their own.
            if let Some(r) = self.u().code.instrs.iter_mut().find(|i| i.op == Op::RESUME) {
                r.flags |= flag::HIDDEN;
            }
        }
        self.u().code.argcount = 1;
        match kind {
            Comp::List(_) => self.emit(Op::BUILD_LIST, 0),
            Comp::Set(_) => self.emit(Op::BUILD_SET, 0),
            Comp::Dict(..) => self.emit(Op::BUILD_MAP, 0),
            Comp::Gen(_) => {}
        }
        self.comp_generator(gens, 0, &kind)?;
        if !matches!(kind, Comp::Gen(_)) {
            self.emit(Op::RETURN_VALUE, 0);
        }
        let id = self.leave_unit(scope);
        self.load_const(Const::Code(id));
        self.load_const(Const::Str(qualname));
        self.emit(Op::MAKE_FUNCTION, flags);
        self.expr(&gens[0].iter)?;
        self.emit(Op::GET_ITER, 0);
        // 3.11+ pass the iterator in the slot of `self`: CPython counts no argument.
        self.precall(0);
        self.emit(Op::CALL_FUNCTION, 1);
        if self.modern() {
            self.flag_last(flag::ONE_LESS);
        }
        Ok(())
    }

    fn comp_generator(&mut self, gens: &[ast::Comprehension], i: usize, kind: &Comp<'_>) -> R {
        let g = &gens[i];
        let start = self.new_label();
        let anchor = self.new_label();
        if i == 0 {
            let idx = self.local_idx(".0");
            self.emit(Op::LOAD_FAST, idx);
        } else {
            self.expr(&g.iter)?;
            self.emit(Op::GET_ITER, 0);
        }
        self.bind(start);
        self.emit_jump(Op::FOR_ITER, anchor);
        self.store_target(&g.target)?;
        for cond in &g.ifs {
            self.jump_if(cond, start, false)?;
        }
        if i + 1 < gens.len() {
            self.comp_generator(gens, i + 1, kind)?;
        } else {
            let depth = (gens.len() + 1) as u32;
            match kind {
                Comp::List(e) => {
                    self.expr(e)?;
                    self.emit(Op::LIST_APPEND, depth);
                }
                Comp::Set(e) => {
                    self.expr(e)?;
                    self.emit(Op::SET_ADD, depth);
                }
                Comp::Dict(k, v) => {
                    self.expr(k)?;
                    self.expr(v)?;
                    self.emit(Op::MAP_ADD, depth);
                }
                Comp::Gen(e) => {
                    self.expr(e)?;
                    self.emit(Op::YIELD_VALUE, 0);
                    self.resume_after_yield();
                    self.emit(Op::POP_TOP, 0);
                }
            }
        }
        self.emit_jump(Op::JUMP_ABSOLUTE, start);
        self.bind(anchor);
        Ok(())
    }
}

enum Comp<'a> {
    List(&'a Expr),
    Set(&'a Expr),
    Dict(&'a Expr, &'a Expr),
    Gen(&'a Expr),
}

/// Constants are shared only when equal *and* of the same type (1, 1.0 and True stay apart).
fn same_const(a: &Const, b: &Const) -> bool {
    match (a, b) {
        (Const::Float(x), Const::Float(y)) => x.to_bits() == y.to_bits(),
        (Const::Tuple(x), Const::Tuple(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_const(p, q))
        }
        _ => a == b,
    }
}
