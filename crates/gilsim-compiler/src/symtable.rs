//! Scope analysis: which names are locals, cells, free variables, globals, as CPython's
//! `symtable.c` decides.
//!
//! The analysis runs over the whole module before code generation. Every scope (module, class,
//! function, lambda, comprehension) is keyed by the start offset of the AST node that creates it,
//! so the code generator finds the same scope whatever order it visits nodes in.

use indexmap::{IndexMap, IndexSet};
use ruff_python_ast::{self as ast, Expr, Stmt};
use std::collections::BTreeMap;

/// What kind of scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScopeKind {
    /// The module body.
    Module,
    /// A class body.
    Class,
    /// A `def` or `lambda`.
    Function,
    /// A list/set/dict comprehension or a generator expression.
    Comprehension,
}

/// How a name is reached in one scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// A fast local (LOAD_FAST).
    Local,
    /// A local captured by an inner function (LOAD_DEREF on a cell).
    Cell,
    /// A variable of an enclosing function (LOAD_DEREF on a free variable).
    Free,
    /// Declared `global` in a function (LOAD_GLOBAL).
    GlobalExplicit,
    /// Not bound in any function scope (LOAD_GLOBAL in functions).
    GlobalImplicit,
    /// Module and class bodies: LOAD_NAME / STORE_NAME.
    Name,
    /// A class body reading a variable of an enclosing function (LOAD_CLASSDEREF).
    ClassDeref,
}

const BOUND: u8 = 1;
const PARAM: u8 = 2;
const GLOBAL: u8 = 4;
const NONLOCAL: u8 = 8;
const USED: u8 = 16;

/// One analysed scope.
#[derive(Clone, Debug)]
pub struct Scope {
    /// What kind of scope.
    pub kind: ScopeKind,
    /// Names in order of first appearance with their flags.
    symbols: IndexMap<String, u8>,
    /// Parameter names in order.
    pub params: Vec<String>,
    /// Child scopes, in source order.
    pub children: Vec<usize>,
    /// Resolved access per name.
    pub access: BTreeMap<String, Access>,
    /// Cell variables (sorted, as CPython sorts them).
    pub cellvars: Vec<String>,
    /// Free variables (sorted).
    pub freevars: Vec<String>,
    /// Whether the body contains `yield`.
    pub is_generator: bool,
    /// Class bodies: whether a method needs the implicit `__class__` cell.
    pub needs_class_cell: bool,
    /// Where the scope's node starts (the key the generator uses).
    pub key: u32,
}

impl Scope {
    fn new(kind: ScopeKind, key: u32) -> Self {
        Scope {
            kind,
            symbols: IndexMap::new(),
            params: Vec::new(),
            children: Vec::new(),
            access: BTreeMap::new(),
            cellvars: Vec::new(),
            freevars: Vec::new(),
            is_generator: false,
            needs_class_cell: false,
            key,
        }
    }

    /// Local variable names in `co_varnames` order: parameters, then other locals in order of
    /// first appearance (cells included, as CPython lists them).
    #[must_use]
    pub fn varnames(&self) -> Vec<String> {
        let mut out = self.params.clone();
        for (name, flags) in &self.symbols {
            if flags & PARAM == 0
                && matches!(self.access.get(name), Some(Access::Local | Access::Cell))
            {
                out.push(name.clone());
            }
        }
        out
    }

    /// How `name` is reached from this scope.
    #[must_use]
    pub fn access_of(&self, name: &str) -> Access {
        if let Some(a) = self.access.get(name) {
            return *a;
        }
        match self.kind {
            ScopeKind::Module | ScopeKind::Class => Access::Name,
            _ => Access::GlobalImplicit,
        }
    }
}

/// The scopes of a module: index 0 is the module.
#[derive(Clone, Debug)]
pub struct SymbolTable {
    /// All scopes.
    pub scopes: Vec<Scope>,
    /// Where scopes nest deeper than [`MAX_SCOPE_DEPTH`] (the analysis is then skipped).
    pub too_deep: Option<u32>,
    by_key: BTreeMap<u32, usize>,
}

