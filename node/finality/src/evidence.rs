//! Equivocation evidence from the node to the chain (pallet-evidence).
//!
//! Detected equivocations become unsigned (bare) `Evidence` extrinsics that the node
//! submits to its own transaction pool, from where the next author includes them. The
//! runtime checks the proofs itself, so a report from any node is as good as another.
//! (The extrinsic builders come with pallet-evidence.)
