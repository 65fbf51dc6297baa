//! The compiled program: opcodes, instructions, code objects and constants.
//!
//! Opcodes are a plain `enum` named exactly as CPython names them, so that a learner can
//! match what `gilsim dis` prints with what `python -m dis` prints. An instruction is an
//! opcode and one 32-bit argument; the meaning of the argument depends on the opcode (an
//! index into the code object's constants, names, locals or cells, an instruction index
//! for jumps, or a count).

use serde::Serialize;

/// Index of a code object inside a [`Program`].
pub type CodeId = u32;

macro_rules! opcodes {
    ($($name:ident = $text:literal,)*) => {
        /// One CPython opcode. The variant name is the CPython spelling in CamelCase; [`Op::name`]
        /// gives the CPython spelling.
        #[allow(non_camel_case_types, missing_docs)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
        #[repr(u8)]
        pub enum Op { $($name,)* }

                impl Op {
            /// Every opcode, in declaration order (`ALL[op as usize] == op`).
            pub const ALL: &'static [Op] = &[$(Op::$name,)*];

            /// The opcode with this discriminant.
            #[must_use]
            pub const fn from_u8(v: u8) -> Option<Op> {
                if (v as usize) < Op::ALL.len() { Some(Op::ALL[v as usize]) } else { None }
            }

            /// The opcode's name as CPython's `dis` prints it.
            #[must_use]
            pub const fn name(self) -> &'static str {
                match self { $(Op::$name => $text,)* }
            }
        }
    };
}

