//! Python dicts and sets: insertion-ordered maps keyed by a hashable form of the key.
//!
//! A key is stored twice: as its [`HKey`] (equal keys compare equal: `1`, `1.0` and `True` are
//! one key, as in Python) and as the original value, which iteration returns. The map is an
//! `IndexMap` with a fixed hasher, so iteration order is insertion order on every machine.

use crate::object::value::ObjId;
use crate::object::value::Value;
use indexmap::IndexMap;
use std::hash::BuildHasherDefault;
use std::rc::Rc;

/// The hashable form of a Python key.
// Equality is the structural one with a pointer shortcut for shared text, so the derived
// Hash stays consistent with it.
#[allow(clippy::derived_hash_with_manual_eq)]
#[derive(Clone, Debug, Eq, Hash, PartialOrd, Ord)]
pub enum HKey {
    /// `None`.
    None,
    /// An int (bools and integral floats included).
    Int(i64),
    /// An int beyond 64 bits, in decimal.
    BigInt(Rc<str>),
    /// A non-integral float, by bits.
    Float(u64),
    /// A str.
    Str(Rc<str>),
    /// A tuple of hashable keys.
    Tuple(Rc<[HKey]>),
    /// Any other object, by identity.
    Id(u32),
}

impl PartialEq for HKey {
    #[inline]
    fn eq(&self, other: &HKey) -> bool {
        match (self, other) {
            // Interned names share their text: compare pointers before bytes.
            (HKey::Str(a), HKey::Str(b)) => Rc::ptr_eq(a, b) || a == b,
            (HKey::None, HKey::None) => true,
            (HKey::Int(a), HKey::Int(b)) => a == b,
            (HKey::BigInt(a), HKey::BigInt(b)) => a == b,
            (HKey::Float(a), HKey::Float(b)) => a == b,
            (HKey::Tuple(a), HKey::Tuple(b)) => a == b,
            (HKey::Id(a), HKey::Id(b)) => a == b,
            _ => false,
        }
    }
}

impl HKey {
    /// Equality that settles interned names (the common case of a position hint) by pointer,
    /// inlined, before the general comparison.
    #[inline(always)]
    fn hint_eq(&self, other: &HKey) -> bool {
        if let (HKey::Str(a), HKey::Str(b)) = (self, other)
            && Rc::ptr_eq(a, b)
        {
            return true;
        }
        self == other
    }

    /// The key of an object by identity.
    #[must_use]
    pub fn id(o: ObjId) -> HKey {
        HKey::Id(o.0)
    }
}

/// A fast, fixed (not randomly seeded) hasher: FNV-1a.
#[derive(Default, Clone, Copy)]
pub(crate) struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
    fn write_u64(&mut self, n: u64) {
        let h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        self.0 = (h ^ n).wrapping_mul(0x0100_0000_01b3).rotate_left(29);
    }
}

type Map = IndexMap<HKey, (Value, Value), BuildHasherDefault<Fnv>>;

/// An insertion-ordered dict.
#[derive(Clone, Debug, Default)]
pub struct Dict {
    map: Map,
}

impl Dict {
    /// An empty dict.
    #[must_use]
    pub fn new() -> Self {
        Dict {
            map: Map::default(),
        }
    }

    /// Number of items.
    #[must_use]
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The value for a key.
    #[must_use]
    pub fn get(&self, k: &HKey) -> Option<Value> {
        self.map.get(k).map(|(_, v)| *v)
    }

    /// The value for a str key.
    #[must_use]
    pub fn get_str(&self, k: &str) -> Option<Value> {
        self.get(&HKey::Str(Rc::from(k)))
    }

    /// Inserts or replaces; an existing key keeps its position and original key object.
    pub fn insert(&mut self, k: HKey, key: Value, v: Value) {
        match self.map.get_mut(&k) {
            Some(slot) => slot.1 = v,
            None => {
                self.map.insert(k, (key, v));
            }
        }
    }

    /// Removes a key, keeping the order of the others.
    pub fn remove(&mut self, k: &HKey) -> Option<(Value, Value)> {
        self.map.shift_remove(k)
    }

    /// Whether the key is present.
    #[must_use]
    pub fn contains(&self, k: &HKey) -> bool {
        self.map.contains_key(k)
    }

