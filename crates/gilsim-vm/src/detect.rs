//! The detectors: lost updates, check-then-act, unsynchronised accesses (happens-before) and
//! lock cycles, observed inline at every shared-memory access and synchronisation event of
//! the learner's code, without storing events.
//!
//! **Lost updates** use a version and an update *depth* per location. A write computed from a
//! thread's earlier read of the same location at version `r` includes the updates counted in
//! `depth(r)`; if other writes landed since, the ones it overwrites are
//! `depth(now) - depth(r)`. Summed over writes this is exact: for the counter, the total equals
//! `THREADS * ITERATIONS - i`. A store that puts back the very object already bound
//! (`l += [1]`) is no new version, so extending a list in place loses nothing.
//!
//! **Check-then-act**: a read that decides a branch (the last read before a conditional jump)
//! followed by the same thread's write of that location, with another thread's write between
//! them.
//!
//! **Races** follow FastTrack's epochs (Flanagan & Freund, PLDI 2009): a vector clock per
//! thread and per lock; lock release → acquire, thread start and join order accesses (the
//! bundled `threading`, `queue` and `concurrent.futures` are Python on native locks, so Event,
//! Condition, Queue, Semaphore, Barrier and Future give their edges through those). A write that
//! is not ordered after the previous write of another thread, where either is part of a
//! read-modify-write, is reported once per pair of source lines with the locks each side held.
//!
//! Only accesses made by the learner's own code (unit 0) are observed; C-level operations
//! (`list.append`, `lst.sort()`) are single steps under the GIL and are no accesses here.

use crate::object::dict::{Fnv, HKey};
use crate::object::value::{ObjId, Value};
use crate::observer::Site;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

/// A shared location.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum LocKey {
    /// A module global.
    Global(ObjId, Rc<str>),
    /// An attribute of an object.
    Attr(ObjId, Rc<str>),
    /// An item of a dict (by key) or a list (by index).
    Item(ObjId, HKey),
    /// A variable of an enclosing function (`nonlocal`), by its cell and name.
    Cell(ObjId, Rc<str>),
}

impl LocKey {
    /// The object whose life bounds the location's.
    fn owner(&self) -> ObjId {
        match self {
            LocKey::Global(o, _) | LocKey::Attr(o, _) | LocKey::Item(o, _) | LocKey::Cell(o, _) => {
                *o
            }
        }
    }
}

/// A read a thread may compute a later write from, and the read that decided its last branch.
#[derive(Clone, Copy, Debug)]
struct Pending {
    /// The location's version when read (`u64::MAX`: none pending).
    version: u64,
    /// The location's depth when read.
    depth: u64,
    /// Where.
    site: Site,
    /// The value read when a plain value, else `Null`.
    value: Value,
    /// The version at the read that decided a branch (`u64::MAX`: none since this thread's
    /// last write).
    branch_version: u64,
    /// Where that read was.
    branch_site: Site,
    /// What it read.
    branch_value: Value,
    /// The code the branch guards: (unit, code, first pc, end pc). A write there acts on
    /// the check.
    branch_region: (u16, u32, u32, u32),
    /// The thread's loop iteration ([`Detector::back_edge`]) at the branch: a write in a
    /// later iteration does not act on this check.
    branch_epoch: u32,
}

const NO_READ: Pending = Pending {
    version: u64::MAX,
    depth: 0,
    site: Site::NONE,
    value: Value::Null,
    branch_version: u64::MAX,
    branch_site: Site::NONE,
    branch_value: Value::Null,
    branch_region: (0, 0, 0, 0),
    branch_epoch: 0,
};

/// The last write of a location.
#[derive(Clone, Copy, Debug)]
struct LastWrite {
    thread: u32,
    /// The writer's own clock entry at the write (its epoch).
    clock: u32,
    site: Site,
    /// Whether the write was computed from the writer's read of the location.
    rmw: bool,
    /// The lockset the writer held (an index into [`Detector::locksets`]).
    locks: u32,
    /// The value written when a plain value, else `Null`.
    value: Value,
}

