//! `random`, drawn from the program's own seeded stream.

use super::*;

/// `random.random`.
pub(super) fn random(m: &mut Machine, _c: Call) -> Res<Option<Value>> {
    Ok(Some(Value::Float(m.streams.program.r#gen::<f64>())))
}

/// `random.uniform`.
pub(super) fn uniform(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { args, .. } = c;
    let a0 = arg(&args, 0);
    let a1 = arg(&args, 1);
    let (a, b) = (to_float(m, a0)?, to_float(m, a1)?);
    let u = m.streams.program.r#gen::<f64>();
    Ok(Some(Value::Float(a + (b - a) * u)))
}

/// `random.randint`.
pub(super) fn randint(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { args, .. } = c;
    let a0 = arg(&args, 0);
    let a1 = arg(&args, 1);
    let (a, b) = (to_int(m, a0, "randint")?, to_int(m, a1, "randint")?);
    if b < a {
        return Err(m.raise(
            "ValueError",
            format!(
                "empty range for randrange() ({a}, {}, {})",
                b + 1,
                b + 1 - a
            ),
        ));
    }
    Ok(Some(Value::Int(m.streams.program.gen_range(a..=b))))
}

/// `random.choice`.
pub(super) fn choice(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { args, .. } = c;
    let a0 = arg(&args, 0);
    let items = m.iterate_all(a0)?;
    if items.is_empty() {
        return Err(m.raise("IndexError", "Cannot choose from an empty sequence"));
    }
    Ok(Some(items[m.streams.program.gen_range(0..items.len())]))
}

/// `random.shuffle`.
pub(super) fn shuffle(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { args, .. } = c;
    let a0 = arg(&args, 0);
    if let Value::Obj(o) = a0 {
        let mut items = m.iterate_all(a0)?;
        for i in (1..items.len()).rev() {
            let j = m.streams.program.gen_range(0..=i);
            items.swap(i, j);
        }
        if let Obj::List(l) = m.heap.get_mut(o) {
            *l = items;
        }
    }
    Ok(Some(Value::None))
}

/// `random.seed`.
pub(super) fn seed(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { args, .. } = c;
    let a0 = arg(&args, 0);
    // The program asks for its own reproducible sequence: derive the stream from its
    // seed (not CPython's Mersenne Twister numbers, but the same ones on every run).
    let key = match a0 {
        Value::Null | Value::None => return Ok(Some(Value::None)),
        v => m.repr_of(v),
    };
    let h = crate::record::source_hash(&key);
    let seed = u64::from_str_radix(&h, 16).unwrap_or(0);
    let mut r = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(seed);
    r.set_stream(2);
    m.streams.program = r;
    Ok(Some(Value::None))
}
