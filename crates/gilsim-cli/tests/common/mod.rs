//! What the end-to-end test files share: the workspace root, running the `gilsim` binary,
//! scratch files, snapshots into the top-level `snapshots/`.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root (scenarios and snapshots are relative to it).
pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

/// Runs the binary from the root, without colour: (exit code, stdout, stderr).
pub(crate) fn gilsim(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_gilsim"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .expect("run gilsim");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Writes a scratch program (in a folder of this test process) and returns its path.
pub(crate) fn write_tmp(name: &str, text: &str) -> String {
    let dir = std::env::temp_dir().join(format!("gilsim-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write");
    p.to_string_lossy().into_owned()
}

/// A snapshot in the top-level `snapshots/` folder.
pub(crate) fn snapshot(name: &str, text: &str) {
    insta::with_settings!({snapshot_path => root().join("snapshots"), prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!(name, text);
    });
}

/// The modelled versions and the release of each under `~/.pyenv/versions`.
pub(crate) const RELEASES: [(&str, &str); 6] = [
    ("2.7", "2.7.18"),
    ("3.9", "3.9.18"),
    ("3.10", "3.10.13"),
    ("3.11", "3.11.7"),
    ("3.12", "3.12.1"),
    ("3.13", "3.13.0"),
];

/// The interpreter of a CPython release under `~/.pyenv/versions`, where it is installed.
pub(crate) fn interpreter(release: &str) -> Option<PathBuf> {
    let home = std::env::var_os("HOME")?;
    let exe = PathBuf::from(home)
        .join(".pyenv/versions")
        .join(release)
        .join("bin/python");
    exe.exists().then_some(exe)
}

/// The `*.py` files of a folder under the root, sorted.
pub(crate) fn python_files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .expect("folder of programs")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "py"))
        .collect();
    files.sort();
    files
}
