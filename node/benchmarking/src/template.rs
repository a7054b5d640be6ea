//! Writes fitted weights as Rust.
//!
//! - [`Template::Runtime`]: `pub struct WeightInfo<T>` implementing a FRAME pallet's
//!   `WeightInfo` trait, for `runtime/src/weights/<pallet>.rs`. A benchmark that cannot run
//!   natively (e.g. `set_code`, which needs a wasm blob) falls back to the pallet's own
//!   `()` implementation, and the file says so.
//! - [`Template::Pallet`]: the `WeightInfo` trait itself, `SubstrateWeight<T>` and `()`,
//!   for a pallet's own `src/weights.rs`.

use crate::{BenchmarkWeight, PalletWeights};
use std::fmt::Write as _;

/// Which kind of file to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Template {
    /// A runtime's `weights/<pallet>.rs`: `WeightInfo<T>` implementing the pallet's trait,
    /// with storage priced by `T::DbWeight`.
    Runtime,
    /// A pallet's own `weights.rs`: the trait, `SubstrateWeight<T>` (storage priced by
    /// `T::DbWeight`) and `()` (priced by `RocksDbWeight`).
    Pallet,
}

/// Where the header says the numbers come from.
#[derive(Debug, Clone)]
pub struct Provenance {
    /// The day of the run, `YYYY-MM-DD` (UTC).
    pub date: String,
    /// The CPU model and core count the numbers were measured on.
    pub machine: String,
    /// The exact command line that reproduces the file.
    pub command: String,
    /// [`PalletParams::steps`](crate::PalletParams::steps) of the run.
    pub steps: u32,
    /// [`PalletParams::repeat`](crate::PalletParams::repeat) of the run.
    pub repeat: u32,
    /// [`PalletParams::values`](crate::PalletParams::values) of the run (replacing the
    /// steps when not empty).
    pub values: Vec<u32>,
}

/// The Rust path of the `WeightInfo` trait a runtime weights file implements.
fn trait_path(pallet: &str) -> String {
    match pallet {
        "frame_system_extensions" => "frame_system::ExtensionsWeightInfo".into(),
        p => format!("{p}::WeightInfo"),
    }
}

fn args(b: &BenchmarkWeight) -> String {
    b.components
        .iter()
        .map(|(n, _, _)| format!("{n}: u32"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn arg_names(b: &BenchmarkWeight) -> String {
    b.components
        .iter()
        .map(|(n, _, _)| n.clone())
        .collect::<Vec<_>>()
        .join(", ")
}

fn group(n: u128) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push('_');
        }
        out.push(c);
    }
    out
}

/// The body of a weight function; `db` is `T::DbWeight::get()` or `RocksDbWeight::get()`.
fn body(b: &BenchmarkWeight, db: &str) -> String {
    let mut s = format!("        Weight::from_parts({}, 0)\n", group(b.base_time_ps));
    for (name, slope) in &b.time_slopes_ps {
        if *slope > 0 {
            let _ = writeln!(
                s,
                "            .saturating_add(Weight::from_parts({}, 0).saturating_mul({name}.into()))",
                group(*slope)
            );
        }
    }
    if b.base_reads > 0 {
        let _ = writeln!(
            s,
            "            .saturating_add({db}.reads({}_u64))",
            b.base_reads
        );
    }
    for (name, slope) in &b.read_slopes {
        if *slope > 0 {
            let _ = writeln!(
                s,
                "            .saturating_add({db}.reads(({}_u64).saturating_mul({name}.into())))",
                slope
            );
        }
    }
    if b.base_writes > 0 {
        let _ = writeln!(
            s,
            "            .saturating_add({db}.writes({}_u64))",
            b.base_writes
        );
    }
    for (name, slope) in &b.write_slopes {
        if *slope > 0 {
            let _ = writeln!(
                s,
                "            .saturating_add({db}.writes(({}_u64).saturating_mul({name}.into())))",
                slope
            );
        }
    }
    s
}

fn header(pallet: &str, p: &Provenance) -> String {
    let sampling = if p.values.is_empty() {
        format!("Steps: {}", p.steps)
    } else {
        let values: Vec<String> = p.values.iter().map(u32::to_string).collect();
        format!("Component values: {}", values.join(", "))
    };
    format!(
        "//! Weights for `{pallet}`, measured natively by `echonet-node benchmark pallet`.\n\
         //!\n\
         //! Date: {}. Machine: {}.\n\
         //! {}, repeat: {}. Times are the runtime's own clock around each call, on an\n\
         //! in-memory trie; storage accesses are charged per read and write through `DbWeight`.\n\
         //!\n\
         //! Command: `{}`\n\
         //!\n\
         //! Generated: do not edit by hand; run the command again.\n\n\
         #![allow(unused_parens, unused_imports, unused_variables, missing_docs, clippy::all)]\n\n",
        p.date, p.machine, sampling, p.repeat, p.command
    )
}

