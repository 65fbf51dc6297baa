//! Calls, attribute access and imports: the parts of the object model that may push frames.

use crate::interp::ops::Attr;
use crate::machine::{Flow, Machine, Res};
use crate::object::dict::{Dict, HKey};
use crate::object::frame::OnReturn;
use crate::object::native::NativeId;
use crate::object::value::{Generator, Instance, Obj, ObjId, TypeTag, Value};
use std::rc::Rc;

impl Machine {
    /// A call made by a CALL_* instruction: on completion the callable and arguments (`drop`
    /// values) leave the stack and the result is pushed; a Python callee gets a frame.
    pub(crate) fn call_from_stack(
        &mut self,
        func: Value,
        args: Vec<Value>,
        kwargs: Vec<(String, Value)>,
        drop: usize,
    ) -> Res<()> {
        if let Some(v) = self.th().resume.take() {
            let s = &mut self.fr().stack;
            s.truncate(s.len() - drop);
            s.push(v);
            return Ok(());
        }
        match self.call_native_or_frame(func, args, kwargs, OnReturn::Push)? {
            Some(v) => {
                let s = &mut self.fr().stack;
                s.truncate(s.len() - drop);
                s.push(v);
            }
            None => {
                let t = self.current as usize;
                let n = self.threads[t].frames.len();
                let caller = &mut self.threads[t].frames[n - 2];
                let len = caller.stack.len();
                caller.stack.truncate(len - drop);
            }
        }
        Ok(())
    }

    /// Calls a value whose result is pushed on the running frame's stack when it is ready.
    pub(crate) fn call_value(
        &mut self,
        func: Value,
        args: Vec<Value>,
        kwargs: Vec<(String, Value)>,
        on_return: OnReturn,
    ) -> Res<()> {
        if let Some(v) = self.call_native_or_frame(func, args, kwargs, on_return)? {
            self.fr().stack.push(v);
        }
        Ok(())
    }

