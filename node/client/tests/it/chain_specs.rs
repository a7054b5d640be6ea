//! Chain specs: the checked-in raw specs match the built-in presets, plain specs
//! round-trip, and malformed specs are errors rather than panics.

use echonet_client::{ChainSpec, Error};
use std::path::Path;

fn repo_spec(file: &str) -> ChainSpec {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../chain-specs")
        .join(file);
    ChainSpec::from_json_bytes(&std::fs::read(&path).unwrap()).unwrap()
}

#[test]
fn checked_in_specs_match_the_built_in_presets() {
    for (file, builtin) in [
        ("dev.json", ChainSpec::development().unwrap()),
        ("local.json", ChainSpec::local_testnet().unwrap()),
    ] {
        let from_file = repo_spec(file).genesis_storage().unwrap();
        assert_eq!(
            from_file,
            builtin.genesis_storage().unwrap(),
            "chain-specs/{file} is stale: regenerate it with \
             `echonet-node build-spec --chain {} --raw > chain-specs/{file}`",
            builtin.id
        );
        assert!(!from_file.top.is_empty());
    }
}

#[test]
fn plain_spec_round_trips_through_json() {
    let spec = ChainSpec::local_testnet().unwrap();
    let json = spec.to_json(false).unwrap();
    let back = ChainSpec::from_json_bytes(json.as_bytes()).unwrap();
    assert_eq!(
        back.genesis_storage().unwrap(),
        spec.genesis_storage().unwrap()
    );
    assert_eq!(back.properties["tokenSymbol"], "ECHO");
}

#[test]
fn malformed_specs_are_errors() {
    let cases: &[&[u8]] = &[
        b"",
        b"{}",
        b"not json",
        br#"{"name":"x","id":"x","chainType":"Local","genesis":{"raw":{"top":{"0xzz":"0x00"}}}}"#,
        br#"{"name":"x","id":"x","chainType":"Local","genesis":{"runtimeGenesis":{"patch":{"balances":{"balances":"nope"}}}}}"#,
        br#"{"name":"x","id":"x","chainType":"Local","genesis":{"runtimeGenesis":{"patch":{"noSuchPallet":{}}}}}"#,
    ];
    for raw in cases {
        let result = ChainSpec::from_json_bytes(raw).and_then(|s| s.genesis_storage());
        assert!(
            matches!(result, Err(Error::ChainSpec(_))),
            "{} gave {result:?}",
            String::from_utf8_lossy(raw)
        );
    }
    assert!(matches!(
        ChainSpec::load("/no/such/file.json"),
        Err(Error::ChainSpec(_))
    ));
}