/// What the detector knows of one location.
#[derive(Clone, Debug)]
struct LocState {
    key: LocKey,
    /// The learner's name for it (`global i`, `counter.value`, `stock['apples']`).
    label: Rc<str>,
    version: u64,
    depth: u64,
    last_write: Option<LastWrite>,
    /// Per thread id.
    pending: Vec<Pending>,
    /// Updates that vanished, net: a stale write can also bring back updates that an earlier
    /// stale write had erased, so single writes may count negative; the sum is exact.
    lost: i64,
    first_lost: Option<LostUpdate>,
    check_then_act: u64,
    first_check_then_act: Option<CheckThenAct>,
    /// The last race pair reported here (sites' packed positions), to skip the map.
    last_race: (u64, u64),
    /// Whether the owner object was freed (its id may now name another object).
    dead: bool,
}

/// One access in a finding.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Access {
    /// Where (thread, code position, line, step).
    pub site: Site,
    /// The value read or written, when a plain value (an int, a float, a bool, None).
    pub value: Option<Value>,
}

/// The first lost update at a location.
#[derive(Clone, Debug, PartialEq)]
pub struct LostUpdate {
    /// The read the lost write was computed from.
    pub read: Access,
    /// The last write of another thread that landed between the read and the write.
    pub overwritten: Access,
    /// How many writes of other threads landed in between.
    pub writes_between: u64,
    /// How many updates this write made vanish.
    pub lost: u64,
    /// The stale write.
    pub write: Access,
}

/// The first check-then-act violation at a location.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckThenAct {
    /// The read that decided the branch.
    pub check: Access,
    /// Another thread's write after the check.
    pub between: Access,
    /// The acting write.
    pub act: Access,
}

/// Findings at one location.
#[derive(Clone, Debug, PartialEq)]
pub struct LocationFindings {
    /// The learner's name for the location.
    pub label: Rc<str>,
    /// Updates that vanished.
    pub lost: u64,
    /// The first lost update.
    pub first_lost: Option<LostUpdate>,
    /// Check-then-act violations.
    pub check_then_act: u64,
    /// The first one.
    pub first_check_then_act: Option<CheckThenAct>,
}

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

/// The detectors' state. One per run; the machine feeds it.
#[derive(Clone, Debug, Default)]
pub struct Detector {
    locs: Vec<LocState>,
    index: HashMap<LocKey, u32, std::hash::BuildHasherDefault<Fnv>>,
    /// Per thread: its vector clock.
    clocks: Vec<Vec<u32>>,
    /// Per lock: the clock of its last release.
    lock_clocks: HashMap<ObjId, Vec<u32>, std::hash::BuildHasherDefault<Fnv>>,
    /// Per thread: the locks it holds, as a lockset index.
    held: Vec<u32>,
    /// Interned locksets (sorted lock ids); 0 is the empty set.
    locksets: Vec<Vec<ObjId>>,
    lockset_index: HashMap<Vec<ObjId>, u32, std::hash::BuildHasherDefault<Fnv>>,
    /// Per thread: the location it read last (`u32::MAX`: none), for branch marking.
    last_read: Vec<u32>,
    /// Per thread: backward jumps taken (loop iterations), for check-then-act.
    epochs: Vec<u32>,
    /// Races by pair of source lines (smaller line first), with their location.
    races: BTreeMap<(u32, u32), (u32, Race)>,
    /// The first wait cycle: the step at which it formed, and its threads.
    pub cycle: Option<(u64, Vec<CycleLink>)>,
    /// Names of the locks the races mention, given while the locks still lived (their ids
    /// may name other objects after a collection).
    pub lock_names: BTreeMap<ObjId, String>,
}

fn grow<T: Clone>(v: &mut Vec<T>, i: usize, fill: T) -> &mut T {
    if v.len() <= i {
        v.resize(i + 1, fill);
    }
    &mut v[i]
}

