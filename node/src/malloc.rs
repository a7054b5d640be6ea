//! The C allocator's settings for a node.
//!
//! glibc's malloc serves a block over its mmap threshold (128 KiB at first, raised as such
//! blocks are freed, per process) with a fresh `mmap`, and unmaps it when freed. The node
//! allocates and frees blocks of 256 KiB to 2 MiB all the time: data store shards and
//! chunks, network frames, state proofs. Each one then cost a system call both ways and a
//! page fault and zero-fill for every page touched: 20 % of a data store get's throughput
//! on the six-node loopback benchmark (BENCHMARKS.md). Blocks under 4 MiB now come from
//! the heap and are reused; up to 16 MiB free at a heap's top is kept before it is given
//! back.
//!
//! A `GLIBC_TUNABLES` variable that sets malloc tunables is left to take effect instead.

/// Blocks of at least this many bytes are mapped and unmapped on their own.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: libc::c_int = 4 << 20;
/// Free memory at a heap's top kept before it is returned to the system.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const TRIM_THRESHOLD: libc::c_int = 16 << 20;

/// Applies the settings. Call first thing, before any thread starts.
pub fn tune() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        if std::env::var("GLIBC_TUNABLES").is_ok_and(|t| t.contains("glibc.malloc.")) {
            return;
        }
        // SAFETY: mallopt only changes the allocator's parameters; it is called before any
        // other thread exists, and both values are within the ranges glibc accepts (a
        // failed call returns 0 and changes nothing). The node's only unsafe code: no safe
        // binding of mallopt exists.
        #[allow(unsafe_code)]
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
            libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD);
        }
    }
}
