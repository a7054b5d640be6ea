//! Ceremony keys: the circuit's R1CS in circom's format, snarkjs `.zkey` import, and circom's
//! QAP reduction. (The snarkjs side, a real ceremony with `zkey verify`, is
//! tests/js/rollup/ceremony.test.mjs, run by scripts/ci-rollup.sh.)

use ark_bn254::{Bn254, Fq, Fr, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ff::{BigInteger, Field, PrimeField};
use ark_groth16::{r1cs_to_qap::LibsnarkReduction, Groth16};
use ark_relations::{
    gr1cs::{
        ConstraintSynthesizer, ConstraintSystem, ConstraintSystemRef, OptimizationGoal,
        SynthesisError, SynthesisMode, Variable,
    },
    lc,
};
use ark_snark::{CircuitSpecificSetupSNARK, SNARK};
use echonet_prover::{
    binfile::FormatError,
    keys,
    qap::{CircomReduction, QapReduction},
    r1cs::{Constraint, R1cs},
    sample::{sample_batch, SampleKind},
    zkey::{Coefficient, Zkey},
    BatchCircuit, BatchWitness, ProverError, ProvingKey,
};
use rand::SeedableRng;

/// `x` public, `w` and `y` private: `w·w = x` and `(w + 2)·(3w) = y`.
#[derive(Clone)]
struct Small {
    w: Fr,
}

impl Small {
    fn x(&self) -> Fr {
        self.w * self.w
    }
}

impl ConstraintSynthesizer<Fr> for Small {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        // Raw constraints, so that the matrices are exactly the two rows above (r1cs-std's
        // `enforce_equal` would add a variable and a constraint per product).
        let x = cs.new_input_variable(|| Ok(self.x()))?;
        let w = cs.new_witness_variable(|| Ok(self.w))?;
        let y =
            cs.new_witness_variable(|| Ok((self.w + Fr::from(2u64)) * (self.w * Fr::from(3u64))))?;
        let one = Variable::One;
        cs.enforce_r1cs_constraint(|| lc![w], || lc![w], || lc![x])?;
        cs.enforce_r1cs_constraint(
            || lc![(Fr::from(2u64), one), (Fr::from(1u64), w)],
            || lc![(Fr::from(3u64), w)],
            || lc![y],
        )?;
        Ok(())
    }
}

fn le32(x: u32) -> [u8; 4] {
    x.to_le_bytes()
}

#[test]
fn small_circuit_exports_the_r1cs_worked_out_by_hand() {
    let r1cs = R1cs::<Fr>::from_circuit(Small { w: Fr::from(5u64) }).unwrap();
    // Wires: 0 = one, 1 = x (public), 2 = w, 3 = y.
    assert_eq!(
        (r1cs.num_wires, r1cs.num_pub_out, r1cs.num_pub_in),
        (4, 0, 1)
    );
    assert_eq!(r1cs.num_labels, 4);
    assert_eq!(r1cs.wire_to_label, [0, 1, 2, 3]);
    let f = |v: u64| Fr::from(v);
    let sorted = |mut lc: Vec<(u32, Fr)>| {
        lc.sort_by_key(|t| t.0);
        lc
    };
    let got: Vec<_> = r1cs
        .constraints
        .iter()
        .map(|c| Constraint {
            a: sorted(c.a.clone()),
            b: sorted(c.b.clone()),
            c: sorted(c.c.clone()),
        })
        .collect();
    assert_eq!(
        got,
        [
            // w·w = x
            Constraint {
                a: vec![(2, f(1))],
                b: vec![(2, f(1))],
                c: vec![(1, f(1))],
            },
            // (w + 2·one)·(3w) = y
            Constraint {
                a: vec![(0, f(2)), (2, f(1))],
                b: vec![(2, f(3))],
                c: vec![(3, f(1))],
            },
        ]
    );

    // The bytes, field by field (iden3 r1csfile spec).
    let bytes = r1cs.to_bytes();
    assert_eq!(
        &bytes[..12],
        [b"r1cs".as_slice(), &le32(1), &le32(3)].concat()
    );
    // Header section: type 1, size 4 + 32 + 4·4 + 8 + 4 = 64.
    assert_eq!(
        &bytes[12..24],
        [le32(1).as_slice(), &64u64.to_le_bytes()].concat()
    );
    let h = &bytes[24..88];
    assert_eq!(h[..4], le32(32));
    assert_eq!(h[4..36], Fr::MODULUS.to_bytes_le()[..]);
    let counts: Vec<u32> = [36, 40, 44, 48]
        .iter()
        .map(|&o| u32::from_le_bytes(h[o..o + 4].try_into().unwrap()))
        .collect();
    assert_eq!(counts, [4, 0, 1, 0]); // nWires, nPubOut, nPubIn, nPrvIn
    assert_eq!(h[52..60], 4u64.to_le_bytes()); // nLabels
    assert_eq!(h[60..64], le32(2)); // nConstraints
                                    // Constraints section: type 2; the first constraint is w·w = x.
    assert_eq!(bytes[88..92], le32(2));
    let one = {
        let mut v = vec![1u8];
        v.resize(32, 0);
        v
    };
    let first_lc = [le32(1).as_slice(), &le32(2), &one].concat();
    assert_eq!(bytes[100..140], first_lc[..]);

    // Round trip, and the constraints mean what they say.
    let back = R1cs::<Fr>::from_bytes(&bytes).unwrap();
    assert_eq!(back, r1cs);
    let w = f(5);
    let good = [f(1), w * w, w, (w + f(2)) * (w * f(3))];
    assert_eq!(back.is_satisfied(&good), Some(true));
    let mut bad = good;
    bad[3] += f(1);
    assert_eq!(back.is_satisfied(&bad), Some(false));
    assert_eq!(back.is_satisfied(&good[..3]), None);
}

