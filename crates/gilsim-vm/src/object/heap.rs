//! The heap: a slot vector of objects with a deterministic mark-and-sweep collector.
//!
//! Allocation takes the lowest free slot, and a collection runs after a fixed number of
//! allocations (a function of the live size only), so the same run allocates, frees and numbers
//! objects identically on every machine. `l = l + [1]` in a loop and `while True:` workers run
//! in bounded memory.
//!
//! Objects are shared copy-on-write between clones of a heap (the explorer forks machines),
//! in chunks of [`CHUNK`] slots, so a clone copies one pointer per chunk and a write copies one
//! chunk and one object,
//! and a heap can remember which objects changed since a point (its *stable* objects), so a
//! state key need only look at those.

use crate::object::value::{IterState, Obj, ObjId, Value};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::rc::Rc;

/// Slots per copy-on-write chunk.
pub(crate) const CHUNK: usize = 16;

type Chunk = [Option<Rc<Obj>>; CHUNK];

/// The heap.
#[derive(Clone, Debug, Default)]
pub struct Heap {
    chunks: Vec<Rc<Chunk>>,
    /// Slots in use (the next new id).
    len: usize,
    /// Objects below this id existed at [`Heap::mark_stable`].
    stable_len: usize,
    /// Per stable id, one bit: changed (or freed and reused) since then.
    dirty_mark: Vec<u64>,
    /// The changed stable ids, ascending.
    dirty: Vec<u32>,
    free: BinaryHeap<Reverse<u32>>,
    live: usize,
    since_gc: usize,
    bytes_since_gc: usize,
    live_bytes: usize,
    /// Collect when this many allocations happened since the last collection.
    pub threshold: usize,
    /// Refuse to grow past this many live objects (MemoryError).
    pub limit: usize,
}

impl Heap {
    /// An empty heap.
    #[must_use]
    pub fn new(limit: usize) -> Self {
        Heap {
            threshold: 20_000,
            limit,
            ..Heap::default()
        }
    }

    /// Allocates an object.
    pub fn alloc(&mut self, o: Obj) -> ObjId {
        self.live += 1;
        self.since_gc += 1;
        let size = approx_size(&o);
        self.bytes_since_gc += size;
        self.live_bytes += size;
        if let Some(Reverse(i)) = self.free.pop() {
            *self.slot_mut(i as usize) = Some(Rc::new(o));
            self.touch(i as usize);
            ObjId(i)
        } else {
            let i = self.len;
            if i.is_multiple_of(CHUNK) {
                self.chunks.push(Rc::new(std::array::from_fn(|_| None)));
            }
            self.len += 1;
            *self.slot_mut(i) = Some(Rc::new(o));
            ObjId(i as u32)
        }
    }

    #[inline]
    fn slot(&self, i: usize) -> &Option<Rc<Obj>> {
        &self.chunks[i / CHUNK][i % CHUNK]
    }

    #[inline]
    fn slot_mut(&mut self, i: usize) -> &mut Option<Rc<Obj>> {
        &mut Rc::make_mut(&mut self.chunks[i / CHUNK])[i % CHUNK]
    }

    /// Whether a collection is due.
    #[must_use]
    pub fn gc_due(&self) -> bool {
        self.since_gc >= self.threshold || self.bytes_since_gc >= 64 << 20
    }

    /// Whether the live objects take more memory than a run may use (MemoryError).
    #[must_use]
    pub fn over_memory(&self) -> bool {
        self.live_bytes > MAX_LIVE_BYTES
    }

    /// Live objects.
    #[must_use]
    pub fn live(&self) -> usize {
        self.live
    }

    /// The object behind an id.
    ///
    /// # Panics
    /// On a freed id, which would be a collector bug.
    #[must_use]
    pub fn get(&self, id: ObjId) -> &Obj {
        self.slot(id.0 as usize)
            .as_deref()
            .expect("[gilsim internal bug] dangling object id")
    }

    /// Whether `id` names a live object.
    #[must_use]
    pub fn is_live(&self, id: ObjId) -> bool {
        (id.0 as usize) < self.len && self.slot(id.0 as usize).is_some()
    }

    /// The object behind an id, mutably.
    ///
    /// # Panics
    /// On a freed id, which would be a collector bug.
    pub fn get_mut(&mut self, id: ObjId) -> &mut Obj {
        let i = id.0 as usize;
        self.touch(i);
        Rc::make_mut(
            self.slot_mut(i)
                .as_mut()
                .expect("[gilsim internal bug] dangling object id"),
        )
    }

    #[inline]
    fn touch(&mut self, i: usize) {
        if i < self.stable_len && self.dirty_mark[i / 64] & (1 << (i % 64)) == 0 {
            self.dirty_mark[i / 64] |= 1 << (i % 64);
            let at = self.dirty.partition_point(|&d| (d as usize) < i);
            self.dirty.insert(at, i as u32);
        }
    }

    /// From now on, remember which of today's objects change ([`Heap::changed_stable`]).
    pub fn mark_stable(&mut self) {
        self.stable_len = self.len;
        self.dirty_mark = vec![0; self.stable_len.div_ceil(64)];
        self.dirty.clear();
    }

    /// How many objects existed at [`Heap::mark_stable`].
    #[must_use]
    pub fn stable_count(&self) -> usize {
        self.stable_len
    }

