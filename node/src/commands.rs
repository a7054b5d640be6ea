//! Subcommands other than running the node.

use crate::{
    cli::{
        BuildSpecCmd, ExportBlocksCmd, ExportStateCmd, ImportBlocksCmd, ImportStateCmd, KeyCmd,
        OutputType, PurgeChainCmd, Scheme, SharedParams,
    },
    keystore::FileKeystore,
    network_key,
    service::{db_path, BasePath},
};
use anyhow::{anyhow, bail, Context};
use codec::{Decode, Encode};
use echonet_client::{
    Block, BlockOrigin, ChainSpec, Client, ClientConfig, ImportBlock, ImportResult,
};
use sp_core::{
    crypto::{Ss58AddressFormat, Ss58Codec},
    ecdsa, ed25519, sr25519, Pair,
};
use sp_runtime::{generic::SignedBlock, traits::IdentifyAccount, MultiSigner};
use std::{
    io::{BufRead, BufReader, BufWriter, Read, Write},
    path::PathBuf,
    sync::Arc,
};

fn open_chain(shared: &SharedParams) -> anyhow::Result<(ChainSpec, PathBuf)> {
    let spec = ChainSpec::load(&shared.chain_id())?;
    let base = BasePath::from_arg(shared.base_path.as_ref())?;
    let dir = base.config_dir(&spec.id);
    Ok((spec, dir))
}

fn open_client(shared: &SharedParams) -> anyhow::Result<Arc<Client>> {
    let (spec, dir) = open_chain(shared)?;
    let verifier = Arc::new(echonet_consensus::aura::AuraVerifier::default());
    Client::open(ClientConfig::new(db_path(&dir)), &spec, verifier)
        .context("cannot open the chain database")
}

/// `export-state`: the state at a finalized block, in the snapshot format of
/// `echonet_client`'s `snapshot` module.
pub fn export_state(cmd: &ExportStateCmd) -> anyhow::Result<()> {
    let client = open_client(&cmd.shared)?;
    let at = cmd.at.unwrap_or(client.info().finalized_hash);
    let file = std::fs::File::create(&cmd.output)
        .with_context(|| format!("cannot create {}", cmd.output.display()))?;
    let mut out = BufWriter::new(file);
    let count = client
        .export_state(at, &mut out)
        .with_context(|| format!("cannot export the state at {at:?}"))?;
    eprintln!(
        "wrote the state at {at:?} ({count} entries) to {}",
        cmd.output.display()
    );
    Ok(())
}

/// `import-state`: a new database from a snapshot whose block hashes to `--trusted-hash`.
pub fn import_state(cmd: &ImportStateCmd) -> anyhow::Result<()> {
    let (spec, dir) = open_chain(&cmd.shared)?;
    let mut config = ClientConfig::new(db_path(&dir));
    config.state_pruning = cmd.pruning.state_pruning;
    config.blocks_pruning = cmd.pruning.blocks_pruning;
    let verifier = Arc::new(echonet_consensus::aura::AuraVerifier::default());
    let client = Client::open(config, &spec, verifier).context("cannot open the chain database")?;
    let file = std::fs::File::open(&cmd.input)
        .with_context(|| format!("cannot open {}", cmd.input.display()))?;
    let number = client
        .import_state(&mut BufReader::new(file), cmd.trusted_hash)
        .with_context(|| format!("cannot import {}", cmd.input.display()))?;
    // GRANDPA starts at the imported block: the set the runtime reports there, and no
    // hand-offs known before it (a GRANDPA set stored by an earlier start is stale).
    match echonet_finality::reset_after_state_import(&client) {
        Ok(_) | Err(echonet_finality::Error::NoAuthorities(_)) => {}
        Err(e) => return Err(anyhow::anyhow!("cannot set GRANDPA's authority set: {e}")),
    }
    client.flush()?;
    eprintln!(
        "the database starts at #{number} ({:?}); start the node to sync from there",
        cmd.trusted_hash
    );
    Ok(())
}

