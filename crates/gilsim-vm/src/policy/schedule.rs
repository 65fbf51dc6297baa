//! Schedules: the decisions of a run as compact, hand-editable text, and their recorder.
//!
//! `0:120 1:3 2:57 1@8` reads: thread 0 completes 120 instructions, then thread 1 completes 3,
//! thread 2 completes 57, then thread 1 runs until it is about to execute line 8. An instruction
//! that blocks (a contended `acquire`) does not complete. When the schedule runs out, the run
//! continues under its policy.

use serde::{Deserialize, Serialize};
use std::fmt;

/// How long one entry lets its thread run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Until {
    /// This many completed instructions.
    Instructions(u64),
    /// Until the thread is about to execute an instruction of this line.
    Line(u32),
}

/// One schedule entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    /// The thread that runs.
    pub thread: u32,
    /// How long.
    pub until: Until,
    /// The entry ends because the thread gives the GIL up by itself on its next instruction
    /// (blocks, sleeps, starts a thread), written with a trailing `+` (`0:8+`), rather than
    /// being preempted at a check point.
    pub gives_up: bool,
}

/// A schedule.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Schedule(pub Vec<Segment>);

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            match s.until {
                Until::Instructions(n) => write!(f, "{}:{}", s.thread, n)?,
                Until::Line(l) => write!(f, "{}@{}", s.thread, l)?,
            }
            if s.gives_up {
                f.write_str("+")?;
            }
        }
        Ok(())
    }
}

impl Schedule {
    /// Parses schedule text.
    ///
    /// # Errors
    /// A message naming the entry that is not `T:N` or `T@LINE`.
    pub fn parse(text: &str) -> Result<Schedule, String> {
        let mut out = Vec::new();
        for (i, tok) in text.split_whitespace().enumerate() {
            let bad = || {
                format!(
                    "schedule entry {} `{tok}` is not THREAD:INSTRUCTIONS or THREAD@LINE (e.g. `0:120 1@8`)",
                    i + 1
                )
            };
            let (body, gives_up) = match tok.strip_suffix('+') {
                Some(b) => (b, true),
                None => (tok, false),
            };
            let seg = if let Some((t, n)) = body.split_once(':') {
                Segment {
                    thread: t.parse().map_err(|_| bad())?,
                    until: Until::Instructions(n.parse().map_err(|_| bad())?),
                    gives_up,
                }
            } else if let Some((t, l)) = body.split_once('@') {
                Segment {
                    thread: t.parse().map_err(|_| bad())?,
                    until: Until::Line(l.parse().map_err(|_| bad())?),
                    gives_up,
                }
            } else {
                return Err(bad());
            };
            out.push(seg);
        }
        Ok(Schedule(out))
    }
}

/// Records the schedule a run actually followed. It is told only about switches and
/// give-ups (with the machine's instruction count at that moment), never per instruction.
#[derive(Clone, Debug, Default)]
pub struct Recorder {
    segments: Vec<(u32, u64, bool)>,
    open_thread: u32,
    open_start: u64,
    /// Recording nothing (an exploration's search, which rebuilds a witness's schedule by
    /// replaying its choices instead).
    off: bool,
}

impl Recorder {
    /// Stops recording: [`Recorder::schedule`] then tells nothing true.
    pub fn turn_off(&mut self) {
        self.off = true;
        self.segments = Vec::new();
    }

    /// The entry still running, if it belongs in the schedule: one that completed
    /// instructions, or one the scheduler switched to just before the run stopped (at the
    /// step limit), which replay must switch to as well for the switch counts to agree.
    fn open_entry(&self, steps: u64) -> Option<(u32, u64, bool)> {
        let n = steps - self.open_start;
        let switched_in = self
            .segments
            .last()
            .is_some_and(|&(t, _, _)| t != self.open_thread);
        (n > 0 || switched_in).then_some((self.open_thread, n, false))
    }

    fn close(&mut self, steps: u64, gave_up: bool) {
        let n = steps - self.open_start;
        if (n > 0 || gave_up) && !self.off {
            self.segments.push((self.open_thread, n, gave_up));
        }
        self.open_start = steps;
    }

    /// The running thread gave the GIL up by itself on an instruction that did not complete:
    /// its entry ends here and is marked so that replay lets it try that instruction.
    pub fn gave_up(&mut self, steps: u64) {
        self.close(steps, true);
    }

    /// The scheduler made `thread` the running thread after `steps` instructions in all.
    pub fn switch(&mut self, thread: u32, steps: u64) {
        self.close(steps, false);
        self.open_thread = thread;
    }

    /// The schedule so far, the running entry ending at `steps`.
    #[must_use]
    pub fn schedule(&self, steps: u64) -> Schedule {
        let mut all = self.segments.clone();
        all.extend(self.open_entry(steps));
        Schedule(
            all.iter()
                .map(|&(thread, n, gives_up)| Segment {
                    thread,
                    until: Until::Instructions(n),
                    gives_up,
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_text_round_trips() {
        let s = Schedule::parse("0:120 1:3+ 2@8").unwrap();
        assert_eq!(s.to_string(), "0:120 1:3+ 2@8");
        assert!(Schedule::parse("0:1 x").is_err());
    }
}
