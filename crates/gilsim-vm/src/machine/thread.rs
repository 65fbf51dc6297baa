//! Virtual threads: what each one waits for, its frames, and the copy-on-write list of them.

use crate::object::frame::Frame;
use crate::object::value::{ObjId, Value};
use std::rc::Rc;

/// What a blocked thread waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wait {
    /// A lock held by another thread (optionally with a timeout).
    Lock {
        /// The lock.
        lock: ObjId,
        /// When the timeout expires.
        deadline: Option<u64>,
    },
    /// Another thread's end.
    Join {
        /// The thread.
        thread: u32,
        /// When `join(timeout)` gives up.
        deadline: Option<u64>,
    },
    /// `time.sleep`.
    Sleep {
        /// Wake-up time.
        until: u64,
    },
    /// Simulated I/O.
    Io {
        /// Completion time.
        until: u64,
    },
    /// `Thread.start()`: the new thread has not run yet.
    Started {
        /// The new thread.
        thread: u32,
    },
}

impl Wait {
    pub(crate) fn wake_time(self) -> Option<u64> {
        match self {
            Wait::Lock { deadline, .. } => deadline,
            Wait::Join { deadline, .. } => deadline,
            Wait::Started { .. } => None,
            Wait::Sleep { until } | Wait::Io { until } => Some(until),
        }
    }
}

/// A virtual thread's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThreadState {
    /// Wants or holds the GIL.
    Runnable,
    /// Waiting.
    Blocked(Wait),
    /// Finished.
    Done,
}

/// A virtual thread.
#[derive(Clone, Debug)]
pub struct VThread {
    /// Thread id: main is 0, then in order of creation.
    pub id: u32,
    /// Thread name (`MainThread`, `Thread-1`).
    pub name: Rc<str>,
    /// The frames, innermost last.
    pub frames: Vec<Frame>,
    /// State.
    pub state: ThreadState,
    /// The exception being handled (`sys.exc_info()`), None if none.
    pub exc_info: Value,
    /// The result a suspended instruction completes with when the thread resumes.
    pub resume: Option<Value>,
    /// When it last became runnable (for the drop request).
    pub ready_since: u64,
    /// Without a GIL (3.13t) each thread runs on its own core with its own clock: the virtual
    /// time it had reached when it last stopped running. Unused with a GIL (one clock).
    pub clock: u64,
    /// The Python `Thread` object, if any.
    pub obj: Value,
    /// The value a timed wait completes with (simulated I/O results).
    pub wake_value: Option<Value>,
    /// When the running `acquire(timeout=…)` gives up; kept across retries after wake-ups.
    pub timeout_at: Option<u64>,
    /// Daemon threads do not keep the program alive.
    pub daemon: bool,
    /// Whether `start_new_thread` has run for it.
    pub started: bool,
}

/// Spare value vectors for new frames. A clone of the machine starts with none: the pool is
/// a cache, and copying it would cost the explorer an allocation per spare vector per fork.
#[derive(Debug, Default)]
pub struct VecPool(pub(crate) Vec<Vec<Value>>);

impl Clone for VecPool {
    fn clone(&self) -> Self {
        VecPool::default()
    }
}

/// The threads by id, each shared copy-on-write between clones of a machine: the explorer
/// forks machines at every choice, and a fork usually runs one thread before it is keyed and
/// dropped, so only that thread is copied. Reading goes through [`Index`](std::ops::Index);
/// writing through [`IndexMut`](std::ops::IndexMut) copies the thread first if it is shared.
#[derive(Clone, Debug, Default)]
pub struct Threads(Vec<Rc<VThread>>);

impl Threads {
    /// The number of threads (finished ones included).
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there is no thread.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Adds a thread (its id is its index).
    pub fn push(&mut self, t: VThread) {
        self.0.push(Rc::new(t));
    }

    /// The thread with this id, if any.
    #[must_use]
    pub fn get(&self, i: usize) -> Option<&VThread> {
        self.0.get(i).map(|t| &**t)
    }

    /// The threads in id order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &VThread> + ExactSizeIterator {
        self.0.iter().map(|t| &**t)
    }
}

impl std::ops::Index<usize> for Threads {
    type Output = VThread;
    #[inline]
    fn index(&self, i: usize) -> &VThread {
        &self.0[i]
    }
}

impl std::ops::IndexMut<usize> for Threads {
    #[inline]
    fn index_mut(&mut self, i: usize) -> &mut VThread {
        Rc::make_mut(&mut self.0[i])
    }
}

impl<'a> IntoIterator for &'a Threads {
    type Item = &'a VThread;
    type IntoIter = std::iter::Map<std::slice::Iter<'a, Rc<VThread>>, fn(&Rc<VThread>) -> &VThread>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|t| &**t)
    }
}
