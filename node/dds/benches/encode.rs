//! Erasure coding plus hashing, the put path without disk: chunking, Reed-Solomon k + m,
//! and the blake3 segment and content trees (issue 17 asks for ≥ 1 GB/s of content on one
//! core). Run: `cargo bench -p echonet-dds --bench encode`.

// `criterion_group!` defines an undocumented `pub fn benches`.
#![allow(missing_docs)]

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use echonet_dds::{erasure::Coder, merkle, pipeline::encode_stream, Params};
use rand::{RngCore, SeedableRng};

const CONTENT: usize = 64 << 20;

fn content() -> Vec<u8> {
    let mut data = vec![0u8; CONTENT];
    rand::rngs::StdRng::seed_from_u64(17).fill_bytes(&mut data);
    data
}

fn encode_and_hash(c: &mut Criterion) {
    let data = content();
    let mut group = c.benchmark_group("dds-encode");
    group.throughput(Throughput::Bytes(CONTENT as u64));
    group.sample_size(10);
    for (k, m) in [(4u8, 2u8), (10, 4)] {
        let params = Params {
            chunk_size: 1 << 20,
            k,
            m,
        };
        group.bench_function(format!("put-path {k}+{m} 1MiB chunks"), |b| {
            b.iter(|| {
                let manifest = encode_stream(&data[..], params, u64::MAX, |chunk| {
                    black_box(chunk.shards);
                    Ok(())
                })
                .expect("encodes");
                black_box(manifest.cid())
            })
        });
        // The two halves alone, to see which one bounds the whole.
        let coder = Coder::new(&params).expect("valid params");
        group.bench_function(format!("reed-solomon+leaves {k}+{m}"), |b| {
            let (mut shards, mut leaves) = (Vec::new(), Vec::new());
            b.iter(|| {
                for chunk in data.chunks(1 << 20) {
                    coder
                        .encode(chunk, &mut shards, &mut leaves)
                        .expect("encodes");
                }
                black_box(&leaves);
            })
        });
    }
    group.bench_function("blake3 segment trees (content bytes)", |b| {
        b.iter(|| {
            for shard in data.chunks(1 << 18) {
                black_box(merkle::segment_root(shard));
            }
        })
    });
    group.bench_function("blake3 segment leaves (4 KiB, derive-key mode)", |b| {
        b.iter(|| {
            for segment in data.chunks(4096) {
                black_box(echonet_dds_primitives::segment_leaf(segment));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, encode_and_hash);
criterion_main!(benches);