opcodes! {
    NOP = "NOP",
    POP_TOP = "POP_TOP",
    ROT_TWO = "ROT_TWO",
    ROT_THREE = "ROT_THREE",
    ROT_FOUR = "ROT_FOUR",
    DUP_TOP = "DUP_TOP",
    DUP_TOP_TWO = "DUP_TOP_TWO",
    UNARY_POSITIVE = "UNARY_POSITIVE",
    UNARY_NEGATIVE = "UNARY_NEGATIVE",
    UNARY_NOT = "UNARY_NOT",
    UNARY_INVERT = "UNARY_INVERT",
    BINARY_POWER = "BINARY_POWER",
    BINARY_MULTIPLY = "BINARY_MULTIPLY",
    BINARY_MODULO = "BINARY_MODULO",
    BINARY_ADD = "BINARY_ADD",
    BINARY_SUBTRACT = "BINARY_SUBTRACT",
    BINARY_SUBSCR = "BINARY_SUBSCR",
    BINARY_FLOOR_DIVIDE = "BINARY_FLOOR_DIVIDE",
    BINARY_TRUE_DIVIDE = "BINARY_TRUE_DIVIDE",
    BINARY_LSHIFT = "BINARY_LSHIFT",
    BINARY_RSHIFT = "BINARY_RSHIFT",
    BINARY_AND = "BINARY_AND",
    BINARY_XOR = "BINARY_XOR",
    BINARY_OR = "BINARY_OR",
    INPLACE_ADD = "INPLACE_ADD",
    INPLACE_SUBTRACT = "INPLACE_SUBTRACT",
    INPLACE_MULTIPLY = "INPLACE_MULTIPLY",
    INPLACE_MODULO = "INPLACE_MODULO",
    INPLACE_POWER = "INPLACE_POWER",
    INPLACE_FLOOR_DIVIDE = "INPLACE_FLOOR_DIVIDE",
    INPLACE_TRUE_DIVIDE = "INPLACE_TRUE_DIVIDE",
    INPLACE_LSHIFT = "INPLACE_LSHIFT",
    INPLACE_RSHIFT = "INPLACE_RSHIFT",
    INPLACE_AND = "INPLACE_AND",
    INPLACE_XOR = "INPLACE_XOR",
    INPLACE_OR = "INPLACE_OR",
    STORE_SUBSCR = "STORE_SUBSCR",
    DELETE_SUBSCR = "DELETE_SUBSCR",
    GET_ITER = "GET_ITER",
    LOAD_BUILD_CLASS = "LOAD_BUILD_CLASS",
    LIST_TO_TUPLE = "LIST_TO_TUPLE",
    RETURN_VALUE = "RETURN_VALUE",
    YIELD_VALUE = "YIELD_VALUE",
    POP_BLOCK = "POP_BLOCK",
    POP_EXCEPT = "POP_EXCEPT",
    STORE_NAME = "STORE_NAME",
    DELETE_NAME = "DELETE_NAME",
    UNPACK_SEQUENCE = "UNPACK_SEQUENCE",
    UNPACK_EX = "UNPACK_EX",
    FOR_ITER = "FOR_ITER",
    STORE_ATTR = "STORE_ATTR",
    DELETE_ATTR = "DELETE_ATTR",
    STORE_GLOBAL = "STORE_GLOBAL",
    DELETE_GLOBAL = "DELETE_GLOBAL",
    LOAD_CONST = "LOAD_CONST",
    LOAD_NAME = "LOAD_NAME",
    BUILD_TUPLE = "BUILD_TUPLE",
    BUILD_LIST = "BUILD_LIST",
    BUILD_SET = "BUILD_SET",
    BUILD_MAP = "BUILD_MAP",
    BUILD_CONST_KEY_MAP = "BUILD_CONST_KEY_MAP",
    BUILD_STRING = "BUILD_STRING",
    BUILD_SLICE = "BUILD_SLICE",
    LOAD_ATTR = "LOAD_ATTR",
    COMPARE_OP = "COMPARE_OP",
    IS_OP = "IS_OP",
    CONTAINS_OP = "CONTAINS_OP",
    IMPORT_NAME = "IMPORT_NAME",
    IMPORT_FROM = "IMPORT_FROM",
    JUMP_FORWARD = "JUMP_FORWARD",
    JUMP_ABSOLUTE = "JUMP_ABSOLUTE",
    JUMP_IF_FALSE_OR_POP = "JUMP_IF_FALSE_OR_POP",
    JUMP_IF_TRUE_OR_POP = "JUMP_IF_TRUE_OR_POP",
    POP_JUMP_IF_FALSE = "POP_JUMP_IF_FALSE",
    POP_JUMP_IF_TRUE = "POP_JUMP_IF_TRUE",
    JUMP_IF_NOT_EXC_MATCH = "JUMP_IF_NOT_EXC_MATCH",
    LOAD_GLOBAL = "LOAD_GLOBAL",
    RERAISE = "RERAISE",
    SETUP_FINALLY = "SETUP_FINALLY",
    SETUP_WITH = "SETUP_WITH",
    WITH_EXCEPT_START = "WITH_EXCEPT_START",
    LOAD_FAST = "LOAD_FAST",
    STORE_FAST = "STORE_FAST",
    DELETE_FAST = "DELETE_FAST",
    LOAD_CLOSURE = "LOAD_CLOSURE",
    LOAD_DEREF = "LOAD_DEREF",
    STORE_DEREF = "STORE_DEREF",
    DELETE_DEREF = "DELETE_DEREF",
    LOAD_CLASSDEREF = "LOAD_CLASSDEREF",
    RAISE_VARARGS = "RAISE_VARARGS",
    CALL_FUNCTION = "CALL_FUNCTION",
    CALL_FUNCTION_KW = "CALL_FUNCTION_KW",
    CALL_FUNCTION_EX = "CALL_FUNCTION_EX",
    LOAD_METHOD = "LOAD_METHOD",
    CALL_METHOD = "CALL_METHOD",
    MAKE_FUNCTION = "MAKE_FUNCTION",
    LIST_APPEND = "LIST_APPEND",
    SET_ADD = "SET_ADD",
    MAP_ADD = "MAP_ADD",
    LIST_EXTEND = "LIST_EXTEND",
    SET_UPDATE = "SET_UPDATE",
    DICT_MERGE = "DICT_MERGE",
    DICT_UPDATE = "DICT_UPDATE",
    FORMAT_VALUE = "FORMAT_VALUE",
    LOAD_ASSERTION_ERROR = "LOAD_ASSERTION_ERROR",
    // Opcodes of other versions that gilsim executes: no-ops, stack shuffles and a merged return.
    RESUME = "RESUME",
    PUSH_NULL = "PUSH_NULL",
    PRECALL = "PRECALL",
    KW_NAMES = "KW_NAMES",
    COPY = "COPY",
    SWAP = "SWAP",
    RETURN_CONST = "RETURN_CONST",
    END_FOR = "END_FOR",
    END_FOR_POP = "POP_TOP",
    TO_BOOL = "TO_BOOL",
    SETUP_LOOP = "SETUP_LOOP",
    POP_LOOP = "POP_BLOCK",
    // A no-op that only shows another version's instruction (its view, set by the compiler).
    SHOWN = "SHOWN",
    // Opcodes only ever shown (an instruction's `view`), never executed.
    BINARY_OP = "BINARY_OP",
    CALL = "CALL",
    CALL_KW = "CALL_KW",
    JUMP_BACKWARD = "JUMP_BACKWARD",
    POP_JUMP_FORWARD_IF_FALSE = "POP_JUMP_FORWARD_IF_FALSE",
    POP_JUMP_FORWARD_IF_TRUE = "POP_JUMP_FORWARD_IF_TRUE",
    POP_JUMP_BACKWARD_IF_FALSE = "POP_JUMP_BACKWARD_IF_FALSE",
    POP_JUMP_BACKWARD_IF_TRUE = "POP_JUMP_BACKWARD_IF_TRUE",
    BEFORE_WITH = "BEFORE_WITH",
    DUP_TOPX = "DUP_TOPX",
    WITH_CLEANUP = "WITH_CLEANUP",
    END_FINALLY = "END_FINALLY",
    SETUP_EXCEPT = "SETUP_EXCEPT",
    BREAK_LOOP = "BREAK_LOOP",
    LOAD_LOCALS = "LOAD_LOCALS",
    RETURN_GENERATOR = "RETURN_GENERATOR",
    GEN_START = "GEN_START",
    CALL_FUNCTION_VAR = "CALL_FUNCTION_VAR",
    CALL_FUNCTION_VAR_KW = "CALL_FUNCTION_VAR_KW",
    POP_JUMP_FORWARD_IF_NONE = "POP_JUMP_FORWARD_IF_NONE",
    POP_JUMP_FORWARD_IF_NOT_NONE = "POP_JUMP_FORWARD_IF_NOT_NONE",
    POP_JUMP_BACKWARD_IF_NONE = "POP_JUMP_BACKWARD_IF_NONE",
    POP_JUMP_BACKWARD_IF_NOT_NONE = "POP_JUMP_BACKWARD_IF_NOT_NONE",
    POP_JUMP_IF_NONE = "POP_JUMP_IF_NONE",
    POP_JUMP_IF_NOT_NONE = "POP_JUMP_IF_NOT_NONE",
    LOAD_FAST_LOAD_FAST = "LOAD_FAST_LOAD_FAST",
    STORE_FAST_LOAD_FAST = "STORE_FAST_LOAD_FAST",
    STORE_FAST_STORE_FAST = "STORE_FAST_STORE_FAST",
    CONVERT_VALUE = "CONVERT_VALUE",
    FORMAT_SIMPLE = "FORMAT_SIMPLE",
    FORMAT_WITH_SPEC = "FORMAT_WITH_SPEC",
}

