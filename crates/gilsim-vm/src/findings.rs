//! Turns the detectors' state into the run record's findings, in the learner's words: lines,
//! opcode names, values and lock names instead of object ids and code positions.

use crate::detect::{Access, CycleLink, RaceSide};
use crate::machine::Machine;
use crate::object::value::{Obj, ObjId, Value};
use crate::observer::Site;
use crate::record::{
    AccessRecord, CheckThenActRecord, CycleRecord, DeadlockRecord, Findings, FirstLostRecord,
    LostUpdateRecord, RaceRecord, RaceSideRecord,
};

impl Machine {
    /// The findings of the run so far (empty when detection is off).
    pub fn findings(&mut self) -> Findings {
        let Some(mut d) = self.detect.take() else {
            return Findings::default();
        };
        d.relabel(|key| self.location_label(key));
        let mut f = Findings::default();
        for loc in d.location_findings() {
            if let Some(first) = &loc.first_lost {
                f.lost_updates.push(LostUpdateRecord {
                    location: loc.label.to_string(),
                    count: loc.lost,
                    first: FirstLostRecord {
                        read: self.access(&first.read),
                        overwritten: self.access(&first.overwritten),
                        writes_between: first.writes_between,
                        lost: first.lost,
                        write: self.access(&first.write),
                    },
                });
            }
            if let Some(c) = &loc.first_check_then_act {
                f.check_then_act.push(CheckThenActRecord {
                    location: loc.label.to_string(),
                    count: loc.check_then_act,
                    check: self.access(&c.check),
                    between: self.access(&c.between),
                    act: self.access(&c.act),
                });
            }
        }
        for r in d.races() {
            let first = self.race_side(&r.first, &d);
            let second = self.race_side(&r.second, &d);
            let common = r.first.locks.iter().any(|l| r.second.locks.contains(l));
            let hint = race_hint(&first, &second, common);
            f.races.push(RaceRecord {
                location: r.label.to_string(),
                first,
                second,
                hint,
            });
        }
        if let Some((step, links)) = &d.cycle {
            f.deadlock = Some(DeadlockRecord {
                step: *step,
                cycle: links.iter().map(|l| self.cycle_record(l, links)).collect(),
            });
        }
        self.detect = Some(d);
        f
    }

    fn op_at(&self, s: &Site) -> String {
        self.units
            .get(s.unit as usize)
            .and_then(|u| u.codes.get(s.code as usize))
            .and_then(|c| c.obj.instrs.get(s.pc as usize))
            .map_or_else(|| "?".to_string(), |i| i.view.name().to_string())
    }

    fn access(&mut self, a: &Access) -> AccessRecord {
        AccessRecord {
            thread: a.site.thread,
            line: a.site.line,
            op: self.op_at(&a.site),
            step: a.site.step,
            value: a.value.map(|v| self.repr_of(v)),
        }
    }

    fn race_side(&mut self, s: &RaceSide, d: &crate::detect::Detector) -> RaceSideRecord {
        RaceSideRecord {
            thread: s.site.thread,
            line: s.site.line,
            op: self.op_at(&s.site),
            read_modify_write: s.rmw,
            locks: s
                .locks
                .iter()
                .map(|l| {
                    d.lock_names
                        .get(l)
                        .cloned()
                        .unwrap_or_else(|| self.object_name(*l))
                })
                .collect(),
        }
    }

    fn cycle_record(&mut self, l: &CycleLink, all: &[CycleLink]) -> CycleRecord {
        let next = all
            .iter()
            .cycle()
            .skip_while(|x| x.thread != l.thread)
            .nth(1)
            .map_or(l.thread, |x| x.thread);
        let waits_for = match l.waits_for {
            Some(lock) => self.object_name(lock),
            None => format!(
                "thread {next} ({}) to finish",
                self.threads[next as usize].name
            ),
        };
        CycleRecord {
            thread: l.thread,
            name: self.threads[l.thread as usize].name.to_string(),
            holds: l.holds.map(|(lock, _)| self.object_name(lock)),
            acquired_line: l.holds.map(|(_, line)| line),
            waits_for,
            waits_line: l.waits_line,
        }
    }

