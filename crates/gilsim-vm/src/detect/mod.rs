//! The detectors, one file each, observed inline at every shared-memory access and
//! synchronisation event of the learner's code, without storing events:
//! - [`lost_update`]: a write computed from a stale read of the same location;
//! - [`check_then_act`]: a branch decided by a read, acted on after another thread's write;
//! - [`races`]: writes nothing orders (FastTrack's happens-before);
//! - [`deadlock`]: a wait cycle among blocked threads.
//!
//! [`Detector`] is what the machine feeds. It keeps what every location-based detector needs
//! (each location's version, last write and each thread's pending read of it) and hands each
//! event to the detectors by direct calls, so the run loop pays no dynamic dispatch. A store
//! that puts back the very object already bound (`l += [1]`) is no new version, so extending
//! a list in place loses nothing.
//!
//! Only accesses made by the learner's own code (unit 0) are observed; C-level operations
//! (`list.append`, `lst.sort()`) are single steps under the GIL and are no accesses here.

pub(crate) mod check_then_act;
pub(crate) mod deadlock;
pub(crate) mod lost_update;
pub(crate) mod races;

pub(crate) use check_then_act::CheckThenAct;
pub(crate) use deadlock::CycleLink;
pub(crate) use lost_update::LostUpdate;
pub(crate) use races::{Race, RaceSide};

use crate::object::dict::{Fnv, HKey};
use crate::object::value::{ObjId, Value};
use crate::observer::Site;
use check_then_act::Branch;
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

/// A thread's last read of a location, which a later write of it may be computed from.
#[derive(Clone, Copy, Debug)]
struct Pending {
    /// The location's version when read (`u64::MAX`: none pending).
    version: u64,
    /// The location's update depth when read (see [`lost_update`]).
    depth: u64,
    /// Where.
    site: Site,
    /// The value read when a plain value, else `Null`.
    value: Value,
    /// The read that decided the thread's last branch, if any since its last write.
    branch: Branch,
}

impl Pending {
    const NONE: Pending = Pending {
        version: u64::MAX,
        depth: 0,
        site: Site::NONE,
        value: Value::Null,
        branch: Branch::NONE,
    };
}

/// The pending read a write is computed from, as the lost-update detector needs it.
#[derive(Clone, Copy, Debug)]
struct Read {
    version: u64,
    depth: u64,
    site: Site,
    value: Value,
}

/// The last write of a location.
#[derive(Clone, Copy, Debug)]
struct LastWrite {
    thread: u32,
    /// The writer's own clock entry at the write (its epoch, see [`races`]).
    clock: u32,
    site: Site,
    /// Whether the write was computed from the writer's read of the location.
    rmw: bool,
    /// The lockset the writer held (see [`races`]).
    locks: u32,
    /// The value written when a plain value, else `Null`.
    value: Value,
}

/// A write as the detectors see it.
#[derive(Clone, Copy, Debug)]
struct Write {
    site: Site,
    /// The value written when a plain value, else `Null`.
    value: Value,
    /// Computed from the writer's own pending read of the location.
    rmw: bool,
}

/// What the detectors know of one location.
#[derive(Clone, Debug)]
struct LocState {
    key: LocKey,
    /// The learner's name for it (`global i`, `counter.value`, `stock['apples']`).
    label: Rc<str>,
    version: u64,
    last_write: Option<LastWrite>,
    /// Per thread id.
    pending: Vec<Pending>,
    lost: lost_update::AtLocation,
    check_then_act: check_then_act::AtLocation,
    race: races::AtLocation,
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

/// The detectors' state. One per run; the machine feeds it.
#[derive(Clone, Debug, Default)]
pub struct Detector {
    locs: Vec<LocState>,
    index: HashMap<LocKey, u32, std::hash::BuildHasherDefault<Fnv>>,
    /// The happens-before clocks and the races found.
    races: races::Races,
    /// Per thread: the location it read last (`u32::MAX`: none), for branch marking.
    last_read: Vec<u32>,
    /// Per thread: backward jumps taken (loop iterations), for check-then-act.
    epochs: Vec<u32>,
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

impl Detector {
    /// A detector that has seen nothing; thread 0 (main) exists.
    #[must_use]
    pub fn new() -> Detector {
        let mut d = Detector::default();
        d.thread(0);
        d
    }

