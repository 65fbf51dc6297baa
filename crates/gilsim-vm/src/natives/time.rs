//! `time`: sleep and the clocks, all on virtual time. The wall clock starts at
//! 2023-11-14 22:13:20 UTC (1,700,000,000 s after the epoch), and local time is UTC.

use super::*;

/// Seconds since the epoch at virtual time 0.
const EPOCH_START: i64 = 1_700_000_000;

/// `time.sleep`.
pub(super) fn sleep(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { args, .. } = c;
    let a0 = arg(&args, 0);
    let secs = to_float(m, a0)?;
    if secs < 0.0 {
        return Err(m.raise("ValueError", "sleep length must be non-negative"));
    }
    let ns = (secs * 1e9) as u64;
    if ns == 0 {
        return Err(Flow::Yield(crate::policy::GiveUp::Sleep));
    }
    Err(Flow::Block(Wait::Sleep { until: m.now + ns }))
}

/// `time.time`.
pub(super) fn time(m: &mut Machine, _c: Call) -> Res<Option<Value>> {
    Ok(Some(Value::Float(EPOCH_START as f64 + m.now as f64 / 1e9)))
}

/// `time.perf_counter`, `time.monotonic`, `time.process_time`, `time.thread_time`.
pub(super) fn perf_counter(m: &mut Machine, _c: Call) -> Res<Option<Value>> {
    Ok(Some(Value::Float(m.now as f64 / 1e9)))
}

/// `time.time_ns`, `time.perf_counter_ns`, `time.monotonic_ns`.
pub(super) fn nanoseconds(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let now = i64::try_from(m.now).unwrap_or(i64::MAX);
    Ok(Some(Value::Int(if c.id == N::TimeTimeNs {
        EPOCH_START * 1_000_000_000 + now
    } else {
        now
    })))
}

/// A moment as calendar fields (UTC): year, month, day, hour, minute, second, weekday
/// (Monday 0) and day of the year (1-based).
struct Civil {
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
    weekday: i64,
    yday: i64,
}

fn civil(secs: i64) -> Civil {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    const BEFORE: [i64; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
    let yday = BEFORE[(month - 1) as usize] + day + i64::from(leap && month > 2);
    Civil {
        year,
        month,
        day,
        hour: rem / 3600,
        minute: rem % 3600 / 60,
        second: rem % 60,
        weekday: (days + 3).rem_euclid(7),
        yday,
    }
}

const DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// `strftime` of the C library in the C locale, for the directives programs use.
fn strftime(fmt: &str, t: &Civil) -> Result<String, char> {
    let mut out = String::new();
    let mut chars = fmt.chars();
    while let Some(ch) = chars.next() {
        if ch != '%' {
            out.push(ch);
            continue;
        }
        let Some(d) = chars.next() else {
            out.push('%');
            break;
        };
        let day = DAYS[t.weekday as usize];
        let month = MONTHS[(t.month - 1) as usize];
        let h12 = if t.hour % 12 == 0 { 12 } else { t.hour % 12 };
        match d {
            'Y' => out.push_str(&t.year.to_string()),
            'y' => out.push_str(&format!("{:02}", t.year % 100)),
            'm' => out.push_str(&format!("{:02}", t.month)),
            'd' => out.push_str(&format!("{:02}", t.day)),
            'e' => out.push_str(&format!("{:2}", t.day)),
            'H' => out.push_str(&format!("{:02}", t.hour)),
            'I' => out.push_str(&format!("{h12:02}")),
            'M' => out.push_str(&format!("{:02}", t.minute)),
            'S' => out.push_str(&format!("{:02}", t.second)),
            'p' => out.push_str(if t.hour < 12 { "AM" } else { "PM" }),
            'a' => out.push_str(&day[..3]),
            'A' => out.push_str(day),
            'b' | 'h' => out.push_str(&month[..3]),
            'B' => out.push_str(month),
            'j' => out.push_str(&format!("{:03}", t.yday)),
            'w' => out.push_str(&((t.weekday + 1) % 7).to_string()),
            'u' => out.push_str(&(t.weekday + 1).to_string()),
            'Z' => out.push_str("UTC"),
            'z' => out.push_str("+0000"),
            'F' => out.push_str(&format!("{}-{:02}-{:02}", t.year, t.month, t.day)),
            'T' | 'X' => out.push_str(&format!("{:02}:{:02}:{:02}", t.hour, t.minute, t.second)),
            'D' | 'x' => out.push_str(&format!("{:02}/{:02}/{:02}", t.month, t.day, t.year % 100)),
            'c' => out.push_str(&ctime_text(t)),
            '%' => out.push('%'),
            other => return Err(other),
        }
    }
    Ok(out)
}

fn ctime_text(t: &Civil) -> String {
    format!(
        "{} {} {:2} {:02}:{:02}:{:02} {}",
        &DAYS[t.weekday as usize][..3],
        &MONTHS[(t.month - 1) as usize][..3],
        t.day,
        t.hour,
        t.minute,
        t.second,
        t.year
    )
}

/// The moment an optional `secs` argument names, or now, in whole seconds.
fn moment(m: &mut Machine, v: Option<Value>) -> Res<i64> {
    match v {
        None | Some(Value::None | Value::Null) => {
            Ok(EPOCH_START + i64::try_from(m.now / 1_000_000_000).unwrap_or(0))
        }
        Some(v) => {
            let f = to_float(m, v)?;
            if !f.is_finite() || f.abs() > 1e15 {
                return Err(m.raise(
                    "OverflowError",
                    "timestamp out of range for platform time_t",
                ));
            }
            Ok(f.floor() as i64)
        }
    }
}

/// `time.ctime([secs])`.
pub(super) fn ctime(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let secs = moment(m, c.args.first().copied())?;
    let text = ctime_text(&civil(secs));
    Ok(Some(m.new_str(text)))
}

/// `time.strftime(format)`: of the current virtual time (a struct_time argument is not
/// simulated: `time.localtime` is not there yet).
pub(super) fn strftime_now(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Some(fmt) = str_arg(m, arg(&c.args, 0)) else {
        let tn = m.type_name(arg(&c.args, 0));
        return Err(m.raise(
            "TypeError",
            format!("strftime() argument 1 must be str, not {tn}"),
        ));
    };
    if c.args.len() > 1 {
        return Err(m.unsupported(
            "time.strftime with a time tuple (gilsim formats the current virtual time only)",
        ));
    }
    let now = moment(m, None)?;
    match strftime(&fmt, &civil(now)) {
        Ok(text) => Ok(Some(m.new_str(text))),
        Err(d) => Err(m.unsupported(format!("the strftime directive %{d}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_virtual_epoch_reads_as_cpython_prints_it() {
        let t = civil(EPOCH_START);
        assert_eq!(ctime_text(&t), "Tue Nov 14 22:13:20 2023");
        assert_eq!(
            strftime("%Y-%m-%d %H:%M:%S %a %j %p %I", &t).unwrap(),
            "2023-11-14 22:13:20 Tue 318 PM 10"
        );
        assert_eq!(ctime_text(&civil(0)), "Thu Jan  1 00:00:00 1970");
        assert_eq!(ctime_text(&civil(951_782_400)), "Tue Feb 29 00:00:00 2000");
    }
}
