//! `math`: the functions tutorials use (CPU-bound work: `sqrt`, `factorial`, `isqrt`…), with
//! CPython's results and errors ("math domain error", floor and ceil returning ints).

use super::*;
use gilsim_compiler::Op;

/// A float argument, or ints and bools as floats (big ints too, as CPython converts them).
fn real(m: &mut Machine, v: Value) -> Res<f64> {
    if let Value::Obj(o) = v
        && let Obj::BigInt(b) = m.heap.get(o)
    {
        let f = num_traits::ToPrimitive::to_f64(&**b).unwrap_or(f64::INFINITY);
        if f.is_infinite() {
            return Err(m.raise("OverflowError", "int too large to convert to float"));
        }
        return Ok(f);
    }
    to_float(m, v)
}

fn domain(m: &mut Machine) -> Flow {
    m.raise("ValueError", "math domain error")
}

/// A float result: an infinite one from finite arguments is CPython's OverflowError.
fn float_result(m: &mut Machine, x: f64, args_finite: bool) -> Res<Option<Value>> {
    if x.is_nan() && args_finite {
        return Err(domain(m));
    }
    if x.is_infinite() && args_finite {
        return Err(m.raise("OverflowError", "math range error"));
    }
    Ok(Some(Value::Float(x)))
}

/// The one-argument float functions: `sqrt`, `exp`, `sin`… (`log` takes an optional base).
pub(super) fn unary(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let x = real(m, arg(&c.args, 0))?;
    let finite = x.is_finite();
    let r = match c.id {
        N::MathSqrt if x < 0.0 => return Err(domain(m)),
        N::MathSqrt => x.sqrt(),
        N::MathExp => x.exp(),
        N::MathLog | N::MathLog2 | N::MathLog10 if x <= 0.0 => return Err(domain(m)),
        N::MathLog => match c.args.get(1) {
            Some(&b) => {
                let b = real(m, b)?;
                if b <= 0.0 || b == 1.0 {
                    return Err(if b == 1.0 {
                        m.raise("ZeroDivisionError", "float division by zero")
                    } else {
                        domain(m)
                    });
                }
                x.ln() / b.ln()
            }
            None => x.ln(),
        },
        N::MathLog2 => x.log2(),
        N::MathLog10 => x.log10(),
        N::MathSin => x.sin(),
        N::MathCos => x.cos(),
        N::MathTan => x.tan(),
        N::MathAtan => x.atan(),
        N::MathFabs => x.abs(),
        N::MathRadians => x.to_radians(),
        N::MathDegrees => x.to_degrees(),
        _ => x,
    };
    float_result(m, r, finite)
}

/// `floor`, `ceil`, `trunc`: ints, as CPython 3 returns them (2.7 returns floats).
pub(super) fn rounding(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let v = arg(&c.args, 0);
    if matches!(v, Value::Int(_) | Value::Bool(_))
        || matches!(v, Value::Obj(o) if matches!(m.heap.get(o), Obj::BigInt(_)))
    {
        return Ok(Some(if let Value::Bool(b) = v {
            Value::Int(i64::from(b))
        } else {
            v
        }));
    }
    let x = real(m, v)?;
    let r = match c.id {
        N::MathFloor => x.floor(),
        N::MathCeil => x.ceil(),
        _ => x.trunc(),
    };
    if !m.profile.at_least(3, 0) && c.id != N::MathTrunc {
        return Ok(Some(Value::Float(r)));
    }
    if x.is_nan() {
        return Err(m.raise("ValueError", "cannot convert float NaN to integer"));
    }
    if x.is_infinite() {
        return Err(m.raise("OverflowError", "cannot convert float infinity to integer"));
    }
    Ok(Some(construct::float_to_int(m, r)))
}

/// Two-argument float functions: `pow`, `atan2`, `hypot`, `copysign`, `fmod`.
pub(super) fn binary(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let x = real(m, arg(&c.args, 0))?;
    let y = real(m, arg(&c.args, 1))?;
    let finite = x.is_finite() && y.is_finite();
    let r = match c.id {
        N::MathPow if x == 0.0 && y < 0.0 => return Err(domain(m)),
        N::MathPow if x < 0.0 && y.fract() != 0.0 => return Err(domain(m)),
        N::MathPow => x.powf(y),
        N::MathAtan2 => x.atan2(y),
        N::MathHypot => x.hypot(y),
        N::MathCopysign => x.copysign(y),
        N::MathFmod if y == 0.0 => return Err(domain(m)),
        _ => x % y,
    };
    float_result(m, r, finite)
}

/// `isfinite`, `isinf`, `isnan`, `isclose`.
pub(super) fn predicate(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let x = real(m, arg(&c.args, 0))?;
    Ok(Some(Value::Bool(match c.id {
        N::MathIsfinite => x.is_finite(),
        N::MathIsinf => x.is_infinite(),
        N::MathIsnan => x.is_nan(),
        _ => {
            let y = real(m, arg(&c.args, 1))?;
            let rel = match kw(&c.kwargs, "rel_tol") {
                Some(v) => real(m, v)?,
                None => 1e-9,
            };
            let abs = match kw(&c.kwargs, "abs_tol") {
                Some(v) => real(m, v)?,
                None => 0.0,
            };
            if rel < 0.0 || abs < 0.0 {
                return Err(m.raise("ValueError", "tolerances must be non-negative"));
            }
            x == y
                || (x.is_finite()
                    && y.is_finite()
                    && (x - y).abs() <= (rel * x.abs().max(y.abs())).max(abs))
        }
    })))
}

/// `factorial`, `gcd`, `isqrt`, `prod`: exact integer results of any size.
pub(super) fn integer(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    match c.id {
        N::MathFactorial => {
            let n = to_int(m, arg(&c.args, 0), "factorial")?;
            if n < 0 {
                return Err(m.raise("ValueError", "factorial() not defined for negative values"));
            }
            if n > 100_000 {
                return Err(m.unsupported(
                    "math.factorial of more than 100000 (its result has hundreds of thousands of digits)",
                ));
            }
            let mut acc = Value::Int(1);
            for k in 2..=n {
                acc = m.binary(Op::BINARY_MULTIPLY, acc, Value::Int(k))?;
            }
            Ok(Some(acc))
        }
        N::MathGcd => {
            let mut g: i64 = 0;
            for &a in &c.args {
                let mut a = to_int(m, a, "gcd")?.unsigned_abs();
                let mut b = g.unsigned_abs();
                while b != 0 {
                    (a, b) = (b, a % b);
                }
                g = i64::try_from(a).unwrap_or(i64::MAX);
            }
            Ok(Some(Value::Int(g)))
        }
        N::MathIsqrt => {
            let n = to_int(m, arg(&c.args, 0), "isqrt")?;
            if n < 0 {
                return Err(m.raise("ValueError", "isqrt() argument must be nonnegative"));
            }
            let mut r = (n as f64).sqrt() as i64;
            while r.saturating_mul(r) > n {
                r -= 1;
            }
            while (r + 1).saturating_mul(r + 1) <= n {
                r += 1;
            }
            Ok(Some(Value::Int(r)))
        }
        _ => {
            let items = m.iterate_all(arg(&c.args, 0))?;
            let mut acc = kw(&c.kwargs, "start").unwrap_or(Value::Int(1));
            for v in items {
                acc = m.binary(Op::BINARY_MULTIPLY, acc, v)?;
            }
            Ok(Some(acc))
        }
    }
}
