//! iden3's binary container, shared by circom's `.r1cs`, snarkjs' `.zkey` and `.ptau`: a
//! 4-byte magic, a `u32` version, a `u32` section count, then sections of
//! `(type: u32, size: u64, bytes)`, all little-endian. Sections may come in any order.
//!
//! Everything here reads untrusted files: every length is checked against the bytes that are
//! actually left before anything is allocated or sliced.

use std::collections::BTreeMap;

/// A file that does not parse as the expected iden3 binary format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    /// The file does not start with the expected magic (e.g. `r1cs`, `zkey`).
    #[error("not a .{expected} file (bad magic)")]
    BadMagic {
        /// The magic this reader wanted.
        expected: &'static str,
    },
    /// A format version this reader does not know.
    #[error("unsupported format version {0}")]
    UnsupportedVersion(u32),
    /// The file ends inside a field or a section.
    #[error("truncated file: {0}")]
    Truncated(&'static str),
    /// A section this reader needs is missing.
    #[error("missing section {0}")]
    MissingSection(u32),
    /// A section this reader needs appears twice.
    #[error("section {0} appears more than once")]
    DuplicateSection(u32),
    /// A section is longer than what it declares.
    #[error("section {0} has trailing bytes")]
    TrailingBytes(u32),
    /// The file is for another field or curve.
    #[error("field or curve mismatch: {0}")]
    WrongField(&'static str),
    /// A field element is not reduced modulo its prime.
    #[error("non-canonical field element in {0}")]
    NonCanonical(&'static str),
    /// A curve point is not on the curve or not in the prime-order subgroup.
    #[error("invalid curve point in {0}")]
    InvalidPoint(&'static str),
    /// A count or index in the file is out of range (the message says which).
    #[error("out of range: {0}")]
    OutOfRange(String),
    /// The file is for another proving system (e.g. a PLONK zkey).
    #[error("unsupported protocol {0}")]
    UnsupportedProtocol(u32),
}

/// A little-endian cursor over untrusted bytes.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    what: &'static str,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8], what: &'static str) -> Self {
        Reader { bytes, what }
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], FormatError> {
        if n > self.bytes.len() {
            return Err(FormatError::Truncated(self.what));
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Ok(head)
    }

    pub(crate) fn u32(&mut self) -> Result<u32, FormatError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub(crate) fn u64(&mut self) -> Result<u64, FormatError> {
        let mut a = [0u8; 8];
        a.copy_from_slice(self.take(8)?);
        Ok(u64::from_le_bytes(a))
    }

    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len()
    }

    /// Checks that `count` items of `item_size` bytes can still be read, so that a vector of
    /// `count` may be allocated.
    pub(crate) fn check_items(&self, count: u64, item_size: usize) -> Result<usize, FormatError> {
        let count = usize::try_from(count).map_err(|_| FormatError::Truncated(self.what))?;
        match count.checked_mul(item_size) {
            Some(total) if total <= self.bytes.len() => Ok(count),
            _ => Err(FormatError::Truncated(self.what)),
        }
    }

    pub(crate) fn finish(&self, section: u32) -> Result<(), FormatError> {
        if self.bytes.is_empty() {
            Ok(())
        } else {
            Err(FormatError::TrailingBytes(section))
        }
    }
}

/// The sections of a file, by type (each type at most once).
pub(crate) struct Sections<'a> {
    sections: BTreeMap<u32, &'a [u8]>,
}

impl<'a> Sections<'a> {
    /// Splits `bytes` into sections after checking the magic and that the version is 1.
    pub(crate) fn parse(bytes: &'a [u8], magic: &'static str) -> Result<Self, FormatError> {
        let mut r = Reader::new(bytes, "file header");
        if r.take(4).ok() != Some(magic.as_bytes()) {
            return Err(FormatError::BadMagic { expected: magic });
        }
        let version = r.u32()?;
        if version != 1 {
            return Err(FormatError::UnsupportedVersion(version));
        }
        let count = r.u32()?;
        let mut sections = BTreeMap::new();
        for _ in 0..count {
            let ty = r.u32()?;
            let size = r.u64()?;
            let size = usize::try_from(size).map_err(|_| FormatError::Truncated("section"))?;
            let body = Reader::new(
                r.take(size)
                    .map_err(|_| FormatError::Truncated("section"))?,
                "",
            );
            if sections.insert(ty, body.bytes).is_some() {
                return Err(FormatError::DuplicateSection(ty));
            }
        }
        if r.remaining() != 0 {
            return Err(FormatError::OutOfRange(
                "bytes after the last section".into(),
            ));
        }
        Ok(Sections { sections })
    }

    /// A reader over section `ty`.
    pub(crate) fn get(&self, ty: u32, what: &'static str) -> Result<Reader<'a>, FormatError> {
        self.sections
            .get(&ty)
            .map(|b| Reader::new(b, what))
            .ok_or(FormatError::MissingSection(ty))
    }
}

/// Writes a file with `sections` in the given order.
pub(crate) fn write(magic: &str, sections: &[(u32, Vec<u8>)]) -> Vec<u8> {
    let total: usize = sections.iter().map(|(_, b)| 12 + b.len()).sum();
    let mut out = Vec::with_capacity(12 + total);
    out.extend_from_slice(magic.as_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    out.extend_from_slice(&(sections.len() as u32).to_le_bytes());
    for (ty, body) in sections {
        out.extend_from_slice(&ty.to_le_bytes());
        out.extend_from_slice(&(body.len() as u64).to_le_bytes());
        out.extend_from_slice(body);
    }
    out
}
