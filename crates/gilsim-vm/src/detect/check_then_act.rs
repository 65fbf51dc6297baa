//! Check-then-act: a read that decides a branch (the last read before a conditional jump on
//! its line), followed by the same thread's write of that location inside the code the branch
//! guards, with another thread's write between them.

use super::{Access, LastWrite, Pending, Site, Value, Write, access};

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

/// A thread's read that decided a branch, kept with its pending read of the location.
#[derive(Clone, Copy, Debug)]
pub(super) struct Branch {
    /// The version at the read (`u64::MAX`: none since this thread's last write).
    pub version: u64,
    /// Where that read was.
    pub site: Site,
    /// What it read.
    pub value: Value,
    /// The code the branch guards: (unit, code, first pc, end pc). A write there acts on
    /// the check.
    pub region: (u16, u32, u32, u32),
    /// The thread's loop iteration ([`super::Detector::back_edge`]) at the branch: a write in
    /// a later iteration does not act on this check.
    pub epoch: u32,
}

impl Branch {
    /// No branch decided.
    pub(super) const NONE: Branch = Branch {
        version: u64::MAX,
        site: Site::NONE,
        value: Value::Null,
        region: (0, 0, 0, 0),
        epoch: 0,
    };

    /// The conditional jump at `site` (to `target`) was decided by the pending read `read`.
    pub(super) fn decided(read: &Pending, site: Site, target: u32, epoch: u32) -> Branch {
        // A forward jump skips the guarded code; a backward one (an `if` at the end of a loop
        // body jumps straight back to the loop) guards what follows it.
        let end = if target > site.pc { target } else { u32::MAX };
        Branch {
            version: read.version,
            site: read.site,
            value: read.value,
            region: (site.unit, site.code, site.pc, end),
            epoch,
        }
    }

    /// Whether a write at `site`, in loop iteration `epoch`, acts on this check.
    #[inline]
    pub(super) fn acted_on_by(&self, site: Site, epoch: u32) -> bool {
        let (unit, code, lo, hi) = self.region;
        self.version != u64::MAX
            && unit == site.unit
            && code == site.code
            && lo < site.pc
            && site.pc < hi
            && self.epoch == epoch
    }
}

/// What this detector knows of one location.
#[derive(Clone, Debug, Default)]
pub(super) struct AtLocation {
    /// Violations.
    pub count: u64,
    /// The first one.
    /// (Boxed: most locations never have one, and every location carries the field.)
    pub first: Option<Box<CheckThenAct>>,
}

impl AtLocation {
    /// A write landed that acts on `branch` (see [`Branch::acted_on_by`]); `before` is the
    /// location's version before it, `between` the last write of another thread.
    pub(super) fn on_acting_write(
        &mut self,
        w: &Write,
        branch: &Branch,
        before: u64,
        between: Option<LastWrite>,
    ) {
        if branch.version != before
            && let Some(o) = between
        {
            self.count += 1;
            if self.first.is_none() {
                self.first = Some(Box::new(CheckThenAct {
                    check: access(branch.site, branch.value),
                    between: access(o.site, o.value),
                    act: access(w.site, w.value),
                }));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{at, counter_key};
    use super::super::*;

    /// `if stock > 0:` (read at pc 10, jump at pc 11 over pcs 12..20), then `stock -= 1` at
    /// pc 14 by threads 1 and 2, with 2's write between 1's check and act when `interleave`.
    fn sell_twice(interleave: bool) -> Vec<LocationFindings> {
        let mut d = Detector::new();
        let s = d.add_location(counter_key(), "global stock".into());
        d.start(0, 1);
        d.start(0, 2);
        let check = |d: &mut Detector, t: u32| {
            d.read(s, at(t, 10, 0), Value::Int(1));
            d.branch(at(t, 11, 0), 20);
        };
        let act = |d: &mut Detector, t: u32, old: i64| {
            d.read(s, at(t, 13, 0), Value::Int(old));
            d.write(s, at(t, 14, 0), Value::Int(old - 1), Some(Value::Int(old)));
        };
        check(&mut d, 1);
        if interleave {
            check(&mut d, 2);
            act(&mut d, 2, 1);
            act(&mut d, 1, 0);
        } else {
            act(&mut d, 1, 1);
            check(&mut d, 2);
            act(&mut d, 2, 0);
        }
        d.location_findings()
    }

    #[test]
    fn a_write_between_the_check_and_the_act_is_reported() {
        let f = sell_twice(true);
        assert_eq!(f[0].check_then_act, 1);
        let first = f[0].first_check_then_act.as_ref().expect("reported");
        assert_eq!(first.check.site.thread, 1);
        assert_eq!(first.between.site.thread, 2);
        assert!(sell_twice(false).iter().all(|l| l.check_then_act == 0));
    }

    #[test]
    fn only_writes_inside_the_guarded_code_act() {
        let b = Branch {
            version: 3,
            site: at(1, 10, 0),
            value: Value::Int(1),
            region: (0, 0, 11, 20),
            epoch: 2,
        };
        assert!(b.acted_on_by(at(1, 14, 0), 2));
        assert!(!b.acted_on_by(at(1, 20, 0), 2), "past the guarded code");
        assert!(!b.acted_on_by(at(1, 14, 0), 3), "in a later loop iteration");
        assert!(!Branch::NONE.acted_on_by(at(1, 14, 0), 0));
    }
}