#[test]
fn r1cs_file_refuses_malformed_input() {
    let bytes = R1cs::<Fr>::from_circuit(Small { w: Fr::from(5u64) })
        .unwrap()
        .to_bytes();
    let err = |b: &[u8]| match R1cs::<Fr>::from_bytes(b) {
        Err(echonet_prover::r1cs::R1csError::Format(e)) => e,
        other => panic!("expected a format error, got {other:?}"),
    };
    assert!(matches!(
        err(b"zkey\x01\0\0\0\0\0\0\0"),
        FormatError::BadMagic { .. }
    ));
    // Every truncation is an error, never a panic or a huge allocation.
    for len in 0..bytes.len() {
        R1cs::<Fr>::from_bytes(&bytes[..len]).unwrap_err();
    }
    // A wire beyond nWires (first term of the first constraint: 4 bytes into the section).
    let mut b = bytes.clone();
    b[104..108].copy_from_slice(&le32(4));
    assert!(matches!(err(&b), FormatError::OutOfRange(_)));
    // A coefficient >= r.
    let mut b = bytes.clone();
    b[108..140].copy_from_slice(&Fr::MODULUS.to_bytes_le());
    assert!(matches!(err(&b), FormatError::NonCanonical(_)));
    // Another prime.
    let mut b = bytes.clone();
    b[28] ^= 1;
    assert!(matches!(err(&b), FormatError::WrongField(_)));
    // A huge constraint count with few bytes behind it.
    let mut b = bytes;
    b[84..88].copy_from_slice(&le32(u32::MAX));
    assert!(matches!(err(&b), FormatError::Truncated(_)));
}

/// The batch circuit's full assignment (one, public input, witnesses) for a sample batch.
fn batch_assignment(batch_size: usize) -> Vec<Fr> {
    let trace = sample_batch(batch_size, SampleKind::Mixed).unwrap();
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    cs.set_mode(SynthesisMode::Prove {
        construct_matrices: false,
        generate_lc_assignments: false,
    });
    BatchCircuit::new(BatchWitness::from_trace(&trace).unwrap())
        .generate_constraints(cs.clone())
        .unwrap();
    let cs = cs.into_inner().unwrap();
    [
        cs.instance_assignment().unwrap(),
        cs.witness_assignment().unwrap(),
    ]
    .concat()
}

