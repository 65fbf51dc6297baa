//! Native functions: the builtins, the methods of builtin types, and the native parts of the
//! simulated modules (`_thread`, `time`, `sys`, `random`, the I/O of `requests`).
//!
//! [`TABLE`] has one row per native: its Python name, where it lives (the `builtins` module, a
//! native module, or the methods of some builtin types) and the function that runs it. The
//! functions live one file per area. A native completes in one instruction (it is atomic under
//! the GIL, as a C call is), blocks (the instruction is retried or completed later), or pushes
//! a Python frame.

mod construct;
mod core;
mod dict;
mod install;
mod internal;
mod list;
mod math;
mod os;
mod python_side;
mod random;
mod set;
mod str;
mod sys;
mod threading;
mod time;

pub(crate) use construct::{construct_builtin, construct_builtin_from_generator};
pub(crate) use install::install;
pub(crate) use threading::{ident_of, thread_repr};

use self::construct::float_to_int;
use self::core::sorted_items;
use self::python_side::{call_with_key, consume_in_python, user_dunder_call};
use crate::interp::ops::range_len;
use crate::machine::{Flow, Machine, Res, ThreadState, VThread, Wait};
use crate::object::dict::{Dict, HKey};
use crate::object::frame::OnReturn;
use crate::object::native::NativeId;
use crate::object::value::{Class, IterState, LockState, Obj, ObjId, TypeTag, Value};
use gilsim_compiler::Profile;
use rand::Rng;
use std::rc::Rc;

/// One call of a native: which one, its arguments (the receiver first for a bound method), and
/// what happens to its result when it pushes a frame instead of returning one.
pub(crate) struct Call {
    /// The native called (one function may serve several rows).
    pub id: NativeId,
    /// Positional arguments.
    pub args: Vec<Value>,
    /// Keyword arguments, in call order.
    pub kwargs: Vec<(String, Value)>,
    /// What a pushed frame's return value does.
    pub on_return: OnReturn,
}

/// Runs a native: `Some(v)` its result, `None` when it pushed a frame that will produce it.
type NativeFn = fn(&mut Machine, Call) -> Res<Option<Value>>;