/// A value worth keeping for the report: ints, floats, bools and None; objects may be
/// collected before the report, so they are kept as `Null`.
fn plain(v: Value) -> Value {
    match v {
        Value::Obj(_) => Value::Null,
        other => other,
    }
}

fn access(site: Site, v: Value) -> Access {
    Access {
        site,
        value: (v != Value::Null).then_some(v),
    }
}

fn pack(s: &Site) -> u64 {
    (u64::from(s.unit) << 48) ^ (u64::from(s.code) << 24) ^ u64::from(s.pc)
}

impl Detector {
    /// A detector that has seen nothing; thread 0 (main) exists.
    #[must_use]
    pub fn new() -> Detector {
        let mut d = Detector {
            locksets: vec![Vec::new()],
            ..Detector::default()
        };
        d.lockset_index.insert(Vec::new(), 0);
        d.thread(0);
        d
    }

    fn thread(&mut self, t: u32) {
        let t = t as usize;
        while self.clocks.len() <= t {
            let id = self.clocks.len();
            let mut c = vec![0; id + 1];
            c[id] = 1;
            self.clocks.push(c);
            self.held.push(0);
            self.last_read.push(u32::MAX);
            self.epochs.push(0);
        }
    }

    /// The index of a location, if it is known.
    #[inline]
    #[must_use]
    pub fn find(&self, key: &LocKey) -> Option<u32> {
        self.index.get(key).copied()
    }

    /// Starts tracking a location, named `label` for the learner; returns its index.
    pub fn add_location(&mut self, key: LocKey, label: Rc<str>) -> u32 {
        let i = self.locs.len() as u32;
        self.locs.push(LocState {
            key: key.clone(),
            label,
            version: 0,
            depth: 0,
            last_write: None,
            pending: Vec::new(),
            lost: 0,
            first_lost: None,
            check_then_act: 0,
            first_check_then_act: None,
            last_race: (u64::MAX, u64::MAX),
            dead: false,
        });
        self.index.insert(key, i);
        i
    }

    /// The key of a location index.
    #[must_use]
    pub fn key(&self, loc: u32) -> &LocKey {
        &self.locs[loc as usize].key
    }

    /// Thread `site.thread` read location `loc`.
    #[inline]
    pub fn read(&mut self, loc: u32, site: Site, value: Value) {
        let t = site.thread as usize;
        let l = &mut self.locs[loc as usize];
        let (version, depth) = (l.version, l.depth);
        let p = grow(&mut l.pending, t, NO_READ);
        p.version = version;
        p.depth = depth;
        p.site = site;
        p.value = plain(value);
        if let Some(r) = self.last_read.get_mut(t) {
            *r = loc;
        }
    }

    /// A thread took a conditional jump (at `site`, to `target`): the read just before it on
    /// the same line (`if stock["apples"] > 0:`) decides a branch, and the code between the
    /// jump and its target acts on that check.
    #[inline]
    pub fn branch(&mut self, site: Site, target: u32) {
        let thread = site.thread as usize;
        let Some(r) = self.last_read.get_mut(thread) else {
            return;
        };
        let loc = std::mem::replace(r, u32::MAX);
        if loc == u32::MAX {
            return;
        }
        let l = &mut self.locs[loc as usize];
        if let Some(p) = l.pending.get_mut(thread)
            && p.version != u64::MAX
            && p.site.line == site.line
            && p.site.unit == site.unit
            && p.site.code == site.code
        {
            p.branch_version = p.version;
            p.branch_site = p.site;
            p.branch_value = p.value;
            // A forward jump skips the guarded code; a backward one (an `if` at the end of a
            // loop body jumps straight back to the loop) guards what follows it.
            let end = if target > site.pc { target } else { u32::MAX };
            p.branch_region = (site.unit, site.code, site.pc, end);
            p.branch_epoch = self.epochs[thread];
        }
    }

    /// Thread `t` jumped backwards: a loop goes round again.
    #[inline]
    pub fn back_edge(&mut self, t: u32) {
        if let Some(e) = self.epochs.get_mut(t as usize) {
            *e = e.wrapping_add(1);
        }
    }

