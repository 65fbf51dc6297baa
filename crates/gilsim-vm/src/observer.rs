//! Where an event happened: the [`Site`] the machine hands to the detectors
//! ([`crate::detect`]) at every shared-memory access and synchronisation event.

/// Where in the program an event happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Site {
    /// The thread.
    pub thread: u32,
    /// Unit of the code.
    pub unit: u16,
    /// Code object.
    pub code: u32,
    /// Instruction index.
    pub pc: u32,
    /// The source line of the learner's program (of the innermost frame of unit 0).
    pub line: u32,
    /// Instructions completed in all threads before this one (the event's index).
    pub step: u64,
}

impl Site {
    /// No site (an empty slot).
    pub const NONE: Site = Site {
        thread: u32::MAX,
        unit: 0,
        code: 0,
        pc: 0,
        line: 0,
        step: 0,
    };
}
