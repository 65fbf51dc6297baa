//! Values and heap objects.
//!
//! A [`Value`] is 16 bytes and `Copy`: small immediates (None, bool, 64-bit int, float) live
//! inline, everything else is an [`ObjId`] into the machine's [`Heap`]. Object ids are handed
//! out deterministically (lowest free slot first), so two runs of the same schedule number their
//! objects the same way.

use crate::object::dict::Dict;
use num_bigint::BigInt;
use std::rc::Rc;

/// Index of an object in the heap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjId(pub u32);

/// A Python value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value {
    /// An empty slot: an unbound local, the "no self" marker of LOAD_METHOD. Never visible to
    /// Python code.
    Null,
    /// `None`.
    None,
    /// `True` / `False`.
    Bool(bool),
    /// An int that fits in 64 bits (ints that do not live on the heap as [`Obj::BigInt`]).
    Int(i64),
    /// A float.
    Float(f64),
    /// A heap object.
    Obj(ObjId),
}

impl Value {
    /// The object id, if this value lives on the heap.
    #[must_use]
    pub fn obj(self) -> Option<ObjId> {
        match self {
            Value::Obj(o) => Some(o),
            _ => None,
        }
    }
}

/// The builtin type a class stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[allow(missing_docs)]
pub enum TypeTag {
    Object,
    Type,
    NoneType,
    Bool,
    Int,
    Float,
    Str,
    List,
    Tuple,
    Dict,
    Set,
    Range,
    Function,
    BuiltinFunction,
    Method,
    Module,
    Iterator,
    Slice,
    Lock,
    RLock,
    Cell,
    Generator,
    BaseException,
    Property,
    StaticMethod,
    ClassMethod,
    Super,
    NotImplementedType,
    DictKeys,
    DictValues,
    DictItems,
}

/// A user-defined or builtin class.
#[derive(Clone, Debug)]
pub struct Class {
    /// `__name__`.
    pub name: Rc<str>,
    /// `__qualname__`.
    pub qualname: Rc<str>,
    /// Direct bases.
    pub bases: Vec<ObjId>,
    /// Method resolution order, the class itself first.
    pub mro: Vec<ObjId>,
    /// The class namespace.
    pub dict: Dict,
    /// The builtin type this class is or derives from.
    pub builtin: TypeTag,
}

/// A Python function.
#[derive(Clone, Debug)]
pub struct Function {
    /// Which compiled unit the code object belongs to.
    pub unit: u16,
    /// The code object inside the unit.
    pub code: u32,
    /// `__name__`.
    pub name: Rc<str>,
    /// `__qualname__`.
    pub qualname: Rc<str>,
    /// The module whose globals the function sees.
    pub globals: ObjId,
    /// Positional defaults.
    pub defaults: Vec<Value>,
    /// Keyword-only defaults (a dict object).
    pub kwdefaults: Option<ObjId>,
    /// Cells of the closure, in `co_freevars` order.
    pub closure: Vec<ObjId>,
    /// The function's `__dict__` for attributes set on it.
    pub dict: Option<ObjId>,
}

/// A module object.
#[derive(Clone, Debug)]
pub struct Module {
    /// `__name__`.
    pub name: Rc<str>,
    /// The module namespace (also the globals of its functions).
    pub dict: Dict,
}

/// An instance of a user class (also exceptions and Python-level threading objects).
#[derive(Clone, Debug)]
pub struct Instance {
    /// The class.
    pub class: ObjId,
    /// `__dict__`.
    pub dict: Dict,
    /// Exceptions: the traceback entries gathered while unwinding, innermost last.
    pub traceback: Vec<TbEntry>,
    /// For instances of builtin subclasses (e.g. `class C(list)`), the builtin payload.
    pub payload: Option<Value>,
}

/// One traceback entry: where a frame was when an exception passed through it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TbEntry {
    /// The unit of the code object.
    pub unit: u16,
    /// The code object.
    pub code: u32,
    /// The instruction index.
    pub pc: u32,
}