/// How the argument of an opcode is to be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgKind {
    /// The opcode takes no argument.
    None,
    /// A count or a flag word.
    Plain,
    /// Index into `consts`.
    Const,
    /// Index into `names`.
    Name,
    /// Index into `varnames` (fast locals).
    Local,
    /// Index into cells then free variables.
    Free,
    /// A jump whose target CPython 3.9 prints as "to N" (relative jumps).
    JumpRel,
    /// A jump whose target CPython 3.9 prints as a bare offset (absolute jumps).
    JumpAbs,
    /// A comparison operator index.
    Compare,
    /// FORMAT_VALUE's conversion flags.
    Format,
    /// MAKE_FUNCTION's flag word.
    MakeFunction,
}

impl Op {
    /// How to read this opcode's argument.
    #[must_use]
    pub const fn arg_kind(self) -> ArgKind {
        use Op::*;
        match self {
            LOAD_CONST | RETURN_CONST | KW_NAMES => ArgKind::Const,
            LOAD_NAME | STORE_NAME | DELETE_NAME | LOAD_GLOBAL | STORE_GLOBAL | DELETE_GLOBAL
            | LOAD_ATTR | STORE_ATTR | DELETE_ATTR | LOAD_METHOD | IMPORT_NAME | IMPORT_FROM => {
                ArgKind::Name
            }
            LOAD_FAST | STORE_FAST | DELETE_FAST => ArgKind::Local,
            LOAD_CLOSURE | LOAD_DEREF | STORE_DEREF | DELETE_DEREF | LOAD_CLASSDEREF => {
                ArgKind::Free
            }
            FOR_ITER
            | JUMP_FORWARD
            | SETUP_FINALLY
            | SETUP_WITH
            | SETUP_LOOP
            | SETUP_EXCEPT
            | JUMP_BACKWARD
            | POP_JUMP_FORWARD_IF_FALSE
            | POP_JUMP_FORWARD_IF_TRUE
            | POP_JUMP_BACKWARD_IF_FALSE
            | POP_JUMP_BACKWARD_IF_TRUE
            | POP_JUMP_FORWARD_IF_NONE
            | POP_JUMP_FORWARD_IF_NOT_NONE
            | POP_JUMP_BACKWARD_IF_NONE
            | POP_JUMP_BACKWARD_IF_NOT_NONE
            | POP_JUMP_IF_NONE
            | POP_JUMP_IF_NOT_NONE => ArgKind::JumpRel,
            JUMP_ABSOLUTE
            | JUMP_IF_FALSE_OR_POP
            | JUMP_IF_TRUE_OR_POP
            | POP_JUMP_IF_FALSE
            | POP_JUMP_IF_TRUE
            | JUMP_IF_NOT_EXC_MATCH => ArgKind::JumpAbs,
            COMPARE_OP => ArgKind::Compare,
            FORMAT_VALUE | CONVERT_VALUE => ArgKind::Format,
            MAKE_FUNCTION => ArgKind::MakeFunction,
            ROT_TWO | ROT_THREE | ROT_FOUR | DUP_TOP | DUP_TOP_TWO | POP_TOP | NOP
            | UNARY_POSITIVE | UNARY_NEGATIVE | UNARY_NOT | UNARY_INVERT | BINARY_POWER
            | BINARY_MULTIPLY | BINARY_MODULO | BINARY_ADD | BINARY_SUBTRACT | BINARY_SUBSCR
            | BINARY_FLOOR_DIVIDE | BINARY_TRUE_DIVIDE | BINARY_LSHIFT | BINARY_RSHIFT
            | BINARY_AND | BINARY_XOR | BINARY_OR | INPLACE_ADD | INPLACE_SUBTRACT
            | INPLACE_MULTIPLY | INPLACE_MODULO | INPLACE_POWER | INPLACE_FLOOR_DIVIDE
            | INPLACE_TRUE_DIVIDE | INPLACE_LSHIFT | INPLACE_RSHIFT | INPLACE_AND | INPLACE_XOR
            | INPLACE_OR | STORE_SUBSCR | DELETE_SUBSCR | GET_ITER | LOAD_BUILD_CLASS
            | LIST_TO_TUPLE | RETURN_VALUE | YIELD_VALUE | POP_BLOCK | POP_EXCEPT
            | WITH_EXCEPT_START | LOAD_ASSERTION_ERROR | RERAISE | PUSH_NULL | END_FOR
            | END_FOR_POP | TO_BOOL | POP_LOOP | SHOWN | LOAD_LOCALS | RETURN_GENERATOR
            | GEN_START | BEFORE_WITH | WITH_CLEANUP | END_FINALLY | BREAK_LOOP => ArgKind::None,
            _ => ArgKind::Plain,
        }
    }

