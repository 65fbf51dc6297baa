//! Prints the disassembly of a file (a development aid; the CLI has `gilsim dis`).
fn main() {
    let path = std::env::args().nth(1).expect("file");
    let src = std::fs::read_to_string(&path).expect("read");
    let p = gilsim_compiler::Profile::default();
    match gilsim_compiler::compile(&src, &path, &p) {
        Ok(prog) => print!("{}", gilsim_compiler::dis::dis_program(&prog, &p)),
        Err(e) => eprintln!("{e}"),
    }
}
