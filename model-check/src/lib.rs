//! Model checks of the SDK's lock-free code: the modules are compiled here from the SDK's own
//! source files over loom's atomics, so loom explores every interleaving (and the values weak
//! memory lets each load see) of small programs using them.
//!
//! Why a crate of its own: loom needs its atomics in the code under test. Compiling the whole
//! SDK with a `cfg(loom)` switch would rebuild it and its dependency tree a second time in CI;
//! the exemplar slot is one self-contained file written against `super::sync`, so it is
//! included here as it is.

/// What `slot.rs` imports as `super::sync`: loom's atomics instead of std's.
mod sync {
    pub(crate) use loom::sync::atomic::{fence, AtomicU64, Ordering};
}

#[path = "../../src/exemplars/slot.rs"]
#[allow(dead_code)]
mod slot;

#[cfg(test)]
mod exemplar_slot {
    //! The exemplar slot's sequence lock never hands a reader a torn exemplar: under loom, for
    //! every interleaving of two writes against a concurrent read (and every value a relaxed load
    //! may see on a weakly ordered CPU), what the reader returns is one whole write — its value,
    //! trace id halves and span id all from the same `write` — or nothing.
    //! Fault injected once: without the writer's release fence loom finds a torn read.

    use crate::slot::Slot;
    use loom::sync::Arc;
    use loom::thread;

    /// Write `n` puts `n` in every field, so a mix of writes is visible.
    fn write(slot: &Slot, n: u64) {
        slot.write(n as f64, Some(((u128::from(n) << 64) | u128::from(n), n)));
    }

    #[test]
    fn a_reader_sees_one_whole_write_or_nothing() {
        // Two preemptions cover a read interleaved anywhere in either write (loom's
        // documented practice; unbounded, the state space of eight retries explodes).
        let mut model = loom::model::Builder::new();
        model.preemption_bound = Some(2);
        model.check(|| {
            let slot = Arc::new(Slot::default());
            let writer = {
                let slot = slot.clone();
                thread::spawn(move || {
                    write(&slot, 1);
                    write(&slot, 2);
                })
            };
            if let Some(e) = slot.read() {
                let (trace, span) = e.trace.expect("every write has a trace");
                let (hi, lo) = ((trace >> 64) as u64, trace as u64);
                let value = e.value as u64;
                assert!(
                    value == hi && hi == lo && lo == span && (value == 1 || value == 2),
                    "torn exemplar: value {value}, trace {hi:x}/{lo:x}, span {span}"
                );
            }
            writer.join().unwrap();
            // After the writer is done, the read is the last write.
            let last = slot.read().expect("written");
            assert_eq!(last.value, 2.0);
        });
    }
}
