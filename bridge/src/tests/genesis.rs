//! Genesis: the root is the empty tree's (rule 4), the pallet account exists, and the
//! instance id is computed once in block 1.

use super::*;

#[test]
fn genesis_root_is_the_empty_tree() {
    new_test_ext().execute_with(|| {
        let empty = verifier::fr_to_bytes(&AccountTree::new().root());
        assert_eq!(EMPTY_TREE_ROOT, empty);
        assert_eq!(CurrentRoot::<Test>::get(), empty);
        assert_eq!(LastBatch::<Test>::get(), 0);
        // The pallet account holds exactly its existential deposit.
        assert_eq!(free(Bridge::account_id()), ED);
        check_state();
    });
}

#[test]
fn instance_id_is_computed_once_from_the_genesis_hash() {
    new_test_ext().execute_with(|| {
        let instance = InstanceId::<Test>::get().expect("set in block 1");
        assert_eq!(instance, Bridge::compute_instance());
        assert!(bridge_events().contains(&Event::InstanceIdSet { instance }));
        // Later blocks do not recompute it, even if its inputs read differently.
        frame_system::BlockHash::<Test>::insert(0, sp_core::H256::repeat_byte(9));
        advance_time(1_000);
        assert_eq!(InstanceId::<Test>::get(), Some(instance));
        assert_ne!(Bridge::compute_instance(), instance);
    });
}