    /// Thread `t` ran a C-level operation on a container (`list.append`, `dict.pop`...). The
    /// GIL orders such operations on one object, so a hand-off through a container orders
    /// what each side did before and after it, as a lock would.
    pub fn container_op(&mut self, t: u32, container: ObjId) {
        self.acquire_clock(t, container);
        self.release_clock(t, container);
    }

    /// Thread `site.thread` wrote `value` to location `loc`, replacing `old` (`None`: the
    /// location was empty).
    #[inline]
    pub fn write(&mut self, loc: u32, site: Site, value: Value, old: Option<Value>) {
        let same_object = matches!((old, value), (Some(Value::Obj(a)), Value::Obj(b)) if a == b);
        let t = site.thread as usize;
        if let Some(r) = self.last_read.get_mut(t) {
            *r = u32::MAX;
        }
        let l = &mut self.locs[loc as usize];
        let p = grow(&mut l.pending, t, NO_READ);
        let (read_version, read_depth) = (p.version, p.depth);
        let branch_version = p.branch_version;
        let (bu, bc, lo, hi) = p.branch_region;
        let acts = bu == site.unit
            && bc == site.code
            && lo < site.pc
            && site.pc < hi
            && p.branch_epoch == self.epochs.get(t).copied().unwrap_or(0);
        p.version = u64::MAX;
        p.branch_version = u64::MAX;
        if same_object {
            // Nothing is replaced: the location keeps its version (and its last writer).
            return;
        }
        let rmw = read_version != u64::MAX;
        let before = l.version;
        l.version += 1;
        let between = l.last_write.filter(|w| w.thread != site.thread);
        if rmw && read_version != before {
            let lost = l.depth as i64 - read_depth as i64;
            l.lost += lost;
            l.depth = read_depth + 1;
            if l.first_lost.is_none()
                && lost > 0
                && let Some(w) = between
            {
                let p = &l.pending[t];
                l.first_lost = Some(LostUpdate {
                    read: access(p.site, p.value),
                    overwritten: access(w.site, w.value),
                    writes_between: before - read_version,
                    lost: lost as u64,
                    write: access(site, plain(value)),
                });
            }
        } else {
            l.depth += 1;
        }
        if branch_version != u64::MAX
            && acts
            && branch_version != before
            && let Some(w) = between
        {
            l.check_then_act += 1;
            if l.first_check_then_act.is_none() {
                let p = &l.pending[t];
                l.first_check_then_act = Some(CheckThenAct {
                    check: access(p.branch_site, p.branch_value),
                    between: access(w.site, w.value),
                    act: access(site, plain(value)),
                });
            }
        }
        let clock = self.clocks[t][t];
        let locks = self.held[t];
        l.last_write = Some(LastWrite {
            thread: site.thread,
            clock,
            site,
            rmw,
            locks,
            value: plain(value),
        });
        if let Some(w) = between
            && (rmw || w.rmw)
            && self.clocks[t].get(w.thread as usize).copied().unwrap_or(0) < w.clock
        {
            self.race(loc, w, site, rmw, locks);
        }
    }

    /// Records an unordered pair of writes, once per pair of source lines.
    #[cold]
    fn race(&mut self, loc: u32, w: LastWrite, site: Site, rmw: bool, locks: u32) {
        let l = &mut self.locs[loc as usize];
        let pair = (pack(&w.site), pack(&site));
        if l.last_race == pair {
            return;
        }
        l.last_race = pair;
        let lines = (w.site.line.min(site.line), w.site.line.max(site.line));
        if self.races.contains_key(&lines) {
            return;
        }
        let race = Race {
            label: l.label.clone(),
            first: RaceSide {
                site: w.site,
                rmw: w.rmw,
                locks: self.locksets[w.locks as usize].clone(),
            },
            second: RaceSide {
                site,
                rmw,
                locks: self.locksets[locks as usize].clone(),
            },
        };
        self.races.insert(lines, (loc, race));
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
        self.thread(t);
        if let Some(lc) = self.lock_clocks.get(&lock) {
            join_into(&mut self.clocks[t as usize], lc);
        }
    }