    /// Whether the opcode may transfer control to its argument.
    #[must_use]
    pub const fn is_jump(self) -> bool {
        matches!(self.arg_kind(), ArgKind::JumpRel | ArgKind::JumpAbs)
    }
}

/// The comparison operators of COMPARE_OP, in CPython's order.
pub const COMPARE_OPS: [&str; 6] = ["<", "<=", "==", "!=", ">", ">="];

/// One instruction: an opcode and its argument (0 when the opcode takes none).
///
/// Jump arguments are instruction indexes inside the same code object. `op` is what gilsim
/// executes; `view` is the opcode the profile's CPython version runs at this position, which
/// `dis` prints and the check-point rules read (`INPLACE_ADD` is `BINARY_OP` in 3.11, a
/// backward `JUMP_ABSOLUTE` is `JUMP_BACKWARD`). Both fit in the padding of the argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Instr {
    /// The opcode gilsim executes.
    pub op: Op,
    /// The opcode the modelled CPython version runs here (`op` unless renamed).
    pub view: Op,
    /// [`flag`] bits: how `dis` shows the instruction.
    pub flags: u16,
    /// The argument, read according to [`Op::arg_kind`].
    pub arg: u32,
}

impl Instr {
    /// An instruction shown as what it executes.
    #[must_use]
    pub const fn new(op: Op, arg: u32) -> Instr {
        Instr {
            op,
            view: op,
            flags: 0,
            arg,
        }
    }