impl SymbolTable {
    /// Analyses a module body.
    #[must_use]
    pub fn build(body: &[Stmt]) -> SymbolTable {
        let mut b = Builder {
            scopes: vec![Scope::new(ScopeKind::Module, 0)],
            stack: vec![0],
            too_deep: None,
        };
        for s in body {
            b.stmt(s);
        }
        let mut table = SymbolTable {
            by_key: BTreeMap::new(),
            scopes: b.scopes,
            too_deep: b.too_deep,
        };
        if table.too_deep.is_some() {
            return table;
        }
        for (i, s) in table.scopes.iter().enumerate().skip(1) {
            table.by_key.insert(s.key, i);
        }
        table.analyze(0, &IndexSet::new());
        table
    }

    /// The scope created by the node starting at `key`.
    #[must_use]
    pub fn scope_at(&self, key: u32) -> Option<usize> {
        self.by_key.get(&key).copied()
    }

    /// Resolves names of scope `idx`; returns the names it needs from enclosing scopes.
    fn analyze(&mut self, idx: usize, enclosing: &IndexSet<String>) -> IndexSet<String> {
        let kind = self.scopes[idx].kind;
        let symbols: Vec<(String, u8)> = self.scopes[idx]
            .symbols
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        let mut free = IndexSet::new();
        let mut access = BTreeMap::new();
        let mut locals = IndexSet::new();
        for (name, flags) in &symbols {
            let a = match kind {
                ScopeKind::Module if flags & GLOBAL != 0 => Access::GlobalExplicit,
                ScopeKind::Module => Access::Name,
                ScopeKind::Class => {
                    if flags & GLOBAL != 0 {
                        Access::GlobalExplicit
                    } else if flags & (BOUND | PARAM) != 0 {
                        Access::Name
                    } else if enclosing.contains(name) {
                        free.insert(name.clone());
                        Access::ClassDeref
                    } else {
                        Access::Name
                    }
                }
                ScopeKind::Function | ScopeKind::Comprehension => {
                    if flags & NONLOCAL != 0 {
                        free.insert(name.clone());
                        Access::Free
                    } else if flags & GLOBAL != 0 {
                        Access::GlobalExplicit
                    } else if flags & (BOUND | PARAM) != 0 {
                        locals.insert(name.clone());
                        Access::Local
                    } else if enclosing.contains(name) {
                        free.insert(name.clone());
                        Access::Free
                    } else {
                        Access::GlobalImplicit
                    }
                }
            };
            access.insert(name.clone(), a);
        }
        let child_enclosing: IndexSet<String> = match kind {
            ScopeKind::Module => IndexSet::new(),
            ScopeKind::Class => {
                // Methods see the implicit `__class__` cell of their class (for `super()`).
                let mut e = enclosing.clone();
                e.insert("__class__".to_string());
                e
            }
            _ => {
                let mut e = enclosing.clone();
                for (name, flags) in &symbols {
                    if flags & GLOBAL != 0 {
                        e.shift_remove(name);
                    }
                }
                e.extend(locals.iter().cloned());
                e
            }
        };
        let children = self.scopes[idx].children.clone();
        let mut cells = IndexSet::new();
        for child in children {
            let needed = self.analyze(child, &child_enclosing);
            for name in needed {
                if kind == ScopeKind::Class && name == "__class__" {
                    self.scopes[idx].needs_class_cell = true;
                } else if locals.contains(&name) {
                    cells.insert(name.clone());
                    access.insert(name, Access::Cell);
                } else if kind != ScopeKind::Module {
                    if kind == ScopeKind::Class {
                        // A class passes its methods' free variables through.
                        free.insert(name);
                    } else if !matches!(access.get(&name), Some(Access::GlobalExplicit)) {
                        access.entry(name.clone()).or_insert(Access::Free);
                        if access.get(&name) == Some(&Access::Free) {
                            free.insert(name);
                        }
                    }
                }
            }
        }
        let scope = &mut self.scopes[idx];
        let mut cellvars: Vec<String> = cells.into_iter().collect();
        if scope.needs_class_cell {
            cellvars.push("__class__".to_string());
        }
        cellvars.sort();
        let mut freevars: Vec<String> = free.iter().cloned().collect();
        freevars.sort();
        scope.cellvars = cellvars;
        scope.freevars = freevars;
        scope.access = access;
        free
    }
}

struct Builder {
    scopes: Vec<Scope>,
    stack: Vec<usize>,
    too_deep: Option<u32>,
}

/// How deep functions, lambdas, classes and comprehensions may nest (CPython stops with a
/// RecursionError during compilation long before machine-written programs get deep).
pub const MAX_SCOPE_DEPTH: usize = 200;

