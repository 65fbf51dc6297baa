//! Frames and what they run: code objects ready to run, the block stack, and what happens to
//! a frame's return value (including the instruction a user dunder method finishes).

use super::dict::HKey;
use super::value::{ObjId, Value};
use gilsim_compiler::profile::CheckAfter;
use gilsim_compiler::{CodeObject, Op, Program};
use std::rc::Rc;

/// A code object ready to run: the compiler's code plus its constants as values.
#[derive(Debug)]
pub struct Code {
    /// The compiled code object.
    pub obj: CodeObject,
    /// Constants as values (strings interned on the heap).
    pub consts: Vec<Value>,
    /// Names as hashable keys.
    pub names: Vec<HKey>,
    /// Names as str objects.
    pub name_objs: Vec<Value>,
    /// Per instruction: may a check follow it.
    pub check: Vec<CheckAfter>,
    /// Per instruction: the profile skips the check before it.
    pub skip_before: Vec<bool>,
    /// Per name: in the learner's module body, a module-level name that no other code
    /// can reach (see [`crate::machine::main_private_names`]). Exploration treats its loads and stores
    /// as the main thread's own business. All false elsewhere.
    pub private_name: Vec<bool>,
    /// Per name: a private name that only ever binds a list the module body made itself and
    /// only iterates or calls list methods on (see [`crate::machine::main_private_lists`]): iterating it is
    /// the main thread's own business too.
    pub private_list: Vec<bool>,
    /// Per name, in the functions of the learner's program: the module body's instruction
    /// index past its last store of that module-level name, when no other code stores it
    /// (see [`crate::machine::frozen_globals`]); `u32::MAX` when some may, and everywhere else.
    pub frozen_after: Vec<u32>,
    /// The learner's module body: per instruction index, the lowest target of a backward
    /// jump at or after it (`u32::MAX`: none), so what it can still run again. Empty
    /// elsewhere.
    pub back_from: Vec<u32>,
    /// The learner's code: per instruction index, whether some jump goes there. Empty in
    /// bundled modules.
    pub jump_target: Vec<bool>,
    /// Per name: where it was last found in the globals dict (a hint, validated on use).
    pub global_hint: Vec<std::cell::Cell<u32>>,
    /// Per name: the detectors' location of that global (`u32::MAX` until first observed). A
    /// code object always runs with the globals of the module that defined it.
    pub global_loc: Vec<std::cell::Cell<u32>>,
}

/// A compiled source unit (the user's program or a bundled module).
#[derive(Clone, Debug)]
pub struct Unit {
    /// The compiled program.
    pub program: Rc<Program>,
    /// Its code objects, ready to run.
    pub codes: Vec<Rc<Code>>,
    /// Whether this is a bundled module (its frames are gilsim's, not the learner's).
    pub bundled: bool,
}

/// A block of the 3.9 block stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockKind {
    /// SETUP_FINALLY / SETUP_WITH: on exception, jump to the handler.
    Finally,
    /// Installed when a handler runs; restores the previous exception when popped.
    ExceptHandler,
}

/// One entry of a frame's block stack.
#[derive(Clone, Copy, Debug)]
pub struct Block {
    /// What kind of block.
    pub kind: BlockKind,
    /// Handler instruction index.
    pub handler: u32,
    /// Stack depth to unwind to.
    pub level: u32,
}

/// The class a class body is building.
#[derive(Clone, Debug)]
pub struct ClassSpec {
    /// Class name.
    pub name: Rc<str>,
    /// Qualified name.
    pub qualname: Rc<str>,
    /// Bases.
    pub bases: Vec<ObjId>,
    /// The namespace dict object.
    pub ns: ObjId,
}

/// What happens to a frame's return value.
#[derive(Clone, Debug)]
pub enum OnReturn {
    /// Push it on the caller's stack.
    Push,
    /// `__init__`: discard it (it must be None) and push the instance.
    Init(Value),
    /// A class body finished: build the class (boxed: frames stay small for ordinary calls).
    BuildClass(Box<ClassSpec>),
    /// `__enter__` of SETUP_WITH returned: push the block, then the value.
    SetupWith {
        /// The handler of the with block.
        handler: u32,
    },
    /// A bundled module's body finished: push the module (IMPORT_NAME).
    Import(ObjId),
    /// The bottom frame of a thread.
    ThreadExit,
    /// Discard the value (an `__exit__` call with no exception).
    Discard,
    /// A user class's dunder method returned: finish the instruction that called it.
    Dunder(Box<Then>),
}