#[test]
fn batch_circuit_r1cs_has_the_circuits_counts_and_accepts_its_witness() {
    let r1cs = keys::export_r1cs(1).unwrap();
    let profile = keys::profile(1).unwrap();
    assert_eq!(r1cs.constraints.len(), profile.total);
    assert_eq!(
        (r1cs.num_pub_out, r1cs.num_pub_in, r1cs.num_public()),
        (0, 1, 1)
    );
    let (pk, _) = keys::setup_dev(1, 0).unwrap();
    // One query entry per wire in arkworks' own key: same numbering, same count.
    assert_eq!(pk.a_query.len(), r1cs.num_wires as usize);

    let back = R1cs::<Fr>::from_bytes(&r1cs.to_bytes()).unwrap();
    assert_eq!(back, r1cs);
    // The exported constraints are the circuit's: a real batch's witness satisfies them, and
    // changing the public input (wire 1) breaks them.
    let mut assignment = batch_assignment(1);
    assert_eq!(back.is_satisfied(&assignment), Some(true));
    assignment[1] += Fr::from(1u64);
    assert_eq!(back.is_satisfied(&assignment), Some(false));
}

#[test]
fn circom_reduction_proves_with_circom_keys_only() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let c = Small { w: Fr::from(7u64) };
    let x = c.x();
    let (pk, vk) = Groth16::<Bn254, CircomReduction>::setup(c.clone(), &mut rng).unwrap();
    // circom's H query has one point per domain element, libsnark's one fewer.
    let (lpk, _) = Groth16::<Bn254, LibsnarkReduction>::setup(c.clone(), &mut rng).unwrap();
    assert_eq!(pk.h_query.len(), lpk.h_query.len() + 1);
    assert!(QapReduction::Circom.fits_h_query(pk.h_query.len()));
    assert!(!QapReduction::Libsnark.fits_h_query(pk.h_query.len()));
    assert!(QapReduction::Libsnark.fits_h_query(lpk.h_query.len()));

    let proof = Groth16::<Bn254, CircomReduction>::prove(&pk, c.clone(), &mut rng).unwrap();
    assert!(Groth16::<Bn254>::verify(&vk, &[x], &proof).unwrap());
    assert!(!Groth16::<Bn254>::verify(&vk, &[x + Fr::from(1u64)], &proof).unwrap());
    // The libsnark witness map with a circom key gives a proof that does not verify.
    let wrong = Groth16::<Bn254, LibsnarkReduction>::prove(&pk, c, &mut rng).unwrap();
    assert!(!Groth16::<Bn254>::verify(&vk, &[x], &wrong).unwrap());
}

// --- a .zkey writer, the inverse of the reader, to build test files ---

fn mont<F: PrimeField>(x: F) -> Vec<u8> {
    let r = F::from(2u64).pow([256u64]);
    let mut v = (x * r).into_bigint().to_bytes_le();
    v.resize(32, 0);
    v
}

fn g1(p: &G1Affine) -> Vec<u8> {
    match p.xy() {
        None => vec![0; 64],
        Some((x, y)) => [mont::<Fq>(x), mont::<Fq>(y)].concat(),
    }
}

fn g2(p: &G2Affine) -> Vec<u8> {
    match p.xy() {
        None => vec![0; 128],
        Some((x, y)) => [mont(x.c0), mont(x.c1), mont(y.c0), mont(y.c1)].concat(),
    }
}

fn section(ty: u32, body: &[u8]) -> Vec<u8> {
    [
        le32(ty).as_slice(),
        &(body.len() as u64).to_le_bytes(),
        body,
    ]
    .concat()
}