impl Builder {
    fn cur(&mut self) -> &mut Scope {
        let i = *self.stack.last().expect("scope stack");
        &mut self.scopes[i]
    }

    fn mark(&mut self, name: &str, flag: u8) {
        *self.cur().symbols.entry(name.to_string()).or_insert(0) |= flag;
    }

    fn push(&mut self, kind: ScopeKind, key: u32) -> usize {
        if self.stack.len() > MAX_SCOPE_DEPTH && self.too_deep.is_none() {
            self.too_deep = Some(key);
        }
        let idx = self.scopes.len();
        self.scopes.push(Scope::new(kind, key));
        self.cur().children.push(idx);
        self.stack.push(idx);
        idx
    }

    fn pop(&mut self) {
        self.stack.pop();
    }

    fn params(&mut self, p: &ast::Parameters) {
        for pd in p.posonlyargs.iter().chain(p.args.iter()) {
            self.param(pd.parameter.name.as_str());
        }
        for pd in &p.kwonlyargs {
            self.param(pd.parameter.name.as_str());
        }
        if let Some(v) = &p.vararg {
            self.param(v.name.as_str());
        }
        if let Some(k) = &p.kwarg {
            self.param(k.name.as_str());
        }
    }

    fn param(&mut self, name: &str) {
        self.mark(name, PARAM | BOUND);
        self.cur().params.push(name.to_string());
    }

    fn defaults(&mut self, p: &ast::Parameters) {
        for pd in p
            .posonlyargs
            .iter()
            .chain(p.args.iter())
            .chain(p.kwonlyargs.iter())
        {
            if let Some(d) = &pd.default {
                self.expr(d);
            }
        }
    }

    fn body(&mut self, body: &[Stmt]) {
        for s in body {
            self.stmt(s);
        }
    }

    fn stmt(&mut self, s: &Stmt) {
        match s {
            Stmt::FunctionDef(f) => {
                for d in &f.decorator_list {
                    self.expr(&d.expression);
                }
                self.defaults(&f.parameters);
                self.mark(f.name.as_str(), BOUND);
                self.push(ScopeKind::Function, f.range.start().to_u32());
                self.params(&f.parameters);
                self.body(&f.body);
                self.pop();
            }
            Stmt::ClassDef(c) => {
                for d in &c.decorator_list {
                    self.expr(&d.expression);
                }
                if let Some(args) = &c.arguments {
                    for a in &args.args {
                        self.expr(a);
                    }
                    for k in &args.keywords {
                        self.expr(&k.value);
                    }
                }
                self.mark(c.name.as_str(), BOUND);
                self.push(ScopeKind::Class, c.range.start().to_u32());
                self.body(&c.body);
                self.pop();
            }
            Stmt::Return(r) => {
                if let Some(v) = &r.value {
                    self.expr(v);
                }
            }
            Stmt::Delete(d) => {
                for t in &d.targets {
                    self.target(t);
                }
            }
            Stmt::Assign(a) => {
                self.expr(&a.value);
                for t in &a.targets {
                    self.target(t);
                }
            }
            Stmt::AugAssign(a) => {
                self.expr(&a.value);
                if let Expr::Name(n) = &*a.target {
                    self.mark(n.id.as_str(), USED);
                }
                self.target(&a.target);
            }
            Stmt::AnnAssign(a) => {
                if let Some(v) = &a.value {
                    self.expr(v);
                }
                self.target(&a.target);
            }
            Stmt::For(f) => {
                self.expr(&f.iter);
                self.target(&f.target);
                self.body(&f.body);
                self.body(&f.orelse);
            }
            Stmt::While(w) => {
                self.expr(&w.test);
                self.body(&w.body);
                self.body(&w.orelse);
            }
            Stmt::If(i) => {
                self.expr(&i.test);
                self.body(&i.body);
                for c in &i.elif_else_clauses {
                    if let Some(t) = &c.test {
                        self.expr(t);
                    }
                    self.body(&c.body);
                }
            }
            Stmt::With(w) => {
                for item in &w.items {
                    self.expr(&item.context_expr);
                    if let Some(v) = &item.optional_vars {
                        self.target(v);
                    }
                }
                self.body(&w.body);
            }
            Stmt::Raise(r) => {
                if let Some(e) = &r.exc {
                    self.expr(e);
                }
                if let Some(c) = &r.cause {
                    self.expr(c);
                }
            }
            Stmt::Try(t) => {
                self.body(&t.body);
                for h in &t.handlers {
                    let ast::ExceptHandler::ExceptHandler(h) = h;
                    if let Some(ty) = &h.type_ {
                        self.expr(ty);
                    }
                    if let Some(n) = &h.name {
                        self.mark(n.as_str(), BOUND);
                    }
                    self.body(&h.body);
                }
                self.body(&t.orelse);
                self.body(&t.finalbody);
            }
            Stmt::Assert(a) => {
                self.expr(&a.test);
                if let Some(m) = &a.msg {
                    self.expr(m);
                }
            }
            Stmt::Import(i) => {
                for a in &i.names {
                    let bound = match &a.asname {
                        Some(n) => n.as_str().to_string(),
                        None => a.name.as_str().split('.').next().unwrap_or("").to_string(),
                    };
                    self.mark(&bound, BOUND);
                }
            }
            Stmt::ImportFrom(i) => {
                for a in &i.names {
                    let n = a.asname.as_ref().unwrap_or(&a.name);
                    self.mark(n.as_str(), BOUND);
                }
            }
            Stmt::Global(g) => {
                for n in &g.names {
                    self.mark(n.as_str(), GLOBAL);
                    // CPython also marks the module's own symbol: the module then reaches it
                    // with LOAD_GLOBAL / STORE_GLOBAL.
                    *self.scopes[0]
                        .symbols
                        .entry(n.as_str().to_string())
                        .or_insert(0) |= GLOBAL;
                }
            }
            Stmt::Nonlocal(g) => {
                for n in &g.names {
                    self.mark(n.as_str(), NONLOCAL);
                }
            }
            Stmt::Expr(e) => self.expr(&e.value),
            _ => {}
        }
    }

