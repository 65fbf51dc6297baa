//! Replay: follow a recorded or hand-written schedule instruction by instruction; when it
//! runs out, the run's policy takes over.

use super::schedule::{Schedule, Segment, Until};
use super::{Decision, GiveUp, PolicyError, SchedView};

/// Follows a schedule. While it lasts it decides after every completed instruction (not only
/// at check points) and when a thread gives the GIL up; when it runs out, the machine's policy
/// decides.
#[derive(Clone, Debug)]
pub struct Replay {
    schedule: Schedule,
    pos: usize,
    done_in_segment: u64,
}

impl Replay {
    /// Replays `schedule`.
    #[must_use]
    pub fn new(schedule: Schedule) -> Self {
        Replay {
            schedule,
            pos: 0,
            done_in_segment: 0,
        }
    }

    /// Whether the whole schedule was followed.
    #[must_use]
    pub fn finished(&self) -> bool {
        self.pos >= self.schedule.0.len()
    }

    fn current(&self) -> Option<Segment> {
        self.schedule.0.get(self.pos).copied()
    }

    /// Counts a completed instruction of `thread` (called by the machine).
    pub fn completed(&mut self, thread: u32) {
        if let Some(seg) = self.current()
            && seg.thread == thread
        {
            self.done_in_segment += 1;
        }
    }

    fn segment_done(&self, seg: Segment, v: &SchedView<'_>) -> bool {
        match seg.until {
            Until::Instructions(n) => self.done_in_segment >= n,
            Until::Line(l) => v.next_line == l,
        }
    }

    fn advance(&mut self) {
        self.pos += 1;
        self.done_in_segment = 0;
    }

    /// The decision after one completed instruction of the running thread, at a check point
    /// or elsewhere (`v.at_check_point` says which); a `SwitchTo` where there is no check
    /// point is a schedule that cannot be followed, which the machine reports.
    ///
    /// # Errors
    /// The schedule wants another thread than the running one, or one that cannot run.
    pub fn after_instruction(&mut self, v: &SchedView<'_>) -> Result<Decision, PolicyError> {
        while let Some(seg) = self.current() {
            if seg.thread != v.current {
                return Err(PolicyError(format!(
                    "schedule entry {} wants thread {} but thread {} is running",
                    self.pos + 1,
                    seg.thread,
                    v.current
                )));
            }
            if !self.segment_done(seg, v) {
                return Ok(Decision::Continue);
            }
            if seg.gives_up {
                // The thread must now try an instruction that gives the GIL up.
                if let Until::Instructions(n) = seg.until
                    && self.done_in_segment > n
                {
                    return Err(PolicyError(format!(
                        "schedule entry {} says thread {} gives the GIL up after {} instructions, but it went on",
                        self.pos + 1,
                        seg.thread,
                        n
                    )));
                }
                return Ok(Decision::Continue);
            }
            let next = self.schedule.0.get(self.pos + 1).copied();
            self.advance();
            match next {
                None => return Ok(Decision::Continue),
                Some(n) if n.thread == v.current => continue,
                // Not a check point: the machine refuses the switch with its position.
                Some(n) if !v.at_check_point => return Ok(Decision::SwitchTo(n.thread)),
                Some(n) if v.others.contains(&n.thread) => return Ok(Decision::SwitchTo(n.thread)),
                Some(n) => {
                    return Err(PolicyError(format!(
                        "schedule entry {} asks for thread {}, which cannot run here (it is blocked, finished or not started)",
                        self.pos + 1,
                        n.thread
                    )));
                }
            }
        }
        Ok(Decision::Continue)
    }

    /// The running thread gave the GIL up (`why`): the thread the schedule names next, among
    /// `candidates`; `None` once the schedule is used up (the policy chooses).
    ///
    /// # Errors
    /// The thread stopped before its entry's count, or the next entry's thread cannot run.
    pub fn choose(
        &mut self,
        v: &SchedView<'_>,
        c: &[u32],
        why: GiveUp,
    ) -> Result<Option<u32>, PolicyError> {
        // The thread that stopped ends its entry here.
        if let Some(seg) = self.current()
            && seg.thread == v.current
        {
            if let Until::Instructions(n) = seg.until
                && self.done_in_segment != n
            {
                let how = match why {
                    GiveUp::Blocked => "blocked",
                    GiveUp::Sleep => "slept",
                    GiveUp::Io => "waited for I/O",
                    GiveUp::Exit => "finished",
                    GiveUp::Start => "started a thread",
                };
                return Err(PolicyError(format!(
                    "schedule entry {} gives thread {} {} instructions, but it {how} after {}",
                    self.pos + 1,
                    seg.thread,
                    n,
                    self.done_in_segment
                )));
            }
            self.advance();
        }
        match self.current() {
            None => Ok(None),
            Some(seg) if c.contains(&seg.thread) => Ok(Some(seg.thread)),
            Some(seg) => Err(PolicyError(format!(
                "schedule entry {} asks for thread {}, which cannot run here (it is blocked, finished or not started)",
                self.pos + 1,
                seg.thread
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::view;
    use super::*;

    #[test]
    fn follows_the_schedule_then_hands_over() {
        let mut r = Replay::new(Schedule::parse("0:2 1:1").unwrap());
        r.completed(0);
        assert_eq!(
            r.after_instruction(&view(0, &[1], 1, 0)),
            Ok(Decision::Continue)
        );
        r.completed(0);
        assert_eq!(
            r.after_instruction(&view(0, &[1], 2, 0)),
            Ok(Decision::SwitchTo(1))
        );
        r.completed(1);
        assert_eq!(
            r.after_instruction(&view(1, &[0], 1, 0)),
            Ok(Decision::Continue)
        );
        assert!(r.finished());
        assert_eq!(r.choose(&view(1, &[], 0, 0), &[0], GiveUp::Exit), Ok(None));
    }

    #[test]
    fn says_why_a_schedule_cannot_be_followed() {
        let mut r = Replay::new(Schedule::parse("1:5").unwrap());
        let e = r.after_instruction(&view(0, &[1], 1, 0)).unwrap_err();
        assert!(
            e.0.contains("wants thread 1 but thread 0 is running"),
            "{}",
            e.0
        );
        let mut r = Replay::new(Schedule::parse("0:5 1:1").unwrap());
        r.completed(0);
        let e = r
            .choose(&view(0, &[], 0, 0), &[1], GiveUp::Blocked)
            .unwrap_err();
        assert!(
            e.0.contains("gives thread 0 5 instructions, but it blocked after 1"),
            "{}",
            e.0
        );
    }
}