/// Renders one pallet's weights.
pub fn render(weights: &PalletWeights, template: Template, provenance: &Provenance) -> String {
    let mut s = header(&weights.pallet, provenance);
    match template {
        Template::Runtime => {
            s.push_str("use core::marker::PhantomData;\nuse frame_support::{traits::Get, weights::Weight};\n\n");
            let _ = writeln!(s, "/// Measured weights of `{}`.", weights.pallet);
            s.push_str("pub struct WeightInfo<T>(PhantomData<T>);\n\n");
            let _ = writeln!(
                s,
                "impl<T: frame_system::Config> {} for WeightInfo<T> {{",
                trait_path(&weights.pallet)
            );
            for b in &weights.benchmarks {
                let components: Vec<String> = b
                    .components
                    .iter()
                    .map(|(n, l, h)| format!("`{n}` is `[{l}, {h}]`"))
                    .collect();
                if !components.is_empty() {
                    let _ = writeln!(
                        s,
                        "    /// The range of component {}.",
                        components.join(", ")
                    );
                }
                let _ = writeln!(s, "    fn {}({}) -> Weight {{", b.name, args(b));
                match &b.failed {
                    Some(reason) => {
                        let reason = reason.replace('\n', " ");
                        let _ = writeln!(s, "        // Not measurable natively ({reason}): the pallet's reference weight.");
                        let _ = writeln!(
                            s,
                            "        <() as {}>::{}({})",
                            trait_path(&weights.pallet),
                            b.name,
                            arg_names(b)
                        );
                    }
                    None => s.push_str(&body(b, "T::DbWeight::get()")),
                }
                s.push_str("    }\n");
            }
            s.push_str("}\n");
        }
        Template::Pallet => {
            s.push_str("use core::marker::PhantomData;\nuse frame_support::{\n    traits::Get,\n    weights::{constants::RocksDbWeight, Weight},\n};\n\n");
            s.push_str("/// Weight functions needed by this pallet.\npub trait WeightInfo {\n");
            for b in &weights.benchmarks {
                let _ = writeln!(s, "    fn {}({}) -> Weight;", b.name, args(b));
            }
            s.push_str("}\n\n/// Measured weights, charging storage through the runtime's `DbWeight`.\npub struct SubstrateWeight<T>(PhantomData<T>);\n");
            s.push_str("impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {\n");
            for b in &weights.benchmarks {
                let _ = writeln!(s, "    fn {}({}) -> Weight {{", b.name, args(b));
                match &b.failed {
                    Some(reason) => {
                        let _ = writeln!(
                            s,
                            "        // Not measured ({}).",
                            reason.replace('\n', " ")
                        );
                        let _ = writeln!(s, "        Weight::MAX");
                    }
                    None => s.push_str(&body(b, "T::DbWeight::get()")),
                }
                s.push_str("    }\n");
            }
            s.push_str("}\n\n/// The same weights with RocksDB's reference storage costs, for tests.\nimpl WeightInfo for () {\n");
            for b in &weights.benchmarks {
                let _ = writeln!(s, "    fn {}({}) -> Weight {{", b.name, args(b));
                match &b.failed {
                    Some(_) => {
                        let _ = writeln!(s, "        Weight::MAX");
                    }
                    None => s.push_str(&body(b, "RocksDbWeight::get()")),
                }
                s.push_str("    }\n");
            }
            s.push_str("}\n");
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(failed: Option<String>) -> PalletWeights {
        PalletWeights {
            pallet: "pallet_x".into(),
            instance: "X".into(),
            benchmarks: vec![BenchmarkWeight {
                name: "do_it".into(),
                components: vec![("n".into(), 1, 100)],
                base_time_ps: 12_345_000,
                time_slopes_ps: vec![("n".into(), 1_000)],
                base_reads: 2,
                read_slopes: vec![("n".into(), 1)],
                base_writes: 1,
                write_slopes: vec![],
                failed,
            }],
        }
    }

    fn provenance() -> Provenance {
        Provenance {
            date: "d".into(),
            machine: "m".into(),
            command: "c".into(),
            steps: 2,
            repeat: 1,
            values: vec![],
        }
    }

    #[test]
    fn runtime_template_charges_time_components_and_storage() {
        let out = render(&sample(None), Template::Runtime, &provenance());
        assert!(
            out.contains("impl<T: frame_system::Config> pallet_x::WeightInfo for WeightInfo<T>")
        );
        assert!(out.contains("fn do_it(n: u32) -> Weight"));
        assert!(out.contains("Weight::from_parts(12_345_000, 0)"));
        assert!(out.contains("Weight::from_parts(1_000, 0).saturating_mul(n.into())"));
        assert!(out.contains("T::DbWeight::get().reads(2_u64)"));
        assert!(out.contains("T::DbWeight::get().reads((1_u64).saturating_mul(n.into()))"));
        assert!(out.contains("T::DbWeight::get().writes(1_u64)"));
    }

    #[test]
    fn failed_benchmark_falls_back_to_the_reference_weight() {
        let out = render(
            &sample(Some("needs wasm".into())),
            Template::Runtime,
            &provenance(),
        );
        assert!(out.contains("<() as pallet_x::WeightInfo>::do_it(n)"));
        assert!(out.contains("needs wasm"));
    }

    #[test]
    fn pallet_template_declares_the_trait_and_both_impls() {
        let out = render(&sample(None), Template::Pallet, &provenance());
        assert!(out.contains("pub trait WeightInfo {\n    fn do_it(n: u32) -> Weight;"));
        assert!(out.contains("impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T>"));
        assert!(out.contains("impl WeightInfo for ()"));
        assert!(out.contains("RocksDbWeight::get().reads(2_u64)"));
    }
}
