//! GRANDPA (crate `echonet-finality`) wired to the node: its gossip over the network, and
//! the justifications that come with synced blocks.

use echonet_finality::{FinalityNetwork, GrandpaHandle, MessageVerdict, GRANDPA_ENGINE_ID};
use echonet_network::{MessageId, MessageValidity, NetworkHandle, PeerId, ReputationChange};
use echonet_sync::{JustificationError, JustificationImport};
use sp_core::H256;
use sp_runtime::Justifications;

/// Capacity of the queue of finality messages from peers; when it is full, messages are
/// ignored (GRANDPA re-gossips a stalled round's votes).
pub const INCOMING_QUEUE: usize = 1024;

/// GRANDPA's gossip over the node's network.
pub struct NodeFinalityNetwork(pub NetworkHandle);

impl FinalityNetwork for NodeFinalityNetwork {
    type Peer = PeerId;
    type MessageId = MessageId;

    fn gossip(&self, data: Vec<u8>) {
        self.0.gossip_finality(data);
    }

    fn report(&self, peer: PeerId, message_id: MessageId, verdict: MessageVerdict) {
        let validity = match verdict {
            MessageVerdict::Accept => MessageValidity::Accept,
            MessageVerdict::Ignore => MessageValidity::Ignore,
            MessageVerdict::Reject(misbehavior) => {
                self.0.report_peer(
                    peer,
                    ReputationChange::new(misbehavior.cost(), misbehavior.reason()),
                );
                MessageValidity::Reject
            }
        };
        self.0.report_message(message_id, peer, validity);
    }
}

/// Sync hands GRANDPA the justifications of the blocks it imports.
pub struct GrandpaJustifications(pub GrandpaHandle);

impl JustificationImport for GrandpaJustifications {
    fn import_justifications(
        &self,
        hash: H256,
        _number: u32,
        justifications: Justifications,
    ) -> Result<(), JustificationError> {
        // Other engines' justifications mean nothing to us.
        let Some(encoded) = justifications.get(GRANDPA_ENGINE_ID) else {
            return Ok(());
        };
        match self.0.import_justification_blocking(hash, encoded.to_vec()) {
            Ok(_) => Ok(()),
            Err(echonet_finality::Error::Justification(e)) => {
                Err(JustificationError::Bad(e.to_string()))
            }
            Err(e) => Err(JustificationError::Local(e.to_string())),
        }
    }
}
