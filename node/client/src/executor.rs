//! Native execution of the runtime.
//!
//! `impl_runtime_apis!` generates `echonet_runtime::apis::api::dispatch(method, input)`. We run it
//! through sp-state-machine's `StateMachine`, which sets up an `Ext` (overlay + trie
//! backend) and enters/leaves "runtime mode" on the overlay so that storage transactions
//! the runtime leaves open (say, because it panicked) are rolled back.
//!
//! A panic in the runtime (an `assert!` in `execute_block`, undecodable call data) is
//! caught here and becomes an error: the node never dies from one.

use crate::error::{Error, Result};
use sp_core::traits::{CallContext, CodeExecutor, Externalities, FetchRuntimeCode, RuntimeCode};
use sp_externalities::Extensions;
use sp_runtime::traits::BlakeTwo256;
use sp_state_machine::{Backend, Ext, OverlayedChanges, StateMachine};
use std::{borrow::Cow, cell::Cell, panic::AssertUnwindSafe};

thread_local! {
    static IN_RUNTIME: Cell<bool> = const { Cell::new(false) };
}

/// The stack of every thread that runs the runtime: the node's tokio workers and blocking
/// pool (where RPC, the pool, sync and authoring call it) and import's signature checker.
///
/// The runtime is native code on our threads, and a stack overflow aborts the process
/// (no `catch_unwind` catches it). Decoding bounds its recursion (`MAX_EXTRINSIC_DEPTH`);
/// this is the second line of defence against a path that recursion bounds miss, and room
/// for honest deep calls. 2 MiB is Rust's and tokio's default; 16 MiB is reserved
/// address space, and only the pages a call touches take memory.
pub const RUNTIME_THREAD_STACK: usize = 16 * 1024 * 1024;

/// Whether the current thread is inside a runtime call. The node's panic hook uses this to
/// log runtime panics (which input can cause, and which we turn into errors) quietly.
pub fn in_runtime_call() -> bool {
    IN_RUNTIME.with(|c| c.get())
}

/// Error of a native runtime call.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    /// The runtime panicked during the call (a failed `assert`, an out-of-bounds index, bad
    /// input it did not expect); the panic was caught and its message is kept here.
    #[error("runtime panicked: {0}")]
    Panicked(String),
    /// The runtime's API dispatch knows no function of this name. [`execute`] turns this
    /// into [`Error::MethodNotFound`] by comparing its text, so the message must not change.
    #[error("runtime does not implement {0}")]
    MethodNotFound(String),
}

/// Calls the statically linked runtime.
#[derive(Clone, Copy, Default, Debug)]
pub struct NativeExecutor;

impl sp_core::traits::ReadRuntimeVersion for NativeExecutor {
    fn read_runtime_version(
        &self,
        _wasm_code: &[u8],
        _ext: &mut dyn Externalities,
    ) -> std::result::Result<Vec<u8>, String> {
        Err("EchoNet executes its runtime natively: runtime code blobs are not supported".into())
    }
}

struct RuntimeFlag;
impl RuntimeFlag {
    fn set() -> Self {
        IN_RUNTIME.with(|c| c.set(true));
        RuntimeFlag
    }
}
impl Drop for RuntimeFlag {
    fn drop(&mut self) {
        IN_RUNTIME.with(|c| c.set(false));
    }
}

/// Turns a panic payload into its message.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic payload".to_string()
    }
}

impl CodeExecutor for NativeExecutor {
    type Error = ExecError;

    fn call(
        &self,
        ext: &mut dyn Externalities,
        _runtime_code: &RuntimeCode,
        method: &str,
        data: &[u8],
        _context: CallContext,
    ) -> (std::result::Result<Vec<u8>, ExecError>, bool) {
        let _flag = RuntimeFlag::set();
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
            sp_externalities::set_and_run_with_externalities(ext, || {
                echonet_runtime::apis::api::dispatch(method, data)
            })
        }));
        let result = match outcome {
            Ok(Some(output)) => Ok(output),
            Ok(None) => Err(ExecError::MethodNotFound(method.to_string())),
            Err(payload) => Err(ExecError::Panicked(panic_message(&*payload))),
        };
        (result, true)
    }
}

/// There is no code blob: this identifies the native runtime to sp-state-machine.
struct NativeCode;
impl FetchRuntimeCode for NativeCode {
    fn fetch_runtime_code(&self) -> Option<Cow<'_, [u8]>> {
        Some(Cow::Borrowed(b"echonet-native-runtime"))
    }
}
static NATIVE_CODE: NativeCode = NativeCode;

fn runtime_code() -> RuntimeCode<'static> {
    RuntimeCode {
        code_fetcher: &NATIVE_CODE,
        heap_pages: None,
        hash: echonet_runtime::VERSION.spec_version.to_le_bytes().to_vec(),
    }
}

