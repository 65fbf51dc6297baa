//! The methods of `str`, `str.format` among them.

use super::*;

/// `str.join`.
pub(super) fn join(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    if let Some(r) = consume_in_python(m, &c) {
        return r;
    }
    let Call { args, .. } = c;
    let a0 = arg(&args, 0);
    let a1 = arg(&args, 1);
    let sep = str_arg(m, a0).unwrap_or_else(|| Rc::from(""));
    let items = m.iterate_all(a1)?;
    let mut parts = Vec::with_capacity(items.len());
    for (i, x) in items.iter().enumerate() {
        match str_arg(m, *x) {
            Some(s) => parts.push(s.to_string()),
            None => {
                let tn = m.type_name(*x);
                return Err(m.raise(
                    "TypeError",
                    format!("sequence item {i}: expected str instance, {tn} found"),
                ));
            }
        }
    }
    Ok(Some(m.new_str(parts.join(&sep))))
}

/// `str.split`.
pub(super) fn split(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { args, kwargs, .. } = c;
    let a0 = arg(&args, 0);
    let a1 = arg(&args, 1);
    let s = str_arg(m, a0).unwrap_or_else(|| Rc::from(""));
    let maxsplit = match kw(&kwargs, "maxsplit").or(args.get(2).copied()) {
        Some(v) => to_int(m, v, "split")?,
        None => -1,
    };
    let sep = kw(&kwargs, "sep").unwrap_or(a1);
    let parts: Vec<String> = match str_arg(m, sep) {
        Some(sep) if sep.is_empty() => return Err(m.raise("ValueError", "empty separator")),
        Some(sep) if maxsplit >= 0 => s
            .splitn(maxsplit as usize + 1, &*sep)
            .map(str::to_string)
            .collect(),
        Some(sep) => s.split(&*sep).map(str::to_string).collect(),
        None if maxsplit >= 0 => {
            let mut out = Vec::new();
            let mut rest = s.trim_start();
            while !rest.is_empty() {
                if out.len() as i64 == maxsplit {
                    out.push(rest.to_string());
                    break;
                }
                let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
                out.push(rest[..end].to_string());
                rest = rest[end..].trim_start();
            }
            out
        }
        None => s.split_whitespace().map(str::to_string).collect(),
    };
    let vals: Vec<Value> = parts.into_iter().map(|p| m.new_str(p)).collect();
    Ok(Some(Value::Obj(m.heap.alloc(Obj::List(vals)))))
}

/// `str.strip`, `str.lstrip`, `str.rstrip`, `str.upper`, `str.lower`, `str.title`.
pub(super) fn strip_and_case(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { id, args, .. } = c;
    let a0 = arg(&args, 0);
    let a1 = arg(&args, 1);
    let s = str_arg(m, a0).unwrap_or_else(|| Rc::from(""));
    let chars: Option<Vec<char>> = str_arg(m, a1).map(|c| c.chars().collect());
    let is_strip = |c: char| {
        chars
            .as_ref()
            .map_or(c.is_whitespace(), |cs| cs.contains(&c))
    };
    let out = match id {
        N::StrStrip => s.trim_matches(is_strip).to_string(),
        N::StrLstrip => s.trim_start_matches(is_strip).to_string(),
        N::StrRstrip => s.trim_end_matches(is_strip).to_string(),
        N::StrUpper => s.to_uppercase(),
        N::StrLower => s.to_lowercase(),
        _ => s
            .split(' ')
            .map(|w| {
                let mut c = w.chars();
                c.next().map_or(String::new(), |f| {
                    f.to_uppercase().collect::<String>() + &c.as_str().to_lowercase()
                })
            })
            .collect::<Vec<_>>()
            .join(" "),
    };
    Ok(Some(m.new_str(out)))
}

/// `str.replace`.
pub(super) fn replace(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { args, .. } = c;
    let a0 = arg(&args, 0);
    let a1 = arg(&args, 1);
    let s = str_arg(m, a0).unwrap_or_else(|| Rc::from(""));
    let (Some(old), Some(new)) = (str_arg(m, a1), str_arg(m, arg(&args, 2))) else {
        return Err(m.raise("TypeError", "replace() arguments must be str"));
    };
    let out = match args.get(3) {
        Some(c) => {
            let c = to_int(m, *c, "replace")?;
            if c < 0 {
                s.replace(&*old, &new)
            } else {
                s.replacen(&*old, &new, c as usize)
            }
        }
        None => s.replace(&*old, &new),
    };
    Ok(Some(m.new_str(out)))
}

