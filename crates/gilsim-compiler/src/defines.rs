//! `-D NAME=VALUE`: rewrite the first top-level `NAME = <literal>` of a program before it runs.

use crate::error::{CompileError, ErrorKind};
use ruff_python_ast::{Expr, Stmt};
use ruff_text_size::Ranged;

/// Applies the defines in order and returns the rewritten source.
///
/// # Errors
/// When `NAME` has no top-level `NAME = <literal>` assignment, or `VALUE` is not a Python literal.
pub fn apply_defines(source: &str, defines: &[(String, String)]) -> Result<String, CompileError> {
    let mut src = source.to_string();
    for (name, value) in defines {
        let parsed = ruff_python_parser::parse_expression(value).map_err(|_| {
            CompileError::at(
                ErrorKind::Define,
                &src,
                0,
                0,
                format!("-D {name}={value}: the value is not a Python literal"),
                Some(format!(
                    "write a number, a string in quotes or True/False, e.g. -D {name}=10"
                )),
            )
        })?;
        if !is_literal(parsed.syntax().body.as_ref()) {
            return Err(CompileError::at(
                ErrorKind::Define,
                &src,
                0,
                0,
                format!("-D {name}={value}: the value is not a Python literal"),
                Some(format!(
                    "write a number, a string in quotes or True/False, e.g. -D {name}=10"
                )),
            ));
        }
        let module = ruff_python_parser::parse_module(&src).map_err(|e| {
            CompileError::at(
                ErrorKind::Syntax,
                &src,
                e.location.start().to_usize(),
                e.location.end().to_usize(),
                format!("invalid syntax: {}", e.error),
                None,
            )
        })?;
        let mut found = None;
        for stmt in &module.syntax().body {
            if let Stmt::Assign(a) = stmt
                && a.targets.len() == 1
                && matches!(&a.targets[0], Expr::Name(n) if n.id.as_str() == name)
                && is_literal(&a.value)
            {
                found = Some(a.value.range());
                break;
            }
        }
        let Some(range) = found else {
            return Err(CompileError::at(
                ErrorKind::Define,
                &src,
                0,
                0,
                format!(
                    "-D {name}={value}: the program has no top-level line `{name} = <literal>` to rewrite"
                ),
                Some(format!(
                    "add a line such as `{name} = 10` at the top of the file, or check the spelling"
                )),
            ));
        };
        src.replace_range(
            range.start().to_usize()..range.end().to_usize(),
            value.trim(),
        );
    }
    Ok(src)
}

fn is_literal(e: &Expr) -> bool {
    match e {
        Expr::NumberLiteral(_)
        | Expr::StringLiteral(_)
        | Expr::BooleanLiteral(_)
        | Expr::NoneLiteral(_) => true,
        Expr::UnaryOp(u) => matches!(&*u.operand, Expr::NumberLiteral(_)),
        Expr::Tuple(t) => t.elts.iter().all(is_literal),
        Expr::List(t) => t.elts.iter().all(is_literal),
        _ => false,
    }
}