    fn target(&mut self, t: &Expr) {
        match t {
            Expr::Name(n) => self.mark(n.id.as_str(), BOUND),
            Expr::Tuple(t) => {
                for e in &t.elts {
                    self.target(e);
                }
            }
            Expr::List(t) => {
                for e in &t.elts {
                    self.target(e);
                }
            }
            Expr::Starred(s) => self.target(&s.value),
            other => self.expr(other),
        }
    }

    fn comprehension(&mut self, key: u32, gens: &[ast::Comprehension], elts: &[&Expr]) -> usize {
        if let Some(first) = gens.first() {
            self.expr(&first.iter);
        }
        let idx = self.push(ScopeKind::Comprehension, key);
        self.param(".0");
        for (i, g) in gens.iter().enumerate() {
            if i > 0 {
                self.expr(&g.iter);
            }
            self.target(&g.target);
            for c in &g.ifs {
                self.expr(c);
            }
        }
        for e in elts {
            self.expr(e);
        }
        self.pop();
        idx
    }

    fn expr(&mut self, e: &Expr) {
        match e {
            Expr::Name(n) => {
                if matches!(n.ctx, ast::ExprContext::Load) {
                    self.mark(n.id.as_str(), USED);
                    if n.id.as_str() == "super" {
                        self.mark_class_use();
                    }
                } else {
                    self.mark(n.id.as_str(), BOUND);
                }
            }
            Expr::Lambda(l) => {
                if let Some(p) = &l.parameters {
                    self.defaults(p);
                }
                self.push(ScopeKind::Function, l.range.start().to_u32());
                if let Some(p) = &l.parameters {
                    self.params(p);
                }
                self.expr(&l.body);
                self.pop();
            }
            Expr::ListComp(c) => {
                self.comprehension(c.range.start().to_u32(), &c.generators, &[&c.elt]);
            }
            Expr::SetComp(c) => {
                self.comprehension(c.range.start().to_u32(), &c.generators, &[&c.elt]);
            }
            Expr::Generator(c) => {
                let idx = self.comprehension(c.range.start().to_u32(), &c.generators, &[&c.elt]);
                self.scopes[idx].is_generator = true;
            }
            Expr::DictComp(c) => {
                let key = c.key.as_deref();
                let mut elts = vec![&*c.value];
                if let Some(k) = key {
                    elts.insert(0, k);
                }
                self.comprehension(c.range.start().to_u32(), &c.generators, &elts);
            }
            Expr::Yield(y) => {
                self.cur().is_generator = true;
                if let Some(v) = &y.value {
                    self.expr(v);
                }
            }
            Expr::Named(n) => {
                self.expr(&n.value);
                match &*n.target {
                    Expr::Name(name) if self.cur().kind == ScopeKind::Comprehension => {
                        self.named_in_comprehension(name.id.as_str());
                    }
                    t => self.target(t),
                }
            }
            _ => {
                walk_children(e, &mut |c| self.expr(c));
            }
        }
    }

