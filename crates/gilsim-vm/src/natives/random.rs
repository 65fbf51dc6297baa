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

/// `random.randrange(stop)`, `randrange(start, stop[, step])`.
pub(super) fn randrange(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let a: Vec<i64> = c
        .args
        .iter()
        .map(|&v| to_int(m, v, "randrange"))
        .collect::<Res<_>>()?;
    let (start, stop, step) = match a[..] {
        [stop] => (0, stop, 1),
        [start, stop] => (start, stop, 1),
        [start, stop, step] => (start, stop, step),
        _ => {
            return Err(m.raise(
                "TypeError",
                format!("randrange expected 1 to 3 arguments, got {}", a.len()),
            ));
        }
    };
    if step == 0 {
        return Err(m.raise("ValueError", "zero step for randrange()"));
    }
    let n = (i128::from(stop) - i128::from(start) + i128::from(step) - i128::from(step.signum()))
        / i128::from(step);
    if n <= 0 {
        let msg = if a.len() == 1 {
            "empty range for randrange()".to_string()
        } else {
            format!(
                "empty range for randrange() ({start}, {stop}, {})",
                stop - start
            )
        };
        return Err(m.raise("ValueError", msg));
    }
    let k = m.streams.program.gen_range(0..n);
    Ok(Some(Value::Int(
        (i128::from(start) + k * i128::from(step)) as i64,
    )))
}

/// `random.sample(population, k)`: k distinct positions, in selection order.
pub(super) fn sample(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let items = m.iterate_all(arg(&c.args, 0))?;
    let k = kw(&c.kwargs, "k").unwrap_or(arg(&c.args, 1));
    let k = to_int(m, k, "sample")?;
    if k < 0 || k as usize > items.len() {
        return Err(m.raise("ValueError", "Sample larger than population or is negative"));
    }
    let mut pool = items;
    let mut out = Vec::with_capacity(k as usize);
    for i in 0..k as usize {
        let j = m.streams.program.gen_range(i..pool.len());
        pool.swap(i, j);
        out.push(pool[i]);
    }
    Ok(Some(Value::Obj(m.heap.alloc(Obj::List(out)))))
}

/// `random.choices(population, weights=None, *, cum_weights=None, k=1)`.
pub(super) fn choices(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let items = m.iterate_all(arg(&c.args, 0))?;
    let k = match kw(&c.kwargs, "k") {
        Some(v) => to_int(m, v, "choices")?,
        None => 1,
    };
    let weights = kw(&c.kwargs, "weights").or(c.args.get(1).copied());
    let cum = match (weights, kw(&c.kwargs, "cum_weights")) {
        (Some(w), None) if w != Value::None => {
            let ws = m.iterate_all(w)?;
            let mut acc = 0.0;
            let mut cum = Vec::with_capacity(ws.len());
            for v in ws {
                acc += to_float(m, v)?;
                cum.push(acc);
            }
            Some(cum)
        }
        (_, Some(cw)) if cw != Value::None => {
            let ws = m.iterate_all(cw)?;
            Some(
                ws.into_iter()
                    .map(|v| to_float(m, v))
                    .collect::<Res<Vec<f64>>>()?,
            )
        }
        _ => None,
    };
    if items.is_empty() {
        return Err(m.raise("IndexError", "Cannot choose from an empty sequence"));
    }
    if let Some(cw) = &cum
        && cw.len() != items.len()
    {
        return Err(m.raise(
            "ValueError",
            "The number of weights does not match the population",
        ));
    }
    let mut out = Vec::with_capacity(k.max(0) as usize);
    for _ in 0..k.max(0) {
        let u = m.streams.program.r#gen::<f64>();
        let i = match &cum {
            None => (u * items.len() as f64) as usize,
            Some(cw) => {
                let total = cw.last().copied().unwrap_or(0.0);
                cw.partition_point(|&x| x <= u * total)
            }
        };
        out.push(items[i.min(items.len() - 1)]);
    }
    Ok(Some(Value::Obj(m.heap.alloc(Obj::List(out)))))
}

/// `random.gauss(mu, sigma)`, `random.normalvariate`: Box–Muller on the program's stream.
pub(super) fn gauss(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let mu = match c.args.first() {
        Some(&v) => to_float(m, v)?,
        None => 0.0,
    };
    let sigma = match c.args.get(1) {
        Some(&v) => to_float(m, v)?,
        None => 1.0,
    };
    let u1: f64 = 1.0 - m.streams.program.r#gen::<f64>();
    let u2: f64 = m.streams.program.r#gen::<f64>();
    let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
    Ok(Some(Value::Float(mu + sigma * z)))
}

/// `random.getrandbits(k)` for k up to 63.
pub(super) fn getrandbits(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let k = to_int(m, arg(&c.args, 0), "getrandbits")?;
    if k < 0 {
        return Err(m.raise("ValueError", "number of bits must be non-negative"));
    }
    if k > 63 {
        return Err(m.unsupported("random.getrandbits of more than 63 bits"));
    }
    let v: u64 = m.streams.program.r#gen::<u64>();
    Ok(Some(Value::Int(
        (v >> (64 - k.max(1))) as i64 * i64::from(k > 0),
    )))
}
