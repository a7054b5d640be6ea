//! Streaming put: content flows one chunk at a time, so memory stays at about one chunk and
//! its shards whatever the content size. (Get reads chunk by chunk too: `Dds::read_chunk`.)

use std::io::{ErrorKind, Read};

use crate::{
    erasure::Coder,
    manifest::{Header, Manifest, Params, MAX_SHARD_COUNT},
    DdsError, Hash,
};

/// One coded chunk, handed to the sink of [`encode_stream`].
pub struct CodedChunk<'a> {
    /// Chunk index.
    pub index: u32,
    /// Content bytes in the chunk.
    pub len: usize,
    /// The k + m shards.
    pub shards: &'a [Vec<u8>],
    /// Their segment roots.
    pub segment_roots: &'a [Hash],
}

/// Reads `reader` to its end, codes it chunk by chunk and hands each chunk to `sink`.
/// Fails with [`DdsError::TooLarge`] as soon as more than `max_size` bytes arrive and with
/// [`DdsError::Empty`] for no bytes. Returns the manifest.
pub fn encode_stream<R: Read>(
    mut reader: R,
    params: Params,
    max_size: u64,
    mut sink: impl FnMut(CodedChunk<'_>) -> Result<(), DdsError>,
) -> Result<Manifest, DdsError> {
    let coder = Coder::new(&params)?;
    let chunk_size = params.chunk_size as usize;
    let mut buf = vec![0u8; chunk_size];
    let (mut shards, mut leaves) = (Vec::new(), Vec::new());
    let mut all_leaves: Vec<Hash> = Vec::new();
    let mut size: u64 = 0;
    let mut index = 0u32;
    loop {
        let len = read_full(&mut reader, &mut buf)?;
        if len == 0 {
            break;
        }
        size += len as u64;
        if size > max_size {
            return Err(DdsError::TooLarge { max: max_size });
        }
        coder.encode(&buf[..len], &mut shards, &mut leaves)?;
        if all_leaves.len() + leaves.len() > MAX_SHARD_COUNT as usize {
            return Err(DdsError::TooLarge {
                max: max_size.min(size - len as u64),
            });
        }
        all_leaves.extend_from_slice(&leaves);
        sink(CodedChunk {
            index,
            len,
            shards: &shards,
            segment_roots: &leaves,
        })?;
        index += 1;
        if len < chunk_size {
            // A short read only ends at end of input (read_full fills the buffer otherwise).
            break;
        }
    }
    if size == 0 {
        return Err(DdsError::Empty);
    }
    let header = Header {
        size,
        chunk_size: params.chunk_size,
        k: params.k,
        m: params.m,
        shard_count: all_leaves.len() as u32,
    };
    Manifest::new(header, all_leaves)
}

/// Fills `buf` unless the input ends first; returns the number of bytes read.
fn read_full<R: Read>(reader: &mut R, buf: &mut [u8]) -> Result<usize, DdsError> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(DdsError::Io(e)),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cid_depends_on_content_and_parameters() {
        let data = vec![5u8; 10_000];
        let enc = |p| {
            encode_stream(&data[..], p, u64::MAX, |_| Ok(()))
                .unwrap()
                .cid()
        };
        let a = enc(Params {
            chunk_size: 4096,
            k: 4,
            m: 2,
        });
        assert_eq!(
            a,
            enc(Params {
                chunk_size: 4096,
                k: 4,
                m: 2
            })
        );
        assert_ne!(
            a,
            enc(Params {
                chunk_size: 4096,
                k: 4,
                m: 3
            })
        );
        assert_ne!(
            a,
            enc(Params {
                chunk_size: 8192,
                k: 4,
                m: 2
            })
        );
        let mut other = data.clone();
        other[9999] ^= 1;
        let b = encode_stream(
            &other[..],
            Params {
                chunk_size: 4096,
                k: 4,
                m: 2,
            },
            u64::MAX,
            |_| Ok(()),
        )
        .unwrap()
        .cid();
        assert_ne!(a, b);
    }

    #[test]
    fn oversized_and_empty_input_are_rejected() {
        let data = vec![1u8; 10_000];
        let p = Params {
            chunk_size: 4096,
            k: 4,
            m: 2,
        };
        assert!(matches!(
            encode_stream(&data[..], p, 9_999, |_| Ok(())),
            Err(DdsError::TooLarge { max: 9_999 })
        ));
        assert!(encode_stream(&data[..], p, 10_000, |_| Ok(())).is_ok());
        assert!(matches!(
            encode_stream(&[][..], p, 10, |_| Ok(())),
            Err(DdsError::Empty)
        ));
    }
}