    /// Calls `func`: natives complete now (`Some(result)`), Python functions push a frame whose
    /// return value is handled by `on_return` (`None`).
    pub(crate) fn call_native_or_frame(
        &mut self,
        func: Value,
        mut args: Vec<Value>,
        kwargs: Vec<(String, Value)>,
        on_return: OnReturn,
    ) -> Res<Option<Value>> {
        let Value::Obj(o) = func else {
            let tn = self.type_name(func);
            return Err(self.raise("TypeError", format!("'{tn}' object is not callable")));
        };
        match self.heap.get(o) {
            Obj::Function(f) => {
                let is_gen = self.units[f.unit as usize].codes[f.code as usize].obj.kind
                    == gilsim_compiler::CodeKind::Generator;
                let name = f.name.clone();
                let frame = self.function_frame(o, args, kwargs, on_return)?;
                if is_gen {
                    let g = self.heap.alloc(Obj::Generator(Box::new(Generator {
                        frame: Some(Box::new(frame)),
                        running: false,
                        name,
                        exc_state: Value::None,
                        outer_exc: Value::None,
                        returned: Value::None,
                    })));
                    return Ok(Some(Value::Obj(g)));
                }
                self.push_frame(frame)?;
                Ok(None)
            }
            Obj::Method { receiver, func } => {
                let (r, f) = (*receiver, *func);
                args.insert(0, r);
                self.call_native_or_frame(f, args, kwargs, on_return)
            }
            Obj::Native(n) => {
                let n = *n;
                if let Some(r) = n.receiver {
                    args.insert(0, r);
                }
                crate::natives::call_native(
                    self,
                    n.id,
                    n.receiver.is_some(),
                    args,
                    kwargs,
                    on_return,
                )
            }
            Obj::Class(c) => {
                let builtin = c.builtin;
                let base_exc = self.types.exc["BaseException"];
                let is_exc = self.is_subclass(o, base_exc);
                let init = self.class_lookup(o, &HKey::Str(Rc::from("__init__")));
                let py_init = init.filter(|v| self.is_python_function(*v));
                if is_exc {
                    // BaseException.__new__ keeps the constructor's arguments as `args`.
                    let inst = self.exc_instance(o, args.clone());
                    if let Some(init) = py_init {
                        args.insert(0, inst);
                        let Value::Obj(fo) = init else { unreachable!() };
                        let frame = self.function_frame(fo, args, kwargs, OnReturn::Init(inst))?;
                        self.push_frame(frame)?;
                        return Ok(None);
                    }
                    return Ok(Some(inst));
                }
                if builtin != TypeTag::Object && py_init.is_none() {
                    if builtin == TypeTag::Str
                        && args.len() == 1
                        && kwargs.is_empty()
                        && matches!(on_return, OnReturn::Push)
                        && let Some(r) = self.call_str_method(args[0], false)?
                    {
                        return Ok(r);
                    }
                    if builtin == TypeTag::Bool
                        && args.len() == 1
                        && kwargs.is_empty()
                        && matches!(on_return, OnReturn::Push)
                        && let Some(r) = self.call_bool_method(args[0])?
                    {
                        return Ok(r);
                    }
                    if args.len() == 1
                        && kwargs.is_empty()
                        && self.iterates_in_python(args[0])
                        && let Some(r) = crate::natives::construct_builtin_from_generator(
                            self, builtin, args[0], on_return,
                        )
                    {
                        return r;
                    }
                    let exact = self.type_obj(builtin) == o;
                    let v = crate::natives::construct_builtin(self, o, builtin, args, kwargs)?;
                    // A subclass without `__init__` (`class Pair(tuple)`) keeps its class
                    // around the builtin value it was made from.
                    return Ok(match v {
                        Some(p)
                            if !exact
                                && !matches!(p, Value::Obj(i) if matches!(self.heap.get(i), Obj::Instance(_))) =>
                        {
                            Some(Value::Obj(self.heap.alloc(Obj::Instance(Box::new(
                                Instance {
                                    class: o,
                                    dict: Dict::new(),
                                    traceback: Vec::new(),
                                    payload: Some(p),
                                },
                            )))))
                        }
                        v => v,
                    });
                }
                let payload = if builtin == TypeTag::Object {
                    None
                } else {
                    crate::natives::construct_builtin(
                        self,
                        self.type_obj(builtin),
                        builtin,
                        Vec::new(),
                        Vec::new(),
                    )?
                };
                let inst = Value::Obj(self.heap.alloc(Obj::Instance(Box::new(Instance {
                    class: o,
                    dict: Dict::new(),
                    traceback: Vec::new(),
                    payload,
                }))));
                match py_init {
                    Some(Value::Obj(fo)) => {
                        args.insert(0, inst);
                        let frame = self.function_frame(fo, args, kwargs, OnReturn::Init(inst))?;
                        self.push_frame(frame)?;
                        Ok(None)
                    }
                    _ => {
                        if !args.is_empty() || !kwargs.is_empty() {
                            let name = self.class_name(o);
                            return Err(
                                self.raise("TypeError", format!("{name}() takes no arguments"))
                            );
                        }
                        Ok(Some(inst))
                    }
                }
            }
            Obj::Instance(i) => {
                let cls = i.class;
                match self.class_lookup(cls, &HKey::Str(Rc::from("__call__"))) {
                    Some(f) => {
                        args.insert(0, func);
                        self.call_native_or_frame(f, args, kwargs, on_return)
                    }
                    None => {
                        let tn = self.type_name(func);
                        Err(self.raise("TypeError", format!("'{tn}' object is not callable")))
                    }
                }
            }
            Obj::Wrapper(TypeTag::StaticMethod, f) => {
                let f = *f;
                self.call_native_or_frame(f, args, kwargs, on_return)
            }
            _ => {
                let tn = self.type_name(func);
                Err(self.raise("TypeError", format!("'{tn}' object is not callable")))
            }
        }
    }

    pub(crate) fn attr_name(&self, name: Value) -> Rc<str> {
        match name {
            Value::Obj(o) => match self.heap.get(o) {
                Obj::Str(s) => s.clone(),
                _ => Rc::from("?"),
            },
            _ => Rc::from("?"),
        }
    }

