//! Unsynchronised accesses, after FastTrack's epochs (Flanagan & Freund, PLDI 2009): a vector
//! clock per thread and per lock; lock release → acquire, thread start and join order
//! accesses (the bundled `threading`, `queue` and `concurrent.futures` are Python on native
//! locks, so Event, Condition, Queue, Semaphore, Barrier and Future give their edges through
//! those). A write that is not ordered after the previous write of another thread, where
//! either is part of a read-modify-write, is reported once per pair of source lines with the
//! locks each side held.

use super::{Fnv, LastWrite, Site, Write, grow};
use crate::object::value::ObjId;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

/// One side of a race.
#[derive(Clone, Debug, PartialEq)]
pub struct RaceSide {
    /// Where.
    pub site: Site,
    /// Whether it was a read-modify-write.
    pub rmw: bool,
    /// The locks held, by object id.
    pub locks: Vec<ObjId>,
}

/// Two accesses to one location that nothing orders.
#[derive(Clone, Debug, PartialEq)]
pub struct Race {
    /// The learner's name for the location.
    pub label: Rc<str>,
    /// The earlier access.
    pub first: RaceSide,
    /// The later one.
    pub second: RaceSide,
}

/// The happens-before state of a run.
#[derive(Clone, Debug)]
pub(super) struct Races {
    /// Per thread: its vector clock.
    clocks: Vec<Vec<u32>>,
    /// Per lock (or container): the clock of its last release.
    lock_clocks: HashMap<ObjId, Vec<u32>, std::hash::BuildHasherDefault<Fnv>>,
    /// Per thread: the locks it holds, as a lockset index.
    held: Vec<u32>,
    /// Interned locksets (sorted lock ids); 0 is the empty set.
    locksets: Vec<Vec<ObjId>>,
    lockset_index: HashMap<Vec<ObjId>, u32, std::hash::BuildHasherDefault<Fnv>>,
    /// Races by pair of source lines (smaller line first), with their location.
    pub found: BTreeMap<(u32, u32), (u32, Race)>,
}

impl Default for Races {
    fn default() -> Self {
        let mut r = Races {
            clocks: Vec::new(),
            lock_clocks: HashMap::default(),
            held: Vec::new(),
            locksets: vec![Vec::new()],
            lockset_index: HashMap::default(),
            found: BTreeMap::new(),
        };
        r.lockset_index.insert(Vec::new(), 0);
        r
    }
}

/// The last race pair reported at a location (sites' packed positions), to skip the map.
#[derive(Clone, Copy, Debug)]
pub(super) struct AtLocation(pub (u64, u64));

impl Default for AtLocation {
    fn default() -> Self {
        AtLocation((u64::MAX, u64::MAX))
    }
}

fn pack(s: &Site) -> u64 {
    (u64::from(s.unit) << 48) ^ (u64::from(s.code) << 24) ^ u64::from(s.pc)
}

impl Races {
    /// Makes room for threads up to `t`: a new thread's clock starts at 1 in its own entry.
    /// [`super::Detector`] calls it before handing on any event of a thread, so the other
    /// methods may index by thread.
    pub(super) fn thread(&mut self, t: u32) {
        let t = t as usize;
        while self.clocks.len() <= t {
            let id = self.clocks.len();
            let mut c = vec![0; id + 1];
            c[id] = 1;
            self.clocks.push(c);
            self.held.push(0);
        }
    }

    /// Thread `t`'s epoch and lockset, stamped on its write.
    #[inline]
    pub(super) fn stamp(&self, t: u32) -> (u32, u32) {
        let t = t as usize;
        (self.clocks[t][t], self.held[t])
    }

    /// A write landed at location `loc` (labelled `label`) over `between`, the last write of
    /// another thread: a race when neither orders the other and either is a read-modify-write.
    #[inline]
    pub(super) fn on_write(
        &mut self,
        at: &mut AtLocation,
        loc: u32,
        label: &Rc<str>,
        w: &Write,
        between: Option<LastWrite>,
    ) {
        let t = w.site.thread as usize;
        if let Some(o) = between
            && (w.rmw || o.rmw)
            && self.clocks[t].get(o.thread as usize).copied().unwrap_or(0) < o.clock
        {
            self.race(at, loc, label, o, w);
        }
    }

    /// Records an unordered pair of writes, once per pair of source lines.
    #[cold]
    fn race(&mut self, at: &mut AtLocation, loc: u32, label: &Rc<str>, o: LastWrite, w: &Write) {
        let pair = (pack(&o.site), pack(&w.site));
        if at.0 == pair {
            return;
        }
        at.0 = pair;
        let lines = (o.site.line.min(w.site.line), o.site.line.max(w.site.line));
        if self.found.contains_key(&lines) {
            return;
        }
        let (_, locks) = self.stamp(w.site.thread);
        let race = Race {
            label: label.clone(),
            first: RaceSide {
                site: o.site,
                rmw: o.rmw,
                locks: self.locksets[o.locks as usize].clone(),
            },
            second: RaceSide {
                site: w.site,
                rmw: w.rmw,
                locks: self.locksets[locks as usize].clone(),
            },
        };
        self.found.insert(lines, (loc, race));
    }

