//! Native functions: the builtins, the methods of builtin types, and the native parts of the
//! simulated modules (`_thread`, `time`, `sys`, `random`, the I/O of `requests`).
//!
//! A native completes in one instruction (it is atomic under the GIL, as a C call is), blocks
//! (the instruction is retried or completed later), or pushes a Python frame.

use crate::machine::{Flow, Machine, Res, ThreadState, VThread, Wait};
use crate::object::dict::{Dict, HKey};
use crate::object::frame::OnReturn;
use crate::object::native::NativeId;
use crate::object::value::{Class, IterState, LockState, Obj, ObjId, TypeTag, Value};
use crate::ops::range_len;
use rand::Rng;
use std::rc::Rc;

/// Whether `name` is a module gilsim provides (missing attributes are "not yet", not typos).
#[must_use]
pub fn is_gilsim_module(name: &str) -> bool {
    matches!(
        name,
        "threading" | "time" | "sys" | "random" | "requests" | "_thread" | "logging"
    )
}

const EXCEPTIONS: &[(&str, &str)] = &[
    ("BaseException", ""),
    ("SystemExit", "BaseException"),
    ("KeyboardInterrupt", "BaseException"),
    ("Exception", "BaseException"),
    ("StopIteration", "Exception"),
    ("ArithmeticError", "Exception"),
    ("ZeroDivisionError", "ArithmeticError"),
    ("OverflowError", "ArithmeticError"),
    ("AssertionError", "Exception"),
    ("AttributeError", "Exception"),
    ("LookupError", "Exception"),
    ("IndexError", "LookupError"),
    ("KeyError", "LookupError"),
    ("NameError", "Exception"),
    ("UnboundLocalError", "NameError"),
    ("RuntimeError", "Exception"),
    ("RecursionError", "RuntimeError"),
    ("NotImplementedError", "RuntimeError"),
    ("TypeError", "Exception"),
    ("ValueError", "Exception"),
    ("MemoryError", "Exception"),
    ("ImportError", "Exception"),
    ("ModuleNotFoundError", "ImportError"),
    ("OSError", "Exception"),
    ("TimeoutError", "OSError"),
    ("ConnectionError", "OSError"),
];

fn class_obj(m: &mut Machine, name: &str, bases: Vec<ObjId>, tag: TypeTag) -> ObjId {
    let mut mro = Vec::new();
    if let Some(b) = bases.first()
        && let Obj::Class(c) = m.heap.get(*b)
    {
        mro = c.mro.clone();
    }
    let id = m.heap.alloc(Obj::Class(Box::new(Class {
        name: Rc::from(name),
        qualname: Rc::from(name),
        bases,
        mro: Vec::new(),
        dict: Dict::new(),
        builtin: tag,
    })));
    mro.insert(0, id);
    if let Obj::Class(c) = m.heap.get_mut(id) {
        c.mro = mro;
    }
    id
}

fn set(m: &mut Machine, module: ObjId, name: &str, v: Value) {
    let k = m.intern(name);
    if let Obj::Module(md) = m.heap.get_mut(module) {
        md.dict.insert(HKey::Str(Rc::from(name)), k, v);
    }
}

/// Puts natives into a module under their Python names.
fn install_natives(m: &mut Machine, module: ObjId, ids: &[NativeId]) {
    for &id in ids {
        let v = m.native(id, None);
        set(m, module, id.name(), v);
    }
}

/// Creates the builtin classes, the `builtins` module and the native modules.
pub fn install(m: &mut Machine) {
    use TypeTag as T;
    let object = class_obj(m, "object", Vec::new(), T::Object);
    Rc::make_mut(&mut m.types).by_tag.insert(T::Object, object);
    let int = class_obj(m, "int", vec![object], T::Int);
    Rc::make_mut(&mut m.types).by_tag.insert(T::Int, int);
    let b = class_obj(m, "bool", vec![int], T::Bool);
    Rc::make_mut(&mut m.types).by_tag.insert(T::Bool, b);
    for (tag, name) in [
        (T::Type, "type"),
        (T::NoneType, "NoneType"),
        (T::Float, "float"),
        (T::Str, "str"),
        (T::List, "list"),
        (T::Tuple, "tuple"),
        (T::Dict, "dict"),
        (T::Set, "set"),
        (T::Range, "range"),
        (T::Function, "function"),
        (T::BuiltinFunction, "builtin_function_or_method"),
        (T::Method, "method"),
        (T::Module, "module"),
        (T::Iterator, "iterator"),
        (T::Slice, "slice"),
        (T::Lock, "lock"),
        (T::RLock, "RLock"),
        (T::Cell, "cell"),
        (T::Generator, "generator"),
        (T::Property, "property"),
        (T::StaticMethod, "staticmethod"),
        (T::ClassMethod, "classmethod"),
        (T::Super, "super"),
        (T::DictKeys, "dict_keys"),
        (T::DictValues, "dict_values"),
        (T::DictItems, "dict_items"),
        (T::NotImplementedType, "NotImplementedType"),
    ] {
        let c = class_obj(m, name, vec![object], tag);
        Rc::make_mut(&mut m.types).by_tag.insert(tag, c);
    }
    for (name, base) in EXCEPTIONS {
        let bases = if base.is_empty() {
            vec![object]
        } else {
            vec![m.types.exc[base]]
        };
        let c = class_obj(m, name, bases, T::BaseException);
        Rc::make_mut(&mut m.types).exc.insert(name, c);
    }
    let base = m.types.exc["BaseException"];
    Rc::make_mut(&mut m.types)
        .by_tag
        .insert(T::BaseException, base);
    let builtins = m.new_module("builtins");
    m.builtins = builtins;
    for (tag, name) in [
        (T::Object, "object"),
        (T::Int, "int"),
        (T::Bool, "bool"),
        (T::Float, "float"),
        (T::Str, "str"),
        (T::List, "list"),
        (T::Tuple, "tuple"),
        (T::Dict, "dict"),
        (T::Set, "set"),
        (T::Type, "type"),
        (T::Property, "property"),
        (T::StaticMethod, "staticmethod"),
        (T::ClassMethod, "classmethod"),
    ] {
        let c = m.types.by_tag[&tag];
        set(m, builtins, name, Value::Obj(c));
    }
    let range_native = m.native(NativeId::Range, None);
    set(m, builtins, "range", range_native);
    // NotImplemented: what a user's __eq__ or __add__ returns to let the other operand try.
    let ni_cls = m.types.by_tag[&T::NotImplementedType];
    let ni = Value::Obj(
        m.heap
            .alloc(Obj::Instance(Box::new(crate::object::value::Instance {
                class: ni_cls,
                dict: Dict::new(),
                traceback: Vec::new(),
                payload: None,
            }))),
    );
    m.not_implemented = ni;
    set(m, builtins, "NotImplemented", ni);
    for (name, _) in EXCEPTIONS {
        let c = m.types.exc[name];
        set(m, builtins, name, Value::Obj(c));
    }
    install_natives(
        m,
        builtins,
        &[
            NativeId::Print,
            NativeId::Len,
            NativeId::Repr,
            NativeId::Isinstance,
            NativeId::Issubclass,
            NativeId::Hasattr,
            NativeId::Getattr,
            NativeId::Setattr,
            NativeId::Sum,
            NativeId::Min,
            NativeId::Max,
            NativeId::Abs,
            NativeId::Sorted,
            NativeId::Enumerate,
            NativeId::Zip,
            NativeId::Reversed,
            NativeId::Iter,
            NativeId::Next,
            NativeId::Id,
            NativeId::Any,
            NativeId::All,
            NativeId::Round,
            NativeId::Divmod,
            NativeId::Super,
            NativeId::Callable,
            NativeId::Format,
            NativeId::Ord,
            NativeId::Chr,
            NativeId::Hash,
        ],
    );
    let thread = m.new_module("_gilsim_thread");
    install_natives(
        m,
        thread,
        &[
            NativeId::ThreadAllocateLock,
            NativeId::ThreadRLock,
            NativeId::ThreadNewIdent,
            NativeId::ThreadDefaultName,
            NativeId::ThreadStart,
            NativeId::ThreadJoin,
            NativeId::ThreadExcepthook,
            NativeId::ThreadIsAlive,
            NativeId::ThreadCurrent,
            NativeId::ThreadGetIdent,
            NativeId::ThreadActiveCount,
            NativeId::ThreadIsOwned,
            NativeId::ThreadReleaseSave,
            NativeId::ThreadAcquireRestore,
            NativeId::ThreadRegisterMain,
        ],
    );
    let time = m.new_module("time");
    install_natives(
        m,
        time,
        &[
            NativeId::TimeSleep,
            NativeId::TimeTime,
            NativeId::TimePerfCounter,
            NativeId::TimeMonotonic,
        ],
    );
    let sys = m.new_module("sys");
    // 2.7 counts ticks (sys.setcheckinterval); 3.2+ time a switch interval, and 3.9 removed
    // setcheckinterval.
    let interval = if m.profile.has_check_interval() {
        [NativeId::SysSetCheckInterval, NativeId::SysGetCheckInterval]
    } else {
        [
            NativeId::SysSetSwitchInterval,
            NativeId::SysGetSwitchInterval,
        ]
    };
    install_natives(m, sys, &[interval[0], interval[1], NativeId::SysExit]);
    let (major, minor, micro) = m.profile.version_info();
    let vs = m.new_str(format!("{major}.{minor}.{micro} (gilsim)"));
    set(m, sys, "version", vs);
    let items: Vec<Value> = [major, minor, micro]
        .iter()
        .map(|&v| Value::Int(i64::from(v)))
        .collect();
    let vi = Value::Obj(m.heap.alloc(Obj::Tuple(items.into())));
    set(m, sys, "version_info", vi);
    // print(..., file=sys.stderr) and file=sys.stdout choose the stream.
    let out = m.new_str("<stdout>");
    set(m, sys, "stdout", out);
    let err = m.new_str("<stderr>");
    set(m, sys, "stderr", err);
    let random = m.new_module("random");
    install_natives(
        m,
        random,
        &[
            NativeId::RandomRandom,
            NativeId::RandomRandint,
            NativeId::RandomChoice,
            NativeId::RandomUniform,
            NativeId::RandomShuffle,
            NativeId::RandomSeed,
        ],
    );
    let io = m.new_module("_gilsim_io");
    let v = m.native(NativeId::HttpGet, None);
    set(m, io, "http_get", v);
    let v = m.native(NativeId::Refuse, None);
    set(m, io, "refuse", v);
}

