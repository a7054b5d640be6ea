//! Export of a circuit's constraint system in circom's binary `.r1cs` format (iden3's r1csfile
//! spec), so that snarkjs can run a Groth16 ceremony for it (`snarkjs groth16 setup`) and,
//! above all, check a ceremony's key against it (`snarkjs zkey verify`): that check is what
//! binds a key to *this* circuit, which [`crate::keys::check_proving_key`] cannot do alone
//! (a key for another circuit with the same numbers of variables and constraints passes it).
//!
//! ## Variables and wires
//!
//! arkworks numbers a constraint system's variables as the instance (`one`, then the public
//! inputs) followed by the witnesses; circom numbers wires as `0 = one`, then public outputs,
//! then public inputs, then private signals. With no public outputs the two numberings are the
//! same, so wire `i` is arkworks variable `i`:
//!
//! | arkworks                 | circom wire                  |
//! |--------------------------|------------------------------|
//! | instance 0 (`one`)       | 0                            |
//! | instance `1..ℓ`          | public inputs `1..ℓ`         |
//! | witness `j`              | private `ℓ + j`              |
//!
//! The header says `nPubOut = 0`, `nPubIn = ℓ − 1` and `nPrvIn = 0`: circom counts only the
//! private *input* signals there, and arkworks does not tell inputs from intermediate
//! witnesses; snarkjs' Groth16 setup and verification use only the wire and public counts.
//! Labels are the wire numbers (`nLabels = nWires`, wire `i` → label `i`).
//!
//! The constraints are those arkworks' Groth16 setup and prover use: synthesized in setup mode
//! with [`OptimizationGoal::Constraints`] and finalized (linear combinations inlined), in the
//! same order. Works for any [`ConstraintSynthesizer`] that uses only R1CS constraints.

use ark_ff::{BigInteger, PrimeField};
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, OptimizationGoal, SynthesisError, SynthesisMode,
    R1CS_PREDICATE_LABEL,
};

use crate::binfile::{self, FormatError, Sections};

const HEADER: u32 = 1;
const CONSTRAINTS: u32 = 2;
const WIRE_TO_LABEL: u32 = 3;

/// A linear combination: `(wire, coefficient)` pairs.
pub type Lc<F> = Vec<(u32, F)>;

/// One constraint `A·B = C`, each side a linear combination over the wires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constraint<F> {
    /// The `A` side.
    pub a: Lc<F>,
    /// The `B` side.
    pub b: Lc<F>,
    /// The `C` side.
    pub c: Lc<F>,
}

/// An R1CS in circom's wire numbering (see the module doc).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct R1cs<F> {
    /// Wires, `one` included.
    pub num_wires: u32,
    /// Public outputs (wires `1..=num_pub_out`).
    pub num_pub_out: u32,
    /// Public inputs (after the outputs).
    pub num_pub_in: u32,
    /// Private input signals (0 in our exports, see the module doc).
    pub num_prv_in: u32,
    /// Labels (signals of the source program); ours are the wires.
    pub num_labels: u64,
    /// The constraints, in order.
    pub constraints: Vec<Constraint<F>>,
    /// The label of each wire.
    pub wire_to_label: Vec<u64>,
}

