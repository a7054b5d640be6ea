//! Merkle path gadget for the depth-24 account tree. Direction bits are the account index's
//! bits (the same `Boolean`s the circuit publishes in the DA), never separate witnesses, so a
//! path can only be used at the index it belongs to. Cost: 24 × (1 + 240) = 5,784.

use ark_r1cs_std::prelude::*;

use super::lc::{bool_to_fv, lincomb};
use super::poseidon::poseidon;
use super::{Fv, SynthesisError, F};

/// Root obtained by hashing `leaf` up the path given by `index_bits` (little-endian, bit `i`
/// set = the node is a right child at level `i`) and `siblings` (leaf level first).
pub fn root_from_path(
    leaf: &Fv,
    index_bits: &[Boolean<F>],
    siblings: &[Fv],
) -> Result<Fv, SynthesisError> {
    if index_bits.len() != siblings.len() {
        return Err(SynthesisError::Unsatisfiable);
    }
    let one = F::from(1u64);
    let mut cur = leaf.clone();
    for (bit, sib) in index_bits.iter().zip(siblings) {
        // d = bit·(sib − cur); left = cur + d; right = sib − d   (1 constraint)
        let diff = lincomb(&[(one, sib), (-one, &cur)], F::from(0u64))?;
        let d = bool_to_fv(bit) * diff;
        let left = lincomb(&[(one, &cur), (one, &d)], F::from(0u64))?;
        let right = lincomb(&[(one, sib), (-one, &d)], F::from(0u64))?;
        cur = poseidon(&[left, right])?;
    }
    Ok(cur)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_r1cs_std::fields::fp::FpVar;
    use ark_relations::gr1cs::ConstraintSystem;
    use echonet_rollup_primitives::{Account, AccountTree, PrivateKey, TREE_DEPTH};

    #[test]
    fn update_matches_native_tree() {
        let mut tree = AccountTree::new();
        let mut rng = ark_std::test_rng();
        use rand::Rng;
        for i in 0..4u32 {
            let idx = rng.gen_range(0..(1u32 << 24) - 1);
            let acct = Account {
                pubkey: PrivateKey([i as u8 + 1; 32]).public(),
                balance: rng.gen(),
                nonce: i as u64,
            };
            let old_root = tree.root();
            let old_leaf = tree.leaf(idx);
            let proof = tree.proof(idx).unwrap();
            tree.set(idx, Some(acct)).unwrap();

            let cs = ConstraintSystem::<F>::new_ref();
            let bits: Vec<Boolean<F>> = (0..TREE_DEPTH)
                .map(|b| Boolean::new_witness(cs.clone(), || Ok((idx >> b) & 1 == 1)).unwrap())
                .collect();
            let sibs: Vec<Fv> = proof
                .siblings
                .iter()
                .map(|s| FpVar::new_witness(cs.clone(), || Ok(*s)).unwrap())
                .collect();
            let ol = FpVar::new_witness(cs.clone(), || Ok(old_leaf)).unwrap();
            let nl = FpVar::new_witness(cs.clone(), || Ok(acct.leaf())).unwrap();
            let n0 = cs.num_constraints();
            let r0 = root_from_path(&ol, &bits, &sibs).unwrap();
            assert_eq!(cs.num_constraints() - n0, 24 * 241);
            let r1 = root_from_path(&nl, &bits, &sibs).unwrap();
            assert_eq!(r0.value().unwrap(), old_root);
            assert_eq!(r1.value().unwrap(), tree.root());
            assert!(cs.is_satisfied().unwrap());
        }
    }
}