    /// PEP 572: `(y := …)` inside a comprehension binds `y` in the nearest enclosing scope
    /// that is not a comprehension: a function's local (the comprehensions reach it as a
    /// free variable) or a module global. In a class body it stays the comprehension's own.
    fn named_in_comprehension(&mut self, name: &str) {
        let owner = self
            .stack
            .iter()
            .rposition(|&i| self.scopes[i].kind != ScopeKind::Comprehension);
        let Some(pos) = owner else {
            self.mark(name, BOUND);
            return;
        };
        let owner_idx = self.stack[pos];
        let owner_flags = self.scopes[owner_idx]
            .symbols
            .get(name)
            .copied()
            .unwrap_or(0);
        // As CPython's symtable: only the comprehension the expression is in is marked; the
        // ones between reach a function's variable as free variables.
        let (flag, owner_flag) = match self.scopes[owner_idx].kind {
            ScopeKind::Function if owner_flags & GLOBAL != 0 => (GLOBAL, BOUND),
            ScopeKind::Function => (NONLOCAL, BOUND),
            ScopeKind::Module => (GLOBAL, BOUND | GLOBAL),
            _ => {
                self.mark(name, BOUND);
                return;
            }
        };
        *self.scopes[owner_idx]
            .symbols
            .entry(name.to_string())
            .or_insert(0) |= owner_flag;
        self.mark(name, flag | BOUND);
    }

    /// A function that mentions `super` gets the implicit `__class__` free variable.
    fn mark_class_use(&mut self) {
        if self.cur().kind == ScopeKind::Function {
            self.mark("__class__", USED);
        }
    }
}

/// Calls `f` on each direct sub-expression of `e` (for expressions without scopes of their own).
pub fn walk_children(e: &Expr, f: &mut dyn FnMut(&Expr)) {
    match e {
        Expr::BoolOp(b) => b.values.iter().for_each(f),
        Expr::BinOp(b) => {
            f(&b.left);
            f(&b.right);
        }
        Expr::UnaryOp(u) => f(&u.operand),
        Expr::If(i) => {
            f(&i.test);
            f(&i.body);
            f(&i.orelse);
        }
        Expr::Dict(d) => {
            for it in &d.items {
                if let Some(k) = &it.key {
                    f(k);
                }
                f(&it.value);
            }
        }
        Expr::Set(s) => s.elts.iter().for_each(f),
        Expr::Compare(c) => {
            f(&c.left);
            c.comparators.iter().for_each(f);
        }
        Expr::Call(c) => {
            f(&c.func);
            c.arguments.args.iter().for_each(&mut *f);
            for k in &c.arguments.keywords {
                f(&k.value);
            }
        }
        Expr::FString(fs) => {
            for part in fs.value.iter() {
                if let ast::FStringPart::FString(s) = part {
                    walk_fstring_elements(&s.elements, f);
                }
            }
        }
        Expr::Attribute(a) => f(&a.value),
        Expr::Subscript(s) => {
            f(&s.value);
            f(&s.slice);
        }
        Expr::Starred(s) => f(&s.value),
        Expr::List(l) => l.elts.iter().for_each(f),
        Expr::Tuple(t) => t.elts.iter().for_each(f),
        Expr::Slice(s) => {
            for x in [&s.lower, &s.upper, &s.step].into_iter().flatten() {
                f(x);
            }
        }
        Expr::Await(a) => f(&a.value),
        Expr::YieldFrom(y) => f(&y.value),
        _ => {}
    }
}

fn walk_fstring_elements(elements: &ast::InterpolatedStringElements, f: &mut dyn FnMut(&Expr)) {
    for el in elements.iter() {
        if let ast::InterpolatedStringElement::Interpolation(i) = el {
            f(&i.expression);
            if let Some(spec) = &i.format_spec {
                walk_fstring_elements(&spec.elements, f);
            }
        }
    }
}