/// Why a circuit cannot be exported or a file read.
#[derive(Debug, thiserror::Error)]
pub enum R1csError {
    /// The circuit failed to synthesize.
    #[error("constraint synthesis failed: {0}")]
    Synthesis(#[from] SynthesisError),
    /// The circuit uses constraints other than R1CS (a generalized-R1CS predicate), which
    /// the `.r1cs` format cannot express.
    #[error("the circuit has {count} constraints of predicate {label}, only R1CS can be exported")]
    NotR1cs {
        /// The predicate's label.
        label: String,
        /// Its number of constraints.
        count: usize,
    },
    /// More wires or constraints than the format's 32-bit counts hold.
    #[error("the circuit is too large for the .r1cs format")]
    TooLarge,
    /// The file does not parse.
    #[error("invalid .r1cs file: {0}")]
    Format(#[from] FormatError),
}

fn n8<F: PrimeField>() -> usize {
    (F::MODULUS_BIT_SIZE as usize).div_ceil(64) * 8
}

fn modulus_le<F: PrimeField>() -> Vec<u8> {
    let mut m = F::MODULUS.to_bytes_le();
    m.resize(n8::<F>(), 0);
    m
}

/// A canonical little-endian field element (`< p`).
pub(crate) fn field_le<F: PrimeField>(v: &[u8], what: &'static str) -> Result<F, FormatError> {
    let x = F::from_le_bytes_mod_order(v);
    let mut back = x.into_bigint().to_bytes_le();
    back.resize(v.len(), 0);
    if back != v {
        return Err(FormatError::NonCanonical(what));
    }
    Ok(x)
}

impl<F: PrimeField> R1cs<F> {
    /// Synthesizes `circuit` the way arkworks' Groth16 setup does and converts its matrices.
    pub fn from_circuit<C: ConstraintSynthesizer<F>>(circuit: C) -> Result<Self, R1csError> {
        let cs = ConstraintSystem::<F>::new_ref();
        cs.set_optimization_goal(OptimizationGoal::Constraints);
        cs.set_mode(SynthesisMode::Setup);
        circuit.generate_constraints(cs.clone())?;
        cs.finalize();
        for (label, count) in cs.get_all_predicates_num_constraints() {
            if label != R1CS_PREDICATE_LABEL && count > 0 {
                return Err(R1csError::NotR1cs { label, count });
            }
        }
        let num_instance = cs.num_instance_variables();
        let num_wires = num_instance
            .checked_add(cs.num_witness_variables())
            .and_then(|n| u32::try_from(n).ok())
            .ok_or(R1csError::TooLarge)?;
        let num_pub_in =
            u32::try_from(num_instance.saturating_sub(1)).map_err(|_| R1csError::TooLarge)?;
        let matrices = cs.to_matrices()?;
        let Some([a, b, c]) = matrices.get(R1CS_PREDICATE_LABEL).map(Vec::as_slice) else {
            return Err(SynthesisError::PredicateNotFound.into());
        };
        u32::try_from(a.len()).map_err(|_| R1csError::TooLarge)?;
        // arkworks' variable index is the wire number (module doc); every index is below
        // `num_wires`, which fits a u32.
        let lc = |row: &Vec<(F, usize)>| -> Lc<F> {
            row.iter()
                .map(|&(coeff, var)| (var as u32, coeff))
                .collect()
        };
        let constraints = a
            .iter()
            .zip(b)
            .zip(c)
            .map(|((a, b), c)| Constraint {
                a: lc(a),
                b: lc(b),
                c: lc(c),
            })
            .collect();
        Ok(R1cs {
            num_wires,
            num_pub_out: 0,
            num_pub_in,
            num_prv_in: 0,
            num_labels: u64::from(num_wires),
            constraints,
            wire_to_label: (0..u64::from(num_wires)).collect(),
        })
    }

    /// The public signals (outputs and inputs), not counting `one`.
    pub fn num_public(&self) -> u32 {
        self.num_pub_out.saturating_add(self.num_pub_in)
    }

    /// The `.r1cs` file.
    pub fn to_bytes(&self) -> Vec<u8> {
        let n8 = n8::<F>();
        let mut header = Vec::with_capacity(4 + n8 + 28);
        header.extend_from_slice(&(n8 as u32).to_le_bytes());
        header.extend_from_slice(&modulus_le::<F>());
        header.extend_from_slice(&self.num_wires.to_le_bytes());
        header.extend_from_slice(&self.num_pub_out.to_le_bytes());
        header.extend_from_slice(&self.num_pub_in.to_le_bytes());
        header.extend_from_slice(&self.num_prv_in.to_le_bytes());
        header.extend_from_slice(&self.num_labels.to_le_bytes());
        header.extend_from_slice(&(self.constraints.len() as u32).to_le_bytes());

        let mut body = Vec::new();
        for c in &self.constraints {
            for lc in [&c.a, &c.b, &c.c] {
                body.extend_from_slice(&(lc.len() as u32).to_le_bytes());
                for (wire, coeff) in lc {
                    body.extend_from_slice(&wire.to_le_bytes());
                    let mut v = coeff.into_bigint().to_bytes_le();
                    v.resize(n8, 0);
                    body.extend_from_slice(&v);
                }
            }
        }
        let map = self
            .wire_to_label
            .iter()
            .flat_map(|l| l.to_le_bytes())
            .collect();
        binfile::write(
            "r1cs",
            &[(HEADER, header), (CONSTRAINTS, body), (WIRE_TO_LABEL, map)],
        )
    }

    /// Parses a `.r1cs` file for the field `F`. Bounded: nothing is allocated beyond what the
    /// file's bytes can hold. Custom-gate sections (circom's PLONK extension) are refused.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, R1csError> {
        let sections = Sections::parse(bytes, "r1cs")?;
        for custom in [4, 5] {
            if sections.get(custom, "").is_ok() {
                return Err(FormatError::OutOfRange("custom gates are not R1CS".into()).into());
            }
        }
        let mut h = sections.get(HEADER, "header")?;
        let n8 = n8::<F>();
        if h.u32()? as usize != n8 || h.take(n8)? != modulus_le::<F>().as_slice() {
            return Err(FormatError::WrongField("the file's prime is not this field's").into());
        }
        let num_wires = h.u32()?;
        let num_pub_out = h.u32()?;
        let num_pub_in = h.u32()?;
        let num_prv_in = h.u32()?;
        let num_labels = h.u64()?;
        let num_constraints = h.u32()?;
        h.finish(HEADER)?;
        let public = num_pub_out
            .checked_add(num_pub_in)
            .ok_or(R1csError::TooLarge)?;
        if num_wires == 0 || public >= num_wires {
            return Err(FormatError::OutOfRange(format!(
                "{num_wires} wires cannot hold one and {public} public signals"
            ))
            .into());
        }

        let mut r = sections.get(CONSTRAINTS, "constraints")?;
        // A constraint takes at least 12 bytes (three empty combinations).
        let mut constraints = Vec::with_capacity(r.check_items(u64::from(num_constraints), 12)?);
        for _ in 0..num_constraints {
            let mut lc = || -> Result<Lc<F>, FormatError> {
                let terms = r.u32()?;
                let mut out = Vec::with_capacity(r.check_items(u64::from(terms), 4 + n8)?);
                for _ in 0..terms {
                    let wire = r.u32()?;
                    if wire >= num_wires {
                        return Err(FormatError::OutOfRange(format!(
                            "wire {wire} of {num_wires}"
                        )));
                    }
                    let v = r.take(n8)?;
                    out.push((wire, field_le::<F>(v, "a coefficient")?));
                }
                Ok(out)
            };
            let a = lc()?;
            let b = lc()?;
            let c = lc()?;
            constraints.push(Constraint { a, b, c });
        }
        r.finish(CONSTRAINTS)?;

        let mut m = sections.get(WIRE_TO_LABEL, "wire-to-label map")?;
        let mut wire_to_label = Vec::with_capacity(m.check_items(u64::from(num_wires), 8)?);
        for _ in 0..num_wires {
            let label = m.u64()?;
            if label >= num_labels {
                return Err(
                    FormatError::OutOfRange(format!("label {label} of {num_labels}")).into(),
                );
            }
            wire_to_label.push(label);
        }
        m.finish(WIRE_TO_LABEL)?;
        Ok(R1cs {
            num_wires,
            num_pub_out,
            num_pub_in,
            num_prv_in,
            num_labels,
            constraints,
            wire_to_label,
        })
    }

    /// Whether `assignment` (one value per wire, `assignment[0] = 1`) satisfies every
    /// constraint; `None` if the assignment has the wrong length.
    pub fn is_satisfied(&self, assignment: &[F]) -> Option<bool> {
        if assignment.len() != self.num_wires as usize || assignment.first() != Some(&F::one()) {
            return None;
        }
        let eval = |lc: &Lc<F>| -> Option<F> {
            lc.iter()
                .map(|&(w, c)| assignment.get(w as usize).map(|x| *x * c))
                .sum()
        };
        let mut ok = true;
        for c in &self.constraints {
            ok &= eval(&c.a)? * eval(&c.b)? == eval(&c.c)?;
        }
        Some(ok)
    }
}