/// Where a native can be found by a program.
#[derive(Clone, Copy)]
pub(crate) enum Home {
    /// The `builtins` module.
    Builtins,
    /// A native module (`time`, `random`, `_gilsim_thread`…).
    Module(&'static str),
    /// A native module, on the profiles where the predicate holds.
    ModuleIf(&'static str, fn(&Profile) -> bool),
    /// A method of the builtin types listed (an RLock is a `Lock` here).
    Methods(&'static [TypeTag]),
    /// Made by the machine itself, never looked up by name.
    Internal,
}

/// One row of the natives table.
pub(crate) struct NativeDef {
    /// The Python-visible name.
    pub name: &'static str,
    /// Where it lives.
    pub home: Home,
    /// What runs it.
    pub run: NativeFn,
}

macro_rules! natives {
    ($($id:ident = $name:literal, $home:expr => $run:path;)*) => {
        /// Row numbers of the table, in order.
        #[repr(u16)]
        enum Row { $($id,)* }

        #[allow(non_upper_case_globals)]
        impl NativeId {
            $(
                #[doc = concat!("`", $name, "`")]
                pub const $id: NativeId = NativeId(Row::$id as u16);
            )*
        }

        /// Every native, indexed by its [`NativeId`].
        pub(crate) static TABLE: &[NativeDef] = &[
            $(NativeDef { name: $name, home: $home, run: $run },)*
        ];
    };
}

use Home::{Builtins, Internal, Methods, Module, ModuleIf};
use NativeId as N;
use TypeTag as T;

// One row per native: its id = "Python name", where it lives => the function that runs it.
// The builtins come first, in the order they fill the `builtins` module.
natives! {
    Range = "range", Builtins => core::range;
    Print = "print", Builtins => core::print;
    Len = "len", Builtins => core::len;
    Repr = "repr", Builtins => core::repr;
    Isinstance = "isinstance", Builtins => core::isinstance;
    Issubclass = "issubclass", Builtins => core::isinstance;
    Hasattr = "hasattr", Builtins => core::getattr;
    Getattr = "getattr", Builtins => core::getattr;
    Setattr = "setattr", Builtins => core::setattr;
    Sum = "sum", Builtins => core::sum;
    Min = "min", Builtins => core::min_max;
    Max = "max", Builtins => core::min_max;
    Abs = "abs", Builtins => core::abs;
    Sorted = "sorted", Builtins => core::sorted;
    Enumerate = "enumerate", Builtins => core::enumerate;
    Zip = "zip", Builtins => core::zip;
    Reversed = "reversed", Builtins => core::reversed;
    Iter = "iter", Builtins => core::iter;
    Next = "next", Builtins => core::next;
    Id = "id", Builtins => core::id;
    Any = "any", Builtins => core::any_all;
    All = "all", Builtins => core::any_all;
    Round = "round", Builtins => core::round;
    Divmod = "divmod", Builtins => core::divmod;
    Super = "super", Builtins => core::super_;
    Callable = "callable", Builtins => core::callable;
    Format = "format", Builtins => core::format;
    Ord = "ord", Builtins => core::ord;
    Chr = "chr", Builtins => core::chr;
    Hash = "hash", Builtins => core::hash;
    Map = "map", Builtins => core::map_filter;
    Filter = "filter", Builtins => core::map_filter;
    Pow = "pow", Builtins => core::pow;
    BuildClass = "__build_class__", Internal => core::build_class;
    ObjectInit = "__init__", Internal => core::object_init;
    ListAppend = "append", Methods(&[T::List]) => list::append;
    ListExtend = "extend", Methods(&[T::List]) => list::extend;
    ListPop = "pop", Methods(&[T::List]) => list::pop;
    ListInsert = "insert", Methods(&[T::List]) => list::insert;
    ListRemove = "remove", Methods(&[T::List]) => list::remove_index_count;
    ListIndex = "index", Methods(&[T::List, T::Tuple]) => list::remove_index_count;
    ListCount = "count", Methods(&[T::List, T::Tuple]) => list::remove_index_count;
    ListSort = "sort", Methods(&[T::List]) => list::sort;
    ListReverse = "reverse", Methods(&[T::List]) => list::reverse;
    ListClear = "clear", Methods(&[T::List, T::Dict, T::Set]) => list::clear;
    ListCopy = "copy", Methods(&[T::List, T::Dict]) => list::copy;
    DictGet = "get", Methods(&[T::Dict]) => dict::get;
    DictKeys = "keys", Methods(&[T::Dict]) => dict::view;
    DictValues = "values", Methods(&[T::Dict]) => dict::view;
    DictItems = "items", Methods(&[T::Dict]) => dict::view;
    DictPop = "pop", Methods(&[T::Dict]) => dict::pop;
    DictSetdefault = "setdefault", Methods(&[T::Dict]) => dict::setdefault;
    DictUpdate = "update", Methods(&[T::Dict]) => dict::update;
    StrJoin = "join", Methods(&[T::Str]) => str::join;
    StrSplit = "split", Methods(&[T::Str]) => str::split;
    StrStrip = "strip", Methods(&[T::Str]) => str::strip_and_case;
    StrLstrip = "lstrip", Methods(&[T::Str]) => str::strip_and_case;
    StrRstrip = "rstrip", Methods(&[T::Str]) => str::strip_and_case;
    StrUpper = "upper", Methods(&[T::Str]) => str::strip_and_case;
    StrLower = "lower", Methods(&[T::Str]) => str::strip_and_case;
    StrReplace = "replace", Methods(&[T::Str]) => str::replace;
    StrStartswith = "startswith", Methods(&[T::Str]) => str::search;
    StrEndswith = "endswith", Methods(&[T::Str]) => str::search;
    StrFormat = "format", Methods(&[T::Str]) => str::format;
    StrFind = "find", Methods(&[T::Str]) => str::search;
    StrCount = "count", Methods(&[T::Str]) => str::search;
    StrIsdigit = "isdigit", Methods(&[T::Str]) => str::isdigit;
    StrLjust = "ljust", Methods(&[T::Str]) => str::pad;
    StrRjust = "rjust", Methods(&[T::Str]) => str::pad;
    StrCenter = "center", Methods(&[T::Str]) => str::pad;
    StrTitle = "title", Methods(&[T::Str]) => str::strip_and_case;
    SetAdd = "add", Methods(&[T::Set]) => set::add;
    SetRemove = "remove", Methods(&[T::Set]) => set::remove;
    SetDiscard = "discard", Methods(&[T::Set]) => set::remove;
    SetUpdate = "update", Methods(&[T::Set]) => set::update;
    LockAcquire = "acquire", Methods(&[T::Lock]) => threading::lock_acquire;
    LockRelease = "release", Methods(&[T::Lock]) => threading::lock_release;
    LockLocked = "locked", Methods(&[T::Lock]) => threading::lock_locked;
    LockEnter = "__enter__", Methods(&[T::Lock]) => threading::lock_acquire;
    LockExit = "__exit__", Methods(&[T::Lock]) => threading::lock_release;
    ThreadAllocateLock = "allocate_lock", Module("_gilsim_thread") => threading::allocate_lock;
    ThreadRLock = "RLock", Module("_gilsim_thread") => threading::allocate_lock;
    ThreadNewIdent = "new_ident", Module("_gilsim_thread") => threading::new_ident;
    ThreadDefaultName = "default_name", Module("_gilsim_thread") => threading::default_name;
    ThreadStart = "start", Module("_gilsim_thread") => threading::start;
    ThreadJoin = "join", Module("_gilsim_thread") => threading::join;
    ThreadExcepthook = "excepthook", Module("_gilsim_thread") => threading::excepthook;
    ThreadReport = "report", Module("_gilsim_thread") => threading::excepthook;
    ThreadAtLeast = "at_least", Module("_gilsim_thread") => threading::at_least;
    ThreadIsAlive = "is_alive", Module("_gilsim_thread") => threading::is_alive;
    ThreadCurrent = "current", Module("_gilsim_thread") => threading::current;
    ThreadGetIdent = "get_ident", Module("_gilsim_thread") => threading::get_ident;
    ThreadActiveCount = "active_count", Module("_gilsim_thread") => threading::active_count;
    ThreadIsOwned = "is_owned", Module("_gilsim_thread") => threading::is_owned;
    ThreadReleaseSave = "release_save", Module("_gilsim_thread") => threading::release_save;
    ThreadAcquireRestore = "acquire_restore", Module("_gilsim_thread") => threading::acquire_restore;
    ThreadRegisterMain = "register_main", Module("_gilsim_thread") => threading::register_main;
    ThreadRegisterLocal = "register_local", Module("_gilsim_thread") => threading::register_local;
    ThreadIdentOf = "ident_of", Module("_gilsim_thread") => threading::ident;
    ThreadNativeId = "native_id", Module("_gilsim_thread") => threading::ident;
    ThreadGetNativeId = "get_native_id", Module("_gilsim_thread") => threading::get_native_id;
    ThreadEnumerate = "enumerate", Module("_gilsim_thread") => threading::enumerate;
    ThreadDeprecated = "deprecated", Module("_gilsim_thread") => threading::deprecated;
    MathSqrt = "sqrt", Module("math") => math::unary;
    MathExp = "exp", Module("math") => math::unary;
    MathLog = "log", Module("math") => math::unary;
    MathLog2 = "log2", Module("math") => math::unary;
    MathLog10 = "log10", Module("math") => math::unary;
    MathSin = "sin", Module("math") => math::unary;
    MathCos = "cos", Module("math") => math::unary;
    MathTan = "tan", Module("math") => math::unary;
    MathAtan = "atan", Module("math") => math::unary;
    MathFabs = "fabs", Module("math") => math::unary;
    MathRadians = "radians", Module("math") => math::unary;
    MathDegrees = "degrees", Module("math") => math::unary;
    MathFloor = "floor", Module("math") => math::rounding;
    MathCeil = "ceil", Module("math") => math::rounding;
    MathTrunc = "trunc", Module("math") => math::rounding;
    MathPow = "pow", Module("math") => math::binary;
    MathAtan2 = "atan2", Module("math") => math::binary;
    MathHypot = "hypot", Module("math") => math::binary;
    MathCopysign = "copysign", Module("math") => math::binary;
    MathFmod = "fmod", Module("math") => math::binary;
    MathIsfinite = "isfinite", Module("math") => math::predicate;
    MathIsinf = "isinf", Module("math") => math::predicate;
    MathIsnan = "isnan", Module("math") => math::predicate;
    MathIsclose = "isclose", Module("math") => math::predicate;
    MathFactorial = "factorial", Module("math") => math::integer;
    MathGcd = "gcd", Module("math") => math::integer;
    MathIsqrt = "isqrt", Module("math") => math::integer;
    MathProd = "prod", Module("math") => math::integer;
    TimeSleep = "sleep", Module("time") => time::sleep;
    TimeTime = "time", Module("time") => time::time;
    TimePerfCounter = "perf_counter", Module("time") => time::perf_counter;
    TimeMonotonic = "monotonic", Module("time") => time::perf_counter;
    TimeProcessTime = "process_time", Module("time") => time::perf_counter;
    TimeThreadTime = "thread_time", Module("time") => time::perf_counter;
    TimeTimeNs = "time_ns", Module("time") => time::nanoseconds;
    TimePerfCounterNs = "perf_counter_ns", Module("time") => time::nanoseconds;
    TimeMonotonicNs = "monotonic_ns", Module("time") => time::nanoseconds;
    TimeCtime = "ctime", Module("time") => time::ctime;
    TimeStrftime = "strftime", Module("time") => time::strftime_now;
    OsGetpid = "getpid", Module("os") => os::pid;
    OsGetppid = "getppid", Module("os") => os::pid;
    OsCpuCount = "cpu_count", Module("os") => os::cpu_count;
    OsGetenv = "getenv", Module("os") => os::getenv;
    SysSetSwitchInterval = "setswitchinterval", ModuleIf("sys", sys::with_switch_interval) => sys::set_switch_interval;
    SysGetSwitchInterval = "getswitchinterval", ModuleIf("sys", sys::with_switch_interval) => sys::get_switch_interval;
    SysSetCheckInterval = "setcheckinterval", ModuleIf("sys", sys::with_check_interval) => sys::set_check_interval;
    SysGetCheckInterval = "getcheckinterval", ModuleIf("sys", sys::with_check_interval) => sys::get_check_interval;
    SysExit = "exit", Module("sys") => sys::exit;
    RandomRandom = "random", Module("random") => random::random;
    RandomRandint = "randint", Module("random") => random::randint;
    RandomChoice = "choice", Module("random") => random::choice;
    RandomUniform = "uniform", Module("random") => random::uniform;
    RandomShuffle = "shuffle", Module("random") => random::shuffle;
    RandomSeed = "seed", Module("random") => random::seed;
    RandomRandrange = "randrange", Module("random") => random::randrange;
    RandomSample = "sample", Module("random") => random::sample;
    RandomChoices = "choices", Module("random") => random::choices;
    RandomGauss = "gauss", Module("random") => random::gauss;
    RandomNormalvariate = "normalvariate", Module("random") => random::gauss;
    RandomGetrandbits = "getrandbits", Module("random") => random::getrandbits;
    HttpGet = "http_get", Module("_gilsim_io") => internal::http_get;
    Refuse = "refuse", Module("_gilsim_io") => internal::refuse;
    PropertySetter = "setter", Internal => internal::property_setter;
    StreamWrite = "write", Internal => core::stream_write;
    StreamFlush = "flush", Internal => core::stream_write;
    GeneratorReturned = "_returned", Internal => internal::generator_returned;

}

impl NativeId {
    /// This native's row of the table.
    fn def(self) -> &'static NativeDef {
        &TABLE[usize::from(self.0)]
    }

    /// The Python-visible name.
    #[must_use]
    pub fn name(self) -> &'static str {
        self.def().name
    }

    /// Whether this native, found unbound in a class, binds to the instance as a method does
    /// (the lock methods the bundled `threading` classes keep as attributes).
    #[must_use]
    pub fn is_method(self) -> bool {
        matches!(self.def().home, Methods(tags) if tags.contains(&T::Lock))
    }
}

/// Calls a native. `args` includes the receiver first when `bound`.
pub(crate) fn call_native(
    m: &mut Machine,
    id: NativeId,
    bound: bool,
    args: Vec<Value>,
    kwargs: Vec<(String, Value)>,
    on_return: OnReturn,
) -> Res<Option<Value>> {
    // A method of a list, dict or set is one step under the GIL: it orders the threads that
    // use the container (a hand-off through `jobs.append` / `jobs.pop`).
    if bound
        && let Some(&Value::Obj(c)) = args.first()
        && matches!(m.heap.get(c), Obj::List(_) | Obj::Dict(_) | Obj::Set(_))
        && m.observed()
    {
        let me = m.current;
        if let Some(d) = m.detect.as_mut() {
            d.container_op(me, c);
        }
    }
    let call = Call {
        id,
        args,
        kwargs,
        on_return,
    };
    (id.def().run)(m, call)
}

/// The native method of a builtin value's type, if any.
pub(crate) fn builtin_method(m: &Machine, o: Value, name: &str) -> Option<NativeId> {
    let Value::Obj(id) = o else { return None };
    let tag = match m.heap.get(id) {
        Obj::List(_) => T::List,
        Obj::Tuple(_) => T::Tuple,
        Obj::Dict(_) => T::Dict,
        Obj::Set(_) => T::Set,
        Obj::Str(_) => T::Str,
        Obj::Lock(_) => T::Lock,
        _ => return None,
    };
    methods().get(&(tag, name)).copied()
}

/// The methods of the builtin types by (receiver type, name), built from the table once: a
/// method lookup is a hash probe, not a walk over the table (only looked up, never iterated).
fn methods() -> &'static MethodIndex {
    static INDEX: std::sync::OnceLock<MethodIndex> = std::sync::OnceLock::new();
    INDEX.get_or_init(|| {
        let mut index = MethodIndex::default();
        for (row, d) in TABLE.iter().enumerate() {
            if let Methods(tags) = d.home {
                for &t in tags {
                    index.insert((t, d.name), NativeId(row as u16));
                }
            }
        }
        index
    })
}