/// `str.startswith`, `str.endswith`, `str.find`, `str.count`.
pub(super) fn search(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { id, args, .. } = c;
    let a0 = arg(&args, 0);
    let a1 = arg(&args, 1);
    let s = str_arg(m, a0).unwrap_or_else(|| Rc::from(""));
    let Some(p) = str_arg(m, a1) else {
        return Err(m.raise("TypeError", "expected a str"));
    };
    // Optional start/end, in characters, as slice indices.
    let chars: Vec<char> = s.chars().collect();
    let len = chars.len() as i64;
    let norm = |v: i64| if v < 0 { (v + len).max(0) } else { v.min(len) };
    let start = match args.get(2) {
        Some(v) if *v != Value::None => norm(to_int(m, *v, id.name())?),
        _ => 0,
    };
    let end = match args.get(3) {
        Some(v) if *v != Value::None => norm(to_int(m, *v, id.name())?),
        _ => len,
    };
    let window: String = if start <= end {
        chars[start as usize..end as usize].iter().collect()
    } else {
        String::new()
    };
    Ok(Some(match id {
        N::StrStartswith => Value::Bool(start <= end && window.starts_with(&*p)),
        N::StrEndswith => Value::Bool(start <= end && window.ends_with(&*p)),
        N::StrFind => Value::Int(if start > end {
            -1
        } else {
            window
                .find(&*p)
                .map_or(-1, |b| start + window[..b].chars().count() as i64)
        }),
        _ => Value::Int(window.matches(&*p).count() as i64),
    }))
}

/// `str.isdigit`.
pub(super) fn isdigit(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { args, .. } = c;
    let a0 = arg(&args, 0);
    let s = str_arg(m, a0).unwrap_or_else(|| Rc::from(""));
    Ok(Some(Value::Bool(
        !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()),
    )))
}

/// `str.ljust`, `str.rjust`, `str.center`.
pub(super) fn pad(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { id, args, .. } = c;
    let a0 = arg(&args, 0);
    let a1 = arg(&args, 1);
    let s = str_arg(m, a0).unwrap_or_else(|| Rc::from(""));
    let w = to_int(m, a1, "width")?.max(0) as usize;
    let fill = str_arg(m, arg(&args, 2))
        .and_then(|f| f.chars().next())
        .unwrap_or(' ');
    let spec = crate::interp::format::Spec {
        fill,
        align: Some(match id {
            N::StrLjust => '<',
            N::StrRjust => '>',
            _ => '^',
        }),
        width: w,
        ..crate::interp::format::Spec::default()
    };
    Ok(Some(
        m.new_str(crate::interp::format::pad(&s, &spec, false)),
    ))
}

/// `str.format`.
pub(super) fn format(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { args, kwargs, .. } = c;
    let a0 = arg(&args, 0);
    let s = str_arg(m, a0).unwrap_or_else(|| Rc::from(""));
    let out = str_format(m, &s, &args[1..], &kwargs)?;
    Ok(Some(m.new_str(out)))
}

/// A format spec with nested fields (`{0:>{1}}`): each `{…}` replaced by its value's str.
fn str_format_nested(
    m: &mut Machine,
    spec: &str,
    args: &[Value],
    kwargs: &[(String, Value)],
    auto: &mut usize,
) -> Res<String> {
    let mut out = String::new();
    let mut chars = spec.chars();
    while let Some(c) = chars.next() {
        if c != '{' {
            out.push(c);
            continue;
        }
        let name: String = chars.by_ref().take_while(|&c| c != '}').collect();
        let v = if name.is_empty() {
            *auto += 1;
            args.get(*auto - 1).copied()
        } else if let Ok(i) = name.parse::<usize>() {
            args.get(i).copied()
        } else {
            kw(kwargs, &name)
        };
        let Some(v) = v else {
            return Err(m.raise(
                "IndexError",
                "Replacement index out of range for positional args tuple",
            ));
        };
        out.push_str(&m.str_of(v));
    }
    Ok(out)
}

pub(super) fn str_format(
    m: &mut Machine,
    fmt: &str,
    args: &[Value],
    kwargs: &[(String, Value)],
) -> Res<String> {
    let mut out = String::new();
    let mut auto = 0;
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '{' => {
                // The field runs to its matching brace: a spec may hold nested fields.
                let mut field = String::new();
                let mut depth = 0;
                for n in chars.by_ref() {
                    match n {
                        '{' => depth += 1,
                        '}' if depth == 0 => break,
                        '}' => depth -= 1,
                        _ => {}
                    }
                    field.push(n);
                }
                let (name, spec) = field.split_once(':').unwrap_or((&field, ""));
                let spec = if spec.contains('{') {
                    str_format_nested(m, spec, args, kwargs, &mut auto)?
                } else {
                    spec.to_string()
                };
                let spec = spec.as_str();
                let (name, conv) = name
                    .split_once('!')
                    .map_or((name, None), |(a, b)| (a, Some(b)));
                let v = if name.is_empty() {
                    auto += 1;
                    args.get(auto - 1).copied()
                } else if let Ok(i) = name.parse::<usize>() {
                    args.get(i).copied()
                } else {
                    kw(kwargs, name)
                };
                let Some(v) = v else {
                    return Err(m.raise(
                        "IndexError",
                        format!(
                            "Replacement index {} out of range for positional args tuple",
                            auto.saturating_sub(1)
                        ),
                    ));
                };
                let v = match conv {
                    Some("r") => {
                        let r = m.repr_of(v);
                        m.new_str(r)
                    }
                    Some("a") => {
                        let r = crate::interp::ops::ascii_escape(&m.repr_of(v));
                        m.new_str(r)
                    }
                    Some("s") => {
                        let r = m.str_of(v);
                        m.new_str(r)
                    }
                    _ => v,
                };
                out.push_str(&m.format_with_spec(v, spec)?);
            }
            c => out.push(c),
        }
    }
    Ok(out)
}