    /// `getattr(o, name)`.
    pub(crate) fn getattr(&mut self, o: Value, name: Value) -> Res<Attr> {
        let n = self.attr_name(name);
        let key = HKey::Str(n.clone());
        if let Value::Obj(id) = o {
            match self.heap.get(id) {
                Obj::Instance(inst) => {
                    let cls = inst.class;
                    let mut own = inst.dict.get(&key);
                    let payload = inst.payload;
                    // A `threading.local`: the running thread's own attributes (its own
                    // dict holds none by name, so an attribute found there is never one).
                    let local = match self.local_class {
                        Some(_) if own.is_none() => self.local_dict(id, cls)?,
                        _ => None,
                    };
                    if let Some(d) = local {
                        own = match self.heap.get(d) {
                            Obj::Dict(dd) => dd.get(&key),
                            _ => None,
                        };
                    }
                    let from_class = self.class_lookup(cls, &key);
                    if let Some(Value::Obj(p)) = from_class
                        && let Obj::Property { fget, .. } = self.heap.get(p)
                    {
                        return Ok(Attr::Call(*fget, vec![o]));
                    }
                    if let Some(v) = own {
                        if self.observed() && local.is_none() {
                            self.observe(crate::detect::LocKey::Attr(id, n.clone()), v, None);
                        }
                        return Ok(Attr::Value(v));
                    }
                    if let Some(v) = from_class {
                        return Ok(Attr::Value(self.bind(v, o, cls)));
                    }
                    if &*n == "__class__" {
                        return Ok(Attr::Value(Value::Obj(cls)));
                    }
                    if &*n == "__dict__" {
                        return Err(self.unsupported("reading `__dict__`"));
                    }
                    if let Some(p) = payload
                        && let Some(id) = crate::natives::builtin_method(self, p, &n)
                    {
                        return Ok(Attr::Value(self.native(id, Some(p))));
                    }
                }
                Obj::Class(c) => {
                    match &*n {
                        "__name__" => {
                            let s = c.name.clone();
                            return Ok(Attr::Value(self.new_str(s)));
                        }
                        "__qualname__" => {
                            let s = c.qualname.clone();
                            return Ok(Attr::Value(self.new_str(s)));
                        }
                        "__mro__" => {
                            let m: Vec<Value> = c.mro.iter().map(|x| Value::Obj(*x)).collect();
                            return Ok(Attr::Value(Value::Obj(
                                self.heap.alloc(Obj::Tuple(m.into())),
                            )));
                        }
                        _ => {}
                    }
                    let builtin = c.builtin;
                    // A class attribute read through the class itself (`Counter.count`).
                    if let Some(v) = c.dict.get(&key)
                        && self.observed()
                    {
                        self.observe(crate::detect::LocKey::Attr(id, n.clone()), v, None);
                    }
                    if let Some(v) = self.class_lookup(id, &key) {
                        if let Value::Obj(p) = v {
                            match self.heap.get(p) {
                                Obj::Wrapper(TypeTag::ClassMethod, f) => {
                                    let f = *f;
                                    return Ok(Attr::Value(Value::Obj(self.heap.alloc(
                                        Obj::Method {
                                            receiver: o,
                                            func: f,
                                        },
                                    ))));
                                }
                                Obj::Wrapper(TypeTag::StaticMethod, f) => {
                                    return Ok(Attr::Value(*f));
                                }
                                _ => {}
                            }
                        }
                        return Ok(Attr::Value(v));
                    }
                    if builtin != TypeTag::Object
                        && let Some(nid) = crate::natives::builtin_class_method(builtin, &n)
                    {
                        return Ok(Attr::Value(self.native(nid, None)));
                    }
                }
                Obj::Module(m) => {
                    if let Some(v) = m.dict.get(&key) {
                        return Ok(Attr::Value(v));
                    }
                    let mname = m.name.clone();
                    // What another version's `sys` has and this one lacks is really absent.
                    let other_version = &*mname == "sys"
                        && matches!(
                            &*n,
                            "setswitchinterval"
                                | "getswitchinterval"
                                | "setcheckinterval"
                                | "getcheckinterval"
                        );
                    if crate::bundled::is_gilsim_module(&mname) && !other_version {
                        return Err(self.unsupported(format!(
                            "gilsim's `{mname}` module has no `{n}` yet; see docs/write-your-own-scenario.md for what each module offers"
                        )));
                    }
                    let e = self.raise(
                        "AttributeError",
                        format!("module '{mname}' has no attribute '{n}'"),
                    );
                    return Err(self.with_name(e, &n, Some(o)));
                }
                Obj::Function(f) => {
                    match &*n {
                        "__name__" => {
                            let s = f.name.clone();
                            return Ok(Attr::Value(self.new_str(s)));
                        }
                        "__qualname__" => {
                            let s = f.qualname.clone();
                            return Ok(Attr::Value(self.new_str(s)));
                        }
                        _ => {}
                    }
                    if let Some(d) = f.dict
                        && let Obj::Dict(dd) = self.heap.get(d)
                        && let Some(v) = dd.get(&key)
                    {
                        return Ok(Attr::Value(v));
                    }
                }
                Obj::Super { class, receiver } => {
                    let (class, receiver) = (*class, *receiver);
                    let inst_cls = match receiver {
                        Value::Obj(r) => match self.heap.get(r) {
                            Obj::Class(_) => r,
                            _ => self.class_of(receiver),
                        },
                        _ => self.class_of(receiver),
                    };
                    let mro = match self.heap.get(inst_cls) {
                        Obj::Class(c) => c.mro.clone(),
                        _ => Vec::new(),
                    };
                    let start = mro
                        .iter()
                        .position(|c| *c == class)
                        .map_or(mro.len(), |p| p + 1);
                    for k in &mro[start..] {
                        let found = match self.heap.get(*k) {
                            Obj::Class(kc) => kc.dict.get(&key),
                            _ => None,
                        };
                        if let Some(v) = found {
                            return Ok(Attr::Value(self.bind(v, receiver, inst_cls)));
                        }
                        let builtin = match self.heap.get(*k) {
                            Obj::Class(kc) => kc.builtin,
                            _ => TypeTag::Object,
                        };
                        if &*n == "__init__" && builtin != TypeTag::Object {
                            // Builtin __init__ (Exception, Thread payloads): accept and ignore args.
                            return Ok(Attr::Value(
                                self.native(NativeId::ObjectInit, Some(receiver)),
                            ));
                        }
                    }
                    if &*n == "__init__" {
                        return Ok(Attr::Value(
                            self.native(NativeId::ObjectInit, Some(receiver)),
                        ));
                    }
                }
                _ => {}
            }
        }
        if let Some(id) = crate::natives::builtin_method(self, o, &n) {
            return Ok(Attr::Value(self.native(id, Some(o))));
        }
        if let Some(v) = crate::natives::builtin_attr(self, o, &n)? {
            return Ok(Attr::Value(v));
        }
        let tn = self.type_name(o);
        let is_class = matches!(o, Value::Obj(id) if matches!(self.heap.get(id), Obj::Class(_)));
        if is_class && let Some(v) = self.unbound_builtin_method(o, &n) {
            return Ok(Attr::Value(v));
        }
        if let Some(refusal) = self.missing_method(o, &n) {
            return Err(refusal);
        }
        if is_class {
            let cn = match o {
                Value::Obj(id) => self.class_name(id),
                _ => tn.clone(),
            };
            let e = self.raise(
                "AttributeError",
                format!("type object '{cn}' has no attribute '{n}'"),
            );
            return Err(self.with_name(e, &n, Some(o)));
        }
        let e = self.raise(
            "AttributeError",
            format!("'{tn}' object has no attribute '{n}'"),
        );
        Err(self.with_name(e, &n, Some(o)))
    }