/// Methods by (receiver type, name).
type MethodIndex = std::collections::HashMap<
    (TypeTag, &'static str),
    NativeId,
    std::hash::BuildHasherDefault<crate::object::dict::Fnv>,
>;

/// Methods reached through the class (`dict.fromkeys`, `str.join`...): none yet.
#[must_use]
pub(crate) fn builtin_class_method(_tag: TypeTag, _name: &str) -> Option<NativeId> {
    None
}

/// Plain attributes of builtin values (`e.args`, `f.__name__`, `slice.start`).
///
/// # Errors
/// Never at present; the signature leaves room for attributes that can fail.
pub(crate) fn builtin_attr(m: &mut Machine, o: Value, name: &str) -> Res<Option<Value>> {
    let Value::Obj(id) = o else { return Ok(None) };
    Ok(match (m.heap.get(id), name) {
        (Obj::Range { start, .. }, "start") => Some(Value::Int(*start)),
        (Obj::Range { stop, .. }, "stop") => Some(Value::Int(*stop)),
        (Obj::Range { step, .. }, "step") => Some(Value::Int(*step)),
        (Obj::Property { fget, .. }, "fget") => Some(*fget),
        (Obj::Property { fset, .. }, "fset") => Some(*fset),
        (Obj::Property { .. }, "setter") => Some(m.native(NativeId::PropertySetter, Some(o))),
        (Obj::Module(md), "__name__") => {
            let n = md.name.clone();
            Some(m.new_str(n))
        }
        _ => None,
    })
}

pub(super) fn arg(args: &[Value], i: usize) -> Value {
    args.get(i).copied().unwrap_or(Value::Null)
}

pub(super) fn kw(kwargs: &[(String, Value)], name: &str) -> Option<Value> {
    kwargs.iter().find(|(k, _)| k == name).map(|(_, v)| *v)
}

pub(super) fn to_int(m: &mut Machine, v: Value, what: &str) -> Res<i64> {
    match v {
        Value::Int(i) => Ok(i),
        Value::Bool(b) => Ok(i64::from(b)),
        _ => {
            let tn = m.type_name(v);
            Err(m.raise(
                "TypeError",
                format!("{what}: '{tn}' object cannot be interpreted as an integer"),
            ))
        }
    }
}

pub(super) fn to_float(m: &mut Machine, v: Value) -> Res<f64> {
    match v {
        Value::Int(i) => Ok(i as f64),
        Value::Bool(b) => Ok(f64::from(u8::from(b))),
        Value::Float(f) => Ok(f),
        _ => {
            let tn = m.type_name(v);
            Err(m.raise("TypeError", format!("must be real number, not {tn}")))
        }
    }
}

pub(super) fn str_arg(m: &mut Machine, v: Value) -> Option<Rc<str>> {
    match v {
        Value::Obj(o) => match m.heap.get(o) {
            Obj::Str(s) => Some(s.clone()),
            _ => None,
        },
        _ => None,
    }
}

pub(super) fn lock_of(m: &Machine, v: Value) -> Option<ObjId> {
    match v {
        Value::Obj(o) if matches!(m.heap.get(o), Obj::Lock(_)) => Some(o),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_name_is_found_in_one_place() {
        let mut seen = std::collections::BTreeSet::new();
        for d in TABLE {
            let places: Vec<String> = match d.home {
                Builtins => vec!["builtins".into()],
                Module(m) | ModuleIf(m, _) => vec![m.into()],
                Methods(tags) => tags.iter().map(|t| format!("{t:?}")).collect(),
                Internal => Vec::new(),
            };
            for p in places {
                // setswitchinterval and setcheckinterval share `sys` on different profiles.
                assert!(seen.insert((p.clone(), d.name)), "{} twice in {p}", d.name);
            }
        }
    }

    #[test]
    fn ids_name_their_rows() {
        assert_eq!(NativeId::Print.name(), "print");
        assert_eq!(NativeId::ListAppend.name(), "append");
        assert!(NativeId::LockAcquire.is_method());
        assert!(!NativeId::ListAppend.is_method());
        assert_eq!(TABLE.len(), usize::from(NativeId::GeneratorReturned.0) + 1);
    }
}
