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