    fn lockset(&mut self, set: Vec<ObjId>) -> u32 {
        if let Some(&i) = self.lockset_index.get(&set) {
            return i;
        }
        let i = self.locksets.len() as u32;
        self.locksets.push(set.clone());
        self.lockset_index.insert(set, i);
        i
    }

    fn acquire_clock(&mut self, t: u32, lock: ObjId) {
        if let Some(lc) = self.lock_clocks.get(&lock) {
            join_into(&mut self.clocks[t as usize], lc);
        }
    }

    fn release_clock(&mut self, t: u32, lock: ObjId) {
        let c = self.clocks[t as usize].clone();
        self.lock_clocks.insert(lock, c);
        tick(&mut self.clocks[t as usize], t);
    }

    /// A C-level operation on a container orders like a lock taken and released.
    pub(super) fn container_op(&mut self, t: u32, container: ObjId) {
        self.acquire_clock(t, container);
        self.release_clock(t, container);
    }

    /// Thread `t` acquired `lock` (its first level, for an RLock).
    pub(super) fn acquire(&mut self, t: u32, lock: ObjId) {
        self.acquire_clock(t, lock);
        let mut set = self.locksets[self.held[t as usize] as usize].clone();
        if let Err(i) = set.binary_search(&lock) {
            set.insert(i, lock);
        }
        self.held[t as usize] = self.lockset(set);
    }

    /// Thread `t` released `lock` completely.
    pub(super) fn release(&mut self, t: u32, lock: ObjId) {
        self.release_clock(t, lock);
        let mut set = self.locksets[self.held[t as usize] as usize].clone();
        set.retain(|&l| l != lock);
        self.held[t as usize] = self.lockset(set);
    }

    /// Thread `parent` started thread `child`.
    pub(super) fn start(&mut self, parent: u32, child: u32) {
        let p = self.clocks[parent as usize].clone();
        join_into(&mut self.clocks[child as usize], &p);
        tick(&mut self.clocks[parent as usize], parent);
    }

    /// Thread `parent` joined the finished thread `child`.
    pub(super) fn join(&mut self, parent: u32, child: u32) {
        let c = self.clocks[child as usize].clone();
        join_into(&mut self.clocks[parent as usize], &c);
        tick(&mut self.clocks[child as usize], child);
    }

    /// Forgets the clocks of freed locks (their ids will be reused).
    pub(super) fn collected(&mut self, live: &impl Fn(ObjId) -> bool) {
        self.lock_clocks.retain(|&lock, _| live(lock));
    }
}

fn join_into(into: &mut Vec<u32>, from: &[u32]) {
    if into.len() < from.len() {
        into.resize(from.len(), 0);
    }
    for (a, b) in into.iter_mut().zip(from) {
        *a = (*a).max(*b);
    }
}

fn tick(c: &mut Vec<u32>, t: u32) {
    *grow(c, t as usize, 0) += 1;
}

#[cfg(test)]
mod tests {
    use super::super::tests::{at, counter_key};
    use super::super::*;

    /// Threads 1 and 2 each `i += 1` once, `locked` or not, after main started both.
    fn two_increments(locked: bool) -> Vec<Race> {
        let mut d = Detector::new();
        let i = d.add_location(counter_key(), "global i".into());
        let lock = ObjId(5);
        d.start(0, 1);
        d.start(0, 2);
        for t in [1, 2] {
            if locked {
                d.acquire(t, lock);
            }
            d.read(i, at(t, 10, 7), Value::Int(0));
            d.write(i, at(t, 11, 7), Value::Int(1), Some(Value::Int(0)));
            if locked {
                d.release(t, lock);
            }
        }
        d.races()
    }

    #[test]
    fn unordered_read_modify_writes_race_and_a_lock_orders_them() {
        let r = two_increments(false);
        assert_eq!(r.len(), 1);
        assert_eq!((r[0].first.site.thread, r[0].second.site.thread), (1, 2));
        assert!(r[0].first.rmw && r[0].second.rmw);
        assert!(two_increments(true).is_empty());
    }

    #[test]
    fn a_join_orders_the_joined_threads_writes_before_the_joiner() {
        let mut d = Detector::new();
        let i = d.add_location(counter_key(), "global i".into());
        d.start(0, 1);
        d.read(i, at(1, 10, 3), Value::Int(0));
        d.write(i, at(1, 11, 3), Value::Int(1), Some(Value::Int(0)));
        d.join(0, 1);
        d.read(i, at(0, 10, 9), Value::Int(1));
        d.write(i, at(0, 11, 9), Value::Int(2), Some(Value::Int(1)));
        assert!(d.races().is_empty());
    }
}