    /// `str.lower`, `list.append`…: a builtin type's method taken from the type, called with
    /// the receiver as its first argument (as `sorted(words, key=str.lower)` does).
    fn unbound_builtin_method(&mut self, cls: Value, name: &str) -> Option<Value> {
        let Value::Obj(c) = cls else { return None };
        let Obj::Class(k) = self.heap.get(c) else {
            return None;
        };
        let sample = match k.builtin {
            TypeTag::Str => Obj::Str(Rc::from("")),
            TypeTag::List => Obj::List(Vec::new()),
            TypeTag::Tuple => Obj::Tuple(Vec::new().into()),
            TypeTag::Dict => Obj::Dict(Dict::new()),
            TypeTag::Set => Obj::Set(Dict::new()),
            _ => return None,
        };
        let probe = Value::Obj(self.heap.alloc(sample));
        let id = crate::natives::builtin_method(self, probe, name)?;
        Some(self.native(id, None))
    }

    /// Assigning to an instance attribute that its class defines as a property: the setter
    /// runs as a frame (its result discarded), and a read-only property raises as in CPython.
    /// `false`: not a property.
    fn set_property(&mut self, o: Value, key: &HKey, v: Value) -> Res<bool> {
        let Value::Obj(id) = o else { return Ok(false) };
        let Obj::Instance(inst) = self.heap.get(id) else {
            return Ok(false);
        };
        // The common store (`self.count += 1`): an attribute the instance already holds is
        // never a property's (assignments through a property do not reach the dict).
        if inst.dict.contains(key) {
            return Ok(false);
        }
        let Some(Value::Obj(p)) = self.class_lookup(inst.class, key) else {
            return Ok(false);
        };
        let Obj::Property { fset, .. } = self.heap.get(p) else {
            return Ok(false);
        };
        let fset = *fset;
        if fset == Value::None {
            return Err(self.raise("AttributeError", "can't set attribute"));
        }
        self.call_value(fset, vec![o, v], Vec::new(), OnReturn::Discard)?;
        Ok(true)
    }