/// One activation.
#[derive(Clone, Debug)]
pub struct Frame {
    /// Unit of the code.
    pub unit: u16,
    /// Code index inside the unit.
    pub code_idx: u32,
    /// The code.
    pub code: Rc<Code>,
    /// Next instruction.
    pub pc: u32,
    /// The value stack.
    pub stack: Vec<Value>,
    /// Fast locals.
    pub locals: Vec<Value>,
    /// Cells then free variables.
    pub cells: Vec<ObjId>,
    /// The block stack.
    pub blocks: Vec<Block>,
    /// The module whose globals this frame sees.
    pub globals: ObjId,
    /// Class bodies: the namespace dict; module bodies: None (names are the globals).
    pub names: Option<ObjId>,
    /// What to do with the return value.
    pub on_return: OnReturn,
    /// The generator this frame belongs to, if any.
    pub generator: Option<ObjId>,
    /// Returning from this frame is a check point (it was entered under a call that checks
    /// after it returns).
    pub check_on_return: bool,
}

impl Frame {
    /// Every value the frame holds (for the collector).
    pub fn refs(&self, out: &mut Vec<Value>) {
        out.extend_from_slice(&self.stack);
        out.extend_from_slice(&self.locals);
        out.extend(self.cells.iter().map(|c| Value::Obj(*c)));
        out.push(Value::Obj(self.globals));
        out.extend(self.names.map(Value::Obj));
        out.extend(self.generator.map(Value::Obj));
        match &self.on_return {
            OnReturn::Init(v) => out.push(*v),
            OnReturn::BuildClass(spec) => {
                out.extend(spec.bases.iter().map(|b| Value::Obj(*b)));
                out.push(Value::Obj(spec.ns));
            }
            OnReturn::Import(m) => out.push(Value::Obj(*m)),
            OnReturn::Dunder(then) => then.refs(out),
            _ => {}
        }
        for c in self.code.consts.iter() {
            out.push(*c);
        }
    }

    /// The current source line.
    #[must_use]
    pub fn line(&self) -> u32 {
        let pc = (self.pc as usize).min(self.code.obj.lines.len().saturating_sub(1));
        self.code
            .obj
            .lines
            .get(pc)
            .copied()
            .unwrap_or(self.code.obj.first_line)
    }
}

/// What an instruction still has to do once a user dunder method returns.
#[derive(Clone, Debug)]
pub enum Then {
    /// `__str__`/`__repr__`: the result must be a str; push it.
    Str(&'static str),
    /// A rich comparison. `reflected` is false while the left operand's method runs; after
    /// `NotImplemented` the right operand's reflected method is tried, then the default.
    Compare {
        /// COMPARE_OP's argument (0 `<` … 5 `>=`).
        op: u32,
        /// The left operand.
        l: Value,
        /// The right operand.
        r: Value,
        /// Whether the reflected method is running.
        reflected: bool,
        /// `!=` computed from `__eq__`: invert the answer.
        invert: bool,
    },
    /// A binary operator. `stage` 0: `__iadd__` runs, 1: `__add__`, 2: `__radd__`.
    Binary {
        /// The instruction.
        op: Op,
        /// The left operand.
        l: Value,
        /// The right operand.
        r: Value,
        /// Which method is running.
        stage: u8,
    },
    /// `__bool__` or `__len__` for a test: jump to `target` when the truth is `when`. With
    /// `keep` (JUMP_IF_*_OR_POP) the tested value stays on the stack when jumping and is
    /// popped when falling through.
    Jump {
        /// Where to jump.
        target: u32,
        /// The truth that jumps.
        when: bool,
        /// JUMP_IF_*_OR_POP.
        keep: bool,
        /// The method was `__len__`.
        len: bool,
    },
    /// `not obj`.
    Not {
        /// The method was `__len__`.
        len: bool,
    },
    /// `len(obj)`: the result must be a non-negative int.
    Len,
    /// `bool(obj)`.
    Bool {
        /// The method was `__len__`.
        len: bool,
    },
    /// `hash(obj)`: the result must be an int.
    Hash,
    /// `x in obj` (`negate` for `not in`).
    Contains {
        /// `not in`.
        negate: bool,
    },
}

impl Then {
    /// Every value it holds (for the collector).
    pub fn refs(&self, out: &mut Vec<Value>) {
        match self {
            Then::Compare { l, r, .. } | Then::Binary { l, r, .. } => {
                out.push(*l);
                out.push(*r);
            }
            _ => {}
        }
    }
}