pub fn build_spec(cmd: &BuildSpecCmd) -> anyhow::Result<()> {
    let spec = ChainSpec::load(&cmd.shared.chain_id())?;
    let json = spec.to_json(cmd.raw)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{json}")?;
    Ok(())
}

pub fn purge_chain(cmd: &PurgeChainCmd) -> anyhow::Result<()> {
    let (_, dir) = open_chain(&cmd.shared)?;
    let db = dir.join("db");
    if !db.exists() {
        eprintln!("{} does not exist", db.display());
        return Ok(());
    }
    if !cmd.yes {
        eprint!("Are you sure to remove {:?}? [y/N]: ", db);
        std::io::stderr().flush()?;
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer)?;
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            eprintln!("Aborted");
            return Ok(());
        }
    }
    std::fs::remove_dir_all(&db).with_context(|| format!("cannot remove {}", db.display()))?;
    eprintln!("{:?} removed.", db);
    Ok(())
}

/// Export format: binary is a little-endian u64 count followed by SCALE `SignedBlock`s
/// (Substrate's layout); JSON is one `SignedBlock` per line.
pub fn export_blocks(cmd: &ExportBlocksCmd) -> anyhow::Result<()> {
    let client = open_client(&cmd.shared)?;
    let best = client.info().best_number;
    let to = cmd.to.unwrap_or(best).min(best);
    if cmd.from > to {
        bail!(
            "--from {} is after the last block to export ({to})",
            cmd.from
        );
    }
    let out: Box<dyn Write> = match &cmd.output {
        Some(path) => Box::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut out = BufWriter::new(out);
    if cmd.binary {
        out.write_all(&((to - cmd.from + 1) as u64).to_le_bytes())?;
    }
    for number in cmd.from..=to {
        let hash = client
            .hash(number)?
            .ok_or_else(|| anyhow!("block #{number} is missing from the database"))?;
        let block = client
            .block(hash)?
            .ok_or_else(|| anyhow!("block {hash:?} is missing"))?;
        let signed = SignedBlock {
            block,
            justifications: client.justifications(hash)?,
        };
        if cmd.binary {
            out.write_all(&signed.encode())?;
        } else {
            serde_json::to_writer(&mut out, &signed)?;
            out.write_all(b"\n")?;
        }
    }
    out.flush()?;
    eprintln!("Exported blocks #{}..#{to}", cmd.from);
    Ok(())
}

pub fn import_blocks(cmd: &ImportBlocksCmd) -> anyhow::Result<()> {
    let client = open_client(&cmd.shared)?;
    let input: Box<dyn Read> = match &cmd.input {
        Some(path) => Box::new(
            std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?,
        ),
        None => Box::new(std::io::stdin().lock()),
    };
    let mut reader = BufReader::new(input);
    let mut blocks: Box<dyn Iterator<Item = anyhow::Result<SignedBlock<Block>>>> = if cmd.binary {
        let mut raw = Vec::new();
        reader.read_to_end(&mut raw)?;
        if raw.len() < 8 {
            bail!("the input is too short to hold a block count");
        }
        let count = u64::from_le_bytes(raw[..8].try_into().expect("8 bytes; qed"));
        let mut cursor = 8usize;
        let mut decoded = Vec::new();
        for i in 0..count {
            let mut slice = &raw[cursor..];
            let before = slice.len();
            let block = SignedBlock::<Block>::decode(&mut slice)
                .map_err(|e| anyhow!("block {} of the input does not decode: {e}", i + 1))?;
            cursor += before - slice.len();
            decoded.push(Ok(block));
        }
        Box::new(decoded.into_iter())
    } else {
        Box::new(reader.lines().enumerate().filter_map(|(i, line)| {
            match line {
                Ok(l) if l.trim().is_empty() => None,
                Ok(l) => Some(
                    serde_json::from_str::<SignedBlock<Block>>(&l)
                        .map_err(|e| anyhow!("line {} is not a block: {e}", i + 1)),
                ),
                Err(e) => Some(Err(e.into())),
            }
        }))
    };
    let (mut imported, mut known) = (0u32, 0u32);
    for block in &mut blocks {
        let SignedBlock {
            block,
            justifications,
        } = block?;
        let number = block.header.number;
        let result = client
            .import_block(ImportBlock {
                header: block.header,
                body: block.extrinsics,
                justifications,
                origin: BlockOrigin::File,
                changes: None,
                finalize: false,
            })
            .with_context(|| format!("block #{number} was rejected"))?;
        match result {
            ImportResult::Imported { .. } => imported += 1,
            ImportResult::AlreadyInChain => known += 1,
        }
        if imported > 0 && imported % 1000 == 0 {
            eprintln!("#{number} imported");
        }
    }
    // Imported history is final: nothing else can be built on a file.
    let best = client.info().best_hash;
    client.finalize_block(best, None)?;
    client.flush()?;
    let info = client.info();
    let state_root = client
        .header(info.best_hash)?
        .map(|h| h.state_root)
        .unwrap_or_default();
    eprintln!(
        "Imported {imported} blocks ({known} already known); best is #{} ({:?}, state root {:?})",
        info.best_number, info.best_hash, state_root
    );
    Ok(())
}

struct KeyInfo {
    public_hex: String,
    account_hex: String,
    ss58: String,
}

fn key_info(signer: MultiSigner) -> KeyInfo {
    let public = AsRef::<[u8]>::as_ref(&signer).to_vec();
    let account = signer.into_account();
    KeyInfo {
        public_hex: format!("0x{}", hex::encode(public)),
        account_hex: format!("0x{}", hex::encode(<[u8; 32]>::from(account.clone()))),
        ss58: account
            .to_ss58check_with_version(Ss58AddressFormat::custom(echonet_runtime::SS58_PREFIX)),
    }
}

fn signer_of(scheme: Scheme, uri: &str) -> anyhow::Result<(MultiSigner, Option<Vec<u8>>)> {
    let bad = |e| anyhow!("invalid secret URI {uri:?}: {e:?}");
    Ok(match scheme {
        Scheme::Sr25519 => {
            let (p, seed) = sr25519::Pair::from_string_with_seed(uri, None).map_err(bad)?;
            (p.public().into(), seed.map(|s| s.to_vec()))
        }
        Scheme::Ed25519 => {
            let (p, seed) = ed25519::Pair::from_string_with_seed(uri, None).map_err(bad)?;
            (p.public().into(), seed.map(|s| s.to_vec()))
        }
        Scheme::Ecdsa => {
            let (p, seed) = ecdsa::Pair::from_string_with_seed(uri, None).map_err(bad)?;
            (p.public().into(), seed.map(|s| s.to_vec()))
        }
    })
}

fn print_secret(
    uri: &str,
    is_phrase: bool,
    seed: Option<Vec<u8>>,
    info: KeyInfo,
    output: OutputType,
) {
    let seed_hex = seed
        .map(|s| format!("0x{}", hex::encode(s)))
        .unwrap_or_else(|| "n/a".into());
    match output {
        OutputType::Json => {
            let json = serde_json::json!({
                "secretPhrase": uri,
                "networkId": "substrate",
                "secretSeed": seed_hex,
                "publicKey": info.public_hex,
                "accountId": info.account_hex,
                "ss58PublicKey": info.ss58,
                "ss58Address": info.ss58,
            });
            println!(
                "{}",
                serde_json::to_string_pretty(&json).unwrap_or_default()
            );
        }
        OutputType::Text => {
            if is_phrase {
                println!("Secret phrase:       {uri}");
            } else {
                println!("Secret Key URI `{uri}` is account:");
            }
            println!("  Network ID:        substrate");
            println!("  Secret seed:       {seed_hex}");
            println!("  Public key (hex):  {}", info.public_hex);
            println!("  Account ID:        {}", info.account_hex);
            println!("  Public key (SS58): {}", info.ss58);
            println!("  SS58 Address:      {}", info.ss58);
        }
    }
}

pub fn key(cmd: &KeyCmd) -> anyhow::Result<()> {
    match cmd {
        KeyCmd::Generate {
            scheme,
            words,
            output_type,
        } => {
            if ![12, 15, 18, 21, 24].contains(words) {
                bail!("--words must be 12, 15, 18, 21 or 24");
            }
            let phrase = bip39::Mnemonic::generate(*words)
                .map_err(|e| anyhow!("cannot generate a phrase: {e}"))?
                .to_string();
            let (signer, seed) = signer_of(*scheme, &phrase)?;
            print_secret(&phrase, true, seed, key_info(signer), *output_type);
        }
        KeyCmd::Inspect {
            uri,
            scheme,
            public,
            output_type,
        } => {
            if *public {
                let account = echonet_runtime::AccountId::from_ss58check(uri).or_else(|_| {
                    let raw = hex::decode(uri.trim_start_matches("0x"))
                        .map_err(|e| anyhow!("{uri:?} is neither SS58 nor hex: {e}"))?;
                    let raw: [u8; 32] = raw
                        .try_into()
                        .map_err(|_| anyhow!("a public key is 32 bytes (sr25519/ed25519)"))?;
                    Ok::<_, anyhow::Error>(echonet_runtime::AccountId::from(raw))
                })?;
                let ss58 = account.to_ss58check_with_version(Ss58AddressFormat::custom(
                    echonet_runtime::SS58_PREFIX,
                ));
                let hex_id = format!("0x{}", hex::encode(<[u8; 32]>::from(account)));
                match output_type {
                    OutputType::Json => println!(
                        "{}",
                        serde_json::json!({"networkId": "substrate", "publicKey": hex_id, "accountId": hex_id, "ss58PublicKey": ss58, "ss58Address": ss58})
                    ),
                    OutputType::Text => {
                        println!("Network ID/Version: substrate");
                        println!("  Public key (hex):   {hex_id}");
                        println!("  Account ID:         {hex_id}");
                        println!("  Public key (SS58):  {ss58}");
                        println!("  SS58 Address:       {ss58}");
                    }
                }
            } else {
                let (signer, seed) = signer_of(*scheme, uri)?;
                let is_phrase = bip39::Mnemonic::parse(uri).is_ok();
                print_secret(uri, is_phrase, seed, key_info(signer), *output_type);
            }
        }
        KeyCmd::Insert {
            shared,
            suri,
            key_type,
            scheme,
        } => {
            let raw = key_type.as_bytes();
            if raw.len() != 4 {
                bail!("--key-type must be four characters, e.g. aura or gran");
            }
            let kt = sp_core::crypto::KeyTypeId([raw[0], raw[1], raw[2], raw[3]]);
            let (spec, dir) = open_chain(shared)?;
            let keystore = FileKeystore::open(&dir.join("keystore"))?;
            let public = match scheme {
                Scheme::Sr25519 => hex::encode(keystore.insert_suri::<sr25519::Pair>(kt, suri)?),
                Scheme::Ed25519 => hex::encode(keystore.insert_suri::<ed25519::Pair>(kt, suri)?),
                Scheme::Ecdsa => hex::encode(keystore.insert_suri::<ecdsa::Pair>(kt, suri)?),
            };
            eprintln!(
                "Inserted {key_type} key 0x{public} into the keystore of chain {}",
                spec.id
            );
        }
        KeyCmd::GenerateNodeKey { file, bin } => {
            let (pair, secret) = network_key::generate();
            let content = if *bin {
                secret
            } else {
                hex::encode(secret).into_bytes()
            };
            match file {
                Some(path) => network_key::write_secret(path, &content)?,
                None => std::io::stdout().write_all(&content)?,
            }
            eprintln!("{}", pair.public().to_peer_id());
        }
        KeyCmd::InspectNodeKey { file, bin } => {
            let raw =
                std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
            if *bin && raw.len() != 32 {
                bail!("--bin: the file must hold exactly 32 bytes");
            }
            let pair = network_key::parse_secret(&raw)?;
            println!("{}", pair.public().to_peer_id());
        }
    }
    Ok(())
}