    /// Binds a class attribute found for an instance.
    fn bind(&mut self, v: Value, receiver: Value, cls: ObjId) -> Value {
        if let Value::Obj(p) = v {
            match self.heap.get(p) {
                Obj::Function(_) => {
                    return Value::Obj(self.heap.alloc(Obj::Method { receiver, func: v }));
                }
                Obj::Wrapper(TypeTag::StaticMethod, f) => return *f,
                Obj::Wrapper(TypeTag::ClassMethod, f) => {
                    let f = *f;
                    return Value::Obj(self.heap.alloc(Obj::Method {
                        receiver: Value::Obj(cls),
                        func: f,
                    }));
                }
                Obj::Native(n) if n.receiver.is_none() && n.id.is_method() => {
                    let id = n.id;
                    return self.native(id, Some(receiver));
                }
                _ => {}
            }
        }
        v
    }

    /// LOAD_METHOD's fast path: the function to call with `o` as first argument, if `o`'s
    /// class provides a plain function under `name` that the instance does not shadow.
    pub(crate) fn load_method(&mut self, o: Value, name: Value) -> Res<Option<Value>> {
        let Value::Obj(id) = o else { return Ok(None) };
        let Obj::Instance(inst) = self.heap.get(id) else {
            return Ok(None);
        };
        let n = self.attr_name(name);
        let key = HKey::Str(n);
        if inst.dict.contains(&key) {
            return Ok(None);
        }
        let cls = inst.class;
        match self.class_lookup(cls, &key) {
            Some(f) if self.is_python_function(f) => Ok(Some(f)),
            _ => Ok(None),
        }
    }

    /// The running thread's attribute dict of `o` when `o` is a `threading.local`.
    fn local_of(&mut self, o: Value, key: &HKey) -> Res<Option<ObjId>> {
        if self.local_class.is_none() {
            return Ok(None);
        }
        let Value::Obj(id) = o else { return Ok(None) };
        let Obj::Instance(inst) = self.heap.get(id) else {
            return Ok(None);
        };
        if inst.dict.contains(key) {
            return Ok(None);
        }
        let cls = inst.class;
        self.local_dict(id, cls)
    }