    /// Items in insertion order: (hashable key, key value, value).
    pub fn iter(&self) -> impl Iterator<Item = (&HKey, Value, Value)> {
        self.map.iter().map(|(h, (k, v))| (h, *k, *v))
    }

    /// The value of `k` using a position hint: `(position, value)`. The hint is checked
    /// against the key stored there, so a stale hint only costs a normal lookup.
    #[inline(always)]
    #[must_use]
    pub fn get_hinted(&self, k: &HKey, hint: u32) -> Option<(u32, Value)> {
        if let Some((hk, (_, v))) = self.map.get_index(hint as usize)
            && hk.hint_eq(k)
        {
            return Some((hint, *v));
        }
        self.map.get_full(k).map(|(i, _, (_, v))| (i as u32, *v))
    }

    /// Sets the value of `k` using a position hint; inserts when absent. Returns the position
    /// and the value it replaced, if any.
    #[inline(always)]
    pub fn set_hinted(
        &mut self,
        k: &HKey,
        key: Value,
        v: Value,
        hint: u32,
    ) -> (u32, Option<Value>) {
        if let Some((hk, slot)) = self.map.get_index_mut(hint as usize)
            && hk.hint_eq(k)
        {
            return (hint, Some(std::mem::replace(&mut slot.1, v)));
        }
        match self.map.get_full_mut(k) {
            Some((i, _, slot)) => (i as u32, Some(std::mem::replace(&mut slot.1, v))),
            None => {
                let (i, _) = self.map.insert_full(k.clone(), (key, v));
                (i as u32, None)
            }
        }
    }

    /// The item at a position.
    #[must_use]
    pub fn get_index(&self, i: usize) -> Option<(Value, Value)> {
        self.map.get_index(i).map(|(_, kv)| *kv)
    }

    /// Removes everything.
    pub fn clear(&mut self) {
        self.map.clear();
    }

    /// Removes and returns the last item.
    pub fn pop_last(&mut self) -> Option<(Value, Value)> {
        self.map.pop().map(|(_, kv)| kv)
    }

    /// Every key and value (for the garbage collector).
    pub fn values_for_gc(&self, out: &mut Vec<Value>) {
        for (k, v) in self.map.values() {
            out.push(*k);
            out.push(*v);
        }
    }
}

/// CPython's `hash()` of an int-like key, if the key is one (ints, bools, integral floats).
/// CPython's `hash()` of a key, where it does not depend on the process: ints, floats and
/// tuples of them (`None` for str, whose hash CPython randomises, and objects hashed by
/// identity).
#[must_use]
pub(crate) fn py_hash(k: &HKey) -> Option<i64> {
    const MODULUS: i128 = (1 << 61) - 1;
    let h = match k {
        HKey::Int(_) | HKey::BigInt(_) => {
            let v: i128 = match k {
                HKey::Int(i) => i128::from(*i),
                HKey::BigInt(s) => big_mod(s)?,
                _ => return None,
            };
            let mut h = (v.abs() % MODULUS) as i64;
            if v < 0 {
                h = -h;
            }
            h
        }
        HKey::Float(bits) => float_hash(f64::from_bits(*bits)),
        HKey::Tuple(items) => tuple_hash(items)?,
        _ => return None,
    };
    Some(if h == -1 { -2 } else { h })
}

/// A decimal integer modulo 2**61 - 1, keeping its sign (big ints hash by that residue).
fn big_mod(s: &str) -> Option<i128> {
    const MODULUS: i128 = (1 << 61) - 1;
    let (neg, digits) = s.strip_prefix('-').map_or((false, s), |d| (true, d));
    let mut r: i128 = 0;
    for c in digits.chars() {
        r = (r * 10 + i128::from(c.to_digit(10)?)) % MODULUS;
    }
    Some(if neg { -r } else { r })
}

/// CPython's `_Py_HashDouble` (3.9: a NaN hashes to 0).
fn float_hash(v: f64) -> i64 {
    const BITS: u32 = 61;
    const MODULUS: u64 = (1 << BITS) - 1;
    if v.is_infinite() {
        return if v > 0.0 { 314_159 } else { -314_159 };
    }
    if v.is_nan() {
        return 0;
    }
    let (mut m, mut e) = frexp(v);
    let sign: i64 = if m < 0.0 {
        m = -m;
        -1
    } else {
        1
    };
    let mut x: u64 = 0;
    while m != 0.0 {
        x = ((x << 28) & MODULUS) | (x >> (BITS - 28));
        m *= 268_435_456.0;
        e -= 28;
        let y = m as u64;
        m -= y as f64;
        x += y;
        if x >= MODULUS {
            x -= MODULUS;
        }
    }
    let e = if e >= 0 {
        (e % BITS as i32) as u32
    } else {
        BITS - 1 - ((-1 - e) % BITS as i32) as u32
    };
    x = ((x << e) & MODULUS) | (x >> (BITS - e));
    x as i64 * sign
}

