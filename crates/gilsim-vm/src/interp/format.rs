//! The format-spec mini-language (`f"{x:>8,.2f}"`), for the common cases.

/// A parsed format spec.
#[derive(Clone, Debug, Default)]
pub(crate) struct Spec {
    /// Fill character.
    pub fill: char,
    /// Alignment: `<`, `>`, `^`, `=`.
    pub align: Option<char>,
    /// Sign: `+`, `-`, ` `.
    pub sign: Option<char>,
    /// Minimum width.
    pub width: usize,
    /// Thousands separator.
    pub grouping: Option<char>,
    /// Precision.
    pub precision: Option<usize>,
    /// Type character.
    pub ty: Option<char>,
    /// Zero padding.
    pub zero: bool,
    /// `#`: the alternate form (`0x` prefixes).
    pub alt: bool,
}

/// Parses a spec; `None` if it is not one gilsim understands.
#[must_use]
pub(crate) fn parse_spec(spec: &str) -> Option<Spec> {
    let chars: Vec<char> = spec.chars().collect();
    let mut i = 0;
    let mut s = Spec {
        fill: ' ',
        ..Spec::default()
    };
    let is_align = |c: char| matches!(c, '<' | '>' | '^' | '=');
    if chars.len() >= 2 && is_align(chars[1]) {
        s.fill = chars[0];
        s.align = Some(chars[1]);
        i = 2;
    } else if !chars.is_empty() && is_align(chars[0]) {
        s.align = Some(chars[0]);
        i = 1;
    }
    if i < chars.len() && matches!(chars[i], '+' | '-' | ' ') {
        s.sign = Some(chars[i]);
        i += 1;
    }
    if i < chars.len() && chars[i] == '#' {
        s.alt = true;
        i += 1;
    }
    if i < chars.len() && chars[i] == '0' {
        s.zero = true;
        i += 1;
    }
    let start = i;
    while i < chars.len() && chars[i].is_ascii_digit() {
        i += 1;
    }
    if i > start {
        s.width = chars[start..i].iter().collect::<String>().parse().ok()?;
    }
    if i < chars.len() && matches!(chars[i], ',' | '_') {
        s.grouping = Some(chars[i]);
        i += 1;
    }
    if i < chars.len() && chars[i] == '.' {
        i += 1;
        let start = i;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        s.precision = Some(chars[start..i].iter().collect::<String>().parse().ok()?);
    }
    if i < chars.len() {
        s.ty = Some(chars[i]);
        i += 1;
    }
    (i == chars.len()).then_some(s)
}

/// Inserts a thousands separator into the integer part of a number's text.
#[must_use]
pub(crate) fn group(text: &str, sep: Option<char>) -> String {
    let Some(sep) = sep else {
        return text.to_string();
    };
    let (sign, rest) = text.strip_prefix('-').map_or(("", text), |r| ("-", r));
    let (int, frac) = rest
        .split_once('.')
        .map_or((rest, None), |(a, b)| (a, Some(b)));
    let mut out = String::new();
    for (n, c) in int.chars().enumerate() {
        if n > 0 && (int.len() - n) % 3 == 0 {
            out.push(sep);
        }
        out.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{out}.{f}"),
        None => format!("{sign}{out}"),
    }
}

/// `e` format.
#[must_use]
pub(crate) fn exp(f: f64, prec: usize) -> String {
    gilsim_compiler::dis::python_exponent(&format!("{f:.prec$e}"))
}

/// `g` format with a precision.
#[must_use]
pub(crate) fn general(f: f64, prec: usize) -> String {
    let p = prec.max(1);
    if f == 0.0 {
        return "0".into();
    }
    let e = f.abs().log10().floor() as i32;
    if e < -4 || e >= p as i32 {
        let s = exp(f, p - 1);
        let (m, x) = s.split_once('e').unwrap_or((&s, ""));
        let m = if m.contains('.') {
            m.trim_end_matches('0').trim_end_matches('.')
        } else {
            m
        };
        format!("{m}e{x}")
    } else {
        let decimals = (p as i32 - 1 - e).max(0) as usize;
        let s = format!("{f:.decimals$}");
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    }
}

/// Pads to the spec's width with its fill and alignment.
#[must_use]
/// `numeric` decides the default alignment (numbers right, text left).
pub(crate) fn pad(body: &str, s: &Spec, numeric: bool) -> String {
    let mut body = body.to_string();
    // '+' signs every number, ' ' puts a space where a positive number's sign would be.
    if let Some(sign @ ('+' | ' ')) = s.sign
        && numeric
        && !body.starts_with('-')
    {
        body.insert(0, sign);
    }
    let len = body.chars().count();
    if len >= s.width {
        return body;
    }
    let n = s.width - len;

    let (fill, align) = if s.zero && s.align.is_none() {
        ('0', '=')
    } else {
        (s.fill, s.align.unwrap_or(if numeric { '>' } else { '<' }))
    };
    let f = |k: usize| std::iter::repeat_n(fill, k).collect::<String>();
    match align {
        '<' => format!("{body}{}", f(n)),
        '^' => format!("{}{body}{}", f(n / 2), f(n - n / 2)),
        '=' => {
            let (sign, rest) = if body.starts_with(['-', '+', ' ']) {
                body.split_at(1)
            } else {
                ("", body.as_str())
            };
            format!("{sign}{}{rest}", f(n))
        }
        _ => format!("{}{body}", f(n)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_specs() {
        let s = parse_spec(">8,.2f").unwrap();
        assert_eq!(
            (s.align, s.width, s.grouping, s.precision, s.ty),
            (Some('>'), 8, Some(','), Some(2), Some('f'))
        );
        assert_eq!(group("1234567", Some(',')), "1,234,567");
        assert!(parse_spec("8q8").is_none());
        let space = parse_spec(" .2f").unwrap();
        assert_eq!(pad("13.00", &space, true), " 13.00");
        assert_eq!(pad("-13.00", &space, true), "-13.00");
        let zero = parse_spec(" 08.2f").unwrap();
        assert_eq!(pad("13.00", &zero, true), " 0013.00");
    }
}
