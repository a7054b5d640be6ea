//! Structure-aware inputs: a valid encoding, then a few mutations. Random bytes rarely get
//! past a decoder's first check; a valid message with one flipped bit, a cut, an extra
//! tail, a repeated slice (which nests a recursive encoding deeper) or a length prefix
//! that lies gets to every later one.

use codec::{Compact, Encode};
use proptest::{collection::vec, prelude::*};

/// One change to an encoding. Positions are taken modulo the length of the bytes they
/// apply to, so that any mutation applies to any input (and shrinks well).
#[derive(Debug, Clone)]
pub enum Mutation {
    /// Flips bit `bit % 8` of byte `at`.
    FlipBit {
        /// Byte position.
        at: usize,
        /// Bit within the byte.
        bit: u8,
    },
    /// Sets byte `at` to `value`.
    SetByte {
        /// Byte position.
        at: usize,
        /// New value.
        value: u8,
    },
    /// Keeps the first `keep % (len + 1)` bytes.
    Truncate {
        /// Bytes kept.
        keep: usize,
    },
    /// Appends bytes.
    Extend(Vec<u8>),
    /// Inserts bytes before position `at`.
    Insert {
        /// Byte position.
        at: usize,
        /// What to insert.
        bytes: Vec<u8>,
    },
    /// Removes up to `len` bytes from position `at`.
    Remove {
        /// Byte position.
        at: usize,
        /// Bytes removed.
        len: usize,
    },
    /// Repeats the slice of up to `len` bytes at `at` so that it occurs `times + 1` times:
    /// a call holding a call becomes a deeper nesting, a list item a longer list.
    Repeat {
        /// Byte position of the slice.
        at: usize,
        /// Its length.
        len: usize,
        /// Extra copies.
        times: u16,
    },
    /// Overwrites the bytes at `at` with the SCALE compact encoding of `value`: a length
    /// prefix (or count) that claims another size than what follows.
    Compact {
        /// Byte position.
        at: usize,
        /// The claimed value.
        value: u64,
    },
}

/// Compact values that sit on the encoding's boundaries or claim huge sizes.
fn interesting_compact() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(0u64),
        Just(1),
        Just(63),
        Just(64),
        Just((1 << 14) - 1),
        Just(1 << 14),
        Just((1 << 30) - 1),
        Just(1 << 30),
        Just(u64::from(u32::MAX)),
        Just(u64::MAX),
        any::<u64>(),
        0u64..1024,
    ]
}

/// Any one [`Mutation`].
pub fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<usize>(), any::<u8>()).prop_map(|(at, bit)| Mutation::FlipBit { at, bit }),
        3 => (any::<usize>(), any::<u8>()).prop_map(|(at, value)| Mutation::SetByte { at, value }),
        2 => any::<usize>().prop_map(|keep| Mutation::Truncate { keep }),
        2 => vec(any::<u8>(), 1..64).prop_map(Mutation::Extend),
        2 => (any::<usize>(), vec(any::<u8>(), 1..64))
            .prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        2 => (any::<usize>(), 1usize..64).prop_map(|(at, len)| Mutation::Remove { at, len }),
        1 => (any::<usize>(), 1usize..16, prop_oneof![1u16..8, 8u16..512, 512u16..4096])
            .prop_map(|(at, len, times)| Mutation::Repeat { at, len, times }),
        2 => (any::<usize>(), interesting_compact())
            .prop_map(|(at, value)| Mutation::Compact { at, value }),
    ]
}

/// One to four mutations.
pub fn mutations() -> impl Strategy<Value = Vec<Mutation>> {
    vec(mutation(), 1..=4)
}

/// `bytes` with `mutations` applied in order.
pub fn apply(bytes: &[u8], mutations: &[Mutation]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for m in mutations {
        let len = out.len();
        match m {
            Mutation::FlipBit { at, bit } if len > 0 => out[at % len] ^= 1 << (bit % 8),
            Mutation::SetByte { at, value } if len > 0 => out[at % len] = *value,
            Mutation::Truncate { keep } => out.truncate(keep % (len + 1)),
            Mutation::Extend(tail) => out.extend_from_slice(tail),
            Mutation::Insert { at, bytes } => {
                let at = at % (len + 1);
                out.splice(at..at, bytes.iter().copied());
            }
            Mutation::Remove { at, len: n } if len > 0 => {
                let at = at % len;
                out.drain(at..(at + n).min(len));
            }
            Mutation::Repeat { at, len: n, times } if len > 0 => {
                let at = at % len;
                let slice = out[at..(at + n).min(len)].to_vec();
                let copies = slice.repeat(usize::from(*times));
                out.splice(at..at, copies);
            }
            Mutation::Compact { at, value } => {
                let at = at % (len + 1);
                let compact = Compact(*value).encode();
                let end = (at + compact.len()).min(len);
                out.splice(at..end, compact);
            }
            // A position-based mutation of nothing leaves nothing.
            _ => {}
        }
    }
    out
}

/// An input to a decoder: arbitrary bytes, or a valid encoding (`original`) mutated.
#[derive(Clone)]
pub struct Input {
    /// The valid encoding the bytes were mutated from; `None` for arbitrary bytes.
    pub original: Option<Vec<u8>>,
    /// What the decoder gets.
    pub bytes: Vec<u8>,
}

impl Input {
    /// Whether the bytes are a valid encoding changed by the mutations (not arbitrary,
    /// and not mutated back into the original).
    pub fn is_mutated(&self) -> bool {
        self.original.as_ref().is_some_and(|o| *o != self.bytes)
    }
}

impl std::fmt::Debug for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Input")
            .field("original", &self.original.as_ref().map(hex::encode))
            .field("bytes", &hex::encode(&self.bytes))
            .finish()
    }
}

/// Arbitrary bytes (one input in five), or one of `valid`'s encodings mutated (or, one
/// time in eight, unchanged, so that the target's property on valid input is checked too).
pub fn input(valid: impl Strategy<Value = Vec<u8>>) -> impl Strategy<Value = Input> {
    let arbitrary = vec(any::<u8>(), 0..256).prop_map(|bytes| Input {
        original: None,
        bytes,
    });
    let mutated = (valid, mutations(), 0u8..8).prop_map(|(original, mutations, keep)| {
        let bytes = if keep == 0 {
            original.clone()
        } else {
            apply(&original, &mutations)
        };
        Input {
            original: Some(original),
            bytes,
        }
    });
    prop_oneof![1 => arbitrary, 4 => mutated]
}
