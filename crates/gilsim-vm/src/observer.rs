//! The place where detectors plug in: the machine calls an [`Observer`] at every shared-memory
//! access and synchronisation event, inline, without storing events.
//!
//! Lost-update, race and deadlock detectors (the findings issue) implement this trait.

use crate::value::{ObjId, Value};

/// A shared location a thread reads or writes.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Location {
    /// A module global.
    Global {
        /// The module object.
        module: ObjId,
        /// The name.
        name: std::rc::Rc<str>,
    },
    /// An attribute of an object.
    Attr {
        /// The object.
        obj: ObjId,
        /// The attribute name.
        name: std::rc::Rc<str>,
    },
    /// An item of a dict or list.
    Item {
        /// The container.
        obj: ObjId,
        /// The key, as the hashable form's debug text.
        key: String,
    },
}

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
    /// Instructions completed in all threads before this one (the event's index).
    pub step: u64,
}

/// Receives the machine's events. Every method has an empty default.
pub trait Observer {
    /// A thread read a shared location.
    fn on_read(&mut self, _site: Site, _loc: &Location, _value: Value) {}
    /// A thread wrote a shared location.
    fn on_write(&mut self, _site: Site, _loc: &Location, _value: Value) {}
    /// A thread acquired a lock.
    fn on_acquire(&mut self, _site: Site, _lock: ObjId) {}
    /// A thread released a lock.
    fn on_release(&mut self, _site: Site, _lock: ObjId) {}
    /// A thread started another.
    fn on_start(&mut self, _site: Site, _child: u32) {}
    /// A thread joined another that had finished.
    fn on_join(&mut self, _site: Site, _child: u32) {}
    /// The scheduler switched threads.
    fn on_switch(&mut self, _from: u32, _to: u32) {}
    /// Values the observer keeps alive (for the collector).
    fn roots(&self, _out: &mut Vec<Value>) {}
}