fn zkey_bytes(pk: &ProvingKey, domain_size: usize, coefficients: &[Coefficient]) -> Vec<u8> {
    let n_vars = pk.a_query.len() as u32;
    let n_public = pk.vk.gamma_abc_g1.len() as u32 - 1;
    let mut header = Vec::new();
    header.extend(le32(32));
    header.extend(Fq::MODULUS.to_bytes_le());
    header.extend(le32(32));
    header.extend(Fr::MODULUS.to_bytes_le());
    header.extend(le32(n_vars));
    header.extend(le32(n_public));
    header.extend(le32(domain_size as u32));
    header.extend(g1(&pk.vk.alpha_g1));
    header.extend(g1(&pk.beta_g1));
    header.extend(g2(&pk.vk.beta_g2));
    header.extend(g2(&pk.vk.gamma_g2));
    header.extend(g1(&pk.delta_g1));
    header.extend(g2(&pk.vk.delta_g2));
    let mut coefs = le32(coefficients.len() as u32).to_vec();
    let r2 = Fr::from(2u64).pow([256u64]).square();
    for c in coefficients {
        coefs.extend(le32(c.matrix));
        coefs.extend(le32(c.constraint));
        coefs.extend(le32(c.signal));
        // Stored as v·R² in standard form, which is `mont(v·R)`.
        let mut v = (c.value * r2).into_bigint().to_bytes_le();
        v.resize(32, 0);
        coefs.extend(v);
    }
    let points1 = |ps: &[G1Affine]| ps.iter().flat_map(g1).collect::<Vec<u8>>();
    let sections = [
        section(1, &le32(1)),
        section(2, &header),
        section(3, &points1(&pk.vk.gamma_abc_g1)),
        section(4, &coefs),
        section(5, &points1(&pk.a_query)),
        section(6, &points1(&pk.b_g1_query)),
        section(7, &pk.b_g2_query.iter().flat_map(g2).collect::<Vec<u8>>()),
        section(8, &points1(&pk.l_query)),
        section(9, &points1(&pk.h_query)),
        section(10, &[]),
    ];
    [
        b"zkey".as_slice(),
        &le32(1),
        &le32(sections.len() as u32),
        &sections.concat(),
    ]
    .concat()
}

/// The A/B coefficients snarkjs records for `r1cs` (file order does not matter).
fn coefficients_of(r1cs: &R1cs<Fr>) -> Vec<Coefficient> {
    let mut out = Vec::new();
    for (row, c) in r1cs.constraints.iter().enumerate() {
        for (matrix, lc) in [(0, &c.a), (1, &c.b)] {
            for &(signal, value) in lc {
                out.push(Coefficient {
                    matrix,
                    constraint: row as u32,
                    signal,
                    value,
                });
            }
        }
    }
    let rows = r1cs.constraints.len() as u32;
    for s in 0..=r1cs.num_public() {
        out.push(Coefficient {
            matrix: 0,
            constraint: rows + s,
            signal: s,
            value: Fr::from(1u64),
        });
    }
    out
}

#[test]
fn zkey_reader_round_trips_and_refuses_bad_files() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(2);
    let c = Small { w: Fr::from(3u64) };
    let (pk, _) = Groth16::<Bn254, CircomReduction>::setup(c.clone(), &mut rng).unwrap();
    let r1cs = R1cs::<Fr>::from_circuit(c).unwrap();
    let coefficients = coefficients_of(&r1cs);
    let bytes = zkey_bytes(&pk, pk.h_query.len(), &coefficients);
    let z = Zkey::from_bytes(&bytes).unwrap();
    assert_eq!(z.pk, pk);
    assert_eq!(z.coefficients, coefficients);
    assert_eq!((z.num_vars, z.num_public, z.domain_size), (4, 1, 4));

    for len in 0..bytes.len() {
        Zkey::from_bytes(&bytes[..len]).unwrap_err();
    }
    let header_at = 12 + 12 + 4 + 12; // magic, version, count; section 1; section 2's header
    let alpha_at = header_at + 4 + 32 + 4 + 32 + 12;
    // alpha's y + 1: off the curve.
    let mut b = bytes.clone();
    let y = pk.vk.alpha_g1.xy().unwrap().1 + Fq::from(1u64);
    b[alpha_at + 32..alpha_at + 64].copy_from_slice(&mont(y));
    assert_eq!(
        Zkey::from_bytes(&b).unwrap_err(),
        FormatError::InvalidPoint("alpha")
    );
    // A coordinate >= q.
    let mut b = bytes.clone();
    b[alpha_at..alpha_at + 32].copy_from_slice(&Fq::MODULUS.to_bytes_le());
    assert_eq!(
        Zkey::from_bytes(&b).unwrap_err(),
        FormatError::NonCanonical("alpha")
    );
    // Another scalar field.
    let mut b = bytes.clone();
    b[header_at + 4 + 32 + 4] ^= 1;
    assert!(matches!(
        Zkey::from_bytes(&b),
        Err(FormatError::WrongField(_))
    ));
    // A PLONK key.
    let mut b = bytes.clone();
    b[24..28].copy_from_slice(&le32(2));
    assert_eq!(
        Zkey::from_bytes(&b).unwrap_err(),
        FormatError::UnsupportedProtocol(2)
    );
    // A coefficient on a wire that does not exist.
    let mut bad = coefficients.clone();
    bad[0].signal = 4;
    let b = zkey_bytes(&pk, pk.h_query.len(), &bad);
    assert!(matches!(
        Zkey::from_bytes(&b),
        Err(FormatError::OutOfRange(_))
    ));
}