    fn release_clock(&mut self, t: u32, lock: ObjId) {
        self.thread(t);
        let c = self.clocks[t as usize].clone();
        self.lock_clocks.insert(lock, c);
        tick(&mut self.clocks[t as usize], t);
    }

    /// Thread `t` acquired `lock` (its first level, for an RLock).
    pub fn acquire(&mut self, t: u32, lock: ObjId) {
        self.acquire_clock(t, lock);
        let mut set = self.locksets[self.held[t as usize] as usize].clone();
        if let Err(i) = set.binary_search(&lock) {
            set.insert(i, lock);
        }
        self.held[t as usize] = self.lockset(set);
    }

    /// Thread `t` released `lock` completely.
    pub fn release(&mut self, t: u32, lock: ObjId) {
        self.release_clock(t, lock);
        let mut set = self.locksets[self.held[t as usize] as usize].clone();
        set.retain(|&l| l != lock);
        self.held[t as usize] = self.lockset(set);
    }

    /// Thread `parent` started thread `child`.
    pub fn start(&mut self, parent: u32, child: u32) {
        self.thread(parent.max(child));
        let p = self.clocks[parent as usize].clone();
        join_into(&mut self.clocks[child as usize], &p);
        tick(&mut self.clocks[parent as usize], parent);
    }

    /// Thread `parent` joined the finished thread `child`.
    pub fn join(&mut self, parent: u32, child: u32) {
        self.thread(parent.max(child));
        let c = self.clocks[child as usize].clone();
        join_into(&mut self.clocks[parent as usize], &c);
        tick(&mut self.clocks[child as usize], child);
    }

    /// The collector freed objects: forget the locations they owned (their ids will be reused).
    pub fn collected(&mut self, live: impl Fn(ObjId) -> bool) {
        let mut gone = Vec::new();
        for (i, l) in self.locs.iter_mut().enumerate() {
            if !l.dead && !live(l.key.owner()) {
                l.dead = true;
                gone.push(i);
            }
        }
        for i in gone {
            let key = self.locs[i].key.clone();
            if self.index.get(&key) == Some(&(i as u32)) {
                self.index.remove(&key);
            }
            self.locs[i].pending = Vec::new();
        }
        self.lock_clocks.retain(|&lock, _| live(lock));
    }

    /// Locations that lost updates or were checked-then-acted on, in order of first use.
    #[must_use]
    pub fn location_findings(&self) -> Vec<LocationFindings> {
        self.locs
            .iter()
            .filter(|l| l.lost > 0 || l.check_then_act > 0)
            .map(|l| LocationFindings {
                label: l.label.clone(),
                lost: l.lost.max(0) as u64,
                first_lost: l.first_lost.clone(),
                check_then_act: l.check_then_act,
                first_check_then_act: l.first_check_then_act.clone(),
            })
            .collect()
    }

    /// The races, one per pair of source lines, by line.
    #[must_use]
    pub fn races(&self) -> Vec<Race> {
        self.races
            .values()
            .map(|(loc, r)| Race {
                label: self.locs[*loc as usize].label.clone(),
                ..r.clone()
            })
            .collect()
    }