/// The native method of a builtin value's type, if any.
pub fn builtin_method(m: &Machine, o: Value, name: &str) -> Option<NativeId> {
    let Value::Obj(id) = o else { return None };
    use NativeId as N;
    Some(match (m.heap.get(id), name) {
        (Obj::List(_), "append") => N::ListAppend,
        (Obj::List(_), "extend") => N::ListExtend,
        (Obj::List(_), "pop") => N::ListPop,
        (Obj::List(_), "insert") => N::ListInsert,
        (Obj::List(_), "remove") => N::ListRemove,
        (Obj::List(_) | Obj::Tuple(_), "index") => N::ListIndex,
        (Obj::List(_) | Obj::Tuple(_), "count") => N::ListCount,
        (Obj::List(_), "sort") => N::ListSort,
        (Obj::List(_), "reverse") => N::ListReverse,
        (Obj::List(_), "clear") => N::ListClear,
        (Obj::List(_), "copy") => N::ListCopy,
        (Obj::Dict(_), "get") => N::DictGet,
        (Obj::Dict(_), "keys") => N::DictKeys,
        (Obj::Dict(_), "values") => N::DictValues,
        (Obj::Dict(_), "items") => N::DictItems,
        (Obj::Dict(_), "pop") => N::DictPop,
        (Obj::Dict(_), "setdefault") => N::DictSetdefault,
        (Obj::Dict(_), "update") => N::DictUpdate,
        (Obj::Dict(_) | Obj::Set(_), "clear") => N::ListClear,
        (Obj::Dict(_), "copy") => N::ListCopy,
        (Obj::Str(_), "join") => N::StrJoin,
        (Obj::Str(_), "split") => N::StrSplit,
        (Obj::Str(_), "strip") => N::StrStrip,
        (Obj::Str(_), "lstrip") => N::StrLstrip,
        (Obj::Str(_), "rstrip") => N::StrRstrip,
        (Obj::Str(_), "upper") => N::StrUpper,
        (Obj::Str(_), "lower") => N::StrLower,
        (Obj::Str(_), "replace") => N::StrReplace,
        (Obj::Str(_), "startswith") => N::StrStartswith,
        (Obj::Str(_), "endswith") => N::StrEndswith,
        (Obj::Str(_), "format") => N::StrFormat,
        (Obj::Str(_), "find") => N::StrFind,
        (Obj::Str(_), "count") => N::StrCount,
        (Obj::Str(_), "isdigit") => N::StrIsdigit,
        (Obj::Str(_), "ljust") => N::StrLjust,
        (Obj::Str(_), "rjust") => N::StrRjust,
        (Obj::Str(_), "center") => N::StrCenter,
        (Obj::Str(_), "title") => N::StrTitle,
        (Obj::Set(_), "add") => N::SetAdd,
        (Obj::Set(_), "remove") => N::SetRemove,
        (Obj::Set(_), "discard") => N::SetDiscard,
        (Obj::Set(_), "update") => N::SetUpdate,
        (Obj::Lock(_), "acquire") => N::LockAcquire,
        (Obj::Lock(_), "release") => N::LockRelease,
        (Obj::Lock(_), "locked") => N::LockLocked,
        (Obj::Lock(_), "__enter__") => N::LockEnter,
        (Obj::Lock(_), "__exit__") => N::LockExit,
        _ => return None,
    })
}

/// Methods reached through the class (`dict.fromkeys`, `str.join`...): none yet.
#[must_use]
pub fn builtin_class_method(_tag: TypeTag, _name: &str) -> Option<NativeId> {
    None
}