    /// For an instance `id` of `threading.local` (class `cls`): the running thread's own
    /// attribute dict, kept in the instance's dict under the thread's number and made on the
    /// thread's first use, as CPython's `_thread._local` keeps one per thread. `None` for any
    /// other instance.
    fn local_dict(&mut self, id: ObjId, cls: ObjId) -> Res<Option<ObjId>> {
        let Some(lc) = self.local_class else {
            return Ok(None);
        };
        if cls != lc && !self.is_subclass(cls, lc) {
            return Ok(None);
        }
        let k = HKey::Int(i64::from(self.current));
        let (mine, others) = match self.heap.get(id) {
            Obj::Instance(inst) => (inst.dict.get(&k), !inst.dict.is_empty()),
            _ => (None, false),
        };
        if let Some(Value::Obj(d)) = mine {
            return Ok(Some(d));
        }
        // CPython runs a subclass's __init__ again, with the constructor's arguments, when
        // another thread first touches the object: not simulated yet.
        let init = self.class_lookup(cls, &HKey::Str(Rc::from("__init__")));
        if others && init.is_some_and(|f| self.is_python_function(f)) {
            return Err(self.unsupported(
                "a subclass of threading.local with its own __init__, used by a second thread (CPython calls __init__ again in that thread; gilsim does not yet): give the attributes defaults as class attributes instead",
            ));
        }
        let d = self.heap.alloc(Obj::Dict(Dict::new()));
        if let Obj::Instance(inst) = self.heap.get_mut(id) {
            inst.dict
                .insert(k, Value::Int(i64::from(self.current)), Value::Obj(d));
        }
        Ok(Some(d))
    }

    /// `o.name = v`.
    pub(crate) fn setattr(&mut self, o: Value, name: Value, v: Value) -> Res<()> {
        let n = self.attr_name(name);
        let key = HKey::Str(n.clone());
        if self.set_property(o, &key, v)? {
            return Ok(());
        }
        if let Some(d) = self.local_of(o, &key)? {
            if let Obj::Dict(dd) = self.heap.get_mut(d) {
                dd.insert(key, name, v);
            }
            return Ok(());
        }
        if let Value::Obj(id) = o {
            match self.heap.get_mut(id) {
                Obj::Instance(inst) => {
                    let old = inst.dict.get(&key);
                    inst.dict.insert(key, name, v);
                    if self.observed() {
                        self.observe(crate::detect::LocKey::Attr(id, n), v, Some(old));
                    }
                    return Ok(());
                }
                Obj::Class(c) => {
                    let old = c.dict.get(&key);
                    c.dict.insert(key, name, v);
                    if self.observed() {
                        self.observe(crate::detect::LocKey::Attr(id, n), v, Some(old));
                    }
                    return Ok(());
                }
                Obj::Module(m) => {
                    m.dict.insert(key, name, v);
                    return Ok(());
                }
                Obj::Function(f) => {
                    let d = match f.dict {
                        Some(d) => d,
                        None => {
                            let d = self.heap.alloc(Obj::Dict(Dict::new()));
                            if let Obj::Function(f) = self.heap.get_mut(id) {
                                f.dict = Some(d);
                            }
                            d
                        }
                    };
                    if let Obj::Dict(dd) = self.heap.get_mut(d) {
                        dd.insert(key, name, v);
                    }
                    return Ok(());
                }
                _ => {}
            }
        }
        let tn = self.type_name(o);
        Err(self.raise(
            "AttributeError",
            format!("'{tn}' object has no attribute '{n}'"),
        ))
    }

