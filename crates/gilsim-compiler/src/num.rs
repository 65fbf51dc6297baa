//! Numeric helpers shared by the constant folder and the VM, so both compute as CPython does.

/// CPython's `float_divmod`: `(x // y, x % y)` for floats, with the sign of the remainder
/// following the divisor and the quotient correctly rounded. `y` must not be zero.
#[must_use]
pub fn float_divmod(x: f64, y: f64) -> (f64, f64) {
    let mut m = x % y;
    let mut div = (x - m) / y;
    if m != 0.0 {
        if (y < 0.0) != (m < 0.0) {
            m += y;
            div -= 1.0;
        }
    } else {
        m = 0.0f64.copysign(y);
    }
    let floordiv = if div == 0.0 {
        0.0f64.copysign(x / y)
    } else {
        let f = div.floor();
        if div - f > 0.5 { f + 1.0 } else { f }
    };
    (floordiv, m)
}

/// The slot order of CPython 3.9's set table after adding keys with these hashes one by one
/// (`set_add_entry` with its growth rule, `set_insert_clean` on resize): the order in which the
/// set iterates, as indexes into `hashes`.
#[must_use]
pub fn set_iteration_order(hashes: &[i64]) -> Vec<usize> {
    let mut mask: usize = 7;
    let mut table: Vec<Option<usize>> = vec![None; mask + 1];
    for (idx, &h) in hashes.iter().enumerate() {
        insert_clean(&mut table, mask, h, idx);
        let used = idx + 1;
        if used * 5 >= mask * 3 {
            let minused = if used > 50_000 { used * 2 } else { used * 4 };
            let mut newsize = 8usize;
            while newsize <= minused {
                newsize <<= 1;
            }
            let old = std::mem::replace(&mut table, vec![None; newsize]);
            mask = newsize - 1;
            for slot in old.into_iter().flatten() {
                insert_clean(&mut table, mask, hashes[slot], slot);
            }
        }
    }
    table.into_iter().flatten().collect()
}

fn insert_clean(table: &mut [Option<usize>], mask: usize, hash: i64, idx: usize) {
    const LINEAR_PROBES: usize = 9;
    const PERTURB_SHIFT: u32 = 5;
    let mut perturb = hash as u64;
    let mut i = (hash as u64 as usize) & mask;
    loop {
        if table[i].is_none() {
            table[i] = Some(idx);
            return;
        }
        if i + LINEAR_PROBES <= mask {
            for j in 1..=LINEAR_PROBES {
                if table[i + j].is_none() {
                    table[i + j] = Some(idx);
                    return;
                }
            }
        }
        perturb >>= PERTURB_SHIFT;
        i = (i
            .wrapping_mul(5)
            .wrapping_add(1)
            .wrapping_add(perturb as usize))
            & mask;
    }
}
