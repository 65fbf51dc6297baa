//! Trace collection: rows of executed instructions around each switch, bounded in memory.
//!
//! In window mode the tracer keeps the last `window` rows in a ring; at each switch it emits
//! them, then the next `window` rows, so a run of millions of instructions yields a few rows
//! per switch. In full mode every row is kept.

use std::collections::VecDeque;

/// Why the scheduler switched threads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum SwitchReason {
    /// The policy preempted the running thread at a check point (the switch interval
    /// expired, `every:N` counted N, `random:P` drew a switch...).
    Interval,
    /// The running thread blocked (lock, join, queue).
    Blocked,
    /// The running thread slept.
    Sleep,
    /// The running thread waits for simulated I/O.
    Io,
    /// The running thread finished.
    Exit,
    /// The running thread started a thread and waits for it to run.
    Start,
    /// A `--schedule` being followed switched threads at a check point.
    Schedule,
}

impl SwitchReason {
    /// Plain words for the learner.
    #[must_use]
    pub fn describe(self) -> &'static str {
        match self {
            SwitchReason::Interval => "preempted at a check point",
            SwitchReason::Blocked => "blocked",
            SwitchReason::Sleep => "sleep released the GIL",
            SwitchReason::Io => "I/O released the GIL",
            SwitchReason::Exit => "thread finished",
            SwitchReason::Start => "start() waits for the new thread to run",
            SwitchReason::Schedule => "the schedule switches here",
        }
    }
}

/// One executed instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Row {
    /// Global instruction index.
    pub step: u64,
    /// Thread.
    pub thread: u32,
    /// Unit of the code.
    pub unit: u16,
    /// Code object.
    pub code: u32,
    /// Instruction index.
    pub pc: u32,
}

/// A trace item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Item {
    /// An instruction.
    Row(Row),
    /// A switch.
    Switch {
        /// At which step.
        step: u64,
        /// From.
        from: u32,
        /// To.
        to: u32,
        /// Why.
        reason: SwitchReason,
    },
    /// Rows left out.
    Gap(u64),
}

/// Collects trace items.
#[derive(Clone, Debug)]
pub struct Tracer {
    window: Option<usize>,
    ring: VecDeque<Row>,
    after: usize,
    skipped: u64,
    /// The collected items.
    pub items: Vec<Item>,
    /// Cap on collected items in full mode.
    pub max_items: usize,
    /// Only instructions and switches at these steps are traced (inclusive).
    pub steps: std::ops::RangeInclusive<u64>,
    /// Steps shown with their window in window mode, as a switch is (sorted): the
    /// instructions an explanation points at, so none is hidden in a gap.
    pub marks: Vec<u64>,
}

impl Tracer {
    /// A tracer that keeps `window` rows either side of each switch, or all rows if `None`.
    #[must_use]
    pub fn new(window: Option<usize>) -> Self {
        Tracer {
            window,
            ring: VecDeque::new(),
            after: 0,
            skipped: 0,
            items: Vec::new(),
            max_items: 2_000_000,
            steps: 0..=u64::MAX,
            marks: Vec::new(),
        }
    }

    /// A tracer like [`Tracer::new`] that traces only the steps in `steps`.
    #[must_use]
    pub fn with_steps(window: Option<usize>, steps: std::ops::RangeInclusive<u64>) -> Self {
        Tracer {
            steps,
            ..Tracer::new(window)
        }
    }

    /// Records an executed instruction.
    #[inline]
    pub fn row(&mut self, row: Row) {
        if !self.steps.contains(&row.step) {
            return;
        }
        match self.window {
            None => {
                if self.items.len() < self.max_items {
                    self.items.push(Item::Row(row));
                }
            }
            Some(w) => {
                if self.after > 0 {
                    self.after -= 1;
                    self.items.push(Item::Row(row));
                } else if !self.marks.is_empty() && self.marks.binary_search(&row.step).is_ok() {
                    if self.skipped > 0 {
                        self.items.push(Item::Gap(self.skipped));
                        self.skipped = 0;
                    }
                    self.items.extend(self.ring.drain(..).map(Item::Row));
                    self.items.push(Item::Row(row));
                    self.after = w;
                } else {
                    if self.ring.len() == w {
                        self.ring.pop_front();
                        self.skipped += 1;
                    }
                    self.ring.push_back(row);
                }
            }
        }
    }

    /// Records a switch.
    pub fn switch(&mut self, step: u64, from: u32, to: u32, reason: SwitchReason) {
        if !self.steps.contains(&step) {
            return;
        }
        if let Some(w) = self.window {
            if self.skipped > 0 {
                self.items.push(Item::Gap(self.skipped));
                self.skipped = 0;
            }
            self.items.extend(self.ring.drain(..).map(Item::Row));
            self.after = w;
        }
        self.items.push(Item::Switch {
            step,
            from,
            to,
            reason,
        });
    }

    /// Flushes what is left at the end of the run.
    pub fn finish(&mut self) {
        if self.window.is_some() {
            if self.skipped > 0 {
                self.items.push(Item::Gap(self.skipped));
                self.skipped = 0;
            }
            self.items.extend(self.ring.drain(..).map(Item::Row));
        }
    }
}