    /// Whether flag bit `f` is set.
    #[must_use]
    pub const fn has(self, f: u16) -> bool {
        self.flags & f != 0
    }
}

/// Bits of [`Instr::flags`].
pub mod flag {
    /// Not shown by this version's `dis` and never a check point (a block push or pop that
    /// 3.11+ keeps in its exception table instead of in the bytecode).
    pub const HIDDEN: u16 = 1;
    /// A `LOAD_GLOBAL` that also pushes the NULL of a call (3.11+: `NULL + f`).
    pub const NULL_PLUS: u16 = 2;
    /// An attribute load in the method form (3.11 `LOAD_METHOD`, 3.12+ `LOAD_ATTR` with bit 0).
    pub const METHOD: u16 = 4;
    /// The `__exit__` call of a `with` (its CPython argument count is one less).
    pub const EXIT_CALL: u16 = 8;
    /// A comparison that feeds a conditional jump (3.13 prints `bool(<)`).
    pub const BOOL_CMP: u16 = 16;
    /// A `SETUP_FINALLY` that opens a `try:`/`except` (2.7 calls it `SETUP_EXCEPT`).
    pub const EXCEPT: u16 = 32;
    /// A jump that leaves a loop by `break` (2.7 `BREAK_LOOP`).
    pub const BREAK: u16 = 64;
    /// A JUMP_FORWARD over an exception handler that this version does not have (3.12+ move
    /// handlers out of line; 2.7 runs a `finally` body once).
    pub const OVER: u16 = 128;
    /// A conditional jump on `x is None` / `x is not None` (3.11+ test None in the jump; the
    /// LOAD_CONST None and IS_OP before it are hidden).
    pub const NONE_TEST: u16 = 256;
    /// A call whose CPython argument count is one less (3.11+ comprehension calls).
    pub const ONE_LESS: u16 = 512;
    /// An instruction CPython emits without a location: other jumps thread onto a 3.12+ `for`
    /// back-edge whatever their line, and 3.10 copies a `with` exit that starts with such a
    /// POP_BLOCK for each jump to it.
    pub const NO_LINE: u16 = 1024;
    /// An except handler's jump to the code after the `try` (3.12 moves the handler to the
    /// end, so where that code is also reached without an exception the jump is a
    /// JUMP_BACKWARD, which checks; the optimiser clears the flag where it is not).
    pub const HANDLER_EXIT: u16 = 2048;
}