    fn thread(&mut self, t: u32) {
        self.races.thread(t);
        let n = t as usize + 1;
        if self.last_read.len() < n {
            self.last_read.resize(n, u32::MAX);
            self.epochs.resize(n, 0);
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
            last_write: None,
            pending: Vec::new(),
            lost: lost_update::AtLocation::default(),
            check_then_act: check_then_act::AtLocation::default(),
            race: races::AtLocation::default(),
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
        let (version, depth) = (l.version, l.lost.depth);
        let p = grow(&mut l.pending, t, Pending::NONE);
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
            p.branch = Branch::decided(p, site, target, self.epochs[thread]);
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
        self.thread(t);
        self.races.container_op(t, container);
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
        let epoch = self.epochs.get(t).copied().unwrap_or(0);
        let l = &mut self.locs[loc as usize];
        let p = grow(&mut l.pending, t, Pending::NONE);
        let read = Read {
            version: p.version,
            depth: p.depth,
            site: p.site,
            value: p.value,
        };
        let acting = p.branch.acted_on_by(site, epoch).then_some(p.branch);
        p.version = u64::MAX;
        p.branch.version = u64::MAX;
        if same_object {
            // Nothing is replaced: the location keeps its version (and its last writer).
            return;
        }
        let w = Write {
            site,
            value: plain(value),
            rmw: read.version != u64::MAX,
        };
        let before = l.version;
        l.version += 1;
        let between = l.last_write.filter(|o| o.thread != site.thread);
        l.lost.on_write(&w, &read, before, between);
        if let Some(branch) = acting {
            l.check_then_act
                .on_acting_write(&w, &branch, before, between);
        }
        let (clock, locks) = self.races.stamp(site.thread);
        l.last_write = Some(LastWrite {
            thread: site.thread,
            clock,
            site,
            rmw: w.rmw,
            locks,
            value: w.value,
        });
        self.races.on_write(&mut l.race, loc, &l.label, &w, between);
    }

    /// Thread `t` acquired `lock` (its first level, for an RLock).
    pub fn acquire(&mut self, t: u32, lock: ObjId) {
        self.thread(t);
        self.races.acquire(t, lock);
    }

    /// Thread `t` released `lock` completely.
    pub fn release(&mut self, t: u32, lock: ObjId) {
        self.thread(t);
        self.races.release(t, lock);
    }

    /// Thread `parent` started thread `child`.
    pub fn start(&mut self, parent: u32, child: u32) {
        self.thread(parent.max(child));
        self.races.start(parent, child);
    }

    /// Thread `parent` joined the finished thread `child`.
    pub fn join(&mut self, parent: u32, child: u32) {
        self.thread(parent.max(child));
        self.races.join(parent, child);
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
        self.races.collected(&live);
    }

    /// Locations that lost updates or were checked-then-acted on, in order of first use.
    #[must_use]
    pub fn location_findings(&self) -> Vec<LocationFindings> {
        self.locs
            .iter()
            .filter(|l| l.lost.lost > 0 || l.check_then_act.count > 0)
            .map(|l| LocationFindings {
                label: l.label.clone(),
                lost: l.lost.lost.max(0) as u64,
                first_lost: l.lost.first.as_deref().cloned(),
                check_then_act: l.check_then_act.count,
                first_check_then_act: l.check_then_act.first.as_deref().cloned(),
            })
            .collect()
    }

    /// The races, one per pair of source lines, by line.
    #[must_use]
    pub fn races(&self) -> Vec<Race> {
        self.races
            .found
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
            .found
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A site of thread `thread` at instruction `pc` of the learner's module, line `line`.
    pub(crate) fn at(thread: u32, pc: u32, line: u32) -> Site {
        Site {
            thread,
            unit: 0,
            code: 0,
            pc,
            line,
            step: 0,
        }
    }

    /// A module global's location.
    pub(crate) fn counter_key() -> LocKey {
        LocKey::Global(ObjId(1), "i".into())
    }

    #[test]
    fn a_collected_owner_forgets_its_locations() {
        let mut d = Detector::new();
        let i = d.add_location(counter_key(), "global i".into());
        assert_eq!(d.find(&counter_key()), Some(i));
        d.collected(|o| o != ObjId(1));
        assert_eq!(d.find(&counter_key()), None);
        // A new object with the reused id is a new location.
        let j = d.add_location(counter_key(), "global i".into());
        assert_ne!(i, j);
    }
}