    /// The globals of the learner's module, by name.
    fn main_globals(&self) -> Vec<(String, Value)> {
        match self.heap.get(self.main_module) {
            Obj::Module(md) => (0..md.dict.len())
                .filter_map(|i| md.dict.get_index(i))
                .filter_map(|(k, v)| self.text_of(k).map(|k| (k, v)))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The name of the first global of the learner's module that holds `o`.
    pub(crate) fn global_name_of(&self, o: ObjId) -> Option<String> {
        self.main_globals()
            .into_iter()
            .find(|(_, v)| *v == Value::Obj(o))
            .map(|(name, _)| name)
    }

    /// Where the learner's program holds `o`: a global (`lock`) or an attribute of an object
    /// a global holds (`counter.lock`).
    pub(crate) fn holder_name(&self, o: ObjId) -> Option<String> {
        if let Some(name) = self.global_name_of(o) {
            return Some(name);
        }
        for (name, v) in &self.main_globals() {
            if let Value::Obj(holder) = v
                && let Obj::Instance(inst) = self.heap.get(*holder)
            {
                for i in 0..inst.dict.len() {
                    if let Some((k, Value::Obj(x))) = inst.dict.get_index(i)
                        && x == o
                        && let Some(attr) = self.text_of(k)
                    {
                        return Some(format!("{name}.{attr}"));
                    }
                }
            }
        }
        None
    }

    /// A dict key or list index as Python writes it: `'apples'`, `3`, `(1, 2)`.
    pub(crate) fn key_repr(&self, k: &crate::object::dict::HKey) -> String {
        use crate::object::dict::HKey;
        match k {
            HKey::None => "None".to_string(),
            HKey::Int(i) => i.to_string(),
            HKey::BigInt(s) => s.to_string(),
            HKey::Float(bits) => gilsim_compiler::dis::float_repr(f64::from_bits(*bits)),
            HKey::Str(s) => format!("{:?}", s.as_ref()).replacen('"', "'", 2),
            HKey::Tuple(items) => {
                let parts: Vec<String> = items.iter().map(|x| self.key_repr(x)).collect();
                if parts.len() == 1 {
                    format!("({},)", parts[0])
                } else {
                    format!("({})", parts.join(", "))
                }
            }
            HKey::Id(id) => {
                let o = ObjId(*id);
                if self.heap.is_live(o) {
                    format!("<{} object>", self.type_name(Value::Obj(o)))
                } else {
                    "<an object>".to_string()
                }
            }
        }
    }

    /// The learner's name for an object: the global that holds it (`lock`), or an attribute
    /// of an object a global holds (`counter.lock`), or `a lock`.
    pub fn object_name(&self, o: ObjId) -> String {
        if let Some(name) = self.holder_name(o) {
            return name;
        }
        match self.heap.get(o) {
            Obj::Lock(l) if l.reentrant => "an RLock".to_string(),
            Obj::Lock(_) => "a lock".to_string(),
            _ => format!("a {} object", self.type_name(Value::Obj(o))),
        }
    }

    fn text_of(&self, v: Value) -> Option<String> {
        match v {
            Value::Obj(o) => match self.heap.get(o) {
                Obj::Str(s) => Some(s.to_string()),
                _ => None,
            },
            _ => None,
        }
    }
}

/// The fix for an unsynchronised pair, from the locks each side held (`common`: the sides
/// share a lock object).
fn race_hint(a: &RaceSideRecord, b: &RaceSideRecord, common: bool) -> String {
    match (a.locks.is_empty(), b.locks.is_empty()) {
        (true, true) => {
            "no lock is held on either side: hold one lock around the whole read-modify-write in every thread".to_string()
        }
        (false, true) => format!(
            "{} is held at line {} but not at line {}: take it there too",
            a.locks.join(", "),
            a.line,
            b.line
        ),
        (true, false) => format!(
            "{} is held at line {} but not at line {}: take it there too",
            b.locks.join(", "),
            b.line,
            a.line
        ),
        (false, false) if !common && a.locks == b.locks => {
            "each thread holds a different lock object (a new Lock per thread or per call): every thread must take one lock they all share".to_string()
        }
        (false, false) if !common => format!(
            "line {} holds {} and line {} holds {}: both sides must hold the same lock",
            a.line,
            a.locks.join(", "),
            b.line,
            b.locks.join(", ")
        ),
        (false, false) => "the locks held do not order these accesses".to_string(),
    }
}