/// Runs `method` on `backend`, recording writes in `overlay`. On error nothing the call
/// wrote stays in `overlay`.
pub fn execute<B: Backend<BlakeTwo256>>(
    backend: &B,
    overlay: &mut OverlayedChanges<BlakeTwo256>,
    extensions: &mut Extensions,
    method: &str,
    data: &[u8],
    context: CallContext,
) -> Result<Vec<u8>> {
    execute_keeping(backend, overlay, extensions, method, data, context, |_| {
        true
    })
}

/// [`execute`], keeping what the call wrote only if `keep` accepts its output: the block
/// builder drops an extrinsic the runtime finds invalid. One overlay transaction serves
/// both purposes: each transaction level costs a pass over the keys it wrote, at every
/// extrinsic of a block.
pub fn execute_keeping<B: Backend<BlakeTwo256>>(
    backend: &B,
    overlay: &mut OverlayedChanges<BlakeTwo256>,
    extensions: &mut Extensions,
    method: &str,
    data: &[u8],
    context: CallContext,
    keep: impl FnOnce(&[u8]) -> bool,
) -> Result<Vec<u8>> {
    let code = runtime_code();
    let exec = NativeExecutor;
    // The state machine keeps what a failed call wrote; wrap the call in a transaction so
    // that an error leaves the overlay as it was.
    overlay.start_transaction();
    let result = StateMachine::new(
        backend, overlay, &exec, method, data, extensions, &code, context,
    )
    .execute();
    match result {
        Ok(output) => {
            let closed = if keep(&output) {
                overlay.commit_transaction()
            } else {
                overlay.rollback_transaction()
            };
            closed.map_err(|_| Error::State("no open overlay transaction to close".into()))?;
            Ok(output)
        }
        Err(e) => {
            overlay
                .rollback_transaction()
                .map_err(|_| Error::State("no open overlay transaction to roll back".into()))?;
            let reason = e.to_string();
            // `StateMachine` erases the executor's error type; ours is identified by its text.
            if reason == ExecError::MethodNotFound(method.to_string()).to_string() {
                return Err(Error::MethodNotFound(method.to_string()));
            }
            Err(Error::RuntimeCall {
                method: method.to_string(),
                reason,
            })
        }
    }
}

/// Like [`execute`], without the overlay transaction around the call: for frame-benchmarking,
/// whose `commit_db` commits the overlay to the backend from inside the runtime and refuses
/// to run while the client has a transaction open. On error the overlay may keep what the
/// call wrote; callers discard it.
pub fn execute_for_benchmark<B: Backend<BlakeTwo256>>(
    backend: &B,
    overlay: &mut OverlayedChanges<BlakeTwo256>,
    extensions: &mut Extensions,
    method: &str,
    data: &[u8],
) -> Result<Vec<u8>> {
    let code = runtime_code();
    let exec = NativeExecutor;
    // Bound to a local: the state machine borrows `exec` and `code` until it is dropped.
    let result = StateMachine::new(
        backend,
        overlay,
        &exec,
        method,
        data,
        extensions,
        &code,
        CallContext::Offchain,
    )
    .execute();
    result.map_err(|e| {
        let reason = e.to_string();
        if reason == ExecError::MethodNotFound(method.to_string()).to_string() {
            Error::MethodNotFound(method.to_string())
        } else {
            Error::RuntimeCall {
                method: method.to_string(),
                reason,
            }
        }
    })
}

/// Runs native runtime code (not a runtime API) under externalities of `backend`, for
/// work the node does with the runtime's own types, such as checking signatures ahead of
/// execution. Writes are discarded; a panic becomes an error.
pub fn with_state<B: Backend<BlakeTwo256>, R>(backend: &B, f: impl FnOnce() -> R) -> Result<R> {
    with_state_and_overlay(backend, &mut OverlayedChanges::default(), f)
}

/// [`with_state`] over `backend` as changed by `overlay` (e.g. after
/// `Core_initialize_block`).
pub fn with_state_and_overlay<B: Backend<BlakeTwo256>, R>(
    backend: &B,
    overlay: &mut OverlayedChanges<BlakeTwo256>,
    f: impl FnOnce() -> R,
) -> Result<R> {
    let mut ext = Ext::new(overlay, backend, None);
    let _flag = RuntimeFlag::set();
    std::panic::catch_unwind(AssertUnwindSafe(|| {
        sp_externalities::set_and_run_with_externalities(&mut ext, f)
    }))
    .map_err(|payload| Error::RuntimeCall {
        method: "native call".into(),
        reason: panic_message(&*payload),
    })
}
