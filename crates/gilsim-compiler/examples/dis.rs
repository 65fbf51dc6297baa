//! Prints the disassembly of a file (a development aid; the CLI has `gilsim dis`).
//! `dis FILE [VERSION] [--names]`: `--names` prints each function's normal-path opcode names
//! as JSON, to compare with `scripts/cpython_opnames.py`.
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let path = args.get(1).expect("file");
    let src = std::fs::read_to_string(path).expect("read");
    let p = gilsim_compiler::Profile::parse(args.get(2).map_or("3.9", String::as_str))
        .expect("version");
    match gilsim_compiler::compile(&src, path, &p) {
        Ok(prog) if args.iter().any(|a| a == "--names") => {
            let names = gilsim_compiler::dis::program_opnames(&prog);
            println!("{}", serde_json::to_string_pretty(&names).expect("json"));
        }
        Ok(prog) => print!("{}", gilsim_compiler::dis::dis_program(&prog, &p)),
        Err(e) => eprintln!("{e}"),
    }
}