    /// `del o.name`.
    pub(crate) fn delattr(&mut self, o: Value, name: Value) -> Res<()> {
        let n = self.attr_name(name);
        let key = HKey::Str(n.clone());
        if let Some(d) = self.local_of(o, &key)? {
            let removed = match self.heap.get_mut(d) {
                Obj::Dict(dd) => dd.remove(&key).is_some(),
                _ => false,
            };
            if removed {
                return Ok(());
            }
            let tn = self.type_name(o);
            return Err(self.raise(
                "AttributeError",
                format!("'{tn}' object has no attribute '{n}'"),
            ));
        }
        if let Value::Obj(id) = o
            && let Obj::Instance(inst) = self.heap.get_mut(id)
            && inst.dict.remove(&key).is_some()
        {
            return Ok(());
        }
        let tn = self.type_name(o);
        Err(self.raise(
            "AttributeError",
            format!("'{tn}' object has no attribute '{n}'"),
        ))
    }

    /// The bundled submodule `package.x` not yet imported whose name `x` a `from package
    /// import x, …` lists, if any.
    pub(crate) fn submodule_in_fromlist(&self, package: &str, fromlist: Value) -> Option<String> {
        let Value::Obj(t) = fromlist else { return None };
        let Obj::Tuple(names) = self.heap.get(t) else {
            return None;
        };
        names.iter().find_map(|&n| {
            let Value::Obj(s) = n else { return None };
            let Obj::Str(s) = self.heap.get(s) else {
                return None;
            };
            let full = format!("{package}.{s}");
            (crate::bundled::source(&full).is_some() && !self.modules.contains_key(&full))
                .then_some(full)
        })
    }

    /// IMPORT_NAME: pushes the module, running a bundled module's code first if needed.
    pub(crate) fn import(&mut self, name: &str, from: bool) -> Res<()> {
        let top = name.split('.').next().unwrap_or(name).to_string();
        if let Some(m) = self.modules.get(name).copied() {
            let v = if from || name == top {
                m
            } else {
                self.modules.get(&top).copied().unwrap_or(m)
            };
            self.fr().stack.push(Value::Obj(v));
            return Ok(());
        }
        if crate::bundled::absent_in(name, &self.profile) {
            return Err(if self.profile.at_least(3, 6) {
                self.raise("ModuleNotFoundError", format!("No module named '{top}'"))
            } else {
                self.raise("ImportError", format!("No module named {name}"))
            });
        }
        let Some(source) = crate::bundled::source(name) else {
            let msg = format!(
                "gilsim has no module `{name}`: a scenario may import {} (simulated)",
                crate::bundled::listed()
            );
            return Err(self.unsupported(msg));
        };
        let program =
            match gilsim_compiler::compile_bundled(source, &format!("{name}.py"), &self.profile) {
                Ok(p) => p,
                Err(e) => {
                    return Err(self.unsupported(format!(
                        "[gilsim internal bug] bundled module {name} does not compile: {e}"
                    )));
                }
            };
        let unit = self.load_unit(program, true);
        let module = self.new_module(name);
        let mut pushed = module;
        if let Some((parent, child)) = name.rsplit_once('.') {
            let p = match self.modules.get(parent).copied() {
                Some(p) => p,
                None => self.new_module(parent),
            };
            let k = self.intern(child);
            if let Obj::Module(pm) = self.heap.get_mut(p) {
                pm.dict
                    .insert(HKey::Str(Rc::from(child)), k, Value::Obj(module));
            }
            if !from {
                pushed = self.modules.get(&top).copied().unwrap_or(p);
            }
        }
        let frame = self.module_frame(unit, module, OnReturn::Import(pushed));
        self.push_frame(frame)?;
        Ok(())
    }

    /// Raises StopIteration-free `next()` for natives over non-generator iterators.
    pub(crate) fn native_next(&mut self, it: Value) -> Res<Option<Value>> {
        if let Value::Obj(o) = it
            && matches!(self.heap.get(o), Obj::Generator(_))
        {
            return Err(self.unsupported("calling next() on a generator; use it in a `for` loop"));
        }
        self.next(it)
    }

    /// `Flow` for a failed call to a native: helper to build TypeErrors about arity.
    pub(crate) fn arity(&mut self, name: &str, expected: &str, got: usize) -> Flow {
        self.raise(
            "TypeError",
            format!("{name}() takes {expected} ({got} given)"),
        )
    }
}
