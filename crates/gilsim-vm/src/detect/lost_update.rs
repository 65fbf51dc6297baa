//! Lost updates: a write computed from a stale read of the same location.
//!
//! Each location has a version and an update *depth*. A write computed from a thread's earlier
//! read at version `r` includes the updates counted in `depth(r)`; if other writes landed
//! since, the ones it overwrites are `depth(now) - depth(r)`. Summed over writes this is exact:
//! for the counter, the total equals `THREADS * ITERATIONS - i`.

use super::{Access, LastWrite, Read, Write, access};

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

/// What this detector knows of one location.
#[derive(Clone, Debug, Default)]
pub(super) struct AtLocation {
    /// Updates the location's value includes.
    pub depth: u64,
    /// Updates that vanished, net: a stale write can also bring back updates that an earlier
    /// stale write had erased, so single writes may count negative; the sum is exact.
    pub lost: i64,
    /// The first one.
    /// (Boxed: most locations never have one, and every location carries the field.)
    pub first: Option<Box<LostUpdate>>,
}

impl AtLocation {
    /// A write landed: `read` is the writer's pending read (its version and depth), `before`
    /// the location's version before this write, `between` the last write of another thread.
    #[inline]
    pub(super) fn on_write(
        &mut self,
        w: &Write,
        read: &Read,
        before: u64,
        between: Option<LastWrite>,
    ) {
        if w.rmw && read.version != before {
            let lost = self.depth as i64 - read.depth as i64;
            self.lost += lost;
            self.depth = read.depth + 1;
            if self.first.is_none()
                && lost > 0
                && let Some(o) = between
            {
                self.first = Some(Box::new(LostUpdate {
                    read: access(read.site, read.value),
                    overwritten: access(o.site, o.value),
                    writes_between: before - read.version,
                    lost: lost as u64,
                    write: access(w.site, w.value),
                }));
            }
        } else {
            self.depth += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{at, counter_key};
    use super::super::*;

    #[test]
    fn counts_the_updates_a_stale_write_erases() {
        let mut d = Detector::new();
        let i = d.add_location(counter_key(), "global i".into());
        d.start(0, 1);
        d.start(0, 2);
        // Threads 1 and 2 read 0; 1 writes 1; 2 writes 1 over it: one update lost.
        d.read(i, at(1, 10, 1), Value::Int(0));
        d.read(i, at(2, 10, 2), Value::Int(0));
        d.write(i, at(1, 11, 3), Value::Int(1), Some(Value::Int(0)));
        d.write(i, at(2, 11, 4), Value::Int(1), Some(Value::Int(1)));
        let f = d.location_findings();
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].lost, 1);
        let first = f[0].first_lost.as_ref().expect("the first lost update");
        assert_eq!(first.read.site.thread, 2);
        assert_eq!(first.overwritten.site.thread, 1);
        assert_eq!(first.write.value, Some(Value::Int(1)));
        // In turn, the same increments lose nothing.
        let mut d = Detector::new();
        let i = d.add_location(counter_key(), "global i".into());
        d.start(0, 1);
        d.start(0, 2);
        for (n, t) in [1, 2, 1, 2].into_iter().enumerate() {
            let n = n as i64;
            d.read(i, at(t, 10, 0), Value::Int(n));
            d.write(i, at(t, 11, 0), Value::Int(n + 1), Some(Value::Int(n)));
        }
        assert!(d.location_findings().is_empty());
    }

    #[test]
    fn putting_back_the_same_object_is_no_update() {
        // `l += [1]`: INPLACE_ADD extends the list, STORE puts the same list back.
        let mut d = Detector::new();
        let l = d.add_location(counter_key(), "global l".into());
        d.start(0, 1);
        d.start(0, 2);
        let list = Value::Obj(ObjId(7));
        d.read(l, at(1, 10, 1), list);
        d.read(l, at(2, 10, 2), list);
        d.write(l, at(1, 11, 3), list, Some(list));
        d.write(l, at(2, 11, 4), list, Some(list));
        assert!(d.location_findings().is_empty());
    }
}
