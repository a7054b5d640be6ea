//! Writes the wallet client's cross-check vectors (see `gen.rs`):
//!
//! ```text
//! cargo run -p echonet-rollup-primitives --example client-vectors [-- OUT.json]
//! ```
//!
//! Without an argument it writes `rollup/client-js/test/vectors.json`, the file the JS tests
//! and the `client_vectors` integration test read.

// The staleness check in gen.rs is for the integration test only.
#[allow(dead_code)]
mod gen;

fn main() {
    let out = std::env::args().nth(1).unwrap_or_else(|| {
        format!(
            "{}/../client-js/test/vectors.json",
            env!("CARGO_MANIFEST_DIR")
        )
    });
    let v = gen::generate();
    let mut text = serde_json::to_string_pretty(&v).expect("JSON");
    text.push('\n');
    if let Err(e) = std::fs::write(&out, text) {
        eprintln!("cannot write {out}: {e}");
        std::process::exit(1);
    }
    println!("wrote {out}");
}
