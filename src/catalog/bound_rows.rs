//! Instruments bound per label row: the registered rows at build, a table's `other` rows on
//! first use (a bound series is exported from the moment it is bound).

use std::sync::OnceLock;

use opentelemetry::metrics::{BoundCounter, BoundGauge, BoundHistogram, Counter, Gauge, Histogram};
use opentelemetry::KeyValue;

/// An instrument that binds to an attribute set.
pub(crate) trait Bind {
    type Bound;
    fn bind_to(&self, attributes: &[KeyValue]) -> Self::Bound;
}

impl<T: 'static> Bind for Counter<T> {
    type Bound = BoundCounter<T>;
    fn bind_to(&self, attributes: &[KeyValue]) -> BoundCounter<T> {
        self.bind(attributes)
    }
}

impl<T: 'static> Bind for Gauge<T> {
    type Bound = BoundGauge<T>;
    fn bind_to(&self, attributes: &[KeyValue]) -> BoundGauge<T> {
        self.bind(attributes)
    }
}

impl<T: 'static> Bind for Histogram<T> {
    type Bound = BoundHistogram<T>;
    fn bind_to(&self, attributes: &[KeyValue]) -> BoundHistogram<T> {
        self.bind(attributes)
    }
}

/// One instrument bound per attribute set: the sets `prebind` names at build (the registered
/// label rows), the others — a table's `other` rows — on first use. A bound series exports
/// from the moment it is bound (zero until recorded), so binding an `other` row up front
/// would export a series for a name nobody registered.
pub(crate) struct BoundRows<I: Bind> {
    instrument: I,
    attributes: Box<[Vec<KeyValue>]>,
    cells: Box<[OnceLock<I::Bound>]>,
}

impl<I: Bind> BoundRows<I> {
    pub(crate) fn new(
        instrument: I,
        attributes: Vec<Vec<KeyValue>>,
        prebind: impl Fn(usize) -> bool,
    ) -> Self {
        let rows = BoundRows {
            cells: attributes.iter().map(|_| OnceLock::new()).collect(),
            attributes: attributes.into(),
            instrument,
        };
        for i in (0..rows.cells.len()).filter(|i| prebind(*i)) {
            rows.get(i);
        }
        rows
    }

    /// The series of attribute set `i`, bound now if it was not.
    #[inline]
    pub(crate) fn get(&self, i: usize) -> Option<&I::Bound> {
        let cell = self.cells.get(i)?;
        Some(cell.get_or_init(|| self.instrument.bind_to(&self.attributes[i])))
    }

    /// Whether attribute set `i` is bound (exported).
    pub(crate) fn is_bound(&self, i: usize) -> bool {
        self.cells.get(i).is_some_and(|c| c.get().is_some())
    }
}