    /// The locks the races mention that have no name yet.
    #[must_use]
    pub fn unnamed_race_locks(&self) -> Vec<ObjId> {
        let mut out: Vec<ObjId> = self
            .races
            .values()
            .flat_map(|(_, r)| r.first.locks.iter().chain(&r.second.locks))
            .filter(|l| !self.lock_names.contains_key(l))
            .copied()
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Names every location whose object still lives anew (an object is often first written
    /// before a global holds it: `self.value = 0` in `__init__`).
    pub fn relabel(&mut self, mut label: impl FnMut(&LocKey) -> Rc<str>) {
        for l in &mut self.locs {
            if !l.dead {
                l.label = label(&l.key);
            }
        }
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

/// One thread of a wait cycle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CycleLink {
    /// The thread.
    pub thread: u32,
    /// What it waits for: a lock, or (`None`) the end of the next thread of the cycle.
    pub waits_for: Option<ObjId>,
    /// The line where it waits.
    pub waits_line: u32,
    /// The lock it holds that the previous thread of the cycle waits for, with the line
    /// where it acquired it (`None` when the previous thread waits to join this one).
    pub holds: Option<(ObjId, u32)>,
}

impl crate::machine::Machine {
    /// Who the blocked thread `t` waits for, forever: the owner of the lock, or the thread it
    /// joins (timed waits end by themselves and wait for no one).
    fn waits_for(&self, t: u32) -> Option<(u32, Option<ObjId>)> {
        use crate::machine::{ThreadState, Wait};
        match self.threads.get(t as usize)?.state {
            ThreadState::Blocked(Wait::Lock {
                lock,
                deadline: None,
            }) => match self.heap.get(lock) {
                crate::object::value::Obj::Lock(l) => l.owner.map(|o| (o, Some(lock))),
                _ => None,
            },
            ThreadState::Blocked(Wait::Join {
                thread,
                deadline: None,
            }) => Some((thread, None)),
            _ => None,
        }
    }

    /// The line of the learner's code where thread `t` is (its innermost frame of unit 0).
    fn user_line(&self, t: u32) -> u32 {
        self.threads[t as usize]
            .frames
            .iter()
            .rev()
            .find(|f| f.unit == 0)
            .map_or(0, |f| {
                let pc = f.pc as usize;
                f.code.obj.lines.get(pc).copied().unwrap_or(0)
            })
    }

    /// Thread `t` has just blocked: if it now waits in a cycle (each thread waiting for a lock
    /// the next holds, or to join it), tells the detector, once per run. A thread waiting for
    /// a lock it holds itself inside gilsim's own modules is a `Condition.wait()` waiting for
    /// a notify, not a cycle.
    pub(crate) fn check_wait_cycle(&mut self, t: u32) {
        let Some(d) = self.detect.as_ref() else {
            return;
        };
        if d.cycle.is_some() {
            return;
        }
        let mut path = vec![t];
        let mut cur = t;
        let mut guard = 0;
        loop {
            let Some((next, _)) = self.waits_for(cur) else {
                return;
            };
            if next == t {
                break;
            }
            if path.contains(&next) || guard > self.threads.len() {
                // A cycle that does not pass through `t` was reported when it formed.
                return;
            }
            path.push(next);
            cur = next;
            guard += 1;
        }
        if path.len() == 1 {
            // Waiting for a Lock it holds itself: any other thread may still release a plain
            // Lock (it is often used as a signal), and Condition.wait() waits like this for a
            // notify. Only the all-blocked check can tell.
            return;
        }
        // Tell the cycle from its lowest thread on.
        let first = (0..path.len()).min_by_key(|&i| path[i]).unwrap_or(0);
        path.rotate_left(first);
        let mut links = Vec::new();
        for (i, &th) in path.iter().enumerate() {
            let (_, lock) = self.waits_for(th).unwrap_or((th, None));
            let prev = path[(i + path.len() - 1) % path.len()];
            let holds = self.waits_for(prev).and_then(|(_, l)| l).map(|l| {
                let line = match self.heap.get(l) {
                    crate::object::value::Obj::Lock(ls) => ls.acquired_at.map_or(0, |at| {
                        self.units
                            .get(at.unit as usize)
                            .and_then(|u| u.codes.get(at.code as usize))
                            .and_then(|c| c.obj.lines.get(at.pc as usize).copied())
                            .unwrap_or(0)
                    }),
                    _ => 0,
                };
                (l, line)
            });
            links.push(CycleLink {
                thread: th,
                waits_for: lock,
                waits_line: self.user_line(th),
                holds,
            });
        }
        let step = self.steps;
        if let Some(d) = self.detect.as_mut() {
            d.cycle = Some((step, links));
        }
    }
}