/// State of an iterator object.
#[derive(Clone, Debug)]
pub enum IterState {
    /// Over `range`.
    Range {
        /// The next value.
        next: i64,
        /// The stop value.
        stop: i64,
        /// The step.
        step: i64,
    },
    /// Over a list, tuple or str (by index, seeing later changes as CPython does).
    Seq {
        /// The sequence.
        seq: ObjId,
        /// The next index.
        index: usize,
    },
    /// Over a snapshot of values (dict views, sets, zip/enumerate results).
    Values {
        /// The values.
        items: Rc<[Value]>,
        /// The next index.
        index: usize,
    },
    /// Over a dict's keys, detecting size changes.
    DictKeys {
        /// The dict.
        dict: ObjId,
        /// The next position.
        index: usize,
        /// The size when iteration started.
        len: usize,
    },
    /// `enumerate(it, start)`.
    Enumerate {
        /// The inner iterator.
        inner: ObjId,
        /// The next count.
        count: i64,
    },
    /// `zip(a, b, ...)`.
    Zip {
        /// The inner iterators.
        inners: Vec<ObjId>,
    },
    /// `reversed(seq)`.
    Reversed {
        /// The sequence.
        seq: ObjId,
        /// Items left.
        left: usize,
    },
}

/// A lock (`threading.Lock` / `RLock`).
#[derive(Clone, Debug, Default)]
pub struct LockState {
    /// The thread that holds it, if held.
    pub owner: Option<u32>,
    /// Recursion count (RLock), 1 for a held Lock.
    pub count: u32,
    /// Whether this is an RLock.
    pub reentrant: bool,
    /// Where it was last acquired: (unit, code, pc).
    pub acquired_at: Option<TbEntry>,
}

/// A suspended generator.
#[derive(Clone, Debug)]
pub struct Generator {
    /// The suspended frame; `None` once the generator finished or while it runs.
    pub frame: Option<Box<crate::object::frame::Frame>>,
    /// Whether it is currently executing.
    pub running: bool,
    /// `__name__` for repr.
    pub name: Rc<str>,
    /// The exception being handled inside the generator while it is suspended.
    pub exc_state: Value,
    /// The caller's handled exception while the generator runs (restored when it yields).
    pub outer_exc: Value,
    /// What the generator's `return` gave once it finished (StopIteration's value).
    pub returned: Value,
}

/// A native function, optionally bound to a receiver.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Native {
    /// Which native.
    pub id: crate::object::native::NativeId,
    /// The bound receiver (for methods of builtin types and modules' bound helpers).
    pub receiver: Option<Value>,
}

/// Which view of a dict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ViewKind {
    /// `dict_keys`.
    Keys,
    /// `dict_values`.
    Values,
    /// `dict_items`.
    Items,
}

impl ViewKind {
    /// The type name CPython prints.
    #[must_use]
    pub fn type_name(self) -> &'static str {
        match self {
            ViewKind::Keys => "dict_keys",
            ViewKind::Values => "dict_values",
            ViewKind::Items => "dict_items",
        }
    }
}

/// A heap object.
#[derive(Clone, Debug)]
pub enum Obj {
    /// A str.
    Str(Rc<str>),
    /// An int too large for 64 bits.
    BigInt(Rc<BigInt>),
    /// A list.
    List(Vec<Value>),
    /// A tuple.
    Tuple(Rc<[Value]>),
    /// A dict.
    Dict(Dict),
    /// A set (keys only).
    Set(Dict),
    /// A Python function.
    Function(Box<Function>),
    /// A cell of a closure.
    Cell(Value),
    /// A class.
    Class(Box<Class>),
    /// An instance.
    Instance(Box<Instance>),
    /// A bound method of a Python function.
    Method {
        /// The receiver.
        receiver: Value,
        /// The function.
        func: Value,
    },
    /// A native function or method.
    Native(Native),
    /// A module.
    Module(Box<Module>),
    /// `range(start, stop, step)`.
    Range {
        /// Start.
        start: i64,
        /// Stop.
        stop: i64,
        /// Step.
        step: i64,
    },
    /// An iterator.
    Iter(IterState),
    /// A slice object.
    Slice(Value, Value, Value),
    /// A lock.
    Lock(LockState),
    /// A generator.
    Generator(Box<Generator>),
    /// `staticmethod(f)`, `classmethod(f)`.
    Wrapper(TypeTag, Value),
    /// `property(fget, fset)`; `fset` is None for a read-only property.
    Property {
        /// The getter.
        fget: Value,
        /// The setter, or None.
        fset: Value,
    },
    /// A live view of a dict: `d.keys()`, `d.values()`, `d.items()`.
    View(ViewKind, ObjId),
    /// `super()` bound to a class and receiver.
    Super {
        /// The class after which the MRO search starts.
        class: ObjId,
        /// The receiver.
        receiver: Value,
    },
}