    /// Whether `id` names an object that existed at [`Heap::mark_stable`] (or its slot).
    #[must_use]
    pub fn is_stable(&self, id: ObjId) -> bool {
        (id.0 as usize) < self.stable_len
    }

    /// The stable ids whose object changed, was freed or was replaced since
    /// [`Heap::mark_stable`], ascending.
    #[must_use]
    pub fn changed_stable(&self) -> &[u32] {
        &self.dirty
    }

    /// Marks everything reachable from `roots` and frees the rest.
    pub fn collect(&mut self, roots: &[Value]) {
        let mut marked = vec![false; self.len];
        let mut stack: Vec<ObjId> = roots.iter().filter_map(|v| v.obj()).collect();
        let mut children = Vec::new();
        while let Some(id) = stack.pop() {
            let i = id.0 as usize;
            if marked[i] {
                continue;
            }
            marked[i] = true;
            children.clear();
            if let Some(o) = self.slot(i) {
                refs(o, &mut children);
            }
            for c in &children {
                if let Value::Obj(o) = c
                    && !marked[o.0 as usize]
                {
                    stack.push(*o);
                }
            }
        }
        self.live_bytes = 0;
        for (i, m) in marked.iter().enumerate() {
            if !m && self.slot(i).is_some() {
                *self.slot_mut(i) = None;
                self.touch(i);
                self.free.push(Reverse(i as u32));
                self.live -= 1;
            } else if let Some(o) = self.slot(i) {
                self.live_bytes += approx_size(o);
            }
        }
        self.since_gc = 0;
        self.bytes_since_gc = 0;
        self.threshold = (self.live * 2).max(20_000);
    }
}

/// The most memory (estimated) live objects may take: 2 GiB.
pub(crate) const MAX_LIVE_BYTES: usize = 2 << 30;

/// An estimate of the memory an object holds beyond its slot.
#[must_use]
pub(crate) fn approx_size(o: &Obj) -> usize {
    match o {
        Obj::List(v) => v.len() * 16,
        Obj::Tuple(v) => v.len() * 16,
        Obj::Str(s) => s.len(),
        Obj::Dict(d) | Obj::Set(d) => d.len() * 48,
        _ => 0,
    }
}

/// Every value an object refers to.
pub(crate) fn refs(o: &Obj, out: &mut Vec<Value>) {
    match o {
        Obj::Str(_) | Obj::BigInt(_) | Obj::Range { .. } | Obj::Native(_) | Obj::Lock(_) => {
            if let Obj::Native(n) = o
                && let Some(r) = n.receiver
            {
                out.push(r);
            }
        }
        Obj::List(v) => out.extend_from_slice(v),
        Obj::Tuple(v) => out.extend_from_slice(v),
        Obj::Dict(d) | Obj::Set(d) => d.values_for_gc(out),
        Obj::Function(f) => {
            out.push(Value::Obj(f.globals));
            out.extend_from_slice(&f.defaults);
            out.extend(f.kwdefaults.map(Value::Obj));
            out.extend(f.closure.iter().map(|c| Value::Obj(*c)));
            out.extend(f.dict.map(Value::Obj));
        }
        Obj::Cell(v) => out.push(*v),
        Obj::Class(c) => {
            out.extend(c.bases.iter().map(|b| Value::Obj(*b)));
            out.extend(c.mro.iter().map(|b| Value::Obj(*b)));
            c.dict.values_for_gc(out);
        }
        Obj::Instance(i) => {
            out.push(Value::Obj(i.class));
            i.dict.values_for_gc(out);
            out.extend(i.payload);
        }
        Obj::Method { receiver, func } => {
            out.push(*receiver);
            out.push(*func);
        }
        Obj::Module(m) => m.dict.values_for_gc(out),
        Obj::Iter(s) => match s {
            IterState::Range { .. } => {}
            IterState::Seq { seq, .. } | IterState::Reversed { seq, .. } => {
                out.push(Value::Obj(*seq))
            }
            IterState::Values { items, .. } => out.extend_from_slice(items),
            IterState::DictKeys { dict, .. } => out.push(Value::Obj(*dict)),
            IterState::Enumerate { inner, .. } => out.push(Value::Obj(*inner)),
            IterState::Zip { inners } => out.extend(inners.iter().map(|i| Value::Obj(*i))),
        },
        Obj::Slice(a, b, c) => out.extend([*a, *b, *c]),
        Obj::Generator(g) => {
            if let Some(f) = &g.frame {
                f.refs(out);
            }
            out.push(g.exc_state);
            out.push(g.outer_exc);
            out.push(g.returned);
        }
        Obj::Wrapper(_, v) => out.push(*v),
        Obj::Property { fget, fset } => {
            out.push(*fget);
            out.push(*fset);
        }
        Obj::View(_, d) => out.push(Value::Obj(*d)),
        Obj::Super { class, receiver } => {
            out.push(Value::Obj(*class));
            out.push(*receiver);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::object::value::{Obj, Value};

    #[test]
    fn the_collector_frees_exactly_the_unreachable() {
        let mut h = Heap::new(1000);
        let a = h.alloc(Obj::List(Vec::new()));
        let b = h.alloc(Obj::List(vec![Value::Obj(a)]));
        let c = h.alloc(Obj::Str("garbage".into()));
        h.collect(&[Value::Obj(b)]);
        assert_eq!(h.live(), 2);
        // Freed slots are reused lowest first, so numbering stays deterministic.
        assert_eq!(h.alloc(Obj::Str("new".into())), c);
    }
}