#[test]
fn zkey_import_checks_the_circuit_and_proves_with_circoms_reduction() {
    // A circom-reduction key for the batch circuit of size 1, written as snarkjs would.
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    let (pk, _) = Groth16::<Bn254, CircomReduction>::setup(
        BatchCircuit::new(BatchWitness::blank(1)),
        &mut rng,
    )
    .unwrap();
    let r1cs = keys::export_r1cs(1).unwrap();
    let coefficients = coefficients_of(&r1cs);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("good.zkey");
    std::fs::write(&path, zkey_bytes(&pk, pk.h_query.len(), &coefficients)).unwrap();

    // The honest file imports: the circuit check passes and a sample batch proves and
    // verifies through the circom reduction.
    let imported = keys::import_zkey(&path, 1).unwrap();
    assert_eq!(imported, pk);
    // (import_zkey has proved and verified a sample batch with the circom reduction.)
    let trace = sample_batch(1, SampleKind::Mixed).unwrap();

    // Proving a circom key with arkworks' reduction is refused before proving.
    assert!(matches!(
        echonet_prover::prove(&pk, 1, &trace, &mut rng),
        Err(ProverError::WrongReduction { .. })
    ));

    // Another circuit of the same shape: one coefficient changed. The key's points are still
    // this circuit's (only snarkjs' `zkey verify` against the ptau checks those), but the
    // coefficients the key was set up from are not.
    let good = Zkey::from_bytes(&zkey_bytes(&pk, pk.h_query.len(), &coefficients)).unwrap();
    keys::check_zkey_against(&good, &r1cs).unwrap();
    let refused = |z: &Zkey| match keys::check_zkey_against(z, &r1cs) {
        Err(ProverError::KeyCheck(m)) => m,
        other => panic!("expected a key check failure, got {other:?}"),
    };
    let mut other = good.clone();
    let i = other
        .coefficients
        .iter()
        .position(|c| c.matrix == 1)
        .unwrap();
    other.coefficients[i].value += Fr::from(1u64);
    assert!(refused(&other).contains("another circuit"));
    // One coefficient fewer.
    let mut short = good.clone();
    short.coefficients.pop();
    assert!(refused(&short).contains("another circuit"));
    // Another batch size.
    let r1cs2 = keys::export_r1cs(2).unwrap();
    assert!(matches!(
        keys::check_zkey_against(&good, &r1cs2),
        Err(ProverError::KeyCheck(_))
    ));
    // Not a zkey at all.
    let p = dir.path().join("junk.zkey");
    std::fs::write(&p, b"junk").unwrap();
    assert!(matches!(
        keys::import_zkey(&p, 1),
        Err(ProverError::Zkey(_))
    ));
}

#[test]
fn key_meta_records_the_reduction() {
    let dir = tempfile::tempdir().unwrap();
    let (pk, _) = keys::setup_dev(1, 3).unwrap();
    let meta = keys::save_keys(dir.path(), &pk, 1, true).unwrap();
    assert_eq!(meta.reduction, QapReduction::Libsnark);
    let meta = keys::save_keys_with(dir.path(), &pk, 1, false, QapReduction::Circom, "x").unwrap();
    assert_eq!(
        keys::load_meta(dir.path()).unwrap().reduction,
        QapReduction::Circom
    );
    assert_eq!(meta.note, "x");
    // A meta.json from before the field existed reads as libsnark.
    let mut json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join(keys::META_FILE)).unwrap()).unwrap();
    json.as_object_mut().unwrap().remove("reduction");
    std::fs::write(dir.path().join(keys::META_FILE), json.to_string()).unwrap();
    assert_eq!(
        keys::load_meta(dir.path()).unwrap().reduction,
        QapReduction::Libsnark
    );
}