/// A compile-time constant.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Const {
    /// `None`.
    None,
    /// `True` / `False`.
    Bool(bool),
    /// An integer that fits in 64 bits.
    Int(i64),
    /// An integer literal too large for 64 bits, in decimal.
    BigInt(String),
    /// A float.
    Float(f64),
    /// A string.
    Str(String),
    /// `...`.
    Ellipsis,
    /// A tuple of constants.
    Tuple(Vec<Const>),
    /// A nested code object.
    Code(CodeId),
}

/// What kind of scope a code object implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum CodeKind {
    /// The module body.
    Module,
    /// A class body.
    Class,
    /// A function, lambda or comprehension.
    Function,
    /// A generator function or generator expression.
    Generator,
}

/// One compiled code object, as CPython's `code` type.
#[derive(Clone, Debug, Serialize)]
pub struct CodeObject {
    /// `co_name`.
    pub name: String,
    /// `__qualname__` of the function it implements.
    pub qualname: String,
    /// What this code object implements.
    pub kind: CodeKind,
    /// The first source line.
    pub first_line: u32,
    /// Number of positional parameters (including positional-only).
    pub argcount: u32,
    /// Number of positional-only parameters.
    pub posonlyargcount: u32,
    /// Number of keyword-only parameters.
    pub kwonlyargcount: u32,
    /// Whether it has `*args` (the slot after the keyword-only ones).
    pub varargs: bool,
    /// Whether it has `**kwargs` (the slot after `*args`).
    pub varkw: bool,
    /// `co_varnames`: parameters first, then the other locals.
    pub varnames: Vec<String>,
    /// `co_cellvars`: locals captured by inner functions.
    pub cellvars: Vec<String>,
    /// For each cell variable that is also a parameter, the parameter's index.
    pub cell_params: Vec<Option<u32>>,
    /// `co_freevars`: variables captured from enclosing functions.
    pub freevars: Vec<String>,
    /// `co_names`.
    pub names: Vec<String>,
    /// `co_consts`.
    pub consts: Vec<Const>,
    /// The instructions.
    pub instrs: Vec<Instr>,
    /// Source line of each instruction.
    pub lines: Vec<u32>,
    /// Source position of each instruction's expression or statement.
    pub cols: Vec<Pos>,
    /// Instruction indexes at which a new source line starts, as `dis` shows them.
    pub line_starts: Vec<bool>,
}

/// Where an instruction comes from: the expression or statement CPython 3.11+ records in
/// `co_positions` (its tracebacks draw carets under it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Pos {
    /// Column (1-based, in characters) of the node's start.
    pub col: u32,
    /// Byte offset of the node's start in the source.
    pub start: u32,
    /// Byte offset just past the node's end in the source.
    pub end: u32,
}

impl CodeObject {
    /// The byte offset CPython 3.9 would give instruction `index` (two bytes per instruction).
    #[must_use]
    pub fn offset(index: usize) -> usize {
        index * 2
    }
}

/// A whole compiled program: its code objects, the module's code first.
#[derive(Clone, Debug, Serialize)]
pub struct Program {
    /// The file name as the user gave it (used in tracebacks).
    pub filename: String,
    /// The source text.
    pub source: String,
    /// All code objects; index 0 is the module.
    pub codes: Vec<CodeObject>,
}

impl Program {
    /// The module's code object.
    #[must_use]
    pub fn module(&self) -> &CodeObject {
        &self.codes[0]
    }

    /// One line of the source text (1-based), without its line break.
    #[must_use]
    pub fn source_line(&self, line: u32) -> &str {
        self.source
            .lines()
            .nth(line.saturating_sub(1) as usize)
            .unwrap_or("")
    }
}