/// `frexp`: `v = m * 2**e` with `0.5 <= |m| < 1`.
fn frexp(v: f64) -> (f64, i32) {
    if v == 0.0 || !v.is_finite() {
        return (v, 0);
    }
    let bits = v.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32;
    if exp == 0 {
        // Subnormal: scale into the normal range first.
        let (m, e) = frexp(v * 2f64.powi(64));
        return (m, e - 64);
    }
    let m = f64::from_bits((bits & !(0x7ff << 52)) | (1022 << 52));
    (m, exp - 1022)
}

/// CPython 3.8+'s xxHash-based `tuplehash`.
fn tuple_hash(items: &[HKey]) -> Option<i64> {
    const P1: u64 = 11_400_714_785_074_694_791;
    const P2: u64 = 14_029_467_366_897_019_727;
    const P5: u64 = 2_870_177_450_012_600_261;
    let mut acc = P5;
    for item in items {
        let lane = py_hash(item)? as u64;
        acc = acc.wrapping_add(lane.wrapping_mul(P2));
        acc = acc.rotate_left(31);
        acc = acc.wrapping_mul(P1);
    }
    acc = acc.wrapping_add((items.len() as u64) ^ (P5 ^ 3_527_539));
    if acc == u64::MAX {
        return Some(1_546_275_796);
    }
    Some(acc as i64)
}

/// The order in which CPython 3.9 iterates a set whose keys were added in this order, when
/// that order is deterministic (all keys ints, floats or tuples of them; str hashes are randomised per process in
/// CPython, so any order is one CPython could print). Deletions are not replayed: the set is
/// rebuilt from its current keys in insertion order. `None`: keep insertion order.
#[must_use]
pub(crate) fn cpython_set_order(keys: &[(HKey, Value)]) -> Option<Vec<Value>> {
    let hashes: Vec<i64> = keys
        .iter()
        .map(|(k, _)| py_hash(k))
        .collect::<Option<_>>()?;
    Some(
        gilsim_compiler::num::set_iteration_order(&hashes)
            .into_iter()
            .map(|i| keys[i].1)
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dict_keeps_insertion_order_and_python_key_equality() {
        let mut d = Dict::new();
        d.insert(HKey::Int(1), Value::Int(1), Value::Int(10));
        d.insert(HKey::Str("b".into()), Value::None, Value::Int(20));
        // True == 1.0 == 1: the same key, which keeps its first key object and position.
        d.insert(HKey::Int(1), Value::Bool(true), Value::Int(30));
        let items: Vec<(Value, Value)> = d.iter().map(|(_, k, v)| (k, v)).collect();
        assert_eq!(
            items,
            vec![
                (Value::Int(1), Value::Int(30)),
                (Value::None, Value::Int(20))
            ]
        );
    }

    #[test]
    fn sets_of_ints_iterate_in_cpython_order() {
        let keys = |v: &[i64]| {
            v.iter()
                .map(|i| (HKey::Int(*i), Value::Int(*i)))
                .collect::<Vec<_>>()
        };
        let order = |v: &[i64]| cpython_set_order(&keys(v)).unwrap();
        // Checked against CPython 3.9: set([9, 8]) iterates 8, 9; 20..1 comes out sorted;
        // negative hashes wrap as unsigned.
        assert_eq!(order(&[9, 8]), vec![Value::Int(8), Value::Int(9)]);
        let desc: Vec<i64> = (1..=20).rev().collect();
        assert_eq!(order(&desc), (1..=20).map(Value::Int).collect::<Vec<_>>());
        assert_eq!(
            order(&[-1, -2, 3]),
            vec![Value::Int(3), Value::Int(-1), Value::Int(-2)]
        );
        // Strings: no deterministic CPython order, insertion order is kept.
        assert!(cpython_set_order(&[(HKey::Str("a".into()), Value::None)]).is_none());
    }
}
