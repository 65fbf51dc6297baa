//! Deadlock: a wait cycle among blocked threads (each waits for a lock the next holds, or to
//! join it), found when a thread blocks. (A run where every thread is blocked without a
//! cycle is the machine's own "all blocked" end.)

use crate::machine::Machine;
use crate::object::value::ObjId;

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

impl Machine {
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

#[cfg(test)]
mod tests {
    use crate::run::{RunConfig, run_source};
    use gilsim_compiler::Profile;

    fn cycle_of(src: &str) -> Option<Vec<(u32, u32)>> {
        let mut cfg = RunConfig::new("t.py", Profile::default());
        cfg.detect = true;
        let r = run_source(src, &cfg).expect("runs");
        let d = r.record.findings.deadlock?;
        Some(d.cycle.iter().map(|c| (c.thread, c.waits_line)).collect())
    }

    #[test]
    fn two_threads_waiting_for_each_others_lock_are_a_cycle() {
        // Main holds `a`; the thread takes `b` and waits for `a`; then main waits for `b`.
        let src = "import threading, time\na = threading.Lock()\nb = threading.Lock()\n\
                   a.acquire()\ndef t():\n    b.acquire()\n    a.acquire()\n\
                   th = threading.Thread(target=t)\nth.start()\ntime.sleep(0.1)\nb.acquire()\n";
        // Told from the lowest thread: main waits at line 11, the thread at line 7.
        assert_eq!(cycle_of(src), Some(vec![(0, 11), (1, 7)]));
    }

    #[test]
    fn a_lock_waited_for_by_its_own_holder_is_no_cycle() {
        // A plain Lock is often a signal another thread may release: only "all blocked" tells.
        let src = "import threading\nl = threading.Lock()\nl.acquire()\ndef t():\n    l.release()\n\
                   th = threading.Thread(target=t)\nth.start()\nl.acquire()\nth.join()\nprint('ok')\n";
        assert_eq!(cycle_of(src), None);
    }
}
