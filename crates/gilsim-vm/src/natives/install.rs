//! Booting the objects every program starts with: the builtin classes, the exception
//! hierarchy, the `builtins` module and the native modules, each filled from the natives table.

use super::*;

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

/// Puts the natives whose home is `place` (`builtins` or a module's name) into `module` under
/// their Python names, in table order.
fn install_natives(m: &mut Machine, module: ObjId, place: &str) {
    for (row, d) in TABLE.iter().enumerate() {
        let here = match d.home {
            Home::Builtins => place == "builtins",
            Home::Module(name) => name == place,
            Home::ModuleIf(name, when) => name == place && when(&m.profile),
            Home::Methods(_) | Home::Internal => false,
        };
        if here {
            let id = NativeId(row as u16);
            let v = m.native(id, None);
            set(m, module, id.name(), v);
        }
    }
}

/// Creates the builtin classes, the `builtins` module and the native modules.
pub(crate) fn install(m: &mut Machine) {
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
    install_natives(m, builtins, "builtins");
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
    let thread = m.new_module("_gilsim_thread");
    install_natives(m, thread, "_gilsim_thread");
    let time = m.new_module("time");
    install_natives(m, time, "time");
    let sys = m.new_module("sys");
    // 2.7 counts ticks (sys.setcheckinterval); 3.2+ time a switch interval, and 3.9 removed
    // setcheckinterval.
    install_natives(m, sys, "sys");
    let (major, minor, micro) = m.profile.version_info();
    let vs = m.new_str(format!("{major}.{minor}.{micro} (gilsim)"));
    set(m, sys, "version", vs);
    let items: Vec<Value> = [major, minor, micro]
        .iter()
        .map(|&v| Value::Int(i64::from(v)))
        .collect();
    let vi = Value::Obj(m.heap.alloc(Obj::Tuple(items.into())));
    set(m, sys, "version_info", vi);
    // sys.stdout and sys.stderr: objects with write() and flush(), and what
    // print(..., file=...) compares to choose the stream.
    let object = m.types.by_tag[&T::Object];
    let stream_class = class_obj(m, "TextIOWrapper", vec![object], T::Object);
    let module_name = m.new_str("_io");
    if let Obj::Class(c) = m.heap.get_mut(stream_class) {
        c.dict
            .insert(HKey::Str(Rc::from("__module__")), module_name, module_name);
    }
    for (attr, name) in [("stdout", "<stdout>"), ("stderr", "<stderr>")] {
        let stream = m
            .heap
            .alloc(Obj::Instance(Box::new(crate::object::value::Instance {
                class: stream_class,
                dict: Dict::new(),
                traceback: Vec::new(),
                payload: None,
            })));
        let v = Value::Obj(stream);
        let text = m.new_str(name);
        let encoding = m.new_str("utf-8");
        let write = m.native(NativeId::StreamWrite, Some(v));
        let flush = m.native(NativeId::StreamFlush, Some(v));
        for (k, x) in [
            ("name", text),
            ("encoding", encoding),
            ("write", write),
            ("flush", flush),
        ] {
            let key = m.intern(k);
            if let Obj::Instance(i) = m.heap.get_mut(stream) {
                i.dict.insert(HKey::Str(Rc::from(k)), key, x);
            }
        }
        set(m, sys, attr, v);
    }
    let os = m.new_module("os");
    install_natives(m, os, "os");
    for (name, text) in [("name", "posix"), ("sep", "/"), ("linesep", "\n")] {
        let v = m.new_str(text);
        set(m, os, name, v);
    }
    // The simulated environment is empty: a scenario never reads the host's.
    let environ = Value::Obj(m.heap.alloc(Obj::Dict(Dict::new())));
    set(m, os, "environ", environ);
    let math = m.new_module("math");
    install_natives(m, math, "math");
    for (name, v) in [
        ("pi", std::f64::consts::PI),
        ("e", std::f64::consts::E),
        ("tau", std::f64::consts::TAU),
        ("inf", f64::INFINITY),
        ("nan", f64::NAN),
    ] {
        set(m, math, name, Value::Float(v));
    }
    let random = m.new_module("random");
    install_natives(m, random, "random");
    let io = m.new_module("_gilsim_io");
    install_natives(m, io, "_gilsim_io");
}
