//! One exemplar slot under a sequence lock (a seqlock: writers never block, a busy writer
//! skips, readers retry). Written against `super::sync`, so `model-check/` can run this very
//! file over loom's atomics.
//!
//! The protocol (Boehm, "Can seqlocks get along with programming language memory models?",
//! 2012): the writer makes the sequence odd, a release fence, the data stores (relaxed), then
//! the even sequence with release; the reader loads the sequence (acquire), the data
//! (relaxed), an acquire fence, and the sequence again.

use std::time::{SystemTime, UNIX_EPOCH};

use super::sync::{fence, AtomicU64, Ordering};

/// One exemplar slot, written under a sequence lock.
#[derive(Default)]
pub(crate) struct Slot {
    /// Even: stable; odd: being written.
    seq: AtomicU64,
    /// Nanoseconds (store clock) after which the slot takes a new exemplar.
    pub(crate) next_ns: AtomicU64,
    value: AtomicU64,
    trace_hi: AtomicU64,
    trace_lo: AtomicU64,
    span: AtomicU64,
    /// Milliseconds since the UNIX epoch; 0 = empty.
    unix_ms: AtomicU64,
}

/// An exemplar as read at scrape time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Exemplar {
    pub(crate) value: f64,
    /// `None` for an exemplar taken outside a span (`always_on`).
    pub(crate) trace: Option<(u128, u64)>,
    pub(crate) unix_ms: u64,
}

impl Slot {
    pub(crate) fn read(&self) -> Option<Exemplar> {
        for _ in 0..8 {
            let before = self.seq.load(Ordering::Acquire);
            if before % 2 == 1 {
                std::hint::spin_loop();
                continue;
            }
            let value = f64::from_bits(self.value.load(Ordering::Relaxed));
            let hi = self.trace_hi.load(Ordering::Relaxed);
            let lo = self.trace_lo.load(Ordering::Relaxed);
            let span = self.span.load(Ordering::Relaxed);
            let unix_ms = self.unix_ms.load(Ordering::Relaxed);
            fence(Ordering::Acquire);
            if self.seq.load(Ordering::Relaxed) == before {
                if unix_ms == 0 {
                    return None;
                }
                let trace =
                    (hi != 0 || lo != 0).then_some(((u128::from(hi) << 64) | u128::from(lo), span));
                return Some(Exemplar {
                    value,
                    trace,
                    unix_ms,
                });
            }
        }
        None
    }

    pub(crate) fn write(&self, value: f64, trace: Option<(u128, u64)>) {
        let seq = self.seq.load(Ordering::Relaxed);
        if seq % 2 == 1
            || self
                .seq
                .compare_exchange(seq, seq + 1, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return; // another writer: its exemplar is as good
        }
        // Orders the odd sequence before the data stores: a reader whose loads see any of
        // them (its acquire fence synchronizes with this one) then sees the sequence changed
        // and retries. Without it, a weakly ordered CPU may make a data store visible before
        // the odd sequence, and the reader returns a torn exemplar (a trace id that never
        // existed). The CAS's own ordering does not order the stores after it.
        fence(Ordering::Release);
        let (trace, span) = trace.unwrap_or((0, 0));
        let unix_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(1, |d| d.as_millis() as u64);
        self.value.store(value.to_bits(), Ordering::Relaxed);
        self.trace_hi.store((trace >> 64) as u64, Ordering::Relaxed);
        self.trace_lo.store(trace as u64, Ordering::Relaxed);
        self.span.store(span, Ordering::Relaxed);
        self.unix_ms.store(unix_ms.max(1), Ordering::Relaxed);
        self.seq.store(seq + 2, Ordering::Release);
    }
}