/// Plain attributes of builtin values (`e.args`, `f.__name__`, `slice.start`).
///
/// # Errors
/// Never at present; the signature leaves room for attributes that can fail.
pub fn builtin_attr(m: &mut Machine, o: Value, name: &str) -> Res<Option<Value>> {
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

/// `list(gen)`, `tuple(gen)`, `set(gen)`, `dict(gen)`: the helper that runs the generator.
pub(crate) fn construct_builtin_from_generator(
    m: &mut Machine,
    tag: TypeTag,
    generator: Value,
    on_return: OnReturn,
) -> Option<Res<Option<Value>>> {
    let name = match tag {
        TypeTag::List => "_list",
        TypeTag::Tuple => "_tuple",
        TypeTag::Set => "_set",
        TypeTag::Dict => "_dict",
        _ => return None,
    };
    let h = m.helper(name)?;
    Some(m.call_native_or_frame(h, vec![generator], Vec::new(), on_return))
}

/// Constructs a value of a builtin type (`int("3")`, `list(x)`, `dict(a=1)`).
pub(crate) fn construct_builtin(
    m: &mut Machine,
    cls: ObjId,
    tag: TypeTag,
    args: Vec<Value>,
    kwargs: Vec<(String, Value)>,
) -> Res<Option<Value>> {
    use TypeTag as T;
    let a0 = args.first().copied();
    let v = match tag {
        T::Object => Value::Obj(m.heap.alloc(Obj::Instance(Box::new(
            crate::object::value::Instance {
                class: cls,
                dict: Dict::new(),
                traceback: Vec::new(),
                payload: None,
            },
        )))),
        T::Int => match a0 {
            None => Value::Int(0),
            Some(Value::Float(f)) => {
                if !f.is_finite() {
                    return Err(
                        m.raise("OverflowError", "cannot convert float infinity to integer")
                    );
                }
                float_to_int(m, f.trunc())
            }
            Some(Value::Bool(b)) => Value::Int(i64::from(b)),
            Some(v @ Value::Int(_)) if args.len() < 2 && kw(&kwargs, "base").is_none() => v,
            Some(v) => {
                let base = match args.get(1).copied().or_else(|| kw(&kwargs, "base")) {
                    None => None,
                    Some(b) => Some(to_int(m, b, "int()")?),
                };
                let Some(text) = str_arg(m, v) else {
                    if base.is_some() {
                        return Err(m.raise(
                            "TypeError",
                            "int() can't convert non-string with explicit base",
                        ));
                    }
                    if matches!(v, Value::Obj(o) if matches!(m.heap.get(o), Obj::BigInt(_))) {
                        return Ok(Some(v));
                    }
                    let tn = m.type_name(v);
                    return Err(m.raise(
                        "TypeError",
                        format!("int() argument must be a string, a bytes-like object or a number, not '{tn}'"),
                    ));
                };
                let base = base.unwrap_or(10);
                if base != 0 && !(2..=36).contains(&base) {
                    return Err(m.raise("ValueError", "int() base must be >= 2 and <= 36, or 0"));
                }
                match parse_int_literal(&text, base as u32) {
                    Some(b) => m.int_value(b),
                    None => {
                        let r = m.repr_of(v);
                        return Err(m.raise(
                            "ValueError",
                            format!("invalid literal for int() with base {base}: {r}"),
                        ));
                    }
                }
            }
        },
        T::Float => match a0 {
            None => Value::Float(0.0),
            Some(Value::Int(i)) => Value::Float(i as f64),
            Some(Value::Bool(b)) => Value::Float(f64::from(u8::from(b))),
            Some(v @ Value::Float(_)) => v,
            Some(v) => {
                let s = m.str_of(v);
                match s.trim().parse::<f64>() {
                    Ok(f) => Value::Float(f),
                    Err(_) => {
                        let r = m.repr_of(v);
                        return Err(m.raise(
                            "ValueError",
                            format!("could not convert string to float: {r}"),
                        ));
                    }
                }
            }
        },
        T::Bool => Value::Bool(match a0 {
            Some(v) => m.truthy(v)?,
            None => false,
        }),
        T::Str => {
            let s = match a0 {
                Some(v) => m.str_of(v),
                None => String::new(),
            };
            m.new_str(s)
        }
        T::List => {
            let items = match a0 {
                Some(v) => m.iterate_all(v)?,
                None => Vec::new(),
            };
            Value::Obj(m.heap.alloc(Obj::List(items)))
        }
        T::Tuple => {
            let items = match a0 {
                Some(v) => m.iterate_all(v)?,
                None => Vec::new(),
            };
            Value::Obj(m.heap.alloc(Obj::Tuple(items.into())))
        }
        T::Set => {
            let items = match a0 {
                Some(v) => m.iterate_all(v)?,
                None => Vec::new(),
            };
            m.new_set(&items)?
        }
        T::Dict => {
            let d = m.new_dict_value();
            if let Some(src) = a0 {
                let is_dict = matches!(src, Value::Obj(o) if matches!(m.heap.get(o), Obj::Dict(_)));
                if is_dict {
                    m.dict_update(d, src)?;
                } else {
                    for pair in m.iterate_all(src)? {
                        let kv = m.iterate_all(pair)?;
                        if kv.len() != 2 {
                            return Err(m.raise(
                                "ValueError",
                                "dictionary update sequence element has wrong length",
                            ));
                        }
                        m.setitem(d, kv[0], kv[1])?;
                    }
                }
            }
            for (k, v) in kwargs {
                let key = m.new_str(k);
                m.setitem(d, key, v)?;
            }
            d
        }
        T::Type => match (args.len(), a0) {
            (1, Some(v)) => Value::Obj(m.class_of(v)),
            _ => return Err(m.unsupported("creating classes with type(name, bases, dict)")),
        },
        T::Property => {
            let fget = a0.unwrap_or(Value::None);
            let fset = args
                .get(1)
                .copied()
                .or_else(|| kw(&kwargs, "fset"))
                .unwrap_or(Value::None);
            Value::Obj(m.heap.alloc(Obj::Property { fget, fset }))
        }
        T::StaticMethod | T::ClassMethod => {
            let f = a0.unwrap_or(Value::None);
            Value::Obj(m.heap.alloc(Obj::Wrapper(tag, f)))
        }
        _ => {
            let n = m.class_name(cls);
            return Err(m.raise("TypeError", format!("cannot create '{n}' instances")));
        }
    };
    Ok(Some(v))
}

/// `int(text, base)` as CPython reads it: surrounding whitespace, a sign, a prefix (`0x`,
/// `0o`, `0b`: required to pick the base when `base` is 0, allowed when it matches), digits
/// below the base with single underscores between them. `None`: not a valid literal.
fn parse_int_literal(text: &str, base: u32) -> Option<num_bigint::BigInt> {
    let t = text.trim();
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let lower = t.to_ascii_lowercase();
    let prefixed = |p: &str| lower.starts_with(p);
    let orig = base;
    let (base, body, had_prefix) = match base {
        0 if prefixed("0x") => (16, &t[2..], true),
        0 if prefixed("0o") => (8, &t[2..], true),
        0 if prefixed("0b") => (2, &t[2..], true),
        0 => (10, t, false),
        16 if prefixed("0x") => (16, &t[2..], true),
        8 if prefixed("0o") => (8, &t[2..], true),
        2 if prefixed("0b") => (2, &t[2..], true),
        b => (b, t, false),
    };
    // After a prefix one underscore may come first ("0x_ff").
    let body = if had_prefix {
        body.strip_prefix('_').unwrap_or(body)
    } else {
        body
    };
    if body.is_empty() || body.starts_with('_') || body.ends_with('_') || body.contains("__") {
        return None;
    }
    let digits: String = body.chars().filter(|c| *c != '_').collect();
    if !digits.chars().all(|c| c.is_digit(base)) {
        return None;
    }
    // Base 0 reads decimals as Python source does: no leading zeros except for zero itself.
    if orig == 0 && !had_prefix && digits.starts_with('0') && digits.chars().any(|c| c != '0') {
        return None;
    }
    let v = num_bigint::BigInt::parse_bytes(digits.as_bytes(), base)?;
    Some(if neg { -v } else { v })
}

/// An integral float as an int of any size.
fn float_to_int(m: &mut Machine, f: f64) -> Value {
    match num_traits::FromPrimitive::from_f64(f) {
        Some(b) => m.int_value(b),
        None => Value::Int(0),
    }
}

fn arg(args: &[Value], i: usize) -> Value {
    args.get(i).copied().unwrap_or(Value::Null)
}

fn kw(kwargs: &[(String, Value)], name: &str) -> Option<Value> {
    kwargs.iter().find(|(k, _)| k == name).map(|(_, v)| *v)
}

fn to_int(m: &mut Machine, v: Value, what: &str) -> Res<i64> {
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

fn to_float(m: &mut Machine, v: Value) -> Res<f64> {
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

fn str_arg(m: &mut Machine, v: Value) -> Option<Rc<str>> {
    match v {
        Value::Obj(o) => match m.heap.get(o) {
            Obj::Str(s) => Some(s.clone()),
            _ => None,
        },
        _ => None,
    }
}

fn lock_of(m: &Machine, v: Value) -> Option<ObjId> {
    match v {
        Value::Obj(o) if matches!(m.heap.get(o), Obj::Lock(_)) => Some(o),
        _ => None,
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
    use NativeId as N;
    let a0 = arg(&args, 0);
    let a1 = arg(&args, 1);
    // A method of a list, dict or set is one step under the GIL: it orders the threads that
    // use the container (a hand-off through `jobs.append` / `jobs.pop`).
    if bound
        && let Value::Obj(c) = a0
        && matches!(m.heap.get(c), Obj::List(_) | Obj::Dict(_) | Obj::Set(_))
        && m.observed()
    {
        let me = m.current;
        if let Some(d) = m.detect.as_mut() {
            d.container_op(me, c);
        }
    }
    // A user class's own __str__, __len__, __iter__, __next__ run as machine frames.
    if matches!(on_return, OnReturn::Push)
        && let Some(r) = user_dunder_call(m, id, &args, &kwargs)?
    {
        return Ok(r);
    }
    // A key function is Python code: the bundled helper calls it in machine frames.
    if let Some(key) = kw(&kwargs, "key")
        && key != Value::None
        && matches!(id, N::Sorted | N::ListSort | N::Min | N::Max)
    {
        return call_with_key(m, id, args, &kwargs, key, on_return);
    }
    // Consuming a generator runs its frames: hand over to the Python helper.
    let gen_arg = match id {
        N::StrJoin | N::ListExtend => m.iterates_in_python(a1),
        N::Sum | N::Min | N::Max | N::Any | N::All | N::Sorted | N::Enumerate | N::Next => {
            args.len() <= 2 && m.iterates_in_python(a0)
        }
        N::Zip => args.iter().any(|a| m.iterates_in_python(*a)),
        _ => false,
    };
    if gen_arg {
        let kw_ok = kwargs.iter().all(|(k, _)| match id {
            N::Sorted => k == "reverse",
            N::Sum | N::Enumerate => k == "start",
            _ => false,
        });
        if !kw_ok {
            return Err(m.unsupported(format!(
                "{}() with a generator and keyword arguments; build a list first: {}([... for ...], ...)",
                id.name(),
                id.name()
            )));
        }
        let start = kw(&kwargs, "start").unwrap_or(if args.len() > 1 { a1 } else { Value::Int(0) });
        let (name, hargs) = match id {
            N::Sum => ("_sum", vec![a0, start]),
            N::Min => ("_min", vec![a0]),
            N::Max => ("_max", vec![a0]),
            N::Any => ("_any", vec![a0]),
            N::All => ("_all", vec![a0]),
            N::Sorted => (
                "_sorted",
                vec![a0, kw(&kwargs, "reverse").unwrap_or(Value::Bool(false))],
            ),
            N::StrJoin => ("_join", vec![a0, a1]),
            N::Enumerate => ("_enumerate", vec![a0, start]),
            N::Next => (
                "_next",
                vec![
                    a0,
                    if args.len() > 1 { a1 } else { Value::None },
                    Value::Bool(args.len() > 1),
                ],
            ),
            N::Zip => {
                let t = Value::Obj(m.heap.alloc(Obj::Tuple(args.clone().into())));
                ("_zip", vec![t])
            }
            _ => ("_extend", vec![a0, a1]),
        };
        if let Some(h) = m.helper(name) {
            return m.call_native_or_frame(h, hargs, Vec::new(), on_return);
        }
    }
    let v = match id {
        N::Print => {
            let sep = match kw(&kwargs, "sep") {
                Some(Value::None) | None => " ".to_string(),
                Some(v) => m.str_of(v),
            };
            let end = match kw(&kwargs, "end") {
                Some(Value::None) | None => "\n".to_string(),
                Some(v) => m.str_of(v),
            };
            let parts: Vec<String> = args.iter().map(|a| m.str_of(*a)).collect();
            if let Some(msg) = m.deep_dunder.take() {
                return Err(m.unsupported(msg));
            }
            let text = format!("{}{end}", parts.join(&sep));
            let stderr = m.modules.get("sys").and_then(|s| match m.heap.get(*s) {
                Obj::Module(md) => md.dict.get_str("stderr"),
                _ => None,
            });
            let to_err = matches!((kw(&kwargs, "file"), stderr), (Some(f), Some(e)) if f == e);
            if to_err {
                m.stderr.extend_from_slice(text.as_bytes());
            } else {
                m.stdout.extend_from_slice(text.as_bytes());
            }
            Value::None
        }
        N::Len => {
            let n = match a0 {
                Value::Obj(o) => match m.heap.get(o) {
                    Obj::Str(s) => s.chars().count() as i64,
                    Obj::List(l) => l.len() as i64,
                    Obj::Tuple(t) => t.len() as i64,
                    Obj::Dict(d) | Obj::Set(d) => d.len() as i64,
                    Obj::View(_, d) => match m.heap.get(*d) {
                        Obj::Dict(dd) => dd.len() as i64,
                        _ => 0,
                    },
                    Obj::Range { start, stop, step } => range_len(*start, *stop, *step),
                    Obj::Instance(i) if i.payload.is_some() => {
                        let p = i.payload.expect("payload");
                        return call_native(m, N::Len, false, vec![p], Vec::new(), on_return);
                    }
                    _ => -1,
                },
                _ => -1,
            };
            if n < 0 {
                let tn = m.type_name(a0);
                return Err(m.raise("TypeError", format!("object of type '{tn}' has no len()")));
            }
            Value::Int(n)
        }
        N::Range => {
            let ints: Vec<i64> = args
                .iter()
                .map(|v| to_int(m, *v, "range()"))
                .collect::<Result<_, _>>()?;
            let (start, stop, step) = match ints.as_slice() {
                [stop] => (0, *stop, 1),
                [start, stop] => (*start, *stop, 1),
                [start, stop, step] => (*start, *stop, *step),
                _ => return Err(m.arity("range", "1 to 3 arguments", ints.len())),
            };
            if step == 0 {
                return Err(m.raise("ValueError", "range() arg 3 must not be zero"));
            }
            Value::Obj(m.heap.alloc(Obj::Range { start, stop, step }))
        }
        N::Repr => {
            let s = m.repr_of(a0);
            m.new_str(s)
        }
        N::Isinstance | N::Issubclass => {
            let cls = if id == N::Isinstance {
                m.class_of(a0)
            } else {
                a0.obj().unwrap_or(ObjId(0))
            };
            let targets = match a1 {
                Value::Obj(o) if matches!(m.heap.get(o), Obj::Tuple(_)) => m.seq_items(a1)?,
                other => vec![other],
            };
            let mut found = false;
            for t in targets {
                if let Value::Obj(tc) = t
                    && m.is_subclass(cls, tc)
                {
                    found = true;
                }
            }
            Value::Bool(found)
        }
        N::Hasattr | N::Getattr => {
            let name = a1;
            match m.getattr(a0, name) {
                Ok(crate::ops::Attr::Value(v)) => {
                    if id == N::Hasattr {
                        Value::Bool(true)
                    } else {
                        v
                    }
                }
                Ok(crate::ops::Attr::Call(f, a)) => {
                    if id == N::Hasattr {
                        Value::Bool(true)
                    } else {
                        return m.call_native_or_frame(f, a, Vec::new(), on_return);
                    }
                }
                Err(Flow::Raise(e)) => {
                    let attr_err = m.types.exc["AttributeError"];
                    let c = m.class_of(e);
                    if !m.is_subclass(c, attr_err) {
                        return Err(Flow::Raise(e));
                    }
                    if id == N::Hasattr {
                        Value::Bool(false)
                    } else if args.len() > 2 {
                        args[2]
                    } else {
                        return Err(Flow::Raise(e));
                    }
                }
                Err(other) => return Err(other),
            }
        }
        N::Setattr => {
            m.setattr(a0, a1, arg(&args, 2))?;
            Value::None
        }
        N::Sum => {
            let items = m.iterate_all(a0)?;
            let mut acc =
                kw(&kwargs, "start").unwrap_or(if args.len() > 1 { a1 } else { Value::Int(0) });
            for x in items {
                acc = m.binary(gilsim_compiler::Op::BINARY_ADD, acc, x)?;
            }
            acc
        }
        N::Min | N::Max => {
            let items = if args.len() == 1 {
                m.iterate_all(a0)?
            } else {
                args.clone()
            };
            let mut best: Option<Value> = None;
            for x in items {
                best = Some(match best {
                    None => x,
                    Some(b) => {
                        let ord = m.cmp(x, b, if id == N::Min { "<" } else { ">" })?;
                        let better = if id == N::Min {
                            ord == std::cmp::Ordering::Less
                        } else {
                            ord == std::cmp::Ordering::Greater
                        };
                        if better { x } else { b }
                    }
                });
            }
            match best {
                Some(b) => b,
                None => match kw(&kwargs, "default") {
                    Some(d) => d,
                    None => {
                        return Err(m.raise(
                            "ValueError",
                            format!("{}() arg is an empty sequence", id.name()),
                        ));
                    }
                },
            }
        }
        N::Abs => match a0 {
            Value::Int(i) => match i.checked_abs() {
                Some(v) => Value::Int(v),
                None => m.int_value(num_traits::Signed::abs(&num_bigint::BigInt::from(i))),
            },
            Value::Bool(b) => Value::Int(i64::from(b)),
            Value::Float(f) => Value::Float(f.abs()),
            Value::Obj(o) if matches!(m.heap.get(o), Obj::BigInt(_)) => {
                let Obj::BigInt(b) = m.heap.get(o) else {
                    unreachable!()
                };
                let v = (**b).clone();
                m.int_value(num_traits::Signed::abs(&v))
            }
            _ => return Err(m.raise("TypeError", "bad operand type for abs()")),
        },
        N::Sorted => {
            let items = sorted_items(m, a0, &kwargs)?;
            Value::Obj(m.heap.alloc(Obj::List(items)))
        }
        N::Enumerate => {
            let inner = m.get_iter(a0)?;
            let start = match args.get(1).copied().or_else(|| kw(&kwargs, "start")) {
                Some(s) => to_int(m, s, "enumerate")?,
                None => 0,
            };
            let Value::Obj(inner) = inner else {
                unreachable!()
            };
            Value::Obj(m.heap.alloc(Obj::Iter(IterState::Enumerate {
                inner,
                count: start,
            })))
        }
        N::Zip => {
            let mut inners = Vec::new();
            for a in &args {
                if let Value::Obj(i) = m.get_iter(*a)? {
                    inners.push(i);
                }
            }
            Value::Obj(m.heap.alloc(Obj::Iter(IterState::Zip { inners })))
        }
        N::Reversed => {
            let items = m.iterate_all(a0)?;
            let n = items.len();
            let seq = m.heap.alloc(Obj::List(items));
            Value::Obj(
                m.heap
                    .alloc(Obj::Iter(IterState::Reversed { seq, left: n })),
            )
        }
        N::Iter => m.get_iter(a0)?,
        N::Next => match m.native_next(a0)? {
            Some(v) => v,
            None => {
                if args.len() > 1 {
                    a1
                } else {
                    return Err(m.raise("StopIteration", ""));
                }
            }
        },
        N::Id => Value::Int(match a0 {
            Value::Obj(o) => 0x7f00_0000_0000 + i64::from(o.0) * 16,
            Value::Int(i) => 0x5500_0000_0000 + i * 32,
            _ => 0x5500_0000_0000,
        }),
        N::Any | N::All => {
            let items = m.iterate_all(a0)?;
            let want = id == N::Any;
            let mut r = !want;
            for x in items {
                if m.truthy(x)? == want {
                    r = want;
                    break;
                }
            }
            Value::Bool(r)
        }
        N::Round => {
            let f = to_float(m, a0)?;
            if args.len() > 1 && a1 != Value::None && matches!(a0, Value::Int(_) | Value::Bool(_)) {
                let n = to_int(m, a1, "round")?;
                let i = to_int(m, a0, "round")?;
                if n >= 0 {
                    Value::Int(i)
                } else {
                    let p = 10i64
                        .checked_pow(u32::try_from(-n).unwrap_or(u32::MAX))
                        .unwrap_or(i64::MAX);
                    let (q, r) = (i.div_euclid(p), i.rem_euclid(p));
                    let up = 2 * r > p || (2 * r == p && q % 2 != 0);
                    Value::Int((q + i64::from(up)) * p)
                }
            } else if args.len() > 1 && a1 != Value::None && to_int(m, a1, "round")? >= 0 {
                // Correctly rounded through the exact decimal expansion, as CPython does.
                let n = to_int(m, a1, "round")?.min(300) as usize;
                Value::Float(format!("{f:.n$}").parse().unwrap_or(f))
            } else if args.len() > 1 && a1 != Value::None {
                let n = to_int(m, a1, "round")?;
                let p = 10f64.powi(n as i32);
                let x = f * p;
                let r = if (x - x.trunc()).abs() == 0.5 {
                    2.0 * (x / 2.0).round()
                } else {
                    x.round()
                };
                Value::Float(r / p)
            } else if let Value::Int(i) = a0 {
                Value::Int(i)
            } else {
                let r = if (f - f.trunc()).abs() == 0.5 {
                    2.0 * (f / 2.0).round()
                } else {
                    f.round()
                };
                if !r.is_finite() {
                    return Err(
                        m.raise("OverflowError", "cannot convert float infinity to integer")
                    );
                }
                float_to_int(m, r)
            }
        }
        N::Divmod => {
            let q = m.binary(gilsim_compiler::Op::BINARY_FLOOR_DIVIDE, a0, a1)?;
            let r = m.binary(gilsim_compiler::Op::BINARY_MODULO, a0, a1)?;
            Value::Obj(m.heap.alloc(Obj::Tuple(vec![q, r].into())))
        }
        N::Super => {
            if !args.is_empty() {
                let class = a0.obj().unwrap_or(ObjId(0));
                Value::Obj(m.heap.alloc(Obj::Super {
                    class,
                    receiver: a1,
                }))
            } else {
                // Zero-argument super(): the __class__ cell and the first argument of the caller.
                let f = m.fr();
                let co = &f.code.obj;
                let cell_idx = co
                    .freevars
                    .iter()
                    .position(|n| n == "__class__")
                    .map(|i| i + co.cellvars.len());
                let receiver = f.locals.first().copied();
                let (Some(ci), Some(receiver)) = (cell_idx, receiver) else {
                    return Err(m.raise("RuntimeError", "super(): no arguments"));
                };
                let cell = m.fr().cells[ci];
                let class = match m.heap.get(cell) {
                    Obj::Cell(Value::Obj(c)) => *c,
                    _ => return Err(m.raise("RuntimeError", "super(): empty __class__ cell")),
                };
                Value::Obj(m.heap.alloc(Obj::Super { class, receiver }))
            }
        }
        N::Callable => Value::Bool(
            matches!(a0, Value::Obj(o) if matches!(m.heap.get(o), Obj::Function(_) | Obj::Native(_) | Obj::Class(_) | Obj::Method { .. })),
        ),
        N::Format => {
            let spec = if args.len() > 1 {
                m.str_of(a1)
            } else {
                String::new()
            };
            let s = m.format_with_spec(a0, &spec)?;
            m.new_str(s)
        }
        N::Ord => match str_arg(m, a0) {
            Some(s) if s.chars().count() == 1 => {
                Value::Int(i64::from(s.chars().next().map_or(0, |c| c as u32)))
            }
            _ => return Err(m.raise("TypeError", "ord() expected a character")),
        },
        N::Chr => {
            let i = to_int(m, a0, "chr")?;
            let c = char::from_u32(i as u32).unwrap_or('\u{fffd}');
            m.new_str(c.to_string())
        }
        N::Hash => {
            let k = m.hkey(a0)?;
            Value::Int(match crate::object::dict::py_hash(&k) {
                Some(h) => h,
                // Objects hash by identity (`id(x) >> 4`, as CPython); str and None by a
                // fixed function of their value (CPython's differ from run to run).
                None => match &k {
                    HKey::Id(o) => (0x7f00_0000_0000 + i64::from(*o) * 16) >> 4,
                    HKey::Str(s) => {
                        let h = crate::record::source_hash(s);
                        i64::from_str_radix(&h[..15], 16).unwrap_or(0)
                    }
                    _ => 0x5500_0000_0000 >> 4,
                },
            })
        }
        N::ObjectInit => {
            // `super().__init__(...)` reaching a builtin base: Exception stores its args, a
            // list/dict/set subclass fills its builtin part.
            if let Value::Obj(o) = a0
                && let Obj::Instance(inst) = m.heap.get(o)
            {
                let (cls, payload) = (inst.class, inst.payload);
                let base_exc = m.types.exc["BaseException"];
                if m.is_subclass(cls, base_exc) {
                    let t = Value::Obj(m.heap.alloc(Obj::Tuple(args[1..].to_vec().into())));
                    let k = m.intern("args");
                    if let Obj::Instance(inst) = m.heap.get_mut(o) {
                        inst.dict.insert(HKey::Str(Rc::from("args")), k, t);
                    }
                } else if let Some(p) = payload
                    && args.len() > 1
                {
                    let tag = match m.heap.get(m.class_of(p)) {
                        Obj::Class(c) => c.builtin,
                        _ => TypeTag::Object,
                    };
                    let pc = m.class_of(p);
                    if let Some(v) = construct_builtin(m, pc, tag, args[1..].to_vec(), kwargs)?
                        && let Obj::Instance(inst) = m.heap.get_mut(o)
                    {
                        inst.payload = Some(v);
                    }
                }
            }
            Value::None
        }
        N::BuildClass => {
            let func = a0;
            let name = m.str_of(a1);
            let mut bases = Vec::new();
            for b in &args[2..] {
                match b {
                    Value::Obj(o) if matches!(m.heap.get(*o), Obj::Class(_)) => bases.push(*o),
                    _ => return Err(m.raise("TypeError", "bases must be classes")),
                }
            }
            let Value::Obj(fo) = func else { unreachable!() };
            let ns = m.heap.alloc(Obj::Dict(Dict::new()));
            let qualname: Rc<str> = match m.heap.get(fo) {
                Obj::Function(f) => f.qualname.clone(),
                _ => Rc::from(name.as_str()),
            };
            let mut frame = m.function_frame(
                fo,
                Vec::new(),
                Vec::new(),
                OnReturn::BuildClass(Box::new(crate::object::frame::ClassSpec {
                    name: Rc::from(name.as_str()),
                    qualname,
                    bases,
                    ns,
                })),
            )?;
            frame.names = Some(ns);
            m.push_frame(frame)?;
            return Ok(None);
        }
        // ----- list -----
        N::ListAppend => {
            if let Value::Obj(o) = a0
                && let Obj::List(l) = m.heap.get_mut(o)
            {
                l.push(a1);
            }
            Value::None
        }
        N::ListExtend => {
            let items = m.iterate_all(a1)?;
            if let Value::Obj(o) = a0
                && let Obj::List(l) = m.heap.get_mut(o)
            {
                l.extend(items);
            }
            Value::None
        }
        N::ListPop => {
            if let (Value::Obj(o), true) = (
                a0,
                matches!(a0, Value::Obj(o) if matches!(m.heap.get(o), Obj::Dict(_))),
            ) {
                let _ = o;
            }
            let Value::Obj(o) = a0 else { unreachable!() };
            let len = match m.heap.get(o) {
                Obj::List(l) => l.len(),
                _ => 0,
            };
            if len == 0 {
                return Err(m.raise("IndexError", "pop from empty list"));
            }
            let idx = if args.len() > 1 {
                to_int(m, a1, "pop")?
            } else {
                -1
            };
            let i = if idx < 0 { idx + len as i64 } else { idx };
            if i < 0 || i >= len as i64 {
                return Err(m.raise("IndexError", "pop index out of range"));
            }
            match m.heap.get_mut(o) {
                Obj::List(l) => l.remove(i as usize),
                _ => Value::None,
            }
        }
        N::ListInsert => {
            let i = to_int(m, a1, "insert")?;
            let v = arg(&args, 2);
            if let Value::Obj(o) = a0
                && let Obj::List(l) = m.heap.get_mut(o)
            {
                let len = l.len() as i64;
                let i = if i < 0 { (i + len).max(0) } else { i.min(len) };
                l.insert(i as usize, v);
            }
            Value::None
        }
        N::ListRemove | N::ListIndex | N::ListCount => {
            let items = m.iterate_all(a0)?;
            let mut pos = None;
            let mut count = 0;
            let len = items.len() as i64;
            let norm = |v: i64| if v < 0 { (v + len).max(0) } else { v.min(len) } as usize;
            let (lo, hi) = if id == N::ListIndex {
                let lo = match args.get(2) {
                    Some(v) => norm(to_int(m, *v, "index")?),
                    None => 0,
                };
                let hi = match args.get(3) {
                    Some(v) => norm(to_int(m, *v, "index")?),
                    None => items.len(),
                };
                (lo, hi)
            } else {
                (0, items.len())
            };
            for (i, x) in items.iter().enumerate() {
                if i < lo || i >= hi {
                    continue;
                }
                if m.eq(*x, a1)? {
                    count += 1;
                    if pos.is_none() {
                        pos = Some(i);
                    }
                }
            }
            match id {
                N::ListCount => Value::Int(count),
                N::ListIndex => match pos {
                    Some(p) => Value::Int(p as i64),
                    None => {
                        let r = m.repr_of(a1);
                        return Err(m.raise("ValueError", format!("{r} is not in list")));
                    }
                },
                _ => match pos {
                    Some(p) => {
                        if let Value::Obj(o) = a0
                            && let Obj::List(l) = m.heap.get_mut(o)
                        {
                            l.remove(p);
                        }
                        Value::None
                    }
                    None => return Err(m.raise("ValueError", "list.remove(x): x not in list")),
                },
            }
        }
        N::ListSort => {
            let items = sorted_items(m, a0, &kwargs)?;
            if let Value::Obj(o) = a0
                && let Obj::List(l) = m.heap.get_mut(o)
            {
                *l = items;
            }
            Value::None
        }
        N::ListReverse => {
            if let Value::Obj(o) = a0
                && let Obj::List(l) = m.heap.get_mut(o)
            {
                l.reverse();
            }
            Value::None
        }
        N::ListClear => {
            if let Value::Obj(o) = a0 {
                match m.heap.get_mut(o) {
                    Obj::List(l) => l.clear(),
                    Obj::Dict(d) | Obj::Set(d) => d.clear(),
                    _ => {}
                }
            }
            Value::None
        }
        N::ListCopy => {
            let Value::Obj(o) = a0 else { unreachable!() };
            let c = m.heap.get(o).clone();
            Value::Obj(m.heap.alloc(c))
        }
        // ----- dict -----
        N::DictGet => {
            let k = m.hkey(a1)?;
            let Value::Obj(o) = a0 else { unreachable!() };
            let found = match m.heap.get(o) {
                Obj::Dict(d) => d.get(&k),
                _ => None,
            };
            // `d.get(k, 0) + 1` stored back is a read-modify-write of the item.
            if m.observed() {
                let key = crate::detect::LocKey::Item(o, k);
                m.observe(key, found.unwrap_or(Value::Null), None);
            }
            found.unwrap_or(if args.len() > 2 { args[2] } else { Value::None })
        }
        N::DictKeys | N::DictValues | N::DictItems => {
            let Value::Obj(o) = a0 else { unreachable!() };
            let kind = match id {
                N::DictKeys => crate::object::value::ViewKind::Keys,
                N::DictValues => crate::object::value::ViewKind::Values,
                _ => crate::object::value::ViewKind::Items,
            };
            Value::Obj(m.heap.alloc(Obj::View(kind, o)))
        }
        N::DictPop => {
            let k = m.hkey(a1)?;
            let Value::Obj(o) = a0 else { unreachable!() };
            let removed = match m.heap.get_mut(o) {
                Obj::Dict(d) => d.remove(&k),
                _ => None,
            };
            match removed {
                Some((_, v)) => v,
                None if args.len() > 2 => args[2],
                None => {
                    let e = m.types.exc["KeyError"];
                    return Err(Flow::Raise(m.exc_instance(e, vec![a1])));
                }
            }
        }
        N::DictSetdefault => {
            let k = m.hkey(a1)?;
            let Value::Obj(o) = a0 else { unreachable!() };
            let default = if args.len() > 2 { args[2] } else { Value::None };
            match m.heap.get_mut(o) {
                Obj::Dict(d) => match d.get(&k) {
                    Some(v) => v,
                    None => {
                        d.insert(k, a1, default);
                        default
                    }
                },
                _ => Value::None,
            }
        }
        N::DictUpdate => {
            if args.len() > 1 {
                m.dict_update(a0, a1)?;
            }
            for (k, v) in kwargs {
                let key = m.new_str(k);
                m.setitem(a0, key, v)?;
            }
            Value::None
        }

        // ----- str -----
        N::StrJoin => {
            let sep = str_arg(m, a0).unwrap_or_else(|| Rc::from(""));
            let items = m.iterate_all(a1)?;
            let mut parts = Vec::with_capacity(items.len());
            for (i, x) in items.iter().enumerate() {
                match str_arg(m, *x) {
                    Some(s) => parts.push(s.to_string()),
                    None => {
                        let tn = m.type_name(*x);
                        return Err(m.raise(
                            "TypeError",
                            format!("sequence item {i}: expected str instance, {tn} found"),
                        ));
                    }
                }
            }
            m.new_str(parts.join(&sep))
        }
        N::StrSplit => {
            let s = str_arg(m, a0).unwrap_or_else(|| Rc::from(""));
            let maxsplit = match kw(&kwargs, "maxsplit").or(args.get(2).copied()) {
                Some(v) => to_int(m, v, "split")?,
                None => -1,
            };
            let sep = kw(&kwargs, "sep").unwrap_or(a1);
            let parts: Vec<String> = match str_arg(m, sep) {
                Some(sep) if sep.is_empty() => return Err(m.raise("ValueError", "empty separator")),
                Some(sep) if maxsplit >= 0 => s
                    .splitn(maxsplit as usize + 1, &*sep)
                    .map(str::to_string)
                    .collect(),
                Some(sep) => s.split(&*sep).map(str::to_string).collect(),
                None if maxsplit >= 0 => {
                    let mut out = Vec::new();
                    let mut rest = s.trim_start();
                    while !rest.is_empty() {
                        if out.len() as i64 == maxsplit {
                            out.push(rest.to_string());
                            break;
                        }
                        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
                        out.push(rest[..end].to_string());
                        rest = rest[end..].trim_start();
                    }
                    out
                }
                None => s.split_whitespace().map(str::to_string).collect(),
            };
            let vals: Vec<Value> = parts.into_iter().map(|p| m.new_str(p)).collect();
            Value::Obj(m.heap.alloc(Obj::List(vals)))
        }
        N::StrStrip | N::StrLstrip | N::StrRstrip | N::StrUpper | N::StrLower | N::StrTitle => {
            let s = str_arg(m, a0).unwrap_or_else(|| Rc::from(""));
            let chars: Option<Vec<char>> = str_arg(m, a1).map(|c| c.chars().collect());
            let is_strip = |c: char| {
                chars
                    .as_ref()
                    .map_or(c.is_whitespace(), |cs| cs.contains(&c))
            };
            let out = match id {
                N::StrStrip => s.trim_matches(is_strip).to_string(),
                N::StrLstrip => s.trim_start_matches(is_strip).to_string(),
                N::StrRstrip => s.trim_end_matches(is_strip).to_string(),
                N::StrUpper => s.to_uppercase(),
                N::StrLower => s.to_lowercase(),
                _ => s
                    .split(' ')
                    .map(|w| {
                        let mut c = w.chars();
                        c.next().map_or(String::new(), |f| {
                            f.to_uppercase().collect::<String>() + &c.as_str().to_lowercase()
                        })
                    })
                    .collect::<Vec<_>>()
                    .join(" "),
            };
            m.new_str(out)
        }
        N::StrReplace => {
            let s = str_arg(m, a0).unwrap_or_else(|| Rc::from(""));
            let (Some(old), Some(new)) = (str_arg(m, a1), str_arg(m, arg(&args, 2))) else {
                return Err(m.raise("TypeError", "replace() arguments must be str"));
            };
            let out = match args.get(3) {
                Some(c) => {
                    let c = to_int(m, *c, "replace")?;
                    if c < 0 {
                        s.replace(&*old, &new)
                    } else {
                        s.replacen(&*old, &new, c as usize)
                    }
                }
                None => s.replace(&*old, &new),
            };
            m.new_str(out)
        }
        N::StrStartswith | N::StrEndswith | N::StrFind | N::StrCount => {
            let s = str_arg(m, a0).unwrap_or_else(|| Rc::from(""));
            let Some(p) = str_arg(m, a1) else {
                return Err(m.raise("TypeError", "expected a str"));
            };
            // Optional start/end, in characters, as slice indices.
            let chars: Vec<char> = s.chars().collect();
            let len = chars.len() as i64;
            let norm = |v: i64| if v < 0 { (v + len).max(0) } else { v.min(len) };
            let start = match args.get(2) {
                Some(v) if *v != Value::None => norm(to_int(m, *v, id.name())?),
                _ => 0,
            };
            let end = match args.get(3) {
                Some(v) if *v != Value::None => norm(to_int(m, *v, id.name())?),
                _ => len,
            };
            let window: String = if start <= end {
                chars[start as usize..end as usize].iter().collect()
            } else {
                String::new()
            };
            match id {
                N::StrStartswith => Value::Bool(start <= end && window.starts_with(&*p)),
                N::StrEndswith => Value::Bool(start <= end && window.ends_with(&*p)),
                N::StrFind => Value::Int(if start > end {
                    -1
                } else {
                    window
                        .find(&*p)
                        .map_or(-1, |b| start + window[..b].chars().count() as i64)
                }),
                _ => Value::Int(window.matches(&*p).count() as i64),
            }
        }
        N::StrIsdigit => {
            let s = str_arg(m, a0).unwrap_or_else(|| Rc::from(""));
            Value::Bool(!s.is_empty() && s.chars().all(|c| c.is_ascii_digit()))
        }
        N::StrLjust | N::StrRjust | N::StrCenter => {
            let s = str_arg(m, a0).unwrap_or_else(|| Rc::from(""));
            let w = to_int(m, a1, "width")?.max(0) as usize;
            let fill = str_arg(m, arg(&args, 2))
                .and_then(|f| f.chars().next())
                .unwrap_or(' ');
            let spec = crate::format::Spec {
                fill,
                align: Some(match id {
                    N::StrLjust => '<',
                    N::StrRjust => '>',
                    _ => '^',
                }),
                width: w,
                ..crate::format::Spec::default()
            };
            m.new_str(crate::format::pad(&s, &spec, false))
        }
        N::StrFormat => {
            let s = str_arg(m, a0).unwrap_or_else(|| Rc::from(""));
            let out = str_format(m, &s, &args[1..], &kwargs)?;
            m.new_str(out)
        }
        // ----- set -----
        N::SetAdd => {
            m.set_add(a0, a1)?;
            Value::None
        }
        N::SetRemove | N::SetDiscard => {
            let k = m.hkey(a1)?;
            let Value::Obj(o) = a0 else { unreachable!() };
            let removed = match m.heap.get_mut(o) {
                Obj::Set(d) => d.remove(&k).is_some(),
                _ => false,
            };
            if !removed && id == N::SetRemove {
                let e = m.types.exc["KeyError"];
                return Err(Flow::Raise(m.exc_instance(e, vec![a1])));
            }
            Value::None
        }
        N::SetUpdate => {
            for x in m.iterate_all(a1)? {
                m.set_add(a0, x)?;
            }
            Value::None
        }
        // ----- locks -----
        N::ThreadAllocateLock | N::ThreadRLock => {
            let st = LockState {
                reentrant: id == N::ThreadRLock,
                ..LockState::default()
            };
            Value::Obj(m.heap.alloc(Obj::Lock(st)))
        }
        N::LockAcquire | N::LockEnter => {
            let Some(lock) = lock_of(m, a0) else {
                return Err(m.raise("TypeError", "not a lock"));
            };
            let blocking = match (id, kw(&kwargs, "blocking").or(args.get(1).copied())) {
                (N::LockAcquire, Some(v)) => m.truthy(v)?,
                _ => true,
            };
            let timeout = match (id, kw(&kwargs, "timeout").or(args.get(2).copied())) {
                (N::LockAcquire, Some(v)) if v != Value::None => {
                    let t = to_float(m, v)?;
                    if t < 0.0 {
                        None
                    } else {
                        Some((t * 1e9) as u64)
                    }
                }
                _ => None,
            };
            if blocking && m.profile.uncontended_acquire_releases_gil() {
                // 2.7 releases the GIL around every blocking acquire, taken or not: the OS
                // may hand it to another thread right after (the policy sees the release).
                m.gil_released = true;
            }
            return acquire(m, lock, blocking, timeout, id == N::LockEnter);
        }
        N::LockRelease | N::LockExit => {
            let Some(lock) = lock_of(m, a0) else {
                return Err(m.raise("TypeError", "not a lock"));
            };
            let me = m.current;
            let site = m.site_prev();
            let (ok, now_free, reentrant) = match m.heap.get_mut(lock) {
                Obj::Lock(l) => {
                    if l.owner.is_none() || (l.reentrant && l.owner != Some(me)) {
                        (false, false, l.reentrant)
                    } else {
                        l.count = l.count.saturating_sub(1);
                        if l.count == 0 {
                            l.owner = None;
                        }
                        (true, l.count == 0, l.reentrant)
                    }
                }
                _ => (false, false, false),
            };
            if !ok {
                let msg = if reentrant {
                    "cannot release un-acquired lock"
                } else {
                    "release unlocked lock"
                };
                return Err(m.raise("RuntimeError", msg));
            }
            if now_free {
                if let Some(d) = m.detect.as_mut() {
                    d.release(site.thread, lock);
                }
                m.wake_lock_waiters(lock);
            }
            if id == N::LockExit {
                Value::Bool(false)
            } else {
                Value::None
            }
        }
        N::LockLocked => {
            let Some(lock) = lock_of(m, a0) else {
                return Err(m.raise("TypeError", "not a lock"));
            };
            Value::Bool(matches!(m.heap.get(lock), Obj::Lock(l) if l.owner.is_some()))
        }
        // ----- _thread -----
        N::ThreadNewIdent => {
            let id = m.threads.len() as u32;
            m.threads.push(VThread {
                id,
                name: Rc::from(format!("Thread-{id}").as_str()),
                frames: Vec::new(),
                state: ThreadState::Done,
                exc_info: Value::None,
                resume: None,
                ready_since: 0,
                obj: a0,
                wake_value: None,
                timeout_at: None,
                daemon: false,
                started: false,
            });
            Value::Int(i64::from(id))
        }
        N::ThreadDefaultName => {
            let n = m.next_thread_name;
            m.next_thread_name += 1;
            // 3.10+ add the target's name: `Thread-1 (worker)`.
            // CPython reads `target.__name__`: a function's, or a bound method's function's.
            let target = match a1 {
                Value::Obj(o) if m.profile.at_least(3, 10) => match m.heap.get(o) {
                    Obj::Function(f) => Some(f.name.clone()),
                    Obj::Method {
                        func: Value::Obj(f),
                        ..
                    } => match m.heap.get(*f) {
                        Obj::Function(f) => Some(f.name.clone()),
                        _ => None,
                    },
                    _ => None,
                },
                _ => None,
            };
            match target {
                Some(t) => m.new_str(format!("Thread-{n} ({t})")),
                None => m.new_str(format!("Thread-{n}")),
            }
        }
        N::ThreadStart => {
            let tid = to_int(m, a0, "start")?;
            let valid = usize::try_from(tid)
                .is_ok_and(|t| t < m.threads.len() && t > 0 && !m.threads[t].started);
            let callable = matches!(a1, Value::Obj(o) if matches!(m.heap.get(o), Obj::Method { func: Value::Obj(f), .. } if matches!(m.heap.get(*f), Obj::Function(_))));
            if !valid || !callable {
                return Err(m.raise(
                    "RuntimeError",
                    "threads can only be started once, from threading.Thread",
                ));
            }
            let tid = tid as u32;
            let func = a1;
            let name = m.str_of(arg(&args, 2));
            let daemon = m.truthy(arg(&args, 3))?;
            let Value::Obj(fo) = func else { unreachable!() };
            let (recv, f) = match m.heap.get(fo) {
                Obj::Method { receiver, func } => (*receiver, *func),
                _ => (Value::Null, func),
            };
            let Value::Obj(fobj) = f else { unreachable!() };
            let cur = m.current;
            m.current = tid;
            let frame = m.function_frame(
                fobj,
                if recv == Value::Null {
                    Vec::new()
                } else {
                    vec![recv]
                },
                Vec::new(),
                OnReturn::ThreadExit,
            );
            m.current = cur;
            let frame = frame?;
            let now = m.now;
            let th = &mut m.threads[tid as usize];
            th.frames = vec![frame];
            th.state = ThreadState::Runnable;
            m.others_valid_for = None;
            let th = &mut m.threads[tid as usize];
            th.name = Rc::from(name.as_str());
            th.daemon = daemon;
            th.started = true;
            th.ready_since = now;
            let site = m.site_prev();
            if let Some(d) = m.detect.as_mut() {
                d.start(site.thread, tid);
            }
            // Thread.start() waits, with the GIL released, until the new thread has run.
            return Err(Flow::Block(Wait::Started { thread: tid }));
        }
        N::ThreadJoin => {
            let tid = to_int(m, a0, "join")? as u32;
            if tid == m.current {
                return Err(m.raise("RuntimeError", "cannot join current thread"));
            }
            // A thread between `Thread.start`'s `_started = True` and its `_thread.start`
            // is not done: it has not begun (CPython's joiner waits for it there too).
            let done = m
                .threads
                .get(tid as usize)
                .is_none_or(|t| t.started && t.state == ThreadState::Done);
            if done {
                let site = m.site_prev();
                if let Some(d) = m.detect.as_mut() {
                    d.join(site.thread, tid);
                }
                Value::None
            } else {
                let deadline = match a1 {
                    Value::Null | Value::None => None,
                    t => Some(m.now + (to_float(m, t)?.max(0.0) * 1e9) as u64),
                };
                return Err(Flow::Block(Wait::Join {
                    thread: tid,
                    deadline,
                }));
            }
        }
        N::ThreadExcepthook if m.traceback_unseen(a1) => Value::None,
        N::ThreadExcepthook => {
            let name = m.str_of(a0);
            let mut text = m.profile.thread_exception_header(&name);
            text.push('\n');
            text.push_str(&m.format_traceback(a1));
            // 2.7's Thread.__bootstrap_inner writes "%s\n" % format_exc(): a blank line after.
            if m.profile.version == gilsim_compiler::profile::Version::Py27 {
                text.push('\n');
            }
            m.stderr.extend_from_slice(text.as_bytes());
            Value::None
        }
        N::ThreadIsAlive => {
            let tid = to_int(m, a0, "is_alive")? as u32;
            let alive = m
                .threads
                .get(tid as usize)
                .is_some_and(|t| t.started && t.state != ThreadState::Done);
            let done = m
                .threads
                .get(tid as usize)
                .is_some_and(|t| t.state == ThreadState::Done);
            // Seeing a thread finished orders everything it did before, as join() does.
            if done {
                let me = m.current;
                if let Some(d) = m.detect.as_mut() {
                    d.join(me, tid);
                }
            }
            Value::Bool(alive)
        }
        N::ThreadCurrent => {
            let cur = m.current as usize;
            let obj = m.threads[cur].obj;
            if obj == Value::None {
                return Err(m.unsupported("threading.current_thread() in the main thread (not simulated yet); use threading.get_ident()"));
            }
            obj
        }
        N::ThreadGetIdent => Value::Int(i64::from(m.current)),
        N::ThreadRegisterMain => {
            m.threads[0].obj = a0;
            Value::None
        }
        N::ThreadIsOwned => {
            let Some(lock) = lock_of(m, a0) else {
                return Err(m.raise("TypeError", "not a lock"));
            };
            let me = m.current;
            Value::Bool(match m.heap.get(lock) {
                Obj::Lock(l) if l.reentrant => l.owner == Some(me),
                Obj::Lock(l) => l.owner.is_some(),
                _ => false,
            })
        }
        N::ThreadReleaseSave => {
            // Condition.wait: release the lock completely, remembering an RLock's depth.
            let Some(lock) = lock_of(m, a0) else {
                return Err(m.raise("TypeError", "not a lock"));
            };
            let site = m.site_prev();
            let count = match m.heap.get_mut(lock) {
                Obj::Lock(l) => {
                    let c = l.count;
                    l.owner = None;
                    l.count = 0;
                    c
                }
                _ => 0,
            };
            if let Some(d) = m.detect.as_mut() {
                d.release(site.thread, lock);
            }
            m.wake_lock_waiters(lock);
            Value::Int(i64::from(count))
        }
        N::ThreadAcquireRestore => {
            let Some(lock) = lock_of(m, a0) else {
                return Err(m.raise("TypeError", "not a lock"));
            };
            let count = to_int(m, a1, "acquire_restore")?.max(1) as u32;
            acquire(m, lock, true, None, false)?;
            if let Obj::Lock(l) = m.heap.get_mut(lock) {
                l.count = count;
            }
            Value::None
        }
        N::ThreadActiveCount => Value::Int(
            m.threads
                .iter()
                .filter(|t| t.started && t.state != ThreadState::Done)
                .count() as i64,
        ),
        // ----- time -----
        N::TimeSleep => {
            let secs = to_float(m, a0)?;
            if secs < 0.0 {
                return Err(m.raise("ValueError", "sleep length must be non-negative"));
            }
            let ns = (secs * 1e9) as u64;
            if ns == 0 {
                return Err(Flow::Yield(crate::policy::GiveUp::Sleep));
            }
            return Err(Flow::Block(Wait::Sleep { until: m.now + ns }));
        }
        N::TimeTime => Value::Float(1_700_000_000.0 + m.now as f64 / 1e9),
        N::TimePerfCounter | N::TimeMonotonic => Value::Float(m.now as f64 / 1e9),
        // ----- sys -----
        N::SysSetSwitchInterval => {
            let s = to_float(m, a0)?;
            if s <= 0.0 {
                return Err(m.raise("ValueError", "switch interval must be strictly positive"));
            }
            m.switch_interval_ns = ((s * 1e9) as u64).max(1);
            m.quiet = None;
            Value::None
        }
        N::SysGetSwitchInterval => Value::Float(m.switch_interval_ns as f64 / 1e9),
        N::SysSetCheckInterval => {
            // 2.7: a value below 1 means a check after every ticking opcode.
            let n = to_int(m, a0, "setcheckinterval")?;
            m.check_interval = u64::try_from(n).unwrap_or(1).max(1);
            m.quiet = None;
            Value::None
        }
        N::SysGetCheckInterval => Value::Int(if m.check_interval == 0 {
            100
        } else {
            m.check_interval as i64
        }),
        N::SysExit => {
            let cls = m.types.exc["SystemExit"];
            let a = if args.is_empty() {
                Vec::new()
            } else {
                vec![a0]
            };
            return Err(Flow::Raise(m.exc_instance(cls, a)));
        }
        // ----- random -----
        N::RandomRandom => Value::Float(m.streams.program.r#gen::<f64>()),
        N::RandomUniform => {
            let (a, b) = (to_float(m, a0)?, to_float(m, a1)?);
            let u = m.streams.program.r#gen::<f64>();
            Value::Float(a + (b - a) * u)
        }
        N::RandomRandint => {
            let (a, b) = (to_int(m, a0, "randint")?, to_int(m, a1, "randint")?);
            if b < a {
                return Err(m.raise(
                    "ValueError",
                    format!(
                        "empty range for randrange() ({a}, {}, {})",
                        b + 1,
                        b + 1 - a
                    ),
                ));
            }
            Value::Int(m.streams.program.gen_range(a..=b))
        }
        N::RandomChoice => {
            let items = m.iterate_all(a0)?;
            if items.is_empty() {
                return Err(m.raise("IndexError", "Cannot choose from an empty sequence"));
            }
            items[m.streams.program.gen_range(0..items.len())]
        }
        N::RandomShuffle => {
            if let Value::Obj(o) = a0 {
                let mut items = m.iterate_all(a0)?;
                for i in (1..items.len()).rev() {
                    let j = m.streams.program.gen_range(0..=i);
                    items.swap(i, j);
                }
                if let Obj::List(l) = m.heap.get_mut(o) {
                    *l = items;
                }
            }
            Value::None
        }
        N::RandomSeed => {
            // The program asks for its own reproducible sequence: derive the stream from its
            // seed (not CPython's Mersenne Twister numbers, but the same ones on every run).
            let key = match a0 {
                Value::Null | Value::None => return Ok(Some(Value::None)),
                v => m.repr_of(v),
            };
            let h = crate::record::source_hash(&key);
            let seed = u64::from_str_radix(&h, 16).unwrap_or(0);
            let mut r = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(seed);
            r.set_stream(2);
            m.streams.program = r;
            Value::None
        }
        // ----- simulated I/O -----
        N::PropertySetter => {
            // `@p.setter`: a new property with p's getter and this setter.
            let fget = match a0 {
                Value::Obj(o) => match m.heap.get(o) {
                    Obj::Property { fget, .. } => *fget,
                    _ => Value::None,
                },
                _ => Value::None,
            };
            Value::Obj(m.heap.alloc(Obj::Property { fget, fset: a1 }))
        }
        N::GeneratorReturned => match a0 {
            Value::Obj(o) => match m.heap.get(o) {
                Obj::Generator(g) => g.returned,
                _ => Value::None,
            },
            _ => Value::None,
        },
        N::Refuse => {
            // A bundled module met something it does not simulate: a located refusal.
            let msg = m.str_of(a0);
            return Err(m.unsupported(msg));
        }
        N::HttpGet => {
            // Latency 20-200 ms and status (mostly 200) from the I/O stream; the GIL is released.
            let latency_ms = m.streams.io.gen_range(20..=200);
            let status = if m.streams.io.gen_bool(0.9) { 200 } else { 503 };
            let elapsed = Value::Float(f64::from(latency_ms) / 1000.0);
            let t = m
                .heap
                .alloc(Obj::Tuple(vec![Value::Int(status), elapsed].into()));
            let until = m.now + u64::from(latency_ms as u32) * 1_000_000;
            m.th().wake_value = Some(Value::Obj(t));
            return Err(Flow::Block(Wait::Io { until }));
        }
    };
    Ok(Some(v))
}

/// `lock.acquire()`: succeeds, fails, or blocks the thread.
fn acquire(
    m: &mut Machine,
    lock: ObjId,
    blocking: bool,
    timeout: Option<u64>,
    _enter: bool,
) -> Res<Option<Value>> {
    let me = m.current;
    let site = m.site_prev();
    let here = m.user_tb_prev();
    let got = match m.heap.get_mut(lock) {
        Obj::Lock(l) => match l.owner {
            None => {
                l.owner = Some(me);
                l.count = 1;
                l.acquired_at = Some(here);
                true
            }
            Some(o) if o == me && l.reentrant => {
                l.count += 1;
                true
            }
            _ => false,
        },
        _ => false,
    };
    if got {
        m.th().timeout_at = None;
        if let Some(d) = m.detect.as_mut() {
            d.acquire(site.thread, lock);
        }
        return Ok(Some(Value::Bool(true)));
    }
    if !blocking {
        return Ok(Some(Value::Bool(false)));
    }
    // A waiter woken by a release retries; its deadline stays the one it started with.
    let now = m.now;
    let deadline = timeout.map(|t| *m.th().timeout_at.get_or_insert(now + t));
    Err(Flow::Block(Wait::Lock { lock, deadline }))
}

/// `print`, `str`, `repr`, `len`, `iter` and `next` of an instance whose class defines the
/// method in Python: the method runs as a frame whose result is pushed (`Some(None)`), or, for
/// `print`, a bundled helper formats each argument with `str()` first. `None`: not such a call.
fn user_dunder_call(
    m: &mut Machine,
    id: NativeId,
    args: &[Value],
    kwargs: &[(String, Value)],
) -> Res<Option<Option<Value>>> {
    use NativeId as N;
    let a0 = arg(args, 0);
    match id {
        N::Print if args.iter().any(|a| m.str_method(*a, false).is_some()) => {
            let Some(h) = m.helper("_print") else {
                return Ok(None);
            };
            let t = Value::Obj(m.heap.alloc(Obj::Tuple(args.to_vec().into())));
            let sep = kw(kwargs, "sep").unwrap_or(Value::None);
            let end = kw(kwargs, "end").unwrap_or(Value::None);
            let file = kw(kwargs, "file").unwrap_or(Value::None);
            m.call_native_or_frame(h, vec![t, sep, end, file], Vec::new(), OnReturn::Push)
                .map(Some)
        }
        N::Repr if args.len() == 1 => m.call_str_method(a0, true),
        N::Hash if args.len() == 1 => m.call_hash_method(a0),
        N::Len if args.len() == 1 => m.call_len_method(a0),
        N::Iter | N::Next if args.len() == 1 => {
            let name = if id == N::Iter {
                "__iter__"
            } else {
                "__next__"
            };
            match m.user_dunder(a0, name) {
                Some(f) => m
                    .call_native_or_frame(f, vec![a0], Vec::new(), OnReturn::Push)
                    .map(Some),
                None => Ok(None),
            }
        }
        _ => Ok(None),
    }
}

/// `sorted`, `list.sort`, `min` and `max` with a `key=` function, through the bundled Python
/// helpers: the key function runs as machine frames, switchable as in CPython.
fn call_with_key(
    m: &mut Machine,
    id: NativeId,
    args: Vec<Value>,
    kwargs: &[(String, Value)],
    key: Value,
    on_return: OnReturn,
) -> Res<Option<Value>> {
    use NativeId as N;
    let allowed: &[&str] = match id {
        N::Sorted | N::ListSort => &["key", "reverse"],
        _ => &["key", "default"],
    };
    if let Some((bad, _)) = kwargs.iter().find(|(k, _)| !allowed.contains(&k.as_str())) {
        let what = id.name();
        return Err(m.raise(
            "TypeError",
            format!("'{bad}' is an invalid keyword argument for {what}()"),
        ));
    }
    let reverse = kw(kwargs, "reverse").unwrap_or(Value::Bool(false));
    let (name, hargs) = match id {
        N::Sorted | N::ListSort => {
            if args.len() != 1 {
                let what = if id == N::Sorted { "sorted" } else { "sort" };
                return Err(m.arity(what, "1 positional argument", args.len()));
            }
            let name = if id == N::Sorted {
                "_keyed"
            } else {
                "_sort_key"
            };
            (name, vec![args[0], key, reverse])
        }
        _ => {
            let iterable = match args.len() {
                0 => return Err(m.arity(id.name(), "at least 1 argument", 0)),
                1 => args[0],
                _ => Value::Obj(m.heap.alloc(Obj::Tuple(args.clone().into()))),
            };
            let default = kw(kwargs, "default");
            if default.is_some() && args.len() > 1 {
                let what = id.name();
                return Err(m.raise(
                    "TypeError",
                    format!(
                        "Cannot specify a default for {what}() with multiple positional arguments"
                    ),
                ));
            }
            let name = if id == N::Min { "_min_key" } else { "_max_key" };
            (
                name,
                vec![
                    iterable,
                    key,
                    default.unwrap_or(Value::None),
                    Value::Bool(default.is_some()),
                ],
            )
        }
    };
    match m.helper(name) {
        Some(h) => m.call_native_or_frame(h, hargs, Vec::new(), on_return),
        None => Err(m.unsupported(format!("{}() with key=", id.name()))),
    }
}

/// The items of `iterable` sorted as `sorted()` and `list.sort()` sort them (`reverse=`; a
/// `key=` function goes through [`call_with_key`]).
fn sorted_items(m: &mut Machine, iterable: Value, kwargs: &[(String, Value)]) -> Res<Vec<Value>> {
    let mut items = m.iterate_all(iterable)?;
    let reverse = match kw(kwargs, "reverse") {
        Some(v) => m.truthy(v)?,
        None => false,
    };
    sort_values(m, &mut items, reverse)?;
    Ok(items)
}

/// A stable sort through the machine's comparisons; `reverse` keeps equal items in order,
/// as CPython's does (reverse, sort, reverse). The first comparison error is raised.
fn sort_values(m: &mut Machine, items: &mut [Value], reverse: bool) -> Res<()> {
    if reverse {
        items.reverse();
    }
    let mut error = None;
    items.sort_by(|a, b| {
        if error.is_some() {
            return std::cmp::Ordering::Equal;
        }
        match m.cmp(*a, *b, "<") {
            Ok(o) => o,
            Err(e) => {
                error = Some(e);
                std::cmp::Ordering::Equal
            }
        }
    });
    if let Some(e) = error {
        return Err(e);
    }
    if reverse {
        items.reverse();
    }
    Ok(())
}

/// A format spec with nested fields (`{0:>{1}}`): each `{…}` replaced by its value's str.
fn str_format_nested(
    m: &mut Machine,
    spec: &str,
    args: &[Value],
    kwargs: &[(String, Value)],
    auto: &mut usize,
) -> Res<String> {
    let mut out = String::new();
    let mut chars = spec.chars();
    while let Some(c) = chars.next() {
        if c != '{' {
            out.push(c);
            continue;
        }
        let name: String = chars.by_ref().take_while(|&c| c != '}').collect();
        let v = if name.is_empty() {
            *auto += 1;
            args.get(*auto - 1).copied()
        } else if let Ok(i) = name.parse::<usize>() {
            args.get(i).copied()
        } else {
            kw(kwargs, &name)
        };
        let Some(v) = v else {
            return Err(m.raise(
                "IndexError",
                "Replacement index out of range for positional args tuple",
            ));
        };
        out.push_str(&m.str_of(v));
    }
    Ok(out)
}

fn str_format(
    m: &mut Machine,
    fmt: &str,
    args: &[Value],
    kwargs: &[(String, Value)],
) -> Res<String> {
    let mut out = String::new();
    let mut auto = 0;
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '{' => {
                // The field runs to its matching brace: a spec may hold nested fields.
                let mut field = String::new();
                let mut depth = 0;
                for n in chars.by_ref() {
                    match n {
                        '{' => depth += 1,
                        '}' if depth == 0 => break,
                        '}' => depth -= 1,
                        _ => {}
                    }
                    field.push(n);
                }
                let (name, spec) = field.split_once(':').unwrap_or((&field, ""));
                let spec = if spec.contains('{') {
                    str_format_nested(m, spec, args, kwargs, &mut auto)?
                } else {
                    spec.to_string()
                };
                let spec = spec.as_str();
                let (name, conv) = name
                    .split_once('!')
                    .map_or((name, None), |(a, b)| (a, Some(b)));
                let v = if name.is_empty() {
                    auto += 1;
                    args.get(auto - 1).copied()
                } else if let Ok(i) = name.parse::<usize>() {
                    args.get(i).copied()
                } else {
                    kw(kwargs, name)
                };
                let Some(v) = v else {
                    return Err(m.raise(
                        "IndexError",
                        format!(
                            "Replacement index {} out of range for positional args tuple",
                            auto.saturating_sub(1)
                        ),
                    ));
                };
                let v = match conv {
                    Some("r") => {
                        let r = m.repr_of(v);
                        m.new_str(r)
                    }
                    Some("a") => {
                        let r = crate::ops::ascii_escape(&m.repr_of(v));
                        m.new_str(r)
                    }
                    Some("s") => {
                        let r = m.str_of(v);
                        m.new_str(r)
                    }
                    _ => v,
                };
                out.push_str(&m.format_with_spec(v, spec)?);
            }
            c => out.push(c),
        }
    }
    Ok(out)
}
